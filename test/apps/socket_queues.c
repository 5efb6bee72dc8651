/* SIOCINQ (FIONREAD), SIOCOUTQ and SIOCOUTQNSD on TCP and UDP sockets
 * through their lives: none on a listener (EINVAL), a connection's bytes
 * unread (its FIN not counted), a UDP socket's next datagram, and no
 * SIOCOUTQNSD for UDP (ENOTTY). */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "net_address.h"

#define SETTLE_US 20000

static void show(const char *what, int fd) {
  const unsigned long requests[] = {SIOCINQ, SIOCOUTQ, SIOCOUTQNSD};
  const char *names[] = {"SIOCINQ", "SIOCOUTQ", "SIOCOUTQNSD"};
  printf("%s:", what);
  for (int i = 0; i < 3; i++) {
    int value = -7;
    if (ioctl(fd, requests[i], &value) < 0)
      printf(" %s=%s", names[i], strerrorname_np(errno));
    else
      printf(" %s=%d", names[i], value);
  }
  printf("\n");
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(listener >= 0);
  show("tcp fresh", listener);
  struct sockaddr_in address = in4("127.0.0.1", 47201);
  int one = 1;
  CHECK(setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0);
  CHECK(bind(listener, (struct sockaddr *)&address, sizeof address) == 0);
  CHECK(listen(listener, 4) == 0);
  show("tcp listener", listener);
  int client = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(connect(client, (struct sockaddr *)&address, sizeof address) == 0);
  int server = accept(listener, NULL, NULL);
  CHECK(server >= 0);
  CHECK(write(client, "hello world", 11) == 11);
  usleep(SETTLE_US);
  show("tcp client after its write", client);
  show("tcp server with bytes unread", server);
  CHECK(shutdown(client, SHUT_WR) == 0);
  usleep(SETTLE_US);
  show("tcp server with the FIN too", server);
  char bytes[64];
  CHECK(read(server, bytes, sizeof bytes) == 11);
  show("tcp server all read", server);

  int udp = socket(AF_INET, SOCK_DGRAM, 0);
  CHECK(udp >= 0);
  show("udp fresh", udp);
  struct sockaddr_in udp_address = in4("127.0.0.1", 47202);
  CHECK(bind(udp, (struct sockaddr *)&udp_address, sizeof udp_address) == 0);
  int sender = socket(AF_INET, SOCK_DGRAM, 0);
  CHECK(sendto(sender, "abc", 3, 0, (struct sockaddr *)&udp_address, sizeof udp_address) == 3);
  CHECK(sendto(sender, "defgh", 5, 0, (struct sockaddr *)&udp_address, sizeof udp_address) == 5);
  usleep(SETTLE_US);
  show("udp with two datagrams waiting", udp);
  show("udp sender", sender);
  printf("EXIT-SUCCESS\n");
  return 0;
}
