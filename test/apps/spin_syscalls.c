/* spin_syscalls <getpid|getppid> <N>: makes that syscall N times through
 * syscall(2), which bypasses any libc caching, and exits 0. Benchmarks time
 * it from outside; it prints nothing so that only the syscalls are measured. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: spin_syscalls <getpid|getppid> <N>\n");
    return 2;
  }
  long number;
  if (strcmp(argv[1], "getpid") == 0) {
    number = SYS_getpid;
  } else if (strcmp(argv[1], "getppid") == 0) {
    number = SYS_getppid;
  } else {
    fprintf(stderr, "spin_syscalls: unknown syscall '%s'\n", argv[1]);
    return 2;
  }
  long count = strtol(argv[2], NULL, 10);
  for (long i = 0; i < count; i++) syscall(number);
  return 0;
}
