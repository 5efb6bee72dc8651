import type { Command } from 'commander';
import type { SupportLevel } from '../mediator/context.js';
import { SYSCALLS } from '../mediator/syscall-table.js';

const LEVELS: readonly SupportLevel[] = ['emulated', 'mediated', 'native', 'unsupported'];

/** `simterpose syscalls`: what simterpose does with each x86_64 syscall, from the one table. */
export function registerSyscalls(program: Command): void {
  program
    .command('syscalls')
    .description('List how simterpose treats every x86_64 syscall: emulated, mediated, native or unsupported.')
    .option('--level <level>', `only this level (${LEVELS.join(', ')})`)
    .option('--json', 'machine-readable output')
    .action((options: { level?: string; json?: boolean }) => {
      process.stdout.write(listSyscalls(options.level as SupportLevel | undefined, options.json === true));
    });
}

export function listSyscalls(level: SupportLevel | undefined, json: boolean): string {
  const entries = [...SYSCALLS.values()].filter((entry) => level === undefined || entry.level === level);
  if (json) {
    return `${JSON.stringify(entries.map(({ number, name, level: l, note }) => ({ number, name, level: l, note: note ?? null })), null, 2)}\n`;
  }
  const counts = LEVELS.map((l) => `${[...SYSCALLS.values()].filter((e) => e.level === l).length} ${l}`).join(', ');
  const lines = entries.map(({ number, name, level: l, note }) => `${String(number).padStart(3)}  ${name.padEnd(24)} ${l.padEnd(11)} ${note ?? ''}`.trimEnd());
  return `${lines.join('\n')}\n\n${counts}\n`;
}
