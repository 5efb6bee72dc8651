import type { FamilyTable, SyscallContext } from '../context.js';
import { Errno } from '../errno.js';
import { memory } from '../memory.js';
import { done, fail, native, type Outcome } from '../outcome.js';

/** Who a process is: answered from the tracee table, in one stop. */

const getpid = ({ process }: SyscallContext): Outcome => done(process.pid);

/** struct utsname: six fields of 65 bytes; nodename is the second. */
const UTS_FIELD = 65;

/** The kernel fills in the system's names; the node name becomes the simulated host's. */
function uname(ctx: SyscallContext): Outcome {
  const address = ctx.args[0]!;
  const name = Buffer.alloc(UTS_FIELD);
  name.write(ctx.process.host.slice(0, UTS_FIELD - 1), 'utf8');
  return native((thread, result) => {
    if (result === 0) memory.write(thread.process.pid, address + UTS_FIELD, name);
  });
}

export const identitySyscalls: FamilyTable = {
  getpid: { level: 'emulated', handler: getpid, note: 'answered from the tracee table' },
  uname: { level: 'mediated', handler: uname, note: 'the node name is the simulated host name (gethostname reads it)' },
  sethostname: { level: 'emulated', handler: () => fail(Errno.EPERM), note: 'fails with EPERM: the host name is the platform\'s' },
};
