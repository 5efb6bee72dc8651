// untrapped_queries COUNT: the queries a program makes by the dozen that
// change nothing simterpose follows, COUNT of each: isatty's TCGETS on a
// file that is no terminal, and sigaction reading a handler without setting
// one. Then one call of each kind simterpose does follow (FIOCLEX, a
// handler set then run). Prints what the calls returned.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

static volatile sig_atomic_t handled;

static void on_usr1(int signal) {
  (void)signal;
  handled = 1;
}

int main(int argc, char **argv) {
  long count = argc > 1 ? atol(argv[1]) : 0;
  int fd = open(argv[0], O_RDONLY);
  if (fd < 0) return 1;
  long not_tty = 0, default_action = 0;
  for (long i = 0; i < count; i++) {
    struct termios settings;
    if (ioctl(fd, TCGETS, &settings) == -1 && errno == ENOTTY) not_tty++;
    struct sigaction old;
    if (sigaction(SIGUSR1, NULL, &old) == 0 && old.sa_handler == SIG_DFL) default_action++;
  }
  printf("%ld TCGETS: %ld ENOTTY\n", count, not_tty);
  printf("%ld SIGUSR1 queries: %ld SIG_DFL\n", count, default_action);
  if (ioctl(fd, FIOCLEX) != 0) return 2;
  printf("after FIOCLEX: F_GETFD %d\n", fcntl(fd, F_GETFD));
  struct sigaction action = {.sa_handler = on_usr1};
  if (sigaction(SIGUSR1, &action, NULL) != 0) return 3;
  raise(SIGUSR1);
  printf("SIGUSR1 handled: %d\n", handled);
  return 0;
}
