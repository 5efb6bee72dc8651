/* Prints a greeting and its arguments (argv[0] is left out: it is a path). */
#include <stdio.h>

int main(int argc, char **argv) {
  printf("hello, world\n");
  printf("argc=%d\n", argc);
  for (int i = 1; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]);
  printf("EXIT-SUCCESS\n");
  return 0;
}
