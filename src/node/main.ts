// `raftlab node` entry point, spawned by the lab as its own process.
process.stderr.write('raftlab node: not implemented yet\n')
process.exitCode = 2
