import { describe, expect, it } from 'vitest';
import { AT_RANDOM, AT_SYSINFO_EHDR, readExecStack } from '../../src/mediator/abi/exec-stack.js';
import { FakeMemory } from '../helpers/fake-tracee.js';

const PAGE = 4096;
const AT_PAGESZ = 6;

/**
 * A new program's stack as Linux lays it out, at the top of its mapping:
 * argc, argv[], NULL, envp[], NULL, the auxiliary vector ending with
 * AT_NULL, then the argument strings end to end and the environment's, the
 * mapping ending at a page boundary. `padding` bytes lie below the stack
 * pointer, to place the words across a page boundary. Returns the memory
 * and the stack pointer.
 */
function execStack(argv: string[], env: string[], auxv: Array<[number, number]>, padding: number): { memory: FakeMemory; stackPointer: number } {
  const strings = Buffer.from([...argv, ...env].map((s) => `${s}\0`).join(''));
  const wordCount = 1 + argv.length + 1 + env.length + 1 + 2 * (auxv.length + 1);
  const stack = Buffer.alloc(Math.ceil((padding + wordCount * 8 + strings.length) / PAGE) * PAGE);
  const memory = new FakeMemory();
  const base = memory.map(stack);
  const stackPointer = base + padding;
  const stringsAt = stackPointer + wordCount * 8;
  let offset = padding;
  const word = (value: number): void => {
    stack.writeBigUInt64LE(BigInt(value), offset);
    offset += 8;
  };
  word(argv.length);
  let at = stringsAt;
  for (const s of argv) {
    word(at);
    at += Buffer.byteLength(s) + 1;
  }
  word(0);
  for (const s of env) {
    word(at);
    at += Buffer.byteLength(s) + 1;
  }
  word(0);
  for (const [type, value] of [...auxv, [0, 0] as [number, number]]) {
    word(type);
    word(value);
  }
  strings.copy(stack, offset);
  memory.write(base, stack);
  return { memory, stackPointer };
}

describe('the stack of a program at its exec', () => {
  const auxv: Array<[number, number]> = [
    [AT_SYSINFO_EHDR, 0x7fff_f7fc_1000],
    [AT_PAGESZ, PAGE],
    [AT_RANDOM, 0x7fff_ffff_e5a9],
  ];

  it('gives the arguments and the auxiliary vector with where each entry lies, its words across a page boundary', () => {
    const argv = ['/usr/bin/pingpong', 'client', 'host-0', '7000', 'été'];
    const env = ['PATH=/usr/bin', 'HOME=/root'];
    const { memory, stackPointer } = execStack(argv, env, auxv, PAGE - 40);
    const { argv: read, auxv: entries } = readExecStack(memory, stackPointer);
    expect(read).toEqual(argv);
    const auxvAt = stackPointer + (1 + argv.length + 1 + env.length + 1) * 8;
    expect(entries).toEqual(auxv.map(([type, value], i) => ({ type, value, address: auxvAt + 16 * i })));
  });

  it('reads each argument alone when no environment string bounds them', () => {
    const argv = ['./a.out', 'x'.repeat(5000)];
    const { memory, stackPointer } = execStack(argv, [], auxv, 16);
    // An argument is cut at 4096 bytes, as a C string read from a tracee is.
    expect(readExecStack(memory, stackPointer).argv).toEqual(['./a.out', 'x'.repeat(4096)]);
  });

  it('cuts an argument longer than 4096 bytes there when the arguments are read together', () => {
    const argv = ['./a.out', 'y'.repeat(5000), 'z'];
    const { memory, stackPointer } = execStack(argv, ['A=1'], auxv, 16);
    expect(readExecStack(memory, stackPointer).argv).toEqual(['./a.out', 'y'.repeat(4096), 'z']);
  });
});
