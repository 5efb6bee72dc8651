/* sysinfo after an hour of sleep: the uptime, the loads and the process
 * count tell of the simulated host (up since virtual time 0, idle, this one
 * process), not of the machine running it. */
#include <sys/sysinfo.h>
#include <unistd.h>

#include "check.h"

int main(void) {
  sleep(3600);
  struct sysinfo info;
  CHECK(sysinfo(&info) == 0);
  CHECK(info.totalram > 0 && info.mem_unit > 0);
  printf("uptime %ld loads %lu %lu %lu procs %u\n", info.uptime, info.loads[0], info.loads[1], info.loads[2], info.procs);
  printf("EXIT-SUCCESS\n");
  return 0;
}
