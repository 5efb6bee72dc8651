/* What /proc tells a process about itself, its threads and its children,
 * checked against what the syscalls say, and printed: the ids in
 * /proc/self/status and /proc/self/stat (also opened as /proc/PID/...,
 * /proc/thread-self/..., /proc/self/task/TID/..., relative to a descriptor
 * of /proc and from /proc as working directory), a child's state while it
 * waits, and how long the host has been up (/proc/uptime, CLOCK_BOOTTIME,
 * sysinfo, /proc/stat's btime, the process's start time).
 *
 * Natively the values are the kernel's; under simterpose the host's
 * virtual ones, which the test compares with what it expects. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static char *slurp_at(int dir, const char *path) {
  static char buffer[8192];
  int fd = openat(dir, path, O_RDONLY);
  CHECK(fd >= 0);
  ssize_t length = read(fd, buffer, sizeof buffer - 1);
  CHECK(length > 0);
  buffer[length] = '\0';
  close(fd);
  return buffer;
}

static char *slurp(const char *path) { return slurp_at(AT_FDCWD, path); }

/* The value of "Key:\t..." in a status file, up to the end of its line. */
static const char *status_field(const char *status, const char *key, char *value, size_t size) {
  char prefix[64];
  snprintf(prefix, sizeof prefix, "\n%s:\t", key);
  const char *at = strstr(status, prefix);
  CHECK(at != NULL);
  at += strlen(prefix);
  size_t length = strcspn(at, "\n");
  CHECK(length < size);
  memcpy(value, at, length);
  value[length] = '\0';
  return value;
}

static long status_number(const char *status, const char *key) {
  char value[64];
  return atol(status_field(status, key, value, sizeof value));
}

/* stat's fields after "pid (comm)": field 3 (state) is fields[0]. */
struct stat_line {
  long pid;
  char state;
  long ppid, pgrp, session, starttime;
};

static struct stat_line parse_stat(const char *stat) {
  struct stat_line line;
  line.pid = atol(stat);
  const char *after = strrchr(stat, ')') + 2;
  line.state = after[0];
  long fields[20];
  const char *at = after + 2;
  for (int i = 0; i < 20; i++) {
    fields[i] = strtol(at, (char **)&at, 10);
  }
  /* fields[0] is field 4 (ppid); field 22 (starttime) is fields[18]. */
  line.ppid = fields[0];
  line.pgrp = fields[1];
  line.session = fields[2];
  line.starttime = fields[18];
  return line;
}

static double boottime(void) {
  struct timespec now;
  CHECK(clock_gettime(CLOCK_BOOTTIME, &now) == 0);
  return now.tv_sec + now.tv_nsec / 1e9;
}

static void check_own_status(const char *label, const char *status, pid_t pid, pid_t tid) {
  char value[256];
  CHECK(status_number(status, "Tgid") == pid);
  CHECK(status_number(status, "Pid") == tid);
  CHECK(status_number(status, "PPid") == getppid());
  CHECK(status_number(status, "TracerPid") == 0);
  CHECK(status_number(status, "NStgid") == pid);
  CHECK(status_number(status, "NSpid") == tid);
  CHECK(status_number(status, "NSpgid") == getpgrp());
  CHECK(status_number(status, "NSsid") == getsid(0));
  CHECK(strcmp(status_field(status, "State", value, sizeof value), "R (running)") == 0);
  printf("%s: Pid %ld Tgid %ld PPid %ld TracerPid %ld NSpid %ld NSpgid %ld NSsid %ld State %s\n", label, status_number(status, "Pid"),
         status_number(status, "Tgid"), status_number(status, "PPid"), status_number(status, "TracerPid"), status_number(status, "NSpid"),
         status_number(status, "NSpgid"), status_number(status, "NSsid"), value);
}

