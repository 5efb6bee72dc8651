import type { KernelFds } from './kernel-fds.js';
import type { Process } from './tracees.js';

/**
 * Whether the kernel sockets of one run pass credentials (SO_PASSCRED),
 * asked of the kernel once per descriptor (8 µs: pidfd_getfd and
 * getsockopt) and remembered in the fd table until the number is freed.
 * setsockopt(SO_PASSCRED) on any socket, through any descriptor of any
 * process (a dup, a child's inherited copy), starts a new generation, in
 * which every answer is asked again: such calls are rare. A socket's
 * setting only changes through setsockopt, which simterpose traps; accept
 * gives a new socket (inheriting its listener's setting) a freed number.
 * The generations are the run's own: another run in the same Node process
 * shares no socket with it, and its setsockopt calls make no answer here stale.
 */
export class CredentialPassing {
  private generation = 0;

  constructor(private readonly kernelFds: KernelFds) {}

  /** Whether the kernel socket behind `fd` of `process` passes credentials. */
  passes(process: Process, fd: number): boolean {
    const fds = process.fds;
    const answer = fds.credentialPassing(fd);
    if (answer !== undefined && answer.generation === this.generation) return answer.passes;
    const passes = this.kernelFds.passesCredentials(process, fd);
    fds.rememberCredentialPassing(fd, { passes, generation: this.generation });
    return passes;
  }

  /** setsockopt(SO_PASSCRED) on a kernel socket of the run: every remembered answer may be stale. */
  settingChanged(): void {
    this.generation++;
  }
}
