import { constants } from 'node:os';

/**
 * errno numbers and names, from Node's own table of this platform's values,
 * plus the Linux ones that table lacks (asm-generic/errno.h).
 */
export const Errno = { ...constants.errno, ESOCKTNOSUPPORT: 94 } as Readonly<Record<string, number>> & {
  readonly EPERM: number;
  readonly ENOENT: number;
  readonly ESRCH: number;
  readonly EINTR: number;
  readonly EBADF: number;
  readonly ECHILD: number;
  readonly EAGAIN: number;
  readonly EFAULT: number;
  readonly EINVAL: number;
  readonly ENOSYS: number;
  readonly ETIMEDOUT: number;
  readonly ESPIPE: number;
  readonly EPIPE: number;
  readonly ENOMEM: number;
  readonly EACCES: number;
  readonly EEXIST: number;
  readonly EIDRM: number;
  readonly ESOCKTNOSUPPORT: number;
};

const names = new Map<number, string>();
for (const [name, value] of Object.entries(Errno)) {
  if (!names.has(value)) names.set(value, name);
}
// Restart codes never reach user space, but show up at syscall-exit stops.
names.set(512, 'ERESTARTSYS');
names.set(513, 'ERESTARTNOINTR');
names.set(514, 'ERESTARTNOHAND');
names.set(516, 'ERESTART_RESTARTBLOCK');

export function errnoName(errno: number): string {
  return names.get(errno) ?? `E${errno}`;
}
