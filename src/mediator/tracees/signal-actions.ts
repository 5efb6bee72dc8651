import { SA_NOCLDSTOP, SA_RESTART, SIGCHLD, SIG_DFL, SIG_IGN } from '../abi/signal.js';
import { IGNORED_BY_DEFAULT } from './pending-signals.js';

/**
 * What each signal does in one process, as far as the mediator needs it:
 * whether a handler runs, and whether it asked for SA_RESTART. Recorded from
 * the rt_sigaction calls we let through; shared by threads, copied by fork,
 * reset by exec (handlers go back to default, ignored signals stay ignored).
 */

interface Action {
  handler: number;
  flags: number;
}

export class SignalActions {
  private readonly actions = new Map<number, Action>();

  set(signal: number, handler: number, flags: number): void {
    if (handler === SIG_DFL) this.actions.delete(signal);
    else this.actions.set(signal, { handler, flags });
  }

  /** A handler function runs when this signal is delivered. */
  handles(signal: number): boolean {
    const action = this.actions.get(signal);
    return action !== undefined && action.handler !== SIG_IGN;
  }

  restarts(signal: number): boolean {
    const action = this.actions.get(signal);
    return action !== undefined && (action.flags & SA_RESTART) !== 0;
  }

  /** Delivering it has no effect at all on the process. */
  ignores(signal: number): boolean {
    const action = this.actions.get(signal);
    if (action === undefined) return IGNORED_BY_DEFAULT.has(signal);
    return action.handler === SIG_IGN;
  }

  /** SIGCHLD's SA_NOCLDSTOP: the process hears of its children's exits only, not of their stops and resumptions. */
  ignoresChildStops(): boolean {
    return ((this.actions.get(SIGCHLD)?.flags ?? 0) & SA_NOCLDSTOP) !== 0;
  }

  copy(): SignalActions {
    const copy = new SignalActions();
    for (const [signal, action] of this.actions) copy.actions.set(signal, { ...action });
    return copy;
  }

  resetForExec(): void {
    for (const [signal, action] of this.actions) {
      if (action.handler !== SIG_IGN) this.actions.delete(signal);
    }
  }
}
