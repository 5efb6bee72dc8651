/*
 * link-emulator: the fidelity suite's reference link. This kernel has no
 * sch_netem, so two (or three) network namespaces are joined through TAP
 * devices by this relay, which plays one full-duplex link of latency L and
 * bandwidth B between a "right" port (the server's side) and one or more
 * "left" ports (clients' sides, as if joined by a switch before the link).
 *
 * Per direction, as a real link with a drop-tail router queue in front:
 *   - each frame occupies the wire for (frame + 4 FCS + 8 preamble + 12
 *     inter-frame gap) * 8 / B seconds, frames one after another;
 *   - frames waiting for the wire form a FIFO bounded at one bandwidth-delay
 *     product (B * 2L) plus 100 frames; a frame arriving at a full queue is dropped;
 *   - a frame leaves the far end L after its last bit went onto the wire.
 * Releases are timed on CLOCK_MONOTONIC: the relay sleeps until ~300 us
 * before the next release and busy-waits the rest, so that scheduler wake-up
 * delays do not add to L. It runs under SCHED_FIFO, so that the machine's
 * other work never delays its wake-ups (a busy machine's ordinary processes
 * kept a nice -10 relay from the CPU for up to tens of ms, which added to L
 * and made the sender's TAP device drop frames); where real-time scheduling
 * is refused, at nice -10.
 *
 * Usage: link-emulator LATENCY_US RATE_BYTES_PER_S RIGHT_TAP LEFT_TAP [LEFT_TAP...]
 * Creates the TAP devices in the current network namespace, prints "ready"
 * on stdout once they exist (the caller then moves them into namespaces),
 * and relays until SIGTERM or SIGINT, or until its parent dies; then prints
 * per direction on stderr how many frames it relayed, dropped, and released
 * late (over 100 us after their time: the relay was kept from the CPU).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define MAX_PORTS 4
#define FRAME_MAX 1536      /* a 1500-byte MTU frame with its 14-byte header, rounded up */
#define ETH_HEADER 14
#define ETH_MIN_FRAME 60    /* shorter frames are padded on the wire (64 with the FCS) */
#define WIRE_OVERHEAD (4 + 8 + 12) /* FCS, preamble and start delimiter, inter-frame gap */
#define QUEUE_SLACK_FRAMES 100
#define SPIN_NS 300000LL
#define RELAY_NICE -10
#define RELAY_RT_PRIORITY 10 /* above every ordinary process; the kernel's own threads run at 50 */
#define LATE_NS 100000LL

struct frame {
  int64_t wire_done_ns; /* when its last bit is on the wire */
  int64_t release_ns;   /* when it leaves the far end */
  int length;
  unsigned char bytes[FRAME_MAX];
};

/* One direction of the link: frames from any of its input ports go out on its output side. */
struct direction {
  const char *name;
  struct frame *ring;
  long capacity;        /* frames held at once: waiting for the wire and in flight */
  long head, count;     /* oldest frame, number held */
  long serialized;      /* how many of the oldest frames are fully on the wire (they only wait for L) */
  long waiting_limit;   /* frames waiting for the wire (not yet fully serialized) */
  int64_t wire_free_ns; /* when the wire is free for the next frame */
  long relayed, dropped;
  long late;            /* frames released more than LATE_NS after their time: the relay fell behind */
  int64_t latest_ns;    /* the worst such delay */
};

static int port_fd[MAX_PORTS];
static int port_count;
static unsigned char left_mac[MAX_PORTS][6]; /* learned source address of each left port */
static int left_mac_known[MAX_PORTS];
static int64_t latency_ns;
static double rate_bytes_per_ns;
static volatile sig_atomic_t stopping;

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void on_signal(int signo) {
  (void)signo;
  stopping = 1;
}

static int open_tap(const char *name) {
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    perror("link-emulator: /dev/net/tun");
    exit(1);
  }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  /* No packet-information header and no virtio header: the kernel hands over
   * plain Ethernet frames, already segmented to the MTU (no GSO without a vnet header). */
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
  snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    fprintf(stderr, "link-emulator: creating TAP %s: %s\n", name, strerror(errno));
    exit(1);
  }
  return fd;
}

