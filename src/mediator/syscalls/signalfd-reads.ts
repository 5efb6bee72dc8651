import { scatter, traceePayload, type Iovec } from '../abi/iovec.js';
import { SIGNALFD_SIGINFO_SIZE, SI_TIMER, signalfdSiginfo, timerSiginfo } from '../abi/signal.js';
import { timerSignalDelivered } from '../host/posix-timers.js';
import { virtualizeSender } from '../tracees/signal-senders.js';
import type { SyscallContext } from './context.js';
import { native, type Outcome } from './outcome.js';

/**
 * A read of a signalfd takes pending signals without delivering them, so
 * the records it fills name their senders as the kernel knows them (real
 * pids; simterpose itself for the signals it sends): each record the
 * kernel wrote into `vectors` is made as the reader sees it when the call
 * returns, as a delivery's siginfo is (tracees/signal-senders.ts). A POSIX
 * timer's signal taken so counts as delivered for its timer (re-armed, its
 * overrun in ssi_overrun), as at a delivery. read is a notified call: it is
 * let through to its return (loop/tracer.ts).
 */
export function signalfdRead(ctx: SyscallContext, vectors: readonly Iovec[], outcome: Outcome): Outcome {
  if (outcome.kind !== 'native' || outcome.afterExit !== undefined || outcome.restore !== undefined) return outcome;
  return native((result) => {
    const records = Math.floor(result / SIGNALFD_SIGINFO_SIZE);
    if (records <= 0) return;
    const bytes = Buffer.alloc(records * SIGNALFD_SIGINFO_SIZE);
    traceePayload(ctx.memory, vectors).copy(bytes, 0);
    let changed = false;
    for (let at = 0; at < bytes.length; at += SIGNALFD_SIGINFO_SIZE) {
      const record = bytes.subarray(at, at + SIGNALFD_SIGINFO_SIZE);
      if (signalfdSiginfo.code(record) === SI_TIMER) {
        const info = signalfdSiginfo.toTimerSiginfo(record);
        if (timerSignalDelivered(ctx.process, info, ctx.services)) signalfdSiginfo.setOverrun(record, timerSiginfo.overrun(info));
        changed = true;
        continue;
      }
      const info = signalfdSiginfo.toSiginfo(record);
      if (!virtualizeSender(ctx.services.tracees.pids, ctx.process, signalfdSiginfo.signal(record), info)) continue;
      signalfdSiginfo.setFromSiginfo(record, info);
      changed = true;
    }
    if (changed) scatter(ctx.memory, vectors, [bytes]);
  });
}
