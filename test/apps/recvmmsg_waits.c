/* How long a recvmmsg on a UDP socket waits, as Linux decides: a blocking
 * call without MSG_WAITFORONE fills every entry, however late the datagrams
 * come; MSG_WAITFORONE, MSG_DONTWAIT and O_NONBLOCK take what is there
 * after the first; the timeout is looked at only after each datagram (one
 * of zero takes a single datagram), and the time left is written back; a
 * signal returns the datagrams taken. A thread sends the datagrams, each
 * after its delay. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define ENTRIES 3

static int receiver, sender;
static struct sockaddr_in destination;

/* What the sending thread sends: each text after its delay. */
struct step {
  int delay_ms;
  const char *text;
};

struct script {
  const struct step *steps;
  int count;
};

static void sleep_ms(int ms) {
  struct timespec wait = {ms / 1000, (ms % 1000) * 1000000L};
  CHECK(nanosleep(&wait, NULL) == 0);
}

static void send_text(const char *text) {
  CHECK(sendto(sender, text, strlen(text), 0, (struct sockaddr *)&destination, sizeof destination) == (ssize_t)strlen(text));
}

static void *play(void *argument) {
  const struct script *script = argument;
  for (int i = 0; i < script->count; i++) {
    sleep_ms(script->steps[i].delay_ms);
    send_text(script->steps[i].text);
  }
  return NULL;
}

static char texts[ENTRIES][16];
static struct iovec data[ENTRIES];
static struct mmsghdr entries[ENTRIES];

static void clear_entries(void) {
  memset(texts, 0, sizeof texts);
  memset(entries, 0, sizeof entries);
  for (int i = 0; i < ENTRIES; i++) {
    data[i] = (struct iovec){texts[i], sizeof texts[i] - 1};
    entries[i].msg_hdr = (struct msghdr){.msg_iov = &data[i], .msg_iovlen = 1};
  }
}

/* Runs recvmmsg while the thread plays `steps`, and prints what it returned and took. */
static int receive_while(const char *what, const struct step *steps, int count, int flags, struct timespec *timeout) {
  struct script script = {steps, count};
  pthread_t thread;
  clear_entries();
  CHECK(pthread_create(&thread, NULL, play, &script) == 0);
  errno = 0;
  int got = recvmmsg(receiver, entries, ENTRIES, flags, timeout);
  int saved = errno;
  CHECK(pthread_join(thread, NULL) == 0);
  printf("%s: %d errno %d, took", what, got, saved);
  for (int i = 0; i < got; i++) printf(" \"%s\"", texts[i]);
  printf("\n");
  return got;
}

/* Datagrams sent cross the network before they are there: on loopback, in far less than this. */
static void let_arrive(void) { sleep_ms(10); }

/* Takes what the last call left, so that each case starts with nothing queued. */
static void drain(const char *what) {
  let_arrive();
  clear_entries();
  int got = recvmmsg(receiver, entries, ENTRIES, MSG_DONTWAIT, NULL);
  printf("left after %s:", what);
  for (int i = 0; i < got; i++) printf(" \"%s\"", texts[i]);
  printf("\n");
}

static void on_alarm(int signal) { (void)signal; }

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  receiver = socket(AF_INET, SOCK_DGRAM, 0);
  sender = socket(AF_INET, SOCK_DGRAM, 0);
  CHECK(receiver >= 0 && sender >= 0);
  destination = (struct sockaddr_in){.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  CHECK(bind(receiver, (struct sockaddr *)&destination, sizeof destination) == 0);
  socklen_t length = sizeof destination;
  CHECK(getsockname(receiver, (struct sockaddr *)&destination, &length) == 0);

  const struct step spread[] = {{0, "one"}, {100, "two"}, {100, "three"}};
  receive_while("blocking, datagrams 100 ms apart", spread, 3, 0, NULL);
  drain("a blocking call");

  const struct step late[] = {{0, "one"}, {200, "two"}};
  receive_while("MSG_WAITFORONE, the second 200 ms late", late, 2, MSG_WAITFORONE, NULL);
  drain("MSG_WAITFORONE");

  const struct step slow[] = {{0, "one"}, {200, "two"}, {200, "three"}};
  struct timespec timeout = {0, 100000000};
  receive_while("timeout 100 ms, datagrams 200 ms apart", slow, 3, 0, &timeout);
  printf("time left: %ld s %ld ns\n", (long)timeout.tv_sec, timeout.tv_nsec);
  drain("a timeout that ran out");

  timeout = (struct timespec){10, 0};
  receive_while("timeout 10 s, datagrams 100 ms apart", spread, 3, 0, &timeout);
  double left = timeout.tv_sec + timeout.tv_nsec / 1e9;
  printf("time left between 9.75 s and 9.85 s: %d\n", left > 9.75 && left < 9.85);

  send_text("one");
  send_text("two");
  let_arrive();
  timeout = (struct timespec){0, 0};
  receive_while("timeout zero, two datagrams there", NULL, 0, 0, &timeout);
  drain("a zero timeout");

  send_text("one");
  send_text("two");
  let_arrive();
  receive_while("MSG_DONTWAIT, two datagrams there", NULL, 0, MSG_DONTWAIT, NULL);
  int status = fcntl(receiver, F_GETFL);
  CHECK(status >= 0 && fcntl(receiver, F_SETFL, status | O_NONBLOCK) == 0);
  send_text("one");
  send_text("two");
  let_arrive();
  receive_while("O_NONBLOCK, two datagrams there", NULL, 0, 0, NULL);
  CHECK(fcntl(receiver, F_SETFL, status) == 0);

  /* A signal while the call waits for its second datagram returns the first. */
  struct sigaction action = {.sa_handler = on_alarm};
  CHECK(sigaction(SIGALRM, &action, NULL) == 0);
  struct itimerval alarm = {.it_value = {0, 200000}};
  CHECK(setitimer(ITIMER_REAL, &alarm, NULL) == 0);
  const struct step one[] = {{0, "one"}};
  receive_while("a signal 200 ms in, one datagram sent", one, 1, 0, NULL);

  close(sender);
  close(receiver);
  printf("EXIT-SUCCESS\n");
  return 0;
}
