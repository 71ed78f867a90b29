import { describe, expect, it } from 'vitest'
import { UsageError } from '../../../src/main/cli/command'
import { serveCommand } from '../../../src/main/cli/serve'

describe('raftlab serve: usage errors come before anything starts', () => {
  it.each([
    [
      ['--host', '0.0.0.0'],
      /--host 0\.0\.0\.0: browser mode listens on 127\.0\.0\.1, localhost, ::1 only/
    ],
    [['--host', '192.168.1.5'], /--host 192\.168\.1\.5: browser mode listens on/],
    [['--port', 'http'], /--port: "http" must be a whole number from 0 to 65535/],
    [['--port', '70000'], /--port/],
    [['now'], /unexpected argument "now"/],
    [['--tls'], /Unknown option '--tls'/]
  ])('%j', async (argv, message) => {
    const run = serveCommand.run(argv)
    await expect(run).rejects.toBeInstanceOf(UsageError)
    await expect(run).rejects.toThrow(message)
  })

  it('documents every option in its help', () => {
    for (const option of ['--port', '--host', '--dir', '--open'])
      expect(serveCommand.help).toContain(option)
  })
})
