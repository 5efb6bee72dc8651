/**
 * Node makes its stdout and stderr non-blocking as soon as it uses them
 * (libuv does so to a pipe or a socket; a terminal it reopens for itself).
 * A program simterpose runs writes to those very open files and so shares
 * their flags: it would find them non-blocking, as no shell gives them,
 * and its writes would fail with EAGAIN, and its output be lost, whenever
 * the reader is slower than it (a test runner's socket fills after a few
 * hundred short lines). So they are made blocking again before any program
 * starts. simterpose's own writes there then wait for the reader too, and
 * none is left unwritten when it exits.
 */
export function keepStdioBlocking(): void {
  for (const stream of [process.stdout, process.stderr]) {
    // Only a libuv stream has a handle; a file's stream writes synchronously and leaves the flags alone.
    const handle = (stream as unknown as { _handle?: { setBlocking?: (blocking: boolean) => number } })._handle;
    handle?.setBlocking?.(true);
  }
}
