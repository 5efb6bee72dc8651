/* Shared by the test programs that name socket addresses: a sockaddr_in or
 * sockaddr_in6 from an address's text and a port. */
#ifndef SIMTERPOSE_TEST_NET_ADDRESS_H
#define SIMTERPOSE_TEST_NET_ADDRESS_H

#include <arpa/inet.h>
#include <netinet/in.h>

#include "check.h"

static inline struct sockaddr_in in4(const char *text, int port) {
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port)};
  CHECK(inet_pton(AF_INET, text, &address.sin_addr) == 1);
  return address;
}

static inline struct sockaddr_in6 in6(const char *text, int port) {
  struct sockaddr_in6 address = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
  CHECK(inet_pton(AF_INET6, text, &address.sin6_addr) == 1);
  return address;
}

#endif
