/* Shared by the TCP clients among the test programs: a host name and port,
 * resolved as a program would (getaddrinfo: /etc/hosts, then DNS). */
#ifndef SIMTERPOSE_TEST_NET_RESOLVE_H
#define SIMTERPOSE_TEST_NET_RESOLVE_H

#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static inline struct sockaddr_in resolve(const char *host, const char *port) {
  struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *found;
  int status = getaddrinfo(host, port, &hints, &found);
  if (status != 0) {
    printf("getaddrinfo %s: %s\n", host, gai_strerror(status));
    exit(1);
  }
  struct sockaddr_in address;
  memcpy(&address, found->ai_addr, sizeof address);
  freeaddrinfo(found);
  return address;
}

#endif
