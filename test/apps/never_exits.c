/* never_exits CHILDREN [FILE]   forks CHILDREN children; then every process
 * sleeps a second at a time forever, as a server polling for work does.
 * With FILE, the first process creates it before anything else (a test
 * checks that a refused run started no program). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: never_exits CHILDREN [FILE]\n");
    return 2;
  }
  if (argc > 2) close(open(argv[2], O_CREAT | O_WRONLY, 0644));
  int children = atoi(argv[1]);
  for (int i = 0; i < children; i++) {
    pid_t pid = fork();
    if (pid < 0) return 1;
    if (pid == 0) break;
  }
  printf("running in %d\n", getpid());
  fflush(stdout);
  for (;;) sleep(1);
}
