import { describe, expect, it } from 'vitest';
import { runExperiment } from '../../src/index.js';
import { appPath, runNative } from '../helpers/apps.js';

// Reads and writes of a descriptor the kernel said is a regular file run
// without another look at it (syscalls/handlers/io.ts), until its number is
// freed. A number freed by close, dup2, close_range or an exec's
// close-on-exec, then given to a pipe whose other end comes late, must be
// waited on in virtual time again: taken for a file's, the read or write
// would block inside the kernel while the only process that could end the
// wait never runs (the wall limit ends such a run).

const PLATFORM = 'platforms/two-hosts.xml';

describe('a file descriptor number given to a pipe', () => {
  it('is waited on as a pipe, whichever way the file left it', async () => {
    const native = await runNative([appPath('plain_file_reuse')]);
    expect(native.status).toBe(0);
    expect(native.stdout).toContain('EXIT-SUCCESS');
    const result = await runExperiment({ platform: PLATFORM, command: [appPath('plain_file_reuse')], cpuModel: 'none', wallLimit: 30 });
    expect(result.exitCodes.every((code) => code === 0)).toBe(true);
    expect(result.outputs[0]!.stdout).toBe(native.stdout);
  });
});
