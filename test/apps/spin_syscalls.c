/* spin_syscalls <getpid|getppid|openat|recvmsg|read> <N>: makes that
 * syscall N times through syscall(2), which bypasses any libc caching, and
 * exits 0 (openat opens /dev/null and closes it again; recvmsg takes a byte
 * written just before into an AF_UNIX datagram pair, with room for control
 * messages, as a program waiting for SCM_RIGHTS or credentials does; read
 * reads the first byte of this program's own file, then seeks back).
 * Benchmarks time it from outside; it prints nothing so that only the
 * syscalls are measured. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: spin_syscalls <getpid|getppid|openat|recvmsg|read> <N>\n");
    return 2;
  }
  long number;
  if (strcmp(argv[1], "getpid") == 0) {
    number = SYS_getpid;
  } else if (strcmp(argv[1], "getppid") == 0) {
    number = SYS_getppid;
  } else if (strcmp(argv[1], "openat") == 0) {
    number = SYS_openat;
  } else if (strcmp(argv[1], "recvmsg") == 0) {
    number = SYS_recvmsg;
  } else if (strcmp(argv[1], "read") == 0) {
    number = SYS_read;
  } else {
    fprintf(stderr, "spin_syscalls: unknown syscall '%s'\n", argv[1]);
    return 2;
  }
  long count = strtol(argv[2], NULL, 10);
  int pair[2];
  if (number == SYS_recvmsg && socketpair(AF_UNIX, SOCK_DGRAM, 0, pair) != 0) return 1;
  char byte, control[64];
  struct iovec data = {&byte, 1};
  int own = number == SYS_read ? open(argv[0], O_RDONLY) : -1;
  if (number == SYS_read && own < 0) return 1;
  for (long i = 0; i < count; i++) {
    if (number == SYS_read) {
      if (syscall(SYS_read, own, &byte, 1) != 1 || lseek(own, 0, SEEK_SET) != 0) return 1;
    } else if (number == SYS_recvmsg) {
      if (syscall(SYS_write, pair[1], "x", 1) != 1) return 1;
      struct msghdr message = {.msg_iov = &data, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
      if (syscall(SYS_recvmsg, pair[0], &message, 0) != 1) return 1;
    } else if (number == SYS_openat) {
      long fd = syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDONLY);
      if (fd < 0) return 1;
      syscall(SYS_close, fd);
    } else {
      syscall(number);
    }
  }
  return 0;
}
