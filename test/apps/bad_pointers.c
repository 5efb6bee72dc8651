/* Hands the kernel an unmapped address (1) in every argument the calls
 * below read or write through: Linux answers each with EFAULT (a futex
 * word at 1 is not even aligned: EINVAL), and the program goes on. Under simterpose the same calls are emulated or
 * rewritten, and must give the same answers. Raw syscalls: glibc's own
 * wrappers (the vDSO's time) would fault in user space instead. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define BAD ((long)1)

static void report(const char *call, long result) {
  printf("%s = %ld %s\n", call, result, result < 0 ? strerrorname_np(errno) : "");
}

#define TRY(call) report(#call, (long)(call))

int main(void) {
  TRY(syscall(SYS_time, BAD));
  TRY(syscall(SYS_gettimeofday, BAD, 0));
  TRY(syscall(SYS_clock_gettime, CLOCK_REALTIME, BAD));
  TRY(syscall(SYS_clock_getres, CLOCK_MONOTONIC, BAD));
  TRY(syscall(SYS_nanosleep, BAD, 0));
  TRY(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, BAD, 0));
  TRY(syscall(SYS_setitimer, ITIMER_REAL, BAD, 0));
  TRY(syscall(SYS_getrandom, BAD, 16, 0));
  TRY(syscall(SYS_sched_getaffinity, 0, 128, BAD));
  TRY(syscall(SYS_poll, BAD, 1, 0));
  TRY(syscall(SYS_select, 1, BAD, 0, 0, 0));
  TRY(syscall(SYS_futex, BAD, FUTEX_WAIT, 0, 0, 0, 0));
  TRY(syscall(SYS_rt_sigaction, SIGUSR1, BAD, 0, 8));
  TRY(syscall(SYS_clone3, BAD, 88));
  TRY(syscall(SYS_uname, BAD));

  int sock = socket(AF_INET, SOCK_STREAM, 0);
  TRY(syscall(SYS_bind, sock, BAD, sizeof(struct sockaddr_in)));
  TRY(syscall(SYS_connect, sock, BAD, sizeof(struct sockaddr_in)));
  TRY(syscall(SYS_getsockname, sock, BAD, BAD));
  TRY(syscall(SYS_getsockopt, sock, SOL_SOCKET, SO_TYPE, BAD, BAD));
  TRY(syscall(SYS_setsockopt, sock, SOL_SOCKET, SO_REUSEADDR, BAD, sizeof(int)));
  int ep = epoll_create1(0);
  TRY(syscall(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, sock, BAD));
  TRY(syscall(SYS_epoll_wait, ep, BAD, 1, 0));

  puts("EXIT-SUCCESS");
  return 0;
}
