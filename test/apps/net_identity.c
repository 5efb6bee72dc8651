/* net_identity <peer host> <unknown name>
 *
 * Who am I on the network: gethostname(), uname's nodename, the IPv4
 * address getaddrinfo gives for my own name and for <peer host>, the name
 * getnameinfo gives back for the peer's address, and the getaddrinfo error
 * for <unknown name> (EAI_NONAME). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "check.h"

static const char *gai_name(int status) {
  switch (status) {
  case 0: return "no error";
  case EAI_NONAME: return "EAI_NONAME";
  case EAI_AGAIN: return "EAI_AGAIN";
  case EAI_FAIL: return "EAI_FAIL";
  case EAI_NODATA: return "EAI_NODATA";
  case EAI_SYSTEM: return "EAI_SYSTEM";
  default: return gai_strerror(status);
  }
}

/* Prints the first IPv4 address of `name`; returns getaddrinfo's status. */
static int print_address(const char *label, const char *name, struct in_addr *address) {
  struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *found;
  int status = getaddrinfo(name, NULL, &hints, &found);
  if (status != 0) {
    printf("%s %s: %s\n", label, name, gai_name(status));
    return status;
  }
  struct in_addr first = ((struct sockaddr_in *)found->ai_addr)->sin_addr;
  printf("%s %s: %s\n", label, name, inet_ntoa(first));
  if (address != NULL) *address = first;
  freeaddrinfo(found);
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: net_identity <peer host> <unknown name>\n");
    return 2;
  }
  char name[256];
  CHECK(gethostname(name, sizeof name) == 0);
  printf("hostname: %s\n", name);
  struct utsname uts;
  CHECK(uname(&uts) == 0);
  printf("uname nodename: %s\n", uts.nodename);

  int failures = 0;
  failures += print_address("own address", name, NULL) != 0;
  struct in_addr peer;
  int peer_status = print_address("peer address", argv[1], &peer);
  failures += peer_status != 0;
  if (peer_status == 0) {
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr = peer};
    char host[NI_MAXHOST];
    int status = getnameinfo((struct sockaddr *)&address, sizeof address, host, sizeof host, NULL, 0, NI_NAMEREQD);
    printf("peer name from its address: %s\n", status == 0 ? host : gai_name(status));
    failures += status != 0;
  }
  failures += print_address("unknown name", argv[2], NULL) != EAI_NONAME;
  CHECK(failures == 0);
  printf("EXIT-SUCCESS\n");
  return 0;
}
