/**
 * Descriptors whose objects the mediator implements (virtual sockets, epoll
 * instances). The tracee holds a real placeholder descriptor at the same
 * number, so the kernel keeps numbering descriptors as usual; the table says
 * what the number really designates. Layers as in the kernel: descriptor
 * (with its close-on-exec flag) → open file (shared by dup and fork, with the
 * O_NONBLOCK flag) → the object, closed when the last reference goes.
 */
export interface VirtualObject {
  /** Called once no descriptor refers to the open file any more. */
  close(): void;
}

export class OpenFile<T extends VirtualObject = VirtualObject> {
  private references = 0;

  constructor(
    readonly object: T,
    public nonblocking: boolean,
  ) {}

  retain(): void {
    this.references++;
  }

  release(): void {
    this.references--;
    if (this.references === 0) this.object.close();
  }
}

interface Descriptor {
  file: OpenFile;
  cloexec: boolean;
}

/** A kernel socket's SO_PASSCRED as asked of the kernel, in a generation of syscalls/peer-credentials.ts. */
export interface KnownCredentialPassing {
  readonly passes: boolean;
  readonly generation: number;
}

export class FdTable {
  private readonly descriptors = new Map<number, Descriptor>();
  /**
   * What the kernel answered about the sockets behind descriptor numbers
   * (whether they pass credentials), forgotten once a number is freed
   * (close, dup2 onto it, close_range, exec): only then can it name another
   * socket.
   */
  readonly credentialPassing = new Map<number, KnownCredentialPassing>();
  /**
   * Numbers the kernel said designate a regular file, a directory or a block
   * device (the open file behind a number cannot change kind), which reads and
   * writes reach at once whatever their state: their reads and writes need
   * no look at the descriptor again (syscalls/handlers/io.ts). Forgotten
   * with credentialPassing, once a number is freed, or for good once
   * unshare(CLONE_FILES) gave a process of this table a table of its own,
   * which numbers the same descriptors differently.
   */
  private readonly plainFiles = new Set<number>();
  private numbersDiverged = false;
  /** Processes sharing this table (CLONE_FILES); released when the last one goes. */
  private users = 1;

  get(fd: number): OpenFile | undefined {
    return this.descriptors.get(fd)?.file;
  }

  /** Installs `file` at `fd`, closing what was there (as dup2 does). */
  install(fd: number, file: OpenFile, cloexec: boolean): void {
    this.close(fd);
    file.retain();
    this.descriptors.set(fd, { file, cloexec });
  }

  /** Returns whether `fd` designated a virtual object. */
  close(fd: number): boolean {
    this.credentialPassing.delete(fd);
    this.plainFiles.delete(fd);
    const descriptor = this.descriptors.get(fd);
    if (descriptor === undefined) return false;
    this.descriptors.delete(fd);
    descriptor.file.release();
    return true;
  }

  isPlainFile(fd: number): boolean {
    return this.plainFiles.has(fd);
  }

  rememberPlainFile(fd: number): void {
    if (!this.numbersDiverged) this.plainFiles.add(fd);
  }

  /** unshare(CLONE_FILES) by a process or thread of this table: the kernel's numbers may now differ between its users. */
  unshared(): void {
    this.numbersDiverged = true;
    this.plainFiles.clear();
  }

  setCloexec(fd: number, cloexec: boolean): void {
    const descriptor = this.descriptors.get(fd);
    if (descriptor !== undefined) descriptor.cloexec = cloexec;
  }

  cloexec(fd: number): boolean {
    return this.descriptors.get(fd)?.cloexec ?? false;
  }

  /** The objects its descriptors designate, each once (a migration moves them). */
  objects(): Set<VirtualObject> {
    return new Set([...this.descriptors.values()].map(({ file }) => file.object));
  }

  /** fork without CLONE_FILES: the child gets its own copy, sharing the open files. */
  copy(): FdTable {
    const copy = new FdTable();
    for (const [fd, { file, cloexec }] of this.descriptors) {
      file.retain();
      copy.descriptors.set(fd, { file, cloexec });
    }
    return copy;
  }

  /** clone with CLONE_FILES: one more process uses this very table. */
  share(): FdTable {
    this.users++;
    return this;
  }

  /** exec: the process stops sharing the table, and close-on-exec descriptors go. Returns its table. */
  exec(): FdTable {
    let table: FdTable = this;
    if (this.users > 1) {
      this.users--;
      table = this.copy();
    }
    for (const [fd, descriptor] of [...table.descriptors]) {
      if (descriptor.cloexec) table.close(fd);
    }
    // The kernel's close-on-exec descriptors are not known here.
    table.credentialPassing.clear();
    table.plainFiles.clear();
    return table;
  }

  /** A process using the table is gone; the last one closes everything. */
  leave(): void {
    this.users--;
    if (this.users > 0) return;
    for (const fd of [...this.descriptors.keys()]) this.close(fd);
  }

  /** close_range(first, last). */
  closeRange(first: number, last: number, cloexecOnly: boolean): void {
    if (!cloexecOnly) {
      for (const fd of [...this.credentialPassing.keys()]) if (fd >= first && fd <= last) this.credentialPassing.delete(fd);
      for (const fd of [...this.plainFiles]) if (fd >= first && fd <= last) this.plainFiles.delete(fd);
    }
    for (const fd of [...this.descriptors.keys()]) {
      if (fd < first || fd > last) continue;
      if (cloexecOnly) this.setCloexec(fd, true);
      else this.close(fd);
    }
  }
}
