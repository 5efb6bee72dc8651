import { describe, expect, it } from 'vitest';
import { FdTable, OpenFile } from '../../src/mediator/tracees/fd-table.js';

// What the kernel said about the descriptors behind numbers is forgotten
// whenever the kernel may have given them to something else.

function tableKnowing(...fds: number[]): FdTable {
  const table = new FdTable();
  for (const fd of fds) table.rememberPlainFile(fd);
  return table;
}

/** What `table` remembers of `fd`: a plain file, and an SO_PASSCRED answer. */
function factsOf(table: FdTable, fd: number): { plainFile: boolean; credentialPassing: boolean } {
  return { plainFile: table.isPlainFile(fd), credentialPassing: table.credentialPassing(fd) !== undefined };
}

const KNOWN = { plainFile: true, credentialPassing: true };
const FORGOTTEN = { plainFile: false, credentialPassing: false };

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

describe('everything the kernel said about a number', () => {
  /** A table that remembers, of numbers 3 and 5, a plain file and an SO_PASSCRED answer each. */
  function tableKnowingAll(): FdTable {
    const table = new FdTable();
    for (const fd of [3, 5]) {
      table.rememberPlainFile(fd);
      table.rememberCredentialPassing(fd, { passes: true, generation: 0 });
    }
    return table;
  }

  /** The ways a number is freed in place, each freeing 3 and not 5. */
  const freeing: Record<string, (table: FdTable) => void> = {
    close: (table) => table.close(3),
    'dup2 onto it': (table) => table.install(3, new OpenFile({ close() {} }, false), false),
    close_range: (table) => table.closeRange(2, 4, false),
  };

  for (const [path, free] of Object.entries(freeing)) {
    it(`is forgotten at once when ${path} frees it, and only it`, () => {
      const table = tableKnowingAll();
      free(table);
      expect([factsOf(table, 3), factsOf(table, 5)]).toEqual([FORGOTTEN, KNOWN]);
    });
  }

  it('is forgotten at an exec, for every number', () => {
    const table = tableKnowingAll().exec();
    expect([factsOf(table, 3), factsOf(table, 5)]).toEqual([FORGOTTEN, FORGOTTEN]);
  });

  it('is forgotten, and no more remembered, once a user of the table unshared it (its numbers may then name other descriptors)', () => {
    const table = tableKnowingAll();
    table.unshared();
    table.rememberPlainFile(7);
    table.rememberCredentialPassing(7, { passes: true, generation: 0 });
    expect([factsOf(table, 3), factsOf(table, 5), factsOf(table, 7)]).toEqual([FORGOTTEN, FORGOTTEN, FORGOTTEN]);
  });

  it('stays while close_range only sets close-on-exec', () => {
    const table = tableKnowingAll();
    table.closeRange(2, 4, true);
    expect(factsOf(table, 3)).toEqual(KNOWN);
  });
});