static void check_own_stat(const char *label, const char *stat, pid_t tid) {
  struct stat_line line = parse_stat(stat);
  CHECK(line.pid == tid);
  CHECK(line.ppid == getppid());
  CHECK(line.pgrp == getpgrp());
  CHECK(line.session == getsid(0));
  CHECK(line.state == 'R');
  printf("%s: pid %ld state %c ppid %ld pgrp %ld session %ld\n", label, line.pid, line.state, line.ppid, line.pgrp, line.session);
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static pid_t thread_tid;
static int thread_done;

static void *thread_main(void *arg) {
  (void)arg;
  pid_t tid = gettid();
  check_own_status("thread-self status", slurp("/proc/thread-self/status"), getpid(), tid);
  char path[64];
  snprintf(path, sizeof path, "/proc/self/task/%d/stat", tid);
  check_own_stat("task stat", slurp(path), tid);
  pthread_mutex_lock(&lock);
  thread_tid = tid;
  thread_done = 1;
  pthread_cond_broadcast(&changed);
  pthread_mutex_unlock(&lock);
  return NULL;
}

int main(void) {
  pid_t pid = getpid();
  char path[64];
  check_own_status("self status", slurp("/proc/self/status"), pid, pid);
  check_own_stat("self stat", slurp("/proc/self/stat"), pid);
  snprintf(path, sizeof path, "/proc/%d/status", pid);
  check_own_status("pid status", slurp(path), pid, pid);
  int proc = open("/proc", O_RDONLY | O_DIRECTORY);
  CHECK(proc >= 0);
  snprintf(path, sizeof path, "%d/stat", pid);
  check_own_stat("stat at /proc", slurp_at(proc, path), pid);
  CHECK(chdir("/proc") == 0);
  check_own_stat("stat from /proc", slurp(path), pid);

  char value[256];
  cpu_set_t cpus;
  CHECK(sched_getaffinity(0, sizeof cpus, &cpus) == 0);
  const char *status = slurp("/proc/self/status");
  printf("Cpus_allowed_list %s, sched_getaffinity %d\n", status_field(status, "Cpus_allowed_list", value, sizeof value), CPU_COUNT(&cpus));

  pthread_t thread;
  CHECK(pthread_create(&thread, NULL, thread_main, NULL) == 0);
  pthread_mutex_lock(&lock);
  while (!thread_done) pthread_cond_wait(&changed, &lock);
  pthread_mutex_unlock(&lock);
  CHECK(pthread_join(thread, NULL) == 0);
  CHECK(thread_tid != pid);

  /* A child waiting to read a pipe sleeps; its stat names it and its parent. */
  int gate[2];
  CHECK(pipe(gate) == 0);
  fflush(stdout);
  pid_t child = fork();
  CHECK(child >= 0);
  if (child == 0) {
    char byte;
    close(gate[1]);
    _exit(read(gate[0], &byte, 1) == 1 ? 0 : 1);
  }
  close(gate[0]);
  /* Give the child time to block: virtual time under simterpose. */
  struct timespec pause_time = {0, 100 * 1000 * 1000};
  nanosleep(&pause_time, NULL);
  snprintf(path, sizeof path, "/proc/%d/stat", child);
  struct stat_line line = parse_stat(slurp(path));
  CHECK(line.pid == child && line.ppid == pid);
  printf("child stat: pid %ld state %c ppid %ld\n", line.pid, line.state, line.ppid);
  CHECK(write(gate[1], "x", 1) == 1);
  int wstatus;
  CHECK(waitpid(child, &wstatus, 0) == child && WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0);

  /* Uptime: /proc/uptime (in hundredths), CLOCK_BOOTTIME, sysinfo (rounded up) and btime all agree. */
  double before = boottime();
  double uptime = atof(slurp("/proc/uptime"));
  double after = boottime();
  CHECK(uptime >= (long)(before * 100) / 100.0 && uptime <= after);
  struct sysinfo info;
  CHECK(sysinfo(&info) == 0);
  CHECK(info.uptime >= (long)before && info.uptime <= (long)boottime() + 1);
  const char *btime_line = strstr(slurp("/proc/stat"), "\nbtime ");
  CHECK(btime_line != NULL);
  long btime = atol(btime_line + strlen("\nbtime "));
  time_t now = time(NULL);
  CHECK(labs(btime + (long)after - now) <= 1);
  /* The process started after the host booted, and not long before now. */
  double started = parse_stat(slurp("/proc/self/stat")).starttime / (double)sysconf(_SC_CLK_TCK);
  CHECK(started <= after && after - started < 30);
  printf("uptime %.2f, boot time %ld, started at %.2f\n", uptime, btime, started);
  printf("EXIT-SUCCESS\n");
  return 0;
}
