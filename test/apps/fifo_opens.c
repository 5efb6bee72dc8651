/* Opens of a named FIFO as Linux makes them: a blocking open of one end
 * waits until the other end is opened (by another process, here after a
 * sleep, so the wait shows in the time the open took); O_NONBLOCK opens
 * never wait (a writer with no reader fails with ENXIO); O_RDWR never
 * waits; bytes go through once both ends are open. Prints one line per
 * case, then EXIT-SUCCESS. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

/* The partner sleeps this long before opening its end. */
#define PARTNER_DELAY_MS 50

static char directory[] = "/tmp/fifo_opens_XXXXXX";
static char path[64];

static long now_ms(void) {
  struct timespec ts;
  CHECK(clock_gettime(CLOCK_MONOTONIC, &ts) == 0);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  CHECK(nanosleep(&ts, NULL) == 0);
}

static void reap(pid_t child) {
  int status;
  CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* The child opens `first` and waits there; the parent opens the other end after a delay. */
static void rendezvous(int first, const char *name) {
  fflush(stdout);
  pid_t child = fork();
  CHECK(child >= 0);
  if (child == 0) {
    long before = now_ms();
    int fd = open(path, first);
    CHECK(fd >= 0);
    long waited = now_ms() - before;
    char buffer[16] = {0};
    if (first == O_RDONLY) {
      CHECK(read(fd, buffer, sizeof buffer - 1) == 2);
    } else {
      CHECK(write(fd, "hi", 2) == 2);
      strcpy(buffer, "hi");
    }
    printf("%s: open waited for its partner: %s, bytes through: %s\n", name,
           waited >= PARTNER_DELAY_MS - 5 ? "yes" : "no", buffer);
    fflush(stdout);
    CHECK(close(fd) == 0);
    _exit(0);
  }
  sleep_ms(PARTNER_DELAY_MS);
  int fd = open(path, first == O_RDONLY ? O_WRONLY : O_RDONLY);
  CHECK(fd >= 0);
  if (first == O_RDONLY) {
    CHECK(write(fd, "hi", 2) == 2);
  } else {
    char buffer[4];
    CHECK(read(fd, buffer, sizeof buffer) == 2);
  }
  reap(child);
  CHECK(close(fd) == 0);
}

static const char *outcome(int fd) {
  static char text[32];
  if (fd >= 0) return "opened";
  snprintf(text, sizeof text, "%s", errno == ENXIO ? "ENXIO" : strerror(errno));
  return text;
}

static void nonblocking(void) {
  int writer = open(path, O_WRONLY | O_NONBLOCK);
  printf("O_WRONLY|O_NONBLOCK without a reader: %s\n", outcome(writer));
  int reader = open(path, O_RDONLY | O_NONBLOCK);
  printf("O_RDONLY|O_NONBLOCK without a writer: %s\n", outcome(reader));
  CHECK(reader >= 0);
  char buffer[4];
  printf("read without a writer: %zd\n", read(reader, buffer, sizeof buffer));
  writer = open(path, O_WRONLY | O_NONBLOCK);
  printf("O_WRONLY|O_NONBLOCK with a reader: %s\n", outcome(writer));
  CHECK(writer >= 0);
  /* Both ends are held now: blocking opens of either go through at once. */
  int second_reader = open(path, O_RDONLY), second_writer = open(path, O_WRONLY);
  printf("blocking opens with both ends held: %s, %s\n", outcome(second_reader), outcome(second_writer));
  CHECK(write(second_writer, "ab", 2) == 2);
  printf("read through another reader: %zd\n", read(reader, buffer, sizeof buffer));
  CHECK(close(writer) == 0 && close(reader) == 0 && close(second_reader) == 0 && close(second_writer) == 0);
  int both = open(path, O_RDWR);
  printf("O_RDWR alone: %s\n", outcome(both));
  CHECK(both >= 0 && close(both) == 0);
}

/* A reader reopened through /proc/PID/fd with the program's own pid waits for a writer too. */
static void reopen_through_proc(void) {
  int reader = open(path, O_RDONLY | O_NONBLOCK);
  CHECK(reader >= 0);
  fflush(stdout);
  pid_t child = fork();
  CHECK(child >= 0);
  if (child == 0) {
    char self[64];
    snprintf(self, sizeof self, "/proc/%d/fd/%d", (int)getppid(), reader);
    long before = now_ms();
    int again = open(self, O_RDONLY);
    long waited = now_ms() - before;
    char buffer[4] = {0};
    CHECK(again >= 0 && read(again, buffer, 2) == 2);
    printf("reopened through /proc/PID/fd: waited for a writer: %s, blocking: %s, bytes through: %s\n",
           waited >= PARTNER_DELAY_MS - 5 ? "yes" : "no", (fcntl(again, F_GETFL) & O_NONBLOCK) == 0 ? "yes" : "no", buffer);
    fflush(stdout);
    _exit(0);
  }
  sleep_ms(PARTNER_DELAY_MS);
  int writer = open(path, O_WRONLY);
  CHECK(writer >= 0);
  /* The parent's own reader takes nothing: the child reads what is written. */
  sleep_ms(PARTNER_DELAY_MS);
  CHECK(write(writer, "hi", 2) == 2);
  reap(child);
  CHECK(close(writer) == 0 && close(reader) == 0);
}

int main(void) {
  /* mkdtemp: runs go side by side. */
  CHECK(mkdtemp(directory) != NULL);
  snprintf(path, sizeof path, "%s/fifo", directory);
  CHECK(mkfifo(path, 0600) == 0);
  rendezvous(O_RDONLY, "reader first");
  rendezvous(O_WRONLY, "writer first");
  nonblocking();
  reopen_through_proc();
  CHECK(unlink(path) == 0 && rmdir(directory) == 0);
  printf("EXIT-SUCCESS\n");
  return 0;
}
