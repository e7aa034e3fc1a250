import type { Command } from 'commander';
import { openStore } from '../../ca-services.ts';
import { configFrom, type CliIo, type GlobalOptions } from '../io.ts';
import { CommandFailed } from '../run.ts';

export function registerAuditCommands(program: Command, io: CliIo): void {
  const audit = program.command('audit').description('the hash-chained audit log');
  audit
    .command('verify')
    .description('check every event against the hash chain; exits 1 and names the first bad record if any was altered or removed')
    .option('--json', 'machine-readable output')
    .action(async (options: { json?: boolean }, command: Command) => {
      const store = await openStore(configFrom(command.optsWithGlobals<GlobalOptions>(), io));
      let result;
      try {
        result = await store.audit.verify();
      } finally {
        await store.close();
      }
      if (options.json) {
        io.stdout.write(`${JSON.stringify(result, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`);
      } else if (result.ok) {
        io.stdout.write(`ok: ${result.checked} events, head ${result.headSeq} ${result.headHash}\n`);
      }
      if (!result.ok) {
        throw new CommandFailed(`audit chain broken at event ${result.problem?.seq ?? '?'}: ${result.problem?.message ?? 'unknown problem'}`);
      }
    });
}
