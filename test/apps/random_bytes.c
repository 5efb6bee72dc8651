/* Every way a program gets randomness from the system, printed in hex:
 * getrandom, reads of /dev/urandom and /dev/random (open+read, stdio, a
 * dup'ed descriptor, readv), the 16 bytes at AT_RANDOM, and a forked
 * child's getrandom. Under simterpose they all come from the seeded
 * generator: the same seed prints the same lines. */
#include <fcntl.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <sys/random.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static void print_hex(const char *label, const unsigned char *bytes, size_t length) {
  printf("%s ", label);
  for (size_t i = 0; i < length; i++) printf("%02x", bytes[i]);
  printf("\n");
}

static void from_getrandom(const char *label, size_t length) {
  unsigned char bytes[64];
  CHECK(length <= sizeof bytes);
  CHECK(getrandom(bytes, length, 0) == (ssize_t)length);
  print_hex(label, bytes, length);
}

static void from_device(const char *path) {
  unsigned char bytes[40];
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  CHECK(fd >= 0);
  CHECK(read(fd, bytes, 24) == 24);
  print_hex(path, bytes, 24);
  int copy = dup(fd);
  CHECK(copy >= 0);
  struct iovec vectors[2] = {{bytes, 5}, {bytes + 5, 11}};
  CHECK(readv(copy, vectors, 2) == 16);
  print_hex("readv", bytes, 16);
  close(copy);
  close(fd);
}

static void from_stdio(void) {
  unsigned char bytes[20];
  FILE *file = fopen("/dev/urandom", "r");
  CHECK(file != NULL);
  CHECK(fread(bytes, 1, sizeof bytes, file) == sizeof bytes);
  fclose(file);
  print_hex("fread", bytes, sizeof bytes);
}

int main(void) {
  const unsigned char *at_random = (const unsigned char *)getauxval(AT_RANDOM);
  CHECK(at_random != NULL);
  print_hex("AT_RANDOM", at_random, 16);
  from_getrandom("getrandom", 32);
  from_getrandom("getrandom-odd", 7);
  from_device("/dev/urandom");
  from_device("/dev/random");
  from_stdio();
  fflush(stdout);
  pid_t child = fork();
  CHECK(child >= 0);
  if (child == 0) {
    from_getrandom("child-getrandom", 16);
    fflush(stdout);
    _exit(0);
  }
  int status;
  CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  from_getrandom("parent-after-fork", 16);
  printf("EXIT-SUCCESS\n");
  return 0;
}