static void direction_init(struct direction *dir, const char *name) {
  double frame_wire_bytes = FRAME_MAX + WIRE_OVERHEAD;
  double one_way_frames = rate_bytes_per_ns * (double)latency_ns / frame_wire_bytes;
  dir->name = name;
  dir->waiting_limit = (long)(2 * one_way_frames) + QUEUE_SLACK_FRAMES;
  /* Frames in flight (at most one-way BDP of full-size ones, more of small
   * ones: room for a generous multiple) plus the queue. */
  dir->capacity = dir->waiting_limit + (long)(8 * one_way_frames) + 1024;
  dir->ring = calloc((size_t)dir->capacity, sizeof(struct frame));
  if (dir->ring == NULL) {
    fprintf(stderr, "link-emulator: out of memory for %ld frames\n", dir->capacity);
    exit(1);
  }
  dir->head = dir->count = dir->serialized = 0;
  dir->wire_free_ns = 0;
  dir->relayed = dir->dropped = dir->late = 0;
  dir->latest_ns = 0;
}

static struct frame *direction_slot(struct direction *dir, long index) {
  return &dir->ring[(dir->head + index) % dir->capacity];
}

/* Frames not yet fully on the wire: the newest ones, since the wire serves them in order. */
static long direction_waiting(struct direction *dir, int64_t now) {
  while (dir->serialized < dir->count && direction_slot(dir, dir->serialized)->wire_done_ns <= now) dir->serialized++;
  return dir->count - dir->serialized;
}

/* Reads every frame available on fd into the direction, timing or dropping each. */
static void take_frames(struct direction *dir, int fd, int from_port) {
  for (;;) {
    if (dir->count == dir->capacity) {
      /* No room to read into: read to discard, as a full queue would. */
      unsigned char discard[FRAME_MAX];
      if (read(fd, discard, sizeof discard) <= 0) return;
      dir->dropped++;
      continue;
    }
    struct frame *slot = direction_slot(dir, dir->count);
    ssize_t n = read(fd, slot->bytes, sizeof slot->bytes);
    if (n <= 0) return;
    int64_t now = now_ns();
    if (from_port > 0) {
      memcpy(left_mac[from_port], slot->bytes + 6, 6);
      left_mac_known[from_port] = 1;
    }
    if (direction_waiting(dir, now) >= dir->waiting_limit) {
      dir->dropped++;
      continue;
    }
    int wire_bytes = (n < ETH_MIN_FRAME ? ETH_MIN_FRAME : (int)n) + WIRE_OVERHEAD;
    int64_t start = dir->wire_free_ns > now ? dir->wire_free_ns : now;
    slot->length = (int)n;
    slot->wire_done_ns = start + (int64_t)((double)wire_bytes / rate_bytes_per_ns + 0.5);
    slot->release_ns = slot->wire_done_ns + latency_ns;
    dir->wire_free_ns = slot->wire_done_ns;
    dir->count++;
  }
}

static void deliver(int fd, const struct frame *frame) {
  /* A TAP write hands the frame to the namespace's stack at once; it never waits. */
  if (write(fd, frame->bytes, (size_t)frame->length) < 0 && errno != EIO) perror("link-emulator: write");
}

/* Frames going left reach the port that sent from their destination address; broadcast and unknown ones reach every left port. */
static void deliver_left(const struct frame *frame) {
  int unicast = (frame->bytes[0] & 1) == 0;
  if (unicast) {
    for (int p = 1; p < port_count; p++) {
      if (left_mac_known[p] && memcmp(left_mac[p], frame->bytes, 6) == 0) {
        deliver(port_fd[p], frame);
        return;
      }
    }
  }
  for (int p = 1; p < port_count; p++) deliver(port_fd[p], frame);
}

