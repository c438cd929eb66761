/**
 * `swarm-node roles`: the role presets of `--role` (issue 15), with their sampling settings and
 * what each does; `--json` for the whole presets, system prompts included.
 */
import { ROLE_NAMES, ROLE_PRESETS } from '@swarm/node'
import { EXIT } from '../exit-codes.js'
import { table } from '../output.js'
import type { Output } from '../output.js'
import type { CommandContext } from '../options.js'
import type { Command } from 'commander'

function rolesCommand (flags: { json?: boolean }, out: Output): number {
  if (flags.json === true) {
    out.json(ROLE_NAMES.map(name => ({ name, ...ROLE_PRESETS[name] })))
    return EXIT.OK
  }
  const rows = ROLE_NAMES.map(name => {
    const p = ROLE_PRESETS[name]
    return [name, String(p.temperature), String(p.topP), String(p.maxTokens), p.description]
  })
  out.line(table(['ROLE', 'TEMPERATURE', 'TOP_P', 'MAX_TOKENS', 'WHAT IT DOES'], rows))
  out.line('')
  out.line('Declare one with: swarm-node start --role coder[:level] --llm-url <server> --llm-model <model>')
  out.line('Override a preset in the config file: llm.roles.<role> (e.g. its model or temperature).')
  return EXIT.OK
}

export function registerRoles (program: Command, ctx: CommandContext): void {
  program.command('roles')
    .description('list the role presets of --role: system prompt and sampling settings per role')
    .option('--json', 'the presets as JSON, system prompts included')
    .addHelpText('after', `
Examples:
  swarm-node roles
  swarm-node roles --json | jq '.[] | select(.name == "coder") | .system'`)
    .action(async (flags: { json?: boolean }) => { await ctx.run(async () => rolesCommand(flags, ctx.out)) })
}
