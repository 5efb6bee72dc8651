import { describe, expect, it } from 'vitest';
import { procOpen, type PathView, type ProcNames } from '../../src/mediator/syscalls/proc-paths.js';

/**
 * The caller is real pid 5000 (virtual 1000) with a second thread 5001
 * (virtual 1001), which makes the calls. 4242 is a process outside the run.
 */
const names: ProcNames = {
  pid: 5000,
  tid: 5001,
  realProcess: (virtual) => ({ 1000: 5000, 1001: 5001 })[virtual],
  realThread: (virtual) => ({ 1001: 5001 })[virtual],
  reachable: (real) => real === 5000 || real === 5001,
};

/**
 * A file system of `links` (path → target) where every other path exists,
 * in /proc's file system when it is under /proc, but where `inProc` says
 * otherwise (undefined: missing, unless a link is there).
 */
function view(links: Record<string, string>, inProc: Record<string, boolean | undefined> = {}): PathView {
  return {
    look: (path) => {
      const found = path in inProc ? inProc[path] : path.startsWith('/proc/');
      return found === undefined ? undefined : { inProc: found, fifo: path.endsWith('.fifo') ? `fifo:${path}` : undefined };
    },
    linkAt: (path) => links[path] ?? (path in inProc && inProc[path] === undefined ? 'missing' : undefined),
  };
}

const KERNEL_LINKS = {
  '/proc/5000/root': '/',
  '/proc/5000/cwd': '/home/user',
  '/proc/5001/cwd': '/home/user',
  '/proc/5000/exe': '/usr/bin/app',
  '/proc/5000/fd/3': 'socket:[123]',
  '/proc/5000/fd/7': '/proc/4242',
  '/proc/5001/fd/7': '/proc/4242',
  '/proc/5001/fd/8': '/proc/5000',
  '/proc/mounts': 'self/mounts',
};

const open = (
  path: string,
  options: { dirfd?: number; followLast?: boolean; links?: Record<string, string>; inProc?: Record<string, boolean | undefined> } = {},
) => procOpen(names, view({ ...KERNEL_LINKS, ...options.links }, options.inProc), options.dirfd ?? 'cwd', path, options.followLast ?? true);

const followed = (path: string, renamed: boolean, process?: { id: number; thread?: number; file: string }) => ({
  kind: 'followed',
  path,
  renamed,
  process: process === undefined ? undefined : { thread: undefined, ...process },
});

