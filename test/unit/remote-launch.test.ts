import { describe, expect, it } from 'vitest';
import { parseRemoteCommand } from '../../src/mediator/syscalls/remote-launch.js';

describe('simterpose-remote reads its command line as ssh does', () => {
  it('takes the host after the options, and the rest as one command joined by spaces', () => {
    expect(parseRemoteCommand(['bob', 'echo', 'a b', '$HOME'])).toEqual({ host: 'bob', command: 'echo a b $HOME' });
    expect(parseRemoteCommand(['bob'])).toEqual({ host: 'bob', command: undefined });
  });

  it("skips ssh's flags, grouped or not, and the values of options that take one, attached or in the next word", () => {
    expect(parseRemoteCommand(['-x', '-q', 'node-3', 'true'])).toEqual({ host: 'node-3', command: 'true' });
    expect(parseRemoteCommand(['-o', 'BatchMode=yes', '-p', '22', '-xT', 'bob', 'true'])).toEqual({ host: 'bob', command: 'true' });
    expect(parseRemoteCommand(['-oStrictHostKeyChecking=no', '-xl', 'alice', 'bob', 'true'])).toEqual({ host: 'bob', command: 'true' });
    expect(parseRemoteCommand(['--', '-weird-host', 'true'])).toEqual({ host: '-weird-host', command: 'true' });
  });

  it('drops a user before the host, and has no host to give when none is there', () => {
    expect(parseRemoteCommand(['root@bob', 'id'])).toEqual({ host: 'bob', command: 'id' });
    expect(parseRemoteCommand([])).toBeUndefined();
    expect(parseRemoteCommand(['-x', '-o', 'X=1'])).toBeUndefined();
  });
});
