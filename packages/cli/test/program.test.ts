import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { Command } from 'commander'
import { registerTasks } from '../src/commands/tasks.js'
import { CliError, EXIT } from '../src/exit-codes.js'
import { buildProgram } from '../src/main.js'
import { addApiOptions, addNodeOutputOptions, addNodeSetupOptions } from '../src/options.js'
import { capture } from './helpers.js'
import type { CommandContext } from '../src/options.js'

const API_OPTIONS = ['--data-dir', '--api', '--token', '--json']
const longFlags = (cmd: Command): string[] => cmd.options.map(o => o.long ?? '')

describe('command registration', () => {
  it('the program holds every command module\'s commands, in the order of --help', () => {
    const program = buildProgram(capture(), { code: 0 })
    assert.deepEqual(program.commands.map(c => c.name()), [
      'start', 'registry', 'status', 'peers', 'agents', 'announce', 'tasks', 'task', 'cancel', 'run', 'workflows', 'workflow',
      'dashboard', 'propose', 'vote', 'proposals', 'blackboard', 'escalations', 'resolve', 'inbox', 'claim', 'progress', 'complete', 'fail', 'release', 'post-finding', 'sim',
      'keygen', 'block', 'unblock', 'access', 'verify', 'roles'
    ])
  })

  it('every command that talks to a running node has the API options; the foreground ones their setup and output options', () => {
    const program = buildProgram(capture(), { code: 0 })
    // Foreground commands, keygen, which only writes a file, and roles, which prints the presets.
    const foreground = ['start', 'registry', 'sim', 'keygen', 'roles']
    for (const cmd of program.commands) {
      if (foreground.includes(cmd.name())) continue
      for (const flag of API_OPTIONS) assert.ok(longFlags(cmd).includes(flag), `${cmd.name()} has ${flag}`)
    }
    for (const name of ['start', 'registry']) {
      const cmd = program.commands.find(c => c.name() === name)
      assert.ok(cmd)
      const flags = longFlags(cmd)
      assert.deepEqual(flags.slice(0, 5), ['--config', '--data-dir', '--swarm-key', '--allow', '--deny'], name)
      assert.deepEqual(flags.slice(-4), ['--log-level', '--log-file', '--json', '--quiet'], name)
    }
  })

  it('a module registers its commands on any program; its actions run through the context', async () => {
    const program = new Command().exitOverride()
    const ran: unknown[] = []
    const ctx: CommandContext = {
      out: capture(),
      run: async action => {
        try { ran.push(await action()) } catch (err) { ran.push(err) }
      }
    }
    registerTasks(program, ctx)
    assert.deepEqual(program.commands.map(c => c.name()), ['tasks', 'task', 'cancel'])
    // No node behind this API: the action ends with UNREACHABLE, inside ctx.run.
    await program.parseAsync(['node', 'x', 'tasks', '--api', 'http://127.0.0.1:1', '--token', 'x'])
    assert.equal(ran.length, 1)
    assert.ok(ran[0] instanceof CliError)
    assert.equal(ran[0].exitCode, EXIT.UNREACHABLE)
  })

  it('the shared option helpers declare the same options wherever they are used', () => {
    assert.deepEqual(longFlags(addApiOptions(new Command('a'))), API_OPTIONS)
    assert.deepEqual(longFlags(addNodeSetupOptions(new Command('b'))), ['--config', '--data-dir', '--swarm-key', '--allow', '--deny'])
    const output = addNodeOutputOptions(new Command('c'), 'registry')
    assert.deepEqual(longFlags(output), ['--log-level', '--log-file', '--json', '--quiet'])
    assert.match(output.options.find(o => o.long === '--log-file')?.description ?? '', /where the registry writes/)
    assert.ok((output.options.find(o => o.long === '--log-level')?.argChoices ?? []).includes('debug'))
  })
})
