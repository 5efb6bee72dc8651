import type { Command } from 'commander';
import type { SupportLevel, SyscallEntry } from '../mediator/syscalls/context.js';

const LEVELS: readonly SupportLevel[] = ['emulated', 'mediated', 'native', 'unsupported'];

/** `simterpose syscalls`: what simterpose does with each x86_64 syscall, from the one table. */
export function registerSyscalls(program: Command): void {
  program
    .command('syscalls')
    .description(
      'List how simterpose treats every x86_64 syscall: emulated, mediated, native or unsupported, and whether a trapped one reaches it as a seccomp user notification or a ptrace stop.',
    )
    .option('--level <level>', `only this level (${LEVELS.join(', ')})`)
    .option('--json', 'machine-readable output')
    .action(async (options: { level?: string; json?: boolean }) => {
      // The table (and the addon it loads) only for this command: not at every start of the CLI.
      const { SYSCALLS, notifiedNumbers } = await import('../mediator/syscalls/table.js');
      const notified = new Set(notifiedNumbers());
      process.stdout.write(listSyscalls([...SYSCALLS.values()], notified, options.level as SupportLevel | undefined, options.json === true));
    });
}

function listSyscalls(table: SyscallEntry[], notifiedNumbers: ReadonlySet<number>, level: SupportLevel | undefined, json: boolean): string {
  /** How a trapped call reaches simterpose by default (--no-notify-syscalls: always a stop); native calls are not trapped. */
  const trap = (entry: SyscallEntry): 'notification' | 'stop' | null => {
    if (entry.level === 'native') return null;
    return notifiedNumbers.has(entry.number) ? 'notification' : 'stop';
  };
  const entries = table.filter((entry) => level === undefined || entry.level === level);
  if (json) {
    return `${JSON.stringify(
      entries.map((entry) => ({ number: entry.number, name: entry.name, level: entry.level, trap: trap(entry), note: entry.note ?? null })),
      null,
      2,
    )}\n`;
  }
  const counts = LEVELS.map((l) => `${table.filter((e) => e.level === l).length} ${l}`).join(', ');
  const lines = entries.map((entry) =>
    `${String(entry.number).padStart(3)}  ${entry.name.padEnd(24)} ${entry.level.padEnd(11)} ${(trap(entry) ?? '').padEnd(12)} ${entry.note ?? ''}`.trimEnd(),
  );
  const notified = entries.filter((entry) => trap(entry) === 'notification').length;
  return `${lines.join('\n')}\n\n${counts}; ${notified} of those listed come as seccomp user notifications, unless --no-notify-syscalls\n`;
}
