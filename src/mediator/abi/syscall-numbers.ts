import { SYSCALL_NAMES } from './syscall-names.js';

const NUMBERS_BY_NAME = new Map([...SYSCALL_NAMES].map(([number, name]) => [name, number]));

/** The x86_64 number of syscall `name`; undefined for a name Linux does not have. */
export function syscallNumber(name: string): number | undefined {
  return NUMBERS_BY_NAME.get(name);
}

/** The name of syscall `number` (`syscall_N` for a number Linux does not have). */
export function syscallName(number: number): string {
  return SYSCALL_NAMES.get(number) ?? `syscall_${number}`;
}

/** The numbers of syscalls Linux is sure to have, by name. */
export function syscallNumbers(...names: string[]): number[] {
  return names.map((name) => {
    const number = syscallNumber(name);
    if (number === undefined) throw new Error(`no syscall named ${name}`);
    return number;
  });
}