describe('paths into /proc take virtual pids and reach only the host', () => {
  it('a path on another file system is opened as named, after one stat; a missing one, once its deepest directory is found there', () => {
    expect(open('/etc/hosts')).toEqual({ kind: 'as-named', seen: { fifo: undefined } });
    expect(open('/usr/lib/none/libnone.so', { inProc: { '/usr/lib/none/libnone.so': undefined, '/usr/lib/none': undefined } })).toEqual({
      kind: 'as-named',
      seen: { fifo: undefined },
    });
    // Relative to the working directory, which the mediator reaches through /proc/TID/cwd.
    expect(open('notes.txt', { inProc: { '/proc/5001/cwd/notes.txt': false } })).toEqual({ kind: 'as-named', seen: { fifo: undefined } });
  });

  it('the one stat of a path opened as named tells whether it is a FIFO, and which', () => {
    expect(open('/tmp/queue.fifo')).toEqual({ kind: 'as-named', seen: { fifo: 'fifo:/tmp/queue.fifo' } });
    expect(open('queue.fifo', { inProc: { '/proc/5001/cwd/queue.fifo': false } })).toEqual({
      kind: 'as-named',
      seen: { fifo: 'fifo:/proc/5001/cwd/queue.fifo' },
    });
    // Missing, with its directory found: no FIFO there, whatever its name says.
    expect(open('/tmp/gone.fifo', { inProc: { '/tmp/gone.fifo': undefined } })).toEqual({ kind: 'as-named', seen: { fifo: undefined } });
  });

  it("/proc/PID with the host's virtual pid becomes the real one; /proc/self and thread-self are the caller's own", () => {
    expect(open('/proc/1000/status')).toEqual(followed('/proc/5000/status', true, { id: 5000, file: 'status' }));
    expect(open('/proc/1000/task/1001/stat')).toEqual(followed('/proc/5000/task/5001/stat', true, { id: 5000, thread: 5001, file: 'stat' }));
    expect(open('/proc/self/status')).toEqual(followed('/proc/5000/status', false, { id: 5000, file: 'status' }));
    expect(open('/proc/thread-self/stat')).toEqual(followed('/proc/5000/task/5001/stat', false, { id: 5000, thread: 5001, file: 'stat' }));
    expect(open('/proc/mounts')).toEqual(followed('/proc/5000/mounts', false, { id: 5000, file: 'mounts' }));
    expect(open('/proc/meminfo')).toEqual(followed('/proc/meminfo', false));
  });

  it('a path naming /proc with doubled slashes, "." or a leading ".." is followed as one naming it plainly; /procfs or /... is not /proc', () => {
    expect(open('//proc/1000/status')).toEqual(followed('/proc/5000/status', true, { id: 5000, file: 'status' }));
    expect(open('/./proc/self/status')).toEqual(followed('/proc/5000/status', false, { id: 5000, file: 'status' }));
    expect(open('/../proc/4242/mem')).toEqual({ kind: 'hidden' });
    expect(open('/procfs/1000/status')).toEqual({ kind: 'as-named', seen: { fifo: undefined } });
    expect(open('/.../proc/4242/mem')).toEqual({ kind: 'as-named', seen: { fifo: undefined } });
  });

  it("any other pid, pid 1, a kernel pid of a process outside and the caller's own kernel pid named as virtual do not exist", () => {
    expect(open('/proc/4242/mem')).toEqual({ kind: 'hidden' });
    expect(open('/proc/1/status')).toEqual({ kind: 'hidden' });
    expect(open('/proc/5000/status')).toEqual({ kind: 'hidden' });
    expect(open('/proc/1000/task/4242/stat')).toEqual({ kind: 'hidden' });
  });

  it('whatever the path goes through: a symbolic link, a descriptor or working directory in /proc, /proc/self/root', () => {
    expect(open('/tmp/escape', { links: { '/tmp/escape': '/proc/4242/mem' }, inProc: { '/tmp/escape': true } })).toEqual({ kind: 'hidden' });
    expect(open('status', { dirfd: 7 })).toEqual({ kind: 'hidden' });
    expect(open('4242/mem', { links: { '/proc/5001/cwd': '/proc' } })).toEqual({ kind: 'hidden' });
    expect(open('/proc/self/root/proc/4242/status')).toEqual({ kind: 'hidden' });
    expect(open('/proc/self/root/proc/1000/status')).toEqual(followed('/proc/5000/status', true, { id: 5000, file: 'status' }));
  });

  it("a kernel link's target names real pids; a program's link, virtual ones", () => {
    expect(open('status', { dirfd: 8 })).toEqual(followed('/proc/5000/status', false, { id: 5000, file: 'status' }));
    expect(open('/tmp/mine', { links: { '/tmp/mine': '/proc/1000/status' }, inProc: { '/tmp/mine': true } })).toEqual(
      followed('/proc/5000/status', true, { id: 5000, file: 'status' }),
    );
  });

  it('a path that reaches nothing for the mediator is followed too: through /proc/self it may reach something for the caller', () => {
    const links = { '/tmp/fd': '/proc/self/fd/7/4242/mem' };
    expect(open('/tmp/fd', { links, inProc: { '/tmp/fd': undefined } })).toEqual({ kind: 'hidden' });
  });

  it('a proc file system mounted elsewhere (a bind mount of /proc/PID) is out of reach', () => {
    expect(open('/mnt/elsewhere/mem', { inProc: { '/mnt/elsewhere/mem': true } })).toEqual({ kind: 'hidden' });
  });

  it('O_NOFOLLOW keeps the last link as it is; a link to a socket is not followed further', () => {
    expect(open('/proc/1000/exe', { followLast: false })).toEqual(followed('/proc/5000/exe', true, { id: 5000, file: 'exe' }));
    expect(open('/proc/self/fd/3')).toEqual(followed('/proc/5000/fd/3', false, { id: 5000, file: 'fd/3' }));
  });

  it("a process's last link to a file outside /proc is the kernel's to follow: its text may name no file (deleted since, a memfd)", () => {
    expect(open('/proc/1000/exe')).toEqual(followed('/proc/5000/exe', true, { id: 5000, file: 'exe' }));
    const links = { '/proc/5000/fd/9': '/dev/shm/segment (deleted)' };
    expect(open('/proc/1000/fd/9', { links })).toEqual(followed('/proc/5000/fd/9', true, { id: 5000, file: 'fd/9' }));
  });
});
