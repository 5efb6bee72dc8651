/* resolve_families NAME...
 *
 * Every address getaddrinfo gives for each NAME (SOCK_STREAM), in its
 * order, asked for AF_UNSPEC (with and without AI_ADDRCONFIG), AF_INET and
 * AF_INET6 (plain, AI_V4MAPPED, AI_V4MAPPED|AI_ALL): what a program sees of
 * a name with an IPv4 and an IPv6 address. Runs natively and under
 * simterpose on machines with the same addresses and /etc/hosts: the outputs
 * must match. */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <sys/socket.h>

static void show(const char *name, int family, int flags, const char *asked) {
  struct addrinfo hints = {.ai_family = family, .ai_socktype = SOCK_STREAM, .ai_flags = flags}, *found;
  int status = getaddrinfo(name, NULL, &hints, &found);
  printf("%s %s:", name, asked);
  if (status != 0) {
    printf(" %s\n", gai_strerror(status));
    return;
  }
  for (struct addrinfo *each = found; each != NULL; each = each->ai_next) {
    char text[INET6_ADDRSTRLEN];
    const void *bytes = each->ai_family == AF_INET6 ? (const void *)&((struct sockaddr_in6 *)each->ai_addr)->sin6_addr
                                                     : (const void *)&((struct sockaddr_in *)each->ai_addr)->sin_addr;
    printf(" %s", inet_ntop(each->ai_family, bytes, text, sizeof text));
  }
  printf("\n");
  freeaddrinfo(found);
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    show(argv[i], AF_UNSPEC, 0, "AF_UNSPEC");
    show(argv[i], AF_UNSPEC, AI_ADDRCONFIG, "AF_UNSPEC AI_ADDRCONFIG");
    show(argv[i], AF_INET, 0, "AF_INET");
    show(argv[i], AF_INET6, 0, "AF_INET6");
    show(argv[i], AF_INET6, AI_V4MAPPED, "AF_INET6 AI_V4MAPPED");
    show(argv[i], AF_INET6, AI_V4MAPPED | AI_ALL, "AF_INET6 AI_V4MAPPED AI_ALL");
  }
  printf("EXIT-SUCCESS\n");
  return 0;
}
