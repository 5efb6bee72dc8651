/* The signals a socket with O_ASYNC and an owner (this process) sends, as
 * Linux sends them: SIGIO itself (si_code SI_KERNEL, one pending however
 * many datagrams came), or the F_SETSIG signal, queued once per event with
 * its reason (POLL_IN, POLL_OUT), band and descriptor: each datagram on a
 * UDP socket, a connection reaching a listener, bytes and the peer's close
 * on a TCP connection, room to send again after a send ran out of it (once
 * the send that ran out of room asked for it). The
 * signals are blocked and taken with sigtimedwait once things settled. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define CHOSEN (SIGRTMIN + 1)

static void settle(void) {
  struct timespec wait = {0, 50000000};
  CHECK(nanosleep(&wait, NULL) == 0);
}

/* Takes one of SIGIO and CHOSEN if pending now: 1 when it did, 0 when none is. */
static int next_pending(siginfo_t *info) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGIO);
  sigaddset(&set, CHOSEN);
  struct timespec now = {0, 0};
  return sigtimedwait(&set, info, &now) > 0;
}

/* Prints every signal pending now, in the order sigtimedwait gives them. */
static void take(const char *what, int fd) {
  settle();
  printf("%s:", what);
  siginfo_t info;
  int count = 0;
  while (next_pending(&info)) {
    count++;
    if (info.si_signo == SIGIO)
      printf(" SIGIO code %d", info.si_code);
    else
      printf(" F_SETSIG code %d band %#lx on the descriptor %d", info.si_code, (unsigned long)info.si_band, info.si_fd == fd);
  }
  printf(" (%d)\n", count);
}

/* Takes the signals pending now without printing them: how many came is a matter of timing. */
static void discard(void) {
  settle();
  siginfo_t info;
  while (next_pending(&info)) {
  }
}

/* Gives `fd` this process as owner (this thread, by F_SETOWN_EX, when `by_ioctl` is 2), `signal` (0: SIGIO), and O_ASYNC (by fcntl, or by FIOASYNC). */
static void make_async(int fd, int signal, int by_ioctl) {
  if (by_ioctl == 2) {
    struct f_owner_ex owner = {.type = F_OWNER_TID, .pid = gettid()};
    CHECK(fcntl(fd, F_SETOWN_EX, &owner) == 0);
  } else {
    CHECK(fcntl(fd, F_SETOWN, getpid()) == 0);
  }
  CHECK(fcntl(fd, F_SETSIG, signal) == 0);
  if (by_ioctl == 1) {
    int on = 1;
    CHECK(ioctl(fd, FIOASYNC, &on) == 0);
  } else {
    CHECK(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_ASYNC) == 0);
  }
}

static struct sockaddr_in loopback(void) { return (struct sockaddr_in){.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)}; }

static void bound_name(int fd, struct sockaddr_in *address) {
  socklen_t length = sizeof *address;
  CHECK(getsockname(fd, (struct sockaddr *)address, &length) == 0);
}

/* A receiving UDP socket bound on loopback (its name in `address`) and a sender. */
static void datagram_pair(int *receiver, int *sender, struct sockaddr_in *address) {
  *receiver = socket(AF_INET, SOCK_DGRAM, 0);
  *sender = socket(AF_INET, SOCK_DGRAM, 0);
  CHECK(*receiver >= 0 && *sender >= 0);
  *address = loopback();
  CHECK(bind(*receiver, (struct sockaddr *)address, sizeof *address) == 0);
  bound_name(*receiver, address);
}

static void datagrams(int signal, int by_ioctl, const char *what) {
  int receiver, sender;
  struct sockaddr_in address;
  datagram_pair(&receiver, &sender, &address);
  make_async(receiver, signal, by_ioctl);
  take("UDP, nothing sent yet", receiver);
  for (int i = 0; i < 2; i++) CHECK(sendto(sender, "x", 1, 0, (struct sockaddr *)&address, sizeof address) == 1);
  take(what, receiver);
  close(sender);
  close(receiver);
}

