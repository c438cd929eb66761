/**
 * `swarm-node verify <taskId|proposalId>`: asks the running node to check what it stored of a
 * decision again: the award of a task (its own offer listed as signed, the selection rule
 * re-run over the listed inputs gives the group; as announcer, every signed offer re-checked) or
 * the vote certificate of a decided proposal. Exit 0 when everything verifies, 1 otherwise.
 */
import { z } from 'zod'
import { ApiClient, ApiError, resolveApiTarget } from '../api-client.js'
import { CliError, EXIT } from '../exit-codes.js'
import { addApiOptions } from '../options.js'
import type { ApiFlags } from '../api-client.js'
import type { Output } from '../output.js'
import type { CommandContext } from '../options.js'
import type { Command } from 'commander'

const ReportAnswer = z.object({
  report: z.object({
    id: z.string(),
    kind: z.enum(['task', 'proposal']),
    ok: z.boolean(),
    records: z.array(z.object({ what: z.string(), ok: z.boolean(), checks: z.array(z.string()), problems: z.array(z.string()) }).loose())
  }).loose()
})

async function verifyCommand (id: string, flags: ApiFlags & { json?: boolean }, out: Output): Promise<number> {
  const client = new ApiClient(resolveApiTarget(flags))
  let report: z.infer<typeof ReportAnswer>['report']
  try {
    report = (await client.get(`/v1/verify/${encodeURIComponent(id)}`, ReportAnswer)).report
  } catch (err) {
    if (err instanceof ApiError && err.code === 'TASK_NOT_FOUND') throw new CliError(EXIT.FAILURE, err.message)
    throw err
  }
  if (flags.json === true) {
    out.json(report)
    return report.ok ? EXIT.OK : EXIT.FAILURE
  }
  out.line(`${report.kind} ${report.id}`)
  for (const record of report.records) {
    out.line(`${record.what}: ${record.ok ? 'OK' : 'FAILED'}`)
    for (const check of record.checks) out.line(`  checked  ${check}`)
    for (const problem of record.problems) out.line(`  FAILED   ${problem}`)
  }
  out.line(report.ok ? 'verified' : 'NOT verified')
  return report.ok ? EXIT.OK : EXIT.FAILURE
}

export function registerVerify (program: Command, ctx: CommandContext): void {
  addApiOptions(program.command('verify')
    .description('check a decision again from what this node stored: the award of a task, or the vote certificate of a proposal')
    .argument('<id>', 'task id or proposal id'))
    .addHelpText('after', `
Exit status: 0 when verified, 1 when a check fails or nothing is stored under the id.

Examples:
  swarm-node verify Xy12...          # the award: own offer listed as signed, the rule gives the group
  swarm-node verify Pq34... --json   # a proposal's vote certificate, as JSON`)
    .action(async (id: string, flags: ApiFlags & { json?: boolean }) => { await ctx.run(async () => await verifyCommand(id, flags, ctx.out)) })
}
