// The renderer's Content-Security-Policy, sent as a header by the Electron session and by the
// browser-mode server. It matches the <meta> policy in src/renderer/index.html (both apply; a
// page gets the intersection) and adds what only a header can say: frame-ancestors.
const directives = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'"
]

/** `connectSources`: where the page may open connections besides its own origin. */
export function rendererCsp(connectSources: string[] = []): string {
  return [...directives, ["connect-src 'self'", ...connectSources].join(' ')].join('; ')
}
