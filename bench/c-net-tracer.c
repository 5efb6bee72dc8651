/* c-net-tracer <bytes> <write size> <ring size> [notify]
 *
 * The floor full mediation is compared with: the least a ptrace tracer can
 * do to carry a one-way stream between two processes through its own memory.
 * A writer child writes <bytes> bytes in writes of <write size>, a reader
 * child reads them back <write size> at a time; both trap read and write
 * through a seccomp filter, so each call is one stop. At a write the tracer
 * copies the bytes out of the writer's memory into a ring of <ring size>
 * bytes (process_vm_readv); at a read it copies them from the ring into the
 * reader's (process_vm_writev), then skips the call (orig_rax = -1) with the
 * count as its result. One child runs at a time, as under simterpose: the
 * writer until the ring has no room for its next write (a full send
 * buffer), then the reader until the ring is empty. Tracer and children
 * share CPU 0. Exits 0 once the reader got every byte.
 *
 * With `notify`, the children send read and write as seccomp user
 * notifications (each passes its filter's listener over a socket) instead:
 * the tracer receives each call and answers it with its count, no ptrace at
 * all, as simterpose carries data syscalls. */
#include "seccomp-child.h"

#include <sys/ioctl.h>
#include <sys/user.h>
#include <sys/wait.h>

enum { WRITER, READER };

/* The descriptor the children use: never opened, as every call on it is skipped. */
static const int STREAM_FD = 100;

struct child {
  pid_t pid;
  int alive;
  /* Its filter's listener in notify mode, else -1. */
  int listener;
  /* Stopped at a trapped call (or waiting for its answer), not resumed yet. */
  int at_call;
  /* The call: its number, buffer and length; its registers or its notification id. */
  long number;
  unsigned long long buffer;
  long length;
  struct user_regs_struct regs;
  unsigned long long notification;
};

/* A child's whole life: trap read and write (stopping for the tracer first,
 * or passing it the listener over `notify_socket`), move its bytes, exit 0
 * if they all went. */
static void run_stream_child(int role, long total, long write_size, int notify_socket) {
  char *buffer = malloc(write_size);
  if (buffer == NULL) die("malloc");
  memset(buffer, 'd', write_size);
  const unsigned trapped[] = {SYS_read, SYS_write};
  if (notify_socket >= 0) {
    int listener = install_filter_with(trapped, 2, SECCOMP_RET_USER_NOTIF);
    pass_fd(notify_socket, listener, 1);
  } else {
    if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != 0) die("PTRACE_TRACEME");
    raise(SIGSTOP);
    install_filter_for(trapped, 2);
  }
  long done = 0;
  while (done < total) {
    long want = total - done < write_size ? total - done : write_size;
    long moved = syscall(role == WRITER ? SYS_write : SYS_read, STREAM_FD, buffer, want);
    if (moved <= 0) _exit(3);
    done += moved;
  }
  _exit(0);
}

static struct child start(int role, long total, long write_size, int notify) {
  struct child child = {.alive = 1, .listener = -1};
  int pair[2] = {-1, -1};
  if (notify && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) die("socketpair");
  child.pid = fork();
  if (child.pid < 0) die("fork");
  if (child.pid == 0) run_stream_child(role, total, write_size, pair[1]);
  if (notify) {
    child.listener = pass_fd(pair[0], -1, 0);
    close(pair[0]);
    close(pair[1]);
    return child;
  }
  int status;
  if (waitpid(child.pid, &status, 0) != child.pid) die("waitpid");
  long options = PTRACE_O_TRACESECCOMP | PTRACE_O_EXITKILL;
  if (ptrace(PTRACE_SETOPTIONS, child.pid, NULL, (void *)options) != 0) die("PTRACE_SETOPTIONS");
  if (ptrace(PTRACE_CONT, child.pid, NULL, NULL) != 0) die("PTRACE_CONT");
  return child;
}

static void reaped(struct child *child, int status, int *failed) {
  child->alive = 0;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) *failed = 1;
}

/* Receives the child's next notified call; returns 0 once it exited (no process uses its filter any more). */
static int await_notification(struct child *child, int *failed) {
  struct seccomp_notif request;
  memset(&request, 0, sizeof request);
  if (ioctl(child->listener, SECCOMP_IOCTL_NOTIF_RECV, &request) != 0) {
    int status;
    if (waitpid(child->pid, &status, 0) != child->pid) die("SECCOMP_IOCTL_NOTIF_RECV");
    reaped(child, status, failed);
    return 0;
  }
  child->notification = request.id;
  child->number = request.data.nr;
  child->buffer = request.data.args[1];
  child->length = (long)request.data.args[2];
  child->at_call = 1;
  return 1;
}

