/**
 * import() of a devDependency by a name the bundler cannot follow, so Node loads it
 * from node_modules at run time: etcd3 reads its .proto files and @napi-rs/canvas
 * its native binary relative to their own folders, which bundling would break.
 */
export async function importAtRuntime<T>(name: string, neededFor: string): Promise<T> {
  try {
    return (await import(name)) as T
  } catch (err) {
    throw new Error(
      `${neededFor} needs the npm package "${name}", which could not be loaded (${(err as Error).message}); ` +
        'run `npm ci` in the Raft Lab checkout (it is a devDependency)'
    )
  }
}
