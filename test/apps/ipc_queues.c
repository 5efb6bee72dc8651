/* System V message queues and semaphores, POSIX message queues, printed
 * step by step so that a native run and one under simterpose can be
 * compared line for line: blocking calls end when another process acts
 * (after the time it took to act), typed receives take the right message,
 * IPC_NOWAIT and O_NONBLOCK answer at once, timeouts end the waits after
 * their time with Linux's errno, a signal's handler ends a System V wait
 * with EINTR even with SA_RESTART, a POSIX queue's descriptor polls
 * readable only while it holds a message. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "semantics.h"

struct message {
  long type;
  char text[16];
};

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

/* Whether `waited` is `expected` seconds, give or take a scheduler's delay natively. */
static int about(double waited, double expected) {
  return waited >= expected - 0.005 && waited < expected + 0.05;
}

static void reap(pid_t child) {
  int status;
  CHECK(waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* A child that naps `ms`, runs `act` and exits. */
static pid_t later(long ms, void (*act)(int), int id) {
  pid_t child = fork();
  CHECK(child >= 0);
  if (child == 0) {
    nap(ms);
    act(id);
    _exit(0);
  }
  return child;
}

static void send_hello(int queue) {
  struct message m = {1, "hello"};
  CHECK(msgsnd(queue, &m, 6, 0) == 0);
}

static void send_typed(int queue) {
  struct message m = {5, "five"};
  CHECK(msgsnd(queue, &m, 5, 0) == 0);
}

static void receive_one(int queue) {
  struct message m;
  CHECK(msgrcv(queue, &m, sizeof m.text, 0, 0) >= 0);
}

static void message_queues(void) {
  int queue = msgget(IPC_PRIVATE, 0600);
  CHECK(queue >= 0);
  struct message m;

  pid_t child = later(100, send_hello, queue);
  double start = now();
  long got = msgrcv(queue, &m, sizeof m.text, 0, 0);
  printf("msgrcv woken by another process's msgsnd: %s \"%s\" after 0.1 s %d\n", outcome(got), m.text, about(now() - start, 0.1));
  reap(child);

  printf("msgrcv IPC_NOWAIT on an empty queue: %s\n", outcome(msgrcv(queue, &m, sizeof m.text, 0, IPC_NOWAIT)));

  struct message three = {3, "three"};
  CHECK(msgsnd(queue, &three, 6, 0) == 0);
  printf("msgrcv of type 4 IPC_NOWAIT with only type 3 queued: %s\n", outcome(msgrcv(queue, &m, sizeof m.text, 4, IPC_NOWAIT)));
  child = later(50, send_typed, queue);
  start = now();
  got = msgrcv(queue, &m, sizeof m.text, 5, 0);
  printf("msgrcv of type 5 waits past type 3: %s type %ld \"%s\" after 0.05 s %d\n", outcome(got), m.type, m.text, about(now() - start, 0.05));
  reap(child);
  got = msgrcv(queue, &m, sizeof m.text, -4, 0);
  printf("msgrcv of type <= 4: %s type %ld \"%s\"\n", outcome(got), m.type, m.text);

  /* A queue of 8 bytes takes one 6-byte message; a second must wait for a receive. */
  struct msqid_ds limits;
  CHECK(msgctl(queue, IPC_STAT, &limits) == 0);
  limits.msg_qbytes = 8;
  CHECK(msgctl(queue, IPC_SET, &limits) == 0);
  CHECK(msgsnd(queue, &three, 6, 0) == 0);
  printf("msgsnd IPC_NOWAIT on a full queue: %s\n", outcome(msgsnd(queue, &three, 6, IPC_NOWAIT)));
  child = later(80, receive_one, queue);
  start = now();
  got = msgsnd(queue, &three, 6, 0);
  printf("msgsnd on a full queue woken by a receive: %s after 0.08 s %d\n", outcome(got), about(now() - start, 0.08));
  reap(child);

  /* Removed while a receiver waits: EIDRM. */
  CHECK(msgrcv(queue, &m, sizeof m.text, 0, 0) >= 0);
  child = fork();
  CHECK(child >= 0);
  if (child == 0) {
    got = msgrcv(queue, &m, sizeof m.text, 0, 0);
    _exit(got < 0 && errno == EIDRM ? 0 : 1);
  }
  nap(30);
  CHECK(msgctl(queue, IPC_RMID, NULL) == 0);
  reap(child);
  printf("msgrcv ends with EIDRM when its queue is removed\n");
}

static void raise_semaphore(int set) {
  struct sembuf up = {0, 1, 0};
  CHECK(semop(set, &up, 1) == 0);
}

static void semaphores(void) {
  int set = semget(IPC_PRIVATE, 2, 0600);
  CHECK(set >= 0);
  struct sembuf down = {0, -1, 0};

  struct timespec timeout = {0, 200000000};
  double start = now();
  long result = semtimedop(set, &down, 1, &timeout);
  printf("semtimedop on a zero semaphore: %s after 0.2 s %d\n", outcome(result), about(now() - start, 0.2));

  struct sembuf nowait = {0, -1, IPC_NOWAIT};
  printf("semop IPC_NOWAIT on a zero semaphore: %s\n", outcome(semop(set, &nowait, 1)));

  pid_t child = later(100, raise_semaphore, set);
  start = now();
  result = semop(set, &down, 1);
  printf("semop woken by another process's semop: %s after 0.1 s %d\n", outcome(result), about(now() - start, 0.1));
  reap(child);

  /* Operations apply in order, all or none: up then down on one semaphore goes through at once. */
  struct sembuf up_down[2] = {{1, 1, 0}, {1, -1, 0}};
  printf("semop up then down at once: %s, value %d\n", outcome(semop(set, up_down, 2)), semctl(set, 1, GETVAL));

  /* Waiting for zero: ends when another process brings the value down. */
  CHECK(semctl(set, 1, SETVAL, 1) == 0);
  child = fork();
  CHECK(child >= 0);
  if (child == 0) {
    nap(60);
    struct sembuf take = {1, -1, 0};
    CHECK(semop(set, &take, 1) == 0);
    _exit(0);
  }
  struct sembuf zero = {1, 0, 0};
  start = now();
  result = semop(set, &zero, 1);
  printf("semop waiting for zero: %s after 0.06 s %d\n", outcome(result), about(now() - start, 0.06));
  reap(child);

  printf("semop past the set: %s\n", outcome(semop(set, &(struct sembuf){5, 1, 0}, 1)));
  CHECK(semctl(set, 0, IPC_RMID) == 0);
}

static void on_alarm(int signal) {
  (void)signal;
}

/* SA_RESTART or not, a handled signal ends a System V wait with EINTR. */
static void interrupted(void) {
  struct sigaction action = {.sa_handler = on_alarm, .sa_flags = SA_RESTART};
  CHECK(sigaction(SIGALRM, &action, NULL) == 0);
  int set = semget(IPC_PRIVATE, 1, 0600);
  CHECK(set >= 0);
  struct itimerval in_50ms = {{0, 0}, {0, 50000}};
  CHECK(setitimer(ITIMER_REAL, &in_50ms, NULL) == 0);
  struct sembuf down = {0, -1, 0};
  double start = now();
  long result = semop(set, &down, 1);
  printf("semop interrupted by a SA_RESTART handler: %s after 0.05 s %d\n", outcome(result), about(now() - start, 0.05));
  CHECK(semctl(set, 0, IPC_RMID) == 0);
}

static void in(struct timespec *date, long ms) {
  CHECK(clock_gettime(CLOCK_REALTIME, date) == 0);
  date->tv_nsec += ms * 1000000L;
  date->tv_sec += date->tv_nsec / 1000000000L;
  date->tv_nsec %= 1000000000L;
}

static mqd_t posix_queue;

static void mq_send_hi(int unused) {
  (void)unused;
  CHECK(mq_send(posix_queue, "hi", 3, 7) == 0);
}

static void mq_take(int unused) {
  (void)unused;
  char buffer[16];
  CHECK(mq_receive(posix_queue, buffer, sizeof buffer, NULL) >= 0);
}

static void posix_queues(void) {
  struct mq_attr attributes = {.mq_maxmsg = 2, .mq_msgsize = 16};
  char name[64];
  snprintf(name, sizeof name, "/simterpose-ipc-%d", getpid());
  posix_queue = mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0600, &attributes);
  CHECK(posix_queue >= 0);
  CHECK(mq_unlink(name) == 0);
  char buffer[16];
  unsigned priority = 0;

  struct timespec deadline;
  in(&deadline, 200);
  double start = now();
  long got = mq_timedreceive(posix_queue, buffer, sizeof buffer, NULL, &deadline);
  printf("mq_timedreceive on an empty queue: %s after 0.2 s %d\n", outcome(got), about(now() - start, 0.2));

  pid_t child = later(100, mq_send_hi, 0);
  in(&deadline, 1000);
  start = now();
  got = mq_timedreceive(posix_queue, buffer, sizeof buffer, &priority, &deadline);
  printf("mq_timedreceive woken by another process's mq_send: %s \"%s\" priority %u after 0.1 s %d\n", outcome(got), buffer, priority,
         about(now() - start, 0.1));
  reap(child);

  printf("mq_receive with too small a buffer: %s\n", outcome(mq_receive(posix_queue, buffer, 8, NULL)));

  /* Its descriptor polls like a pipe: readable while it holds a message. */
  struct pollfd entry = {.fd = posix_queue, .events = POLLIN | POLLOUT};
  int ready = poll(&entry, 1, 50);
  printf("poll of an empty queue: %d revents %#x\n", ready, entry.revents);
  entry.events = POLLIN;
  start = now();
  ready = poll(&entry, 1, 50);
  printf("poll for a message on an empty queue: %d after 0.05 s %d\n", ready, about(now() - start, 0.05));
  child = later(40, mq_send_hi, 0);
  start = now();
  ready = poll(&entry, 1, 1000);
  printf("poll woken by another process's mq_send: %d revents %#x after 0.04 s %d\n", ready, entry.revents, about(now() - start, 0.04));
  reap(child);
  CHECK(mq_receive(posix_queue, buffer, sizeof buffer, NULL) == 3);

  CHECK(mq_send(posix_queue, "a", 2, 0) == 0);
  CHECK(mq_send(posix_queue, "b", 2, 0) == 0);
  in(&deadline, 150);
  start = now();
  got = mq_timedsend(posix_queue, "c", 2, 0, &deadline);
  printf("mq_timedsend on a full queue: %s after 0.15 s %d\n", outcome(got), about(now() - start, 0.15));

  child = later(70, mq_take, 0);
  in(&deadline, 1000);
  start = now();
  got = mq_timedsend(posix_queue, "c", 2, 0, &deadline);
  printf("mq_timedsend on a full queue woken by a receive: %s after 0.07 s %d\n", outcome(got), about(now() - start, 0.07));
  reap(child);

  struct timespec past = {1, 0};
  printf("mq_timedsend on a full queue, deadline passed: %s\n", outcome(mq_timedsend(posix_queue, "d", 2, 0, &past)));

  /* Unlike System V calls, a POSIX queue's wait restarts after a SA_RESTART handler, and fails with EINTR without. */
  CHECK(mq_receive(posix_queue, buffer, sizeof buffer, NULL) >= 0);
  CHECK(mq_receive(posix_queue, buffer, sizeof buffer, NULL) >= 0);
  struct sigaction action = {.sa_handler = on_alarm, .sa_flags = SA_RESTART};
  CHECK(sigaction(SIGALRM, &action, NULL) == 0);
  struct itimerval in_30ms = {{0, 0}, {0, 30000}};
  CHECK(setitimer(ITIMER_REAL, &in_30ms, NULL) == 0);
  child = later(90, mq_send_hi, 0);
  start = now();
  got = mq_receive(posix_queue, buffer, sizeof buffer, NULL);
  printf("mq_receive across a SA_RESTART handler: %s after 0.09 s %d\n", outcome(got), about(now() - start, 0.09));
  reap(child);
  action.sa_flags = 0;
  CHECK(sigaction(SIGALRM, &action, NULL) == 0);
  CHECK(setitimer(ITIMER_REAL, &in_30ms, NULL) == 0);
  start = now();
  got = mq_receive(posix_queue, buffer, sizeof buffer, NULL);
  printf("mq_receive interrupted by a handler without SA_RESTART: %s after 0.03 s %d\n", outcome(got), about(now() - start, 0.03));
  CHECK(mq_send(posix_queue, "a", 2, 0) == 0);
  CHECK(mq_send(posix_queue, "b", 2, 0) == 0);

  struct mq_attr nonblocking = {.mq_flags = O_NONBLOCK};
  CHECK(mq_setattr(posix_queue, &nonblocking, NULL) == 0);
  printf("mq_send O_NONBLOCK on a full queue: %s\n", outcome(mq_send(posix_queue, "d", 2, 0)));
  CHECK(mq_close(posix_queue) == 0);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  message_queues();
  semaphores();
  interrupted();
  posix_queues();
  printf("EXIT-SUCCESS\n");
  return 0;
}