/* Waits for the child's next trapped call; returns 0 once it exited (with its status in *failed if not 0). */
static int await_call(struct child *child, int *failed) {
  if (child->listener >= 0) return await_notification(child, failed);
  int status;
  if (waitpid(child->pid, &status, 0) != child->pid) die("waitpid");
  if (WIFEXITED(status) || WIFSIGNALED(status)) {
    reaped(child, status, failed);
    return 0;
  }
  if (status >> 8 != (SIGTRAP | (PTRACE_EVENT_SECCOMP << 8))) {
    fprintf(stderr, "c-net-tracer: unexpected stop (status %#x)\n", status);
    exit(126);
  }
  if (ptrace(PTRACE_GETREGS, child->pid, NULL, &child->regs) != 0) die("PTRACE_GETREGS");
  child->number = (long)child->regs.orig_rax;
  child->buffer = child->regs.rsi;
  child->length = (long)child->regs.rdx;
  child->at_call = 1;
  return 1;
}

static void finish_call(struct child *child, long result) {
  child->at_call = 0;
  if (child->listener >= 0) {
    struct seccomp_notif_resp answer = {.id = child->notification, .val = result, .error = 0, .flags = 0};
    if (ioctl(child->listener, SECCOMP_IOCTL_NOTIF_SEND, &answer) != 0) die("SECCOMP_IOCTL_NOTIF_SEND");
    return;
  }
  child->regs.orig_rax = (unsigned long long)-1;
  child->regs.rax = (unsigned long long)result;
  if (ptrace(PTRACE_SETREGS, child->pid, NULL, &child->regs) != 0) die("PTRACE_SETREGS");
  if (ptrace(PTRACE_CONT, child->pid, NULL, NULL) != 0) die("PTRACE_CONT");
}

static long copy(pid_t pid, char *local, unsigned long long remote, long length, int into_child) {
  struct iovec mine = {local, length};
  struct iovec theirs = {(void *)remote, length};
  ssize_t copied = into_child ? process_vm_writev(pid, &mine, 1, &theirs, 1, 0) : process_vm_readv(pid, &mine, 1, &theirs, 1, 0);
  if (copied != length) die(into_child ? "process_vm_writev" : "process_vm_readv");
  return length;
}

int main(int argc, char **argv) {
  int notify = argc == 5 && strcmp(argv[4], "notify") == 0;
  int valid = argc == 4 || notify;
  long total = valid ? atol(argv[1]) : -1;
  long write_size = valid ? atol(argv[2]) : 0;
  long capacity = valid ? atol(argv[3]) : 0;
  if (total < 0 || write_size <= 0 || capacity < write_size) {
    fprintf(stderr, "usage: c-net-tracer <bytes> <write size> <ring size ≥ write size> [notify]\n");
    return 2;
  }
  pin_to_cpu0();
  char *ring = malloc(capacity);
  if (ring == NULL) die("malloc");
  memset(ring, 0, capacity);
  long head = 0, size = 0;
  struct child children[2] = {start(WRITER, total, write_size, notify), start(READER, total, write_size, notify)};
  int turn = WRITER, failed = 0;
  while (children[WRITER].alive || children[READER].alive) {
    struct child *child = &children[turn];
    if (!child->alive || (!child->at_call && !await_call(child, &failed))) {
      turn = 1 - turn;
      continue;
    }
    long length = child->length;
    if (child->number != (turn == WRITER ? SYS_write : SYS_read) || length > write_size) {
      fprintf(stderr, "c-net-tracer: unexpected call %ld\n", child->number);
      return 126;
    }
    if (turn == WRITER) {
      if (size + length > capacity) {
        if (!children[READER].alive) break;
        turn = READER;
        continue;
      }
      /* The ring's free space may wrap: copy in up to two pieces. */
      long tail = (head + size) % capacity, first = length < capacity - tail ? length : capacity - tail;
      copy(child->pid, ring + tail, child->buffer, first, 0);
      if (first < length) copy(child->pid, ring, child->buffer + first, length - first, 0);
      size += length;
      finish_call(child, length);
    } else {
      if (size == 0) {
        if (!children[WRITER].alive) break;
        turn = WRITER;
        continue;
      }
      long n = length < size ? length : size;
      if (n > capacity - head) n = capacity - head;
      copy(child->pid, ring + head, child->buffer, n, 1);
      head = (head + n) % capacity;
      size -= n;
      finish_call(child, n);
    }
  }
  if (children[WRITER].alive || children[READER].alive) {
    fprintf(stderr, "c-net-tracer: one child is stuck: the other ended\n");
    return 126;
  }
  return failed ? 1 : 0;
}
