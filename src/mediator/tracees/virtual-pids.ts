/**
 * Programs never see the kernel's pids: each simulated host has its own pid
 * namespace, where processes and threads get ids in creation order from
 * FIRST_VIRTUAL_PID, as on a freshly booted machine. Creation order is the
 * scheduler's, so the ids are the same on every run. The mediator keys its
 * own maps by real tids; ids cross the boundary through this table only.
 */
export const FIRST_VIRTUAL_PID = 1000;

/**
 * What a tracee sees for a process outside simterpose: the launcher that is
 * its parent, the process group and session it inherited. Like init.
 */
export const OUTSIDE_PID = 1;

export class VirtualPids {
  private readonly nextByHost = new Map<string, number>();
  private readonly virtualByReal = new Map<number, number>();
  private readonly realByVirtual = new Map<string, number>();
  private readonly sendersBySignal = new Map<string, number>();

  /** The next free id of `host`'s namespace, now naming real tid `real`. */
  allocate(host: string, real: number): number {
    let id = this.nextByHost.get(host) ?? FIRST_VIRTUAL_PID;
    while (this.realByVirtual.has(`${host}/${id}`)) id++;
    this.nextByHost.set(host, id + 1);
    this.virtualByReal.set(real, id);
    this.realByVirtual.set(`${host}/${id}`, real);
    return id;
  }

  /** `virtual`, an id of another namespace, names real `real` in `host`'s too, unless it is taken there. */
  alias(host: string, virtual: number, real: number): void {
    const key = `${host}/${virtual}`;
    if (!this.realByVirtual.has(key)) this.realByVirtual.set(key, real);
  }

  /** Simterpose sends a tracee's group signals itself: the receiver must be told who asked. */
  noteSender(realTarget: number, signal: number, virtualSender: number): void {
    this.sendersBySignal.set(`${realTarget}/${signal}`, virtualSender);
  }

  /** Who asked simterpose to send `signal` to `realTarget`, once; undefined for simterpose's own signals (timers). */
  takeSender(realTarget: number, signal: number): number | undefined {
    const key = `${realTarget}/${signal}`;
    const sender = this.sendersBySignal.get(key);
    this.sendersBySignal.delete(key);
    return sender;
  }

  /** A real pid or tid as tracees see it: OUTSIDE_PID for one simterpose did not start. */
  toVirtual(real: number): number {
    return this.virtualByReal.get(real) ?? OUTSIDE_PID;
  }

  /** The real pid or tid behind `host`'s id `virtual`, if simterpose ever gave it. */
  toReal(host: string, virtual: number): number | undefined {
    return this.realByVirtual.get(`${host}/${virtual}`);
  }
}
