/* Every way glibc counts CPUs: sysconf (online and configured), get_nprocs,
 * get_nprocs_conf and the affinity mask (with a dynamically sized set, as
 * for machines past CPU_SETSIZE). Under simterpose all are the host's cores. */
#define _GNU_SOURCE
#include <sched.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "check.h"

static int affinity_count(void) {
  for (int size = 64;; size *= 2) {
    cpu_set_t *set = CPU_ALLOC(size);
    CHECK(set != NULL);
    size_t bytes = CPU_ALLOC_SIZE(size);
    if (sched_getaffinity(0, bytes, set) == 0) {
      int count = CPU_COUNT_S(bytes, set);
      CPU_FREE(set);
      return count;
    }
    CHECK(errno == EINVAL && size < 65536);
    CPU_FREE(set);
  }
}

int main(void) {
  printf("sysconf-online %ld\n", sysconf(_SC_NPROCESSORS_ONLN));
  printf("sysconf-configured %ld\n", sysconf(_SC_NPROCESSORS_CONF));
  printf("get_nprocs %d\n", get_nprocs());
  printf("get_nprocs_conf %d\n", get_nprocs_conf());
  printf("affinity %d\n", affinity_count());
  cpu_set_t first;
  CPU_ZERO(&first);
  CPU_SET(0, &first);
  CHECK(sched_setaffinity(0, sizeof first, &first) == 0);
  printf("EXIT-SUCCESS\n");
  return 0;
}
