import type { FamilyTable, SyscallContext } from '../context.js';
import { done, type Outcome } from '../outcome.js';

/** Who a process is: answered from the tracee table, in one stop. */

const getpid = ({ process }: SyscallContext): Outcome => done(process.pid);

export const identitySyscalls: FamilyTable = {
  getpid: { level: 'emulated', handler: getpid, note: 'answered from the tracee table' },
};
