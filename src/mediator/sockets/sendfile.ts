import type { Payload } from '../../net/index.js';
import { Errno } from '../abi/errno.js';
import { MAX_RW_COUNT } from '../abi/iovec.js';
import { readI64, writeI64 } from '../abi/tracee-memory.js';
import type { SyscallContext } from '../syscalls/context.js';
import { done, fail, type Outcome } from '../syscalls/outcome.js';
import type { OpenFile } from '../tracees/fd-table.js';
import { sendPayload } from './payloads.js';
import type { SocketFile } from './socket-file.js';

/**
 * sendfile(out_fd, in_fd, offset, count) into a virtual socket, as nginx
 * serves files: the file's bytes are read from outside (pread on a
 * duplicate of the tracee's descriptor) only as far as the connection takes
 * them, and sent as a send() without flags would send them (blocking until
 * all went, EAGAIN, EPIPE and SIGPIPE alike). The checks come in
 * do_sendfile's order. With `offset` the file's own offset stays and
 * *offset moves past the bytes sent; without, the file's offset moves.
 * Only regular files are read this way: a pipe or socket as input, which
 * has no splice_read here, is EINVAL.
 */
export function sendFileToSocket(ctx: SyscallContext, sink: OpenFile<SocketFile>, inFd: number, offsetPointer: number, count: number): Outcome {
  // sys_sendfile64 reads *offset before it looks at either descriptor.
  const explicit = offsetPointer === 0 ? undefined : readI64(ctx.memory, offsetPointer);
  const files = ctx.services.kernelFds;
  const source = files.fileSource(ctx.process, inFd);
  if (source === null || !source.readable) return fail(Errno.EBADF);
  // An offset of its own needs a file that has offsets (FMODE_PREAD).
  if (explicit !== undefined && source.position < 0) return fail(Errno.ESPIPE);
  const position = explicit ?? source.position;
  // rw_verify_area: a negative offset, or a count negative as an ssize_t.
  if (position < 0 || count < 0 || !source.regular) return fail(Errno.EINVAL);
  const length = Math.max(0, Math.min(count, MAX_RW_COUNT, source.size - position));
  const payload: Payload = {
    length,
    copy(target, from) {
      const read = files.readFileAt(ctx.process, inFd, position + from, target);
      // A file cut short meanwhile: what is gone reads as zeros rather than stale bytes.
      target.fill(0, read);
    },
  };
  const end = (sent: number): Outcome => {
    if (explicit !== undefined) writeI64(ctx.memory, offsetPointer, position + sent);
    else files.setFileOffset(ctx.process, inFd, position + sent);
    return done(sent);
  };
  // Nothing to read (count 0, or at the end of the file): done before the socket is asked.
  if (length === 0) return end(0);
  return sendPayload(ctx, sink, payload, 0, undefined, true, end);
}
