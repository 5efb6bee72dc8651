/* What a program learns of its machine's network interfaces, printed one
 * line per fact: `ioctls` asks a UDP socket (SIOCGIFCONF, then SIOCGIF* of
 * each name, SIOCGIFNAME of each index, unknown names and indexes),
 * `getifaddrs` prints what glibc's getifaddrs (netlink) lists. */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <stdio.h>
#include <string.h>
#include <linux/netlink.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"

static const char *ipv4(const struct sockaddr *address) {
  static char text[4][INET_ADDRSTRLEN];
  static int next;
  char *out = text[next++ % 4];
  if (address == NULL) return "none";
  if (address->sa_family != AF_INET) {
    snprintf(out, INET_ADDRSTRLEN, "family%d", address->sa_family);
    return out;
  }
  inet_ntop(AF_INET, &((const struct sockaddr_in *)address)->sin_addr, out, INET_ADDRSTRLEN);
  return out;
}

static void mac(const unsigned char *bytes, int length, char *out) {
  out[0] = 0;
  for (int i = 0; i < length; i++) sprintf(out + strlen(out), i ? ":%02x" : "%02x", bytes[i]);
}

/* A call expected to fail: its result and errno, in that order. */
static void failure(const char *what, int result) {
  printf("%s %d errno %s\n", what, result, strerror(errno));
}

static void describe(int fd, const char *name) {
  struct ifreq request;
  memset(&request, 0, sizeof request);
  strncpy(request.ifr_name, name, IFNAMSIZ - 1);
  CHECK(ioctl(fd, SIOCGIFFLAGS, &request) == 0);
  printf("%s flags 0x%x", name, (unsigned short)request.ifr_flags);
  CHECK(ioctl(fd, SIOCGIFINDEX, &request) == 0);
  printf(" index %d", request.ifr_ifindex);
  CHECK(ioctl(fd, SIOCGIFMTU, &request) == 0);
  printf(" mtu %d", request.ifr_mtu);
  CHECK(ioctl(fd, SIOCGIFADDR, &request) == 0);
  printf(" addr %s", ipv4(&request.ifr_addr));
  CHECK(ioctl(fd, SIOCGIFNETMASK, &request) == 0);
  printf(" netmask %s", ipv4(&request.ifr_netmask));
  CHECK(ioctl(fd, SIOCGIFBRDADDR, &request) == 0);
  printf(" brd %s", ipv4(&request.ifr_broadaddr));
  CHECK(ioctl(fd, SIOCGIFHWADDR, &request) == 0);
  char hardware[32];
  mac((const unsigned char *)request.ifr_hwaddr.sa_data, 6, hardware);
  printf(" hw %d %s\n", request.ifr_hwaddr.sa_family, hardware);
}

static void ioctls(void) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  CHECK(fd >= 0);
  struct ifconf list = {.ifc_len = 0, .ifc_buf = NULL};
  CHECK(ioctl(fd, SIOCGIFCONF, &list) == 0);
  printf("SIOCGIFCONF needs %d bytes, %zu per entry\n", list.ifc_len, sizeof(struct ifreq));
  struct ifreq entries[16];
  list.ifc_len = sizeof entries;
  list.ifc_req = entries;
  CHECK(ioctl(fd, SIOCGIFCONF, &list) == 0);
  int count = list.ifc_len / (int)sizeof(struct ifreq);
  for (int i = 0; i < count; i++) {
    printf("SIOCGIFCONF %s %s\n", entries[i].ifr_name, ipv4(&entries[i].ifr_addr));
    describe(fd, entries[i].ifr_name);
  }
  /* Room for one entry only: one entry, and ifc_len says so. */
  list.ifc_len = sizeof(struct ifreq) + 10;
  CHECK(ioctl(fd, SIOCGIFCONF, &list) == 0);
  printf("SIOCGIFCONF with room for one: %d bytes, first %s\n", list.ifc_len, entries[0].ifr_name);

  struct ifreq request;
  memset(&request, 0, sizeof request);
  request.ifr_ifindex = 1;
  CHECK(ioctl(fd, SIOCGIFNAME, &request) == 0);
  printf("SIOCGIFNAME 1 %s\n", request.ifr_name);
  request.ifr_ifindex = 9999;
  failure("SIOCGIFNAME 9999", ioctl(fd, SIOCGIFNAME, &request));
  memset(&request, 0, sizeof request);
  strcpy(request.ifr_name, "nosuch0");
  failure("SIOCGIFINDEX nosuch0", ioctl(fd, SIOCGIFINDEX, &request));
  failure("SIOCGIFADDR nosuch0", ioctl(fd, SIOCGIFADDR, &request));
  strcpy(request.ifr_name, "lo");
  int ends[2];
  CHECK(pipe(ends) == 0);
  failure("SIOCGIFFLAGS on a pipe", ioctl(ends[0], SIOCGIFFLAGS, &request));
  int epoll = epoll_create1(0);
  CHECK(epoll >= 0);
  failure("SIOCGIFFLAGS on an epoll instance", ioctl(epoll, SIOCGIFFLAGS, &request));
  int route = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
  CHECK(route >= 0);
  CHECK(ioctl(route, SIOCGIFINDEX, &request) == 0);
  printf("SIOCGIFINDEX lo on a netlink socket %d\n", request.ifr_ifindex);
  failure("SIOCGIFFLAGS on a closed descriptor", ioctl(999, SIOCGIFFLAGS, &request));
  failure("SIOCGIFFLAGS at a bad address", ioctl(fd, SIOCGIFFLAGS, (void *)16));
  close(fd);
}

static void list_ifaddrs(void) {
  struct ifaddrs *all;
  CHECK(getifaddrs(&all) == 0);
  for (struct ifaddrs *entry = all; entry != NULL; entry = entry->ifa_next) {
    int family = entry->ifa_addr == NULL ? -1 : entry->ifa_addr->sa_family;
    printf("%s flags 0x%x", entry->ifa_name, entry->ifa_flags);
    if (family == AF_INET) {
      printf(" inet %s netmask %s", ipv4(entry->ifa_addr), ipv4(entry->ifa_netmask));
      printf(" %s %s", (entry->ifa_flags & IFF_BROADCAST) ? "brd" : "dst", ipv4(entry->ifa_broadaddr));
    } else if (family == AF_INET6) {
      char address[INET6_ADDRSTRLEN], netmask[INET6_ADDRSTRLEN];
      inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)entry->ifa_addr)->sin6_addr, address, sizeof address);
      inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)entry->ifa_netmask)->sin6_addr, netmask, sizeof netmask);
      printf(" inet6 %s netmask %s", address, netmask);
    } else if (family == AF_PACKET) {
      const struct sockaddr_ll *link = (const struct sockaddr_ll *)entry->ifa_addr;
      char hardware[32];
      mac(link->sll_addr, link->sll_halen, hardware);
      printf(" packet index %d type %d hw %s", link->sll_ifindex, link->sll_hatype, hardware);
      printf(" stats %s", entry->ifa_data != NULL ? "yes" : "no");
    } else {
      printf(" family %d", family);
    }
    printf("\n");
  }
  freeifaddrs(all);
}

int main(int argc, char **argv) {
  CHECK(argc == 2);
  if (strcmp(argv[1], "ioctls") == 0) ioctls();
  else if (strcmp(argv[1], "getifaddrs") == 0) list_ifaddrs();
  else CHECK(!"the argument is ioctls or getifaddrs");
  printf("EXIT-SUCCESS\n");
  return 0;
}
