import { describe, expect, it } from 'vitest';
import { FdTable } from '../../src/mediator/tracees/fd-table.js';

// The numbers the kernel said are plain files are forgotten whenever the
// kernel may have given them to something else.

function tableKnowing(...fds: number[]): FdTable {
  const table = new FdTable();
  for (const fd of fds) table.rememberPlainFile(fd);
  return table;
}

describe('plain files an fd table remembers', () => {
  it('are forgotten when their number is closed, and only that number', () => {
    const table = tableKnowing(3, 4);
    table.close(3);
    expect([table.isPlainFile(3), table.isPlainFile(4)]).toEqual([false, true]);
  });

  it('are forgotten in the range close_range closes, not when it only sets close-on-exec', () => {
    const table = tableKnowing(3, 5, 9);
    table.closeRange(4, 8, true);
    expect(table.isPlainFile(5)).toBe(true);
    table.closeRange(4, 8, false);
    expect([table.isPlainFile(3), table.isPlainFile(5), table.isPlainFile(9)]).toEqual([true, false, true]);
  });

  it('are all forgotten at an exec, whose close-on-exec descriptors the table does not know', () => {
    expect(tableKnowing(3).exec().isPlainFile(3)).toBe(false);
  });

  it('are forgotten, and no more remembered, once a user of the table unshared it', () => {
    const table = tableKnowing(3);
    table.unshared();
    table.rememberPlainFile(4);
    expect([table.isPlainFile(3), table.isPlainFile(4)]).toEqual([false, false]);
  });
});
