import { SIGCHLD, SIGRTMIN, SI_MESGQ, SI_TKILL, SI_USER, siginfo } from '../abi/signal.js';
import type { Process } from './tracees.js';
import type { VirtualPids } from './virtual-pids.js';

/**
 * The siginfo of a signal `receiver` takes (at its delivery to a handler,
 * or from rt_sigtimedwait or a signalfd, which take it without a delivery)
 * names the sender by its real pid (kill, tgkill; the child of a SIGCHLD;
 * the process whose message a POSIX queue's notification announces):
 * made virtual in place. sigqueue's siginfo is the sender's own, its si_pid
 * what the sender wrote (glibc: its getpid(), virtual already), and stays
 * so. A signal simterpose sent itself is either a tracee's group kill (that
 * tracee is named), a child's stop or resumption (job control: the notice
 * it was sent with), a virtual socket's F_SETSIG signal (its reason, band
 * and descriptor), or stands for the kernel's own (a virtual timer:
 * SI_KERNEL, no pid). Returns whether `info` changed.
 */
export function virtualizeSender(pids: VirtualPids, receiver: Pick<Process, 'pid' | 'childNotice' | 'pollNotices'>, signal: number, info: Buffer): boolean {
  const notice = signal === SIGCHLD ? receiver.childNotice : undefined;
  // Whatever SIGCHLD is taken now is the one pending: a notice not carried by it is lost with its coalesced signal.
  if (signal === SIGCHLD) receiver.childNotice = undefined;
  const code = siginfo.code(info);
  const carriesPid = code === SI_USER || code === SI_TKILL || code === SI_MESGQ || (signal === SIGCHLD && code > 0);
  if (!carriesPid) return false;
  const real = siginfo.pid(info);
  if (real === globalThis.process.pid) {
    const sender = pids.takeSender(receiver.pid, signal);
    const poll = sender === undefined ? takePollNotice(receiver, signal) : undefined;
    if (sender !== undefined) siginfo.setPid(info, sender);
    else if (poll !== undefined) poll.copy(info);
    else if (notice !== undefined) notice.copy(info);
    else siginfo.setFromKernel(info);
  } else {
    siginfo.setPid(info, pids.toVirtual(real));
  }
  return true;
}

/**
 * The fields of the F_SETSIG signal taken now, if simterpose sent it: the
 * first sent. A signal below SIGRTMIN is pending once, and keeps the fields
 * it was first sent with: the others are lost with it.
 */
function takePollNotice(receiver: Pick<Process, 'pollNotices'>, signal: number): Buffer | undefined {
  const notices = receiver.pollNotices.get(signal);
  const first = notices?.shift();
  if (notices !== undefined && (notices.length === 0 || signal < SIGRTMIN)) receiver.pollNotices.delete(signal);
  return first;
}
