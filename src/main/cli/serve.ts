// `raftlab serve`: browser mode. The lab engine, the built renderer and the WebSocket LabApi on
// one loopback port; the printed URL carries the session token.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { createLab } from '../lab/lab'
import { LOOPBACK_HOSTS, startLabServer, type LoopbackHost } from '../server/lab-server'
import { EXIT, UsageError, parseCommandArgs, parseInteger, type CliCommand } from './command'

const HELP = `Usage: raftlab serve [--port P] [--host H] [--dir DIR] [--open]

Runs the lab in your browser: serves the app and its LabApi (over a WebSocket)
on one port of this machine only, and prints the URL to open. The URL carries a
random token; requests without it are refused, so other web pages cannot drive
the lab. Everything the desktop app does works, except native file dialogs:
exports are downloaded instead. Stop with Ctrl+C: every node is stopped.

Options:
  --port P    port to listen on (default 0: a free port)
  --host H    loopback address: 127.0.0.1 (default), localhost or ::1
  --dir DIR   where experiment folders are created (default: raftlab-experiments)
  --open      open the URL in the default browser`

/** The folder holding package.json, out/ and resources/; bundling may move this code into out/main/chunks. */
function findAppRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`)
  }
}

export const serveCommand: CliCommand = {
  name: 'serve',
  summary: 'run the lab in a browser (loopback only, token in the URL)',
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('serve', argv, {
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      dir: { type: 'string', default: 'raftlab-experiments' },
      open: { type: 'boolean', default: false }
    })
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`)
    const port = parseInteger(values.port, '--port', 0, 65_535)
    const host = values.host as LoopbackHost
    if (!LOOPBACK_HOSTS.includes(host)) {
      throw new UsageError(
        `--host ${values.host}: browser mode listens on ${LOOPBACK_HOSTS.join(', ')} only`
      )
    }
    const appRoot = findAppRoot(__dirname)
    const rendererDir = join(appRoot, 'out', 'renderer')
    if (!existsSync(join(rendererDir, 'index.html'))) {
      throw new UsageError(`${rendererDir}/index.html is missing: run \`npm run build\` first`)
    }

    const lab = createLab({
      experimentsDir: resolve(values.dir),
      scenarioDirs: [join(appRoot, 'resources', 'scenarios')],
      // Explicit: the engine's default is found relative to its own bundle chunk and the cwd.
      nodeEntry: join(appRoot, 'out', 'main', 'node.js')
    })
    const server = await startLabServer({ backend: lab, rendererDir, host, port })
    process.stdout.write(`Raft Lab is serving at ${server.url}\nPress Ctrl+C to stop.\n`)
    if (values.open) openInBrowser(server.url)

    await new Promise<void>((done) => {
      process.once('SIGINT', done)
      process.once('SIGTERM', done)
    })
    process.stdout.write('Stopping the lab…\n')
    await server.close()
    await lab.dispose()
    return EXIT.ok
  }
}

function openInBrowser(url: string): void {
  const [cmd, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url]]
        : ['xdg-open', [url]]
  const child = spawn(cmd, args, { stdio: 'ignore', detached: true })
  child.on('error', (err) =>
    process.stderr.write(
      `raftlab serve: could not open a browser (${err.message}); open the URL yourself\n`
    )
  )
  child.unref()
}