/* The F_SETSIG signal of a datagram read from a signalfd: its reason, band and descriptor, no sender. */
static void from_a_signalfd(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, CHOSEN);
  int reader = signalfd(-1, &set, SFD_NONBLOCK);
  CHECK(reader >= 0);
  int receiver, sender;
  struct sockaddr_in address;
  datagram_pair(&receiver, &sender, &address);
  make_async(receiver, CHOSEN, 0);
  CHECK(sendto(sender, "x", 1, 0, (struct sockaddr *)&address, sizeof address) == 1);
  settle();
  struct signalfd_siginfo record;
  CHECK(read(reader, &record, sizeof record) == sizeof record);
  printf("signalfd: code %d band %#x on the descriptor %d, pid %u uid %u\n", record.ssi_code, record.ssi_band, (int)record.ssi_fd == receiver, record.ssi_pid,
         record.ssi_uid);
  close(sender);
  close(receiver);
  close(reader);
}

static void connection(void) {
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(listener >= 0);
  struct sockaddr_in address = loopback();
  CHECK(bind(listener, (struct sockaddr *)&address, sizeof address) == 0);
  CHECK(listen(listener, 4) == 0);
  bound_name(listener, &address);
  make_async(listener, CHOSEN, 0);
  int client = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(client >= 0);
  int small = 4096;
  CHECK(setsockopt(client, SOL_SOCKET, SO_SNDBUF, &small, sizeof small) == 0);
  CHECK(connect(client, (struct sockaddr *)&address, sizeof address) == 0);
  take("a connection reaching the listener", listener);
  int server = accept(listener, NULL, NULL);
  CHECK(server >= 0);
  CHECK(setsockopt(server, SOL_SOCKET, SO_RCVBUF, &small, sizeof small) == 0);
  make_async(server, CHOSEN, 0);
  take("TCP, accepted", server);
  CHECK(write(client, "ab", 2) == 2);
  take("TCP, bytes from the peer", server);
  char buffer[1 << 16];
  CHECK(read(server, buffer, sizeof buffer) == 2);

  /* The client fills its buffers without blocking, then the server, no longer async, reads everything. */
  CHECK(fcntl(server, F_SETFL, fcntl(server, F_GETFL) & ~O_ASYNC) == 0);
  make_async(client, CHOSEN, 0);
  CHECK(fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK) == 0);
  take("TCP client, connected and made async", client);
  /* Written until a write after a pause still finds no room: the server's buffer is full, nothing is in flight. */
  long sent = 0;
  for (int refused = 0; refused < 2;) {
    ssize_t wrote = write(client, buffer, sizeof buffer);
    if (wrote < 0) {
      CHECK(errno == EAGAIN);
      refused++;
      settle();
      continue;
    }
    refused = 0;
    sent += wrote;
  }
  /* Acknowledgements freeing room before may have signalled already; the last write's EAGAIN asks for one more. */
  discard();
  while (sent > 0) {
    ssize_t got = read(server, buffer, sizeof buffer);
    CHECK(got > 0);
    sent -= got;
    settle();
  }
  take("TCP client, room again after EAGAIN", client);
  CHECK(fcntl(server, F_SETFL, fcntl(server, F_GETFL) | O_ASYNC) == 0);
  close(client);
  take("TCP, the peer closed", server);
  close(server);

  /* A connection whose server shut its side first: the peer's close leaves nothing open. */
  client = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(client >= 0);
  CHECK(connect(client, (struct sockaddr *)&address, sizeof address) == 0);
  server = accept(listener, NULL, NULL);
  CHECK(server >= 0);
  discard();
  make_async(server, CHOSEN, 0);
  CHECK(shutdown(server, SHUT_WR) == 0);
  take("TCP, shut for writing", server);
  close(client);
  take("TCP, shut for writing, the peer closed", server);
  close(server);
  close(listener);
}

/* socket_sigio datagrams | connection */
int main(int argc, char **argv) {
  CHECK(argc == 2);
  setvbuf(stdout, NULL, _IOLBF, 0);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGIO);
  sigaddset(&set, CHOSEN);
  CHECK(sigprocmask(SIG_BLOCK, &set, NULL) == 0);
  if (strcmp(argv[1], "datagrams") == 0) {
    datagrams(0, 0, "UDP, two datagrams, SIGIO");
    datagrams(CHOSEN, 0, "UDP, two datagrams, F_SETSIG");
    datagrams(CHOSEN, 1, "UDP, two datagrams, F_SETSIG, O_ASYNC by FIOASYNC");
    datagrams(0, 2, "UDP, two datagrams, SIGIO, this thread the owner");
    datagrams(CHOSEN, 2, "UDP, two datagrams, F_SETSIG, this thread the owner");
    from_a_signalfd();
  } else {
    CHECK(strcmp(argv[1], "connection") == 0);
    connection();
  }
  printf("EXIT-SUCCESS\n");
  return 0;
}
