/* Lists /proc and /proc/self/task with getdents64, in one call with room
 * for everything and in calls with room for one or two entries, and prints
 * the numeric entries next to what getpid, fork and gettid said: under
 * simterpose a host shows its own processes alone, by virtual pids. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

/* The numeric names in `path`, read with getdents64 into `room` bytes at a time, in ascending order. */
static void print_numeric(const char *label, const char *path, size_t room) {
  int fd = open(path, O_RDONLY | O_DIRECTORY);
  CHECK(fd >= 0);
  char buffer[65536];
  long ids[4096];
  int count = 0;
  long n;
  while ((n = syscall(SYS_getdents64, fd, buffer, room)) > 0) {
    for (long at = 0; at < n;) {
      struct dirent64 *entry = (struct dirent64 *)(buffer + at);
      char *end;
      long id = strtol(entry->d_name, &end, 10);
      if (*end == '\0' && end != entry->d_name && count < 4096) ids[count++] = id;
      at += entry->d_reclen;
    }
  }
  CHECK(n == 0);
  close(fd);
  for (int i = 1; i < count; i++)
    for (int j = i; j > 0 && ids[j - 1] > ids[j]; j--) {
      long swap = ids[j];
      ids[j] = ids[j - 1];
      ids[j - 1] = swap;
    }
  printf("%s:", label);
  for (int i = 0; i < count; i++) printf(" %ld", ids[i]);
  printf("\n");
}

static pid_t thread_tid;
static pthread_barrier_t listed;

static void *idle_thread(void *unused) {
  (void)unused;
  thread_tid = gettid();
  pthread_barrier_wait(&listed);
  pthread_barrier_wait(&listed);
  return NULL;
}

int main(void) {
  pid_t child = fork();
  CHECK(child >= 0);
  if (child == 0) {
    pause();
    _exit(0);
  }
  pthread_t thread;
  pthread_barrier_init(&listed, NULL, 2);
  CHECK(pthread_create(&thread, NULL, idle_thread, NULL) == 0);
  pthread_barrier_wait(&listed);
  printf("pids: %d %d\n", getpid(), child);
  printf("tids: %d %d\n", gettid(), thread_tid);
  print_numeric("/proc", "/proc", sizeof(char[65536]));
  print_numeric("/proc, an entry a call", "/proc", 32);
  print_numeric("/proc/self/task", "/proc/self/task", 65536);
  print_numeric("/proc/self/task, an entry a call", "/proc/self/task", 32);
  /* Too small for any entry: EINVAL, as Linux says. */
  int fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY);
  char small[8];
  printf("room for no entry: %ld\n", syscall(SYS_getdents64, fd, small, sizeof small) == -1 ? (long)errno : 0L);
  pthread_barrier_wait(&listed);
  pthread_join(thread, NULL);
  kill(child, SIGKILL);
  waitpid(child, NULL, 0);
  printf("EXIT-SUCCESS\n");
  return 0;
}
