/* spin_syscalls <getpid|getppid|openat> <N>: makes that syscall N times
 * through syscall(2), which bypasses any libc caching, and exits 0 (openat
 * opens /dev/null and closes it again). Benchmarks time it from outside; it
 * prints nothing so that only the syscalls are measured. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: spin_syscalls <getpid|getppid|openat> <N>\n");
    return 2;
  }
  long number;
  if (strcmp(argv[1], "getpid") == 0) {
    number = SYS_getpid;
  } else if (strcmp(argv[1], "getppid") == 0) {
    number = SYS_getppid;
  } else if (strcmp(argv[1], "openat") == 0) {
    number = SYS_openat;
  } else {
    fprintf(stderr, "spin_syscalls: unknown syscall '%s'\n", argv[1]);
    return 2;
  }
  long count = strtol(argv[2], NULL, 10);
  for (long i = 0; i < count; i++) {
    if (number == SYS_openat) {
      long fd = syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDONLY);
      if (fd < 0) return 1;
      syscall(SYS_close, fd);
    } else {
      syscall(number);
    }
  }
  return 0;
}
