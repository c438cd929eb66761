#!/usr/bin/env node
// The web dashboard's end-to-end test drives Debian's Chromium (/usr/bin/chromium) through
// playwright-core; browsers are never downloaded. Before the tests: if it is missing and this
// runs as root on Debian, install it with apt-get; otherwise say how, and let the test fail
// with the same message (nothing is skipped).
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

const CHROMIUM = '/usr/bin/chromium'
if (!existsSync(CHROMIUM)) {
  const root = typeof process.getuid === 'function' && process.getuid() === 0
  const apt = existsSync('/usr/bin/apt-get')
  if (root && apt) {
    console.error('installing Debian\'s chromium for the web dashboard test (apt-get install -y chromium)…')
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
    const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env })
    const install = update.status === 0 ? spawnSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'inherit', env }) : update
    if (install.status !== 0) console.error('could not install chromium: the web dashboard test will fail; install it with: sudo apt-get install -y chromium')
  } else {
    console.error('note: /usr/bin/chromium is missing: the web dashboard test will fail; install it with: sudo apt-get install -y chromium')
  }
}