static void release_due(struct direction *dir, int to_right, int64_t now) {
  while (dir->count > 0 && direction_slot(dir, 0)->release_ns <= now) {
    struct frame *frame = direction_slot(dir, 0);
    int64_t lateness = now - frame->release_ns;
    if (lateness > LATE_NS) dir->late++;
    if (lateness > dir->latest_ns) dir->latest_ns = lateness;
    if (to_right) deliver(port_fd[0], frame);
    else deliver_left(frame);
    dir->relayed++;
    dir->head = (dir->head + 1) % dir->capacity;
    dir->count--;
    if (dir->serialized > 0) dir->serialized--;
  }
}

int main(int argc, char **argv) {
  if (argc < 5 || argc - 3 > MAX_PORTS) {
    fprintf(stderr, "usage: link-emulator LATENCY_US RATE_BYTES_PER_S RIGHT_TAP LEFT_TAP [LEFT_TAP...] (at most %d ports)\n", MAX_PORTS);
    return 2;
  }
  latency_ns = atoll(argv[1]) * 1000LL;
  rate_bytes_per_ns = atof(argv[2]) / 1e9;
  if (latency_ns < 0 || rate_bytes_per_ns <= 0) {
    fprintf(stderr, "link-emulator: latency must be >= 0 and rate > 0\n");
    return 2;
  }
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  /* Ahead of ordinary processes for the CPU: a relay kept waiting by other
   * work reads frames late and releases them late, and the link slows down. */
  struct sched_param realtime = {.sched_priority = RELAY_RT_PRIORITY};
  const char *scheduling = "SCHED_FIFO";
  if (sched_setscheduler(0, SCHED_FIFO, &realtime) < 0) {
    setpriority(PRIO_PROCESS, 0, RELAY_NICE);
    scheduling = "nice -10 (SCHED_FIFO refused)";
  }
  /* Wake from ppoll when asked, not up to 50 us later (the default slack). */
  prctl(PR_SET_TIMERSLACK, 1UL);
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  port_count = argc - 3;
  for (int p = 0; p < port_count; p++) port_fd[p] = open_tap(argv[3 + p]);

  struct direction to_right, to_left;
  direction_init(&to_right, "left->right");
  direction_init(&to_left, "right->left");
  printf("ready\n");
  fflush(stdout);

  struct pollfd polled[MAX_PORTS];
  for (int p = 0; p < port_count; p++) polled[p] = (struct pollfd){.fd = port_fd[p], .events = POLLIN};

  while (!stopping) {
    int64_t now = now_ns();
    release_due(&to_right, 1, now);
    release_due(&to_left, 0, now);
    for (int p = 0; p < port_count; p++) take_frames(p == 0 ? &to_left : &to_right, port_fd[p], p);

    int64_t next = INT64_MAX;
    if (to_right.count > 0) next = direction_slot(&to_right, 0)->release_ns;
    if (to_left.count > 0 && direction_slot(&to_left, 0)->release_ns < next) next = direction_slot(&to_left, 0)->release_ns;
    int64_t wait = next == INT64_MAX ? -1 : next - now_ns() - SPIN_NS;
    if (wait > 0 || next == INT64_MAX) {
      struct timespec timeout = {.tv_sec = wait / 1000000000LL, .tv_nsec = wait % 1000000000LL};
      if (ppoll(polled, (nfds_t)port_count, next == INT64_MAX ? NULL : &timeout, NULL) < 0 && errno != EINTR) {
        perror("link-emulator: ppoll");
        return 1;
      }
    }
    /* Otherwise the next release is near: loop at once, reading frames as they come. */
  }
  fprintf(stderr, "link-emulator: scheduled %s\n", scheduling);
  const struct direction *directions[] = {&to_right, &to_left};
  for (int d = 0; d < 2; d++) {
    const struct direction *dir = directions[d];
    fprintf(stderr, "link-emulator: %s relayed %ld dropped %ld, released over %lld us late %ld (at worst %lld us)\n", dir->name, dir->relayed, dir->dropped,
            LATE_NS / 1000, dir->late, (long long)(dir->latest_ns / 1000));
  }
  return 0;
}
