/* exit_code <status>          exits with that status
 * exit_code signal <number>   kills itself with that signal
 * Prints nothing on success paths, so the caller sees only the status. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int parse_int(const char *text, int *out) {
  char *end;
  long value = strtol(text, &end, 10);
  if (*text == '\0' || *end != '\0') return -1;
  *out = (int)value;
  return 0;
}

int main(int argc, char **argv) {
  int value;
  if (argc == 3 && strcmp(argv[1], "signal") == 0 && parse_int(argv[2], &value) == 0) {
    fflush(stdout);
    /* The default action must apply even if the parent left the signal ignored. */
    signal(value, SIG_DFL);
    kill(getpid(), value);
    fprintf(stderr, "exit_code: still alive after signal %d\n", value);
    return 1;
  }
  if (argc == 2 && parse_int(argv[1], &value) == 0) exit(value);
  fprintf(stderr, "usage: exit_code <status> | exit_code signal <number>\n");
  return 2;
}
