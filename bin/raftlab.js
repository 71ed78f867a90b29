#!/usr/bin/env node
'use strict'
// The CLI is built by `npm run build` into out/main/cli.js.
const path = require('node:path')
const fs = require('node:fs')
const cli = path.join(__dirname, '..', 'out', 'main', 'cli.js')
if (!fs.existsSync(cli)) {
  process.stderr.write('raftlab: not built yet; run `npm run build` first\n')
  process.exit(2)
}
require(cli)
