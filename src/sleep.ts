/**
 * Blocks the thread for `ms` milliseconds, where the mediator must wait
 * without giving the event loop a turn (its loop is synchronous). A fresh
 * word each time: the CLI's startup snapshot (src/snapshot) can hold no
 * SharedArrayBuffer made when a module loads.
 */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
