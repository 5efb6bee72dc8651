/* /proc/net/if_inet6 and /proc/net/route describe the same interfaces as
 * getifaddrs (netlink): every IPv6 address with its interface, index and
 * prefix; every IPv4 subnet on the link as a route without gateway. Prints
 * whether the two views agree, which they do on any Linux. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "check.h"

static int prefix_of(const struct sockaddr *mask, int family) {
  const unsigned char *bytes = family == AF_INET6 ? ((const struct sockaddr_in6 *)mask)->sin6_addr.s6_addr
                                                  : (const unsigned char *)&((const struct sockaddr_in *)mask)->sin_addr;
  int length = family == AF_INET6 ? 16 : 4, bits = 0;
  for (int i = 0; i < length; i++) bits += __builtin_popcount(bytes[i]);
  return bits;
}

/* Whether /proc/net/if_inet6 holds this address, on this interface and index, with this prefix. */
static int listed6(const struct in6_addr *address, const char *name, int prefix) {
  FILE *file = fopen("/proc/net/if_inet6", "r");
  CHECK(file != NULL);
  char hex[33], device[32];
  unsigned index, length, scope, flags;
  int found = 0;
  while (fscanf(file, "%32s %x %x %x %x %31s", hex, &index, &length, &scope, &flags, device) == 6) {
    char wanted[33];
    for (int i = 0; i < 16; i++) sprintf(wanted + 2 * i, "%02x", address->s6_addr[i]);
    if (strcmp(hex, wanted) == 0 && strcmp(device, name) == 0 && index == if_nametoindex(name) && (int)length == prefix) found = 1;
  }
  fclose(file);
  return found;
}

/* Whether /proc/net/route holds the subnet of this address and mask on this interface, without gateway. */
static int routed(const char *name, unsigned network, unsigned mask) {
  FILE *file = fopen("/proc/net/route", "r");
  CHECK(file != NULL);
  char line[256];
  CHECK(fgets(line, sizeof line, file) != NULL);
  int found = 0;
  char device[32];
  unsigned destination, gateway, flags, route_mask;
  while (fgets(line, sizeof line, file) != NULL) {
    if (sscanf(line, "%31s %x %x %x %*d %*u %*d %x", device, &destination, &gateway, &flags, &route_mask) != 5) continue;
    if (strcmp(device, name) == 0 && destination == network && route_mask == mask && gateway == 0 && (flags & 1) != 0) found = 1;
  }
  fclose(file);
  return found;
}

int main(void) {
  struct ifaddrs *all;
  CHECK(getifaddrs(&all) == 0);
  int ipv6 = 0, ipv6_listed = 0, subnets = 0, subnets_routed = 0;
  for (struct ifaddrs *entry = all; entry != NULL; entry = entry->ifa_next) {
    if (entry->ifa_addr == NULL) continue;
    if (entry->ifa_addr->sa_family == AF_INET6) {
      ipv6++;
      ipv6_listed += listed6(&((struct sockaddr_in6 *)entry->ifa_addr)->sin6_addr, entry->ifa_name, prefix_of(entry->ifa_netmask, AF_INET6));
    } else if (entry->ifa_addr->sa_family == AF_INET && (entry->ifa_flags & IFF_LOOPBACK) == 0) {
      subnets++;
      unsigned address = ((struct sockaddr_in *)entry->ifa_addr)->sin_addr.s_addr;
      unsigned mask = ((struct sockaddr_in *)entry->ifa_netmask)->sin_addr.s_addr;
      subnets_routed += routed(entry->ifa_name, address & mask, mask);
    }
  }
  freeifaddrs(all);
  printf("IPv6 addresses: %s, each in /proc/net/if_inet6: %s\n", ipv6 > 0 ? "some" : "none", ipv6_listed == ipv6 ? "yes" : "no");
  printf("IPv4 subnets: %s, each in /proc/net/route: %s\n", subnets > 0 ? "some" : "none", subnets_routed == subnets ? "yes" : "no");
  printf("EXIT-SUCCESS\n");
  return 0;
}
