/* The hostile arguments of fuzz_syscalls.c: a seeded generator, and pickers
 * for pointers, lengths, flags, descriptors and addresses that mix valid
 * values with the mistakes programs make. Everything drawn depends only on
 * the seed, so the native run and the run under simterpose make the same
 * calls. */
#ifndef SIMTERPOSE_FUZZ_ARGS_H
#define SIMTERPOSE_FUZZ_ARGS_H

#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>

static uint64_t fuzz_state;

static void fuzz_seed(uint64_t seed) { fuzz_state = seed * 0x9e3779b97f4a7c15ULL + 0x2545f4914f6cdd1dULL; }

/* xorshift64*: small, and the same sequence on every machine. */
static uint64_t fuzz_next(void) {
  fuzz_state ^= fuzz_state >> 12;
  fuzz_state ^= fuzz_state << 25;
  fuzz_state ^= fuzz_state >> 27;
  return fuzz_state * 0x2545f4914f6cdd1dULL;
}

/* A number in [0, n). */
static long pick(long n) { return (long)(fuzz_next() % (uint64_t)n); }

/* True one time in `n`. */
static int one_in(long n) { return pick(n) == 0; }

/* Memory laid out as [none][rw][none][ro][none]: a copy running past the
 * writable page, or into the read-only one, faults where Linux's would.
 * At a fixed address: whether a huge length still ends inside the user
 * address space (the kernel's first check) must not depend on where the
 * mapping fell (simterpose turns address randomisation off). */
#define REGION_ADDRESS ((void *)0x200000000UL)
#define PAGE 4096
static char *region;
#define RW (region + PAGE)
#define NONE (region + 2 * PAGE)
#define RO (region + 3 * PAGE)

static int map_region(void) {
  region = mmap(REGION_ADDRESS, 5 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (region == MAP_FAILED) return -1;
  if (mprotect(RW, PAGE, PROT_READ | PROT_WRITE) != 0) return -1;
  memset(RW, 'x', PAGE);
  if (mprotect(RO, PAGE, PROT_READ | PROT_WRITE) != 0) return -1;
  memset(RO, 'r', PAGE);
  return mprotect(RO, PAGE, PROT_READ);
}

/* A pointer the kernel reads or writes `size` bytes through: valid most of
 * the time, else NULL, 1, -1, a kernel or non-canonical address, a read-only
 * or PROT_NONE page, or one that runs off the end of the writable page. */
static void *hostile_pointer(size_t size) {
  switch (pick(14)) {
  case 0: return NULL;
  case 1: return (void *)1;
  case 2: return (void *)-1L;
  case 3: return (void *)0xffff800000000000UL;
  case 4: return (void *)0x0000800000000000UL;
  case 5: return RO;
  case 6: return NONE;
  case 7: return RW + PAGE - (size > 1 ? size / 2 : 1);
  default: return size <= PAGE ? RW : RW + PAGE - 8;
  }
}

/* A pointer to `size` bytes the caller has filled at RW, or a hostile one. */
static void *struct_pointer(size_t size) { return pick(3) == 0 ? hostile_pointer(size) : RW; }

/* A byte count: small, exact, zero, or absurd. */
static size_t hostile_length(void) {
  switch (pick(12)) {
  case 0: return 0;
  case 1: return 1;
  case 2: return (size_t)-1;
  case 3: return 0x7ffff000UL + 1;
  case 4: return (size_t)1 << 31;
  case 5: return PAGE + 1;
  case 6: return (size_t)INT32_MAX + 2;
  default: return 1 + pick(PAGE);
  }
}

/* Flags: zero, the valid ones given, or every bit. */
static long hostile_flags(long valid) {
  switch (pick(6)) {
  case 0: return 0;
  case 1: return -1;
  case 2: return 1L << pick(63);
  default: return valid & (long)fuzz_next();
  }
}

/* A descriptor number that is no open file: negative, far past any open one, or past every limit. */
static int bad_fd(void) {
  static const int bad[] = {-1, -100, 999, 65535, 1 << 20, INT32_MAX, INT32_MIN};
  return bad[pick(sizeof bad / sizeof bad[0])];
}

/* Makes this process's AF_UNIX addresses its own: abstract names are one
 * namespace for the whole machine, where runs of the same seed going on at
 * once would find each other's (EADDRINUSE, or a connection). A pipe's inode
 * number tells two processes apart even under simterpose, which shows them
 * the same pid; it is never printed. */
static unsigned long unix_tag;

/* Fills RW with a socket address for `peer` (or a broken one) and returns its length. */
static socklen_t hostile_sockaddr(const struct sockaddr_in *peer) {
  memset(RW, 0, 128);
  struct sockaddr_in *in = (struct sockaddr_in *)RW;
  switch (pick(10)) {
  case 0: in->sin_family = AF_UNSPEC; return sizeof *in;
  case 1: in->sin_family = AF_INET6; return sizeof *in;
  case 2: in->sin_family = 999; return sizeof *in;
  case 3: *in = *peer; return 3;
  case 4: *in = *peer; return (socklen_t)-1;
  case 5: *in = *peer; return 4096;
  case 6: {
    struct sockaddr_un *un = (struct sockaddr_un *)RW;
    un->sun_family = AF_UNIX;
    /* An abstract name (a leading NUL), this process's own. */
    snprintf(un->sun_path + 1, sizeof un->sun_path - 1, "fuzz-%lu", unix_tag);
    return sizeof *un;
  }
  default: *in = *peer; return sizeof *in;
  }
}

#endif
