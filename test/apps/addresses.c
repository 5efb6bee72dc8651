/* Where things land in memory: stack, heap, a large mmap, the C library and
 * the program itself. With address-space randomization off (simterpose
 * spawns with ADDR_NO_RANDOMIZE), every run prints the same addresses. */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "check.h"

int main(void) {
  int on_stack = 0;
  void *small = malloc(16);
  void *large = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(small != NULL && large != MAP_FAILED);
  printf("stack %p\nheap %p\nmmap %p\nlibc %p\nprogram %p\n", (void *)&on_stack, small, large, (void *)&printf, (void *)&main);
  printf("EXIT-SUCCESS\n");
  return 0;
}
