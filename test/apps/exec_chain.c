/* exec_chain [N]: re-executes itself N times counting down through argv,
 * checks that an execve of a missing file fails with ENOENT, then becomes
 * /bin/echo, which prints the final line. The environment carries the
 * starting count across the execs, to check that execve passes it on. */
#include <unistd.h>

#include "check.h"

static const char missing_program[] = "/nonexistent/simterpose-exec-chain-missing";

int main(int argc, char **argv) {
  int remaining = argc > 1 ? atoi(argv[1]) : 3;
  const char *started = getenv("EXEC_CHAIN_START");
  char start_text[16];
  if (started == NULL) {
    snprintf(start_text, sizeof start_text, "%d", remaining);
    started = start_text;
  }
  printf("exec_chain: %d to go (started at %s)\n", remaining, started);
  fflush(stdout);

  char env_entry[64];
  snprintf(env_entry, sizeof env_entry, "EXEC_CHAIN_START=%s", started);
  char *env[] = {env_entry, "PATH=/usr/bin:/bin", NULL};

  if (remaining > 0) {
    char next[16];
    snprintf(next, sizeof next, "%d", remaining - 1);
    char *next_argv[] = {"exec_chain", next, NULL};
    execve("/proc/self/exe", next_argv, env);
    CHECK(!"execve of /proc/self/exe returned");
  }

  char *missing_argv[] = {"missing", NULL};
  errno = 0;
  CHECK(execve(missing_program, missing_argv, env) == -1);
  CHECK(errno == ENOENT);
  printf("exec_chain: execve of a missing file failed with ENOENT\n");
  fflush(stdout);

  char *echo_argv[] = {"echo", "EXIT-SUCCESS", NULL};
  execve("/bin/echo", echo_argv, env);
  CHECK(!"execve of /bin/echo returned");
  return 1;
}
