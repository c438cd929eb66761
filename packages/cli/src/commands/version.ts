/**
 * `swarm-node version`: the software, the wire protocol and the Node.js that runs it (what a bug
 * report needs); `-v` / `--version` print the version alone.
 */
import { PROTOCOL_VERSION } from '@swarm/protocol'
import { SOFTWARE } from '@swarm/node'
import { EXIT } from '../exit-codes.js'
import type { CommandContext } from '../options.js'
import type { Command } from 'commander'

/** What `version --json` prints. */
function versionInfo (): { name: string, version: string, protocol: number, node: string, platform: string } {
  return { name: SOFTWARE.name, version: SOFTWARE.version, protocol: PROTOCOL_VERSION, node: process.versions.node, platform: `${process.platform}-${process.arch}` }
}

export function registerVersion (program: Command, ctx: CommandContext): void {
  program.command('version')
    .description('print the version of swarm-node, its wire protocol and the Node.js it runs on')
    .option('--json', 'print JSON instead of text')
    .action(async (flags: { json?: boolean }) => {
      await ctx.run(async () => {
        const info = versionInfo()
        if (flags.json === true) ctx.out.json(info)
        else ctx.out.line(`${info.name} ${info.version} (protocol ${info.protocol}, Node.js ${info.node}, ${info.platform})`)
        return EXIT.OK
      })
    })
}
