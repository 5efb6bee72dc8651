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

/** A kernel socket's SO_PASSCRED as asked of the kernel, in a generation of tracees/credential-passing.ts. */
export interface KnownCredentialPassing {
  readonly passes: boolean;
  readonly generation: number;
}

/**
 * What the kernel said about the descriptor behind one number: true while
 * the number names that descriptor, so all of it goes at once when the
 * number is freed (close, dup2 onto it, close_range, exec), after which it
 * may name another file. A fact added here is forgotten with the others.
 */
interface KernelFacts {
  /** Whether the socket passes credentials (tracees/credential-passing.ts). */
  credentialPassing?: KnownCredentialPassing;
  /**
   * The kernel said it is a regular file, a directory or a block device
   * (the open file behind a number cannot change kind), which reads and
   * writes reach at once whatever their state: its reads and writes need
   * no look at the descriptor again (syscalls/handlers/io.ts).
   */
  plainFile?: true;
}

export class FdTable {
  private readonly descriptors = new Map<number, Descriptor>();
  private readonly kernelFacts = new Map<number, KernelFacts>();
  /**
   * unshare(CLONE_FILES) gave a process of this table a table of its own,
   * which numbers the same descriptors differently: what the kernel said
   * about a number is no longer remembered, for good (an answer about one
   * user's descriptor would be taken for another's).
   */
  private numbersDiverged = false;
  /** Processes sharing this table (CLONE_FILES); released when the last one goes. */
  private users = 1;

  get(fd: number): OpenFile | undefined {
    return this.descriptors.get(fd)?.file;
  }

  /** Every open file of the table (once per descriptor: a dup'ed file comes twice). */
  *files(): IterableIterator<OpenFile> {
    for (const { file } of this.descriptors.values()) yield file;
  }

  /** Installs `file` at `fd`, closing what was there (as dup2 does). */
  install(fd: number, file: OpenFile, cloexec: boolean): void {
    this.close(fd);
    file.retain();
    this.descriptors.set(fd, { file, cloexec });
  }

  /** Returns whether `fd` designated a virtual object. */
  close(fd: number): boolean {
    this.kernelFacts.delete(fd);
    const descriptor = this.descriptors.get(fd);
    if (descriptor === undefined) return false;
    this.descriptors.delete(fd);
    descriptor.file.release();
    return true;
  }

  isPlainFile(fd: number): boolean {
    return this.kernelFacts.get(fd)?.plainFile === true;
  }

  rememberPlainFile(fd: number): void {
    const facts = this.factsAbout(fd);
    if (facts !== undefined) facts.plainFile = true;
  }

  credentialPassing(fd: number): KnownCredentialPassing | undefined {
    return this.kernelFacts.get(fd)?.credentialPassing;
  }

  rememberCredentialPassing(fd: number, known: KnownCredentialPassing): void {
    const facts = this.factsAbout(fd);
    if (facts !== undefined) facts.credentialPassing = known;
  }

  /** The record of `fd`, made if need be; none once the numbers diverged. */
  private factsAbout(fd: number): KernelFacts | undefined {
    if (this.numbersDiverged) return undefined;
    let facts = this.kernelFacts.get(fd);
    if (facts === undefined) {
      facts = {};
      this.kernelFacts.set(fd, facts);
    }
    return facts;
  }

  /** unshare(CLONE_FILES) by a process or thread of this table: the kernel's numbers may now differ between its users. */
  unshared(): void {
    this.numbersDiverged = true;
    this.kernelFacts.clear();
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
    // The kernel's close-on-exec descriptors are not known here: any number may have been freed.
    table.kernelFacts.clear();
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
    // The kernel's descriptors in the range are freed too, not only those the table holds.
    if (!cloexecOnly) for (const fd of [...this.kernelFacts.keys()]) if (fd >= first && fd <= last) this.kernelFacts.delete(fd);
    for (const fd of [...this.descriptors.keys()]) {
      if (fd < first || fd > last) continue;
      if (cloexecOnly) this.setCloexec(fd, true);
      else this.close(fd);
    }
  }
}
