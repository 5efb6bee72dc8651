/* Every way a program names another process, tried on several targets,
 * each line printing what every call answered ("ok" or the errno's name):
 *
 *   reach OUTSIDE MISSING [attach]
 *
 * Targets: the program itself, a child it forked, its parent, OUTSIDE (a
 * pid the caller says is a process outside the run), MISSING (a pid no
 * process has), 0 and -5. Natively the parent and OUTSIDE are reachable
 * (the tests run as root); under simterpose the parent is pid 1, out of
 * reach (EPERM), and OUTSIDE is no process at all (ESRCH). Then every
 * numbered entry of /proc is tried: under simterpose none but the
 * program's own can be reached. /proc/PID files are opened every way a
 * path can lead there: directly, relative to a descriptor of /proc,
 * through a symbolic link, through /proc/self/root.
 *
 * With `attach` (for simterpose only: natively it would stop the process it
 * attaches to, and change this machine's mounts), PTRACE_ATTACH is tried
 * too, and so are a new proc file system and a bind mount of /proc/OUTSIDE
 * (unmounted at once).
 *
 * Signals sent are signal 0 (nothing is delivered), memory accesses are at
 * address 0 (EFAULT when the process may be reached, nothing is copied). */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static bool try_attach;
static int owned_pipe[2];
static int proc_fd;
static char link_dir[64];

static const char *answer(long result) {
  if (result >= 0) return "ok";
  const char *name = strerrorname_np(errno);
  return name == NULL ? "?" : name;
}

/* Calls whose result is -1 with errno, or anything else for success. */
#define ANSWER(call) (errno = 0, answer((call) == -1 ? -1 : 0))

static long vm_access(pid_t pid, int write) {
  char byte = 0;
  struct iovec local = {&byte, 1};
  struct iovec remote = {NULL, 1};
  return syscall(write ? SYS_process_vm_writev : SYS_process_vm_readv, pid, &local, 1, &remote, 1, 0);
}

static long perf_open(pid_t pid) {
  struct perf_event_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.size = sizeof attr;
  attr.type = PERF_TYPE_SOFTWARE;
  attr.config = PERF_COUNT_SW_TASK_CLOCK;
  attr.exclude_kernel = 1;
  attr.disabled = 1;
  long fd = syscall(SYS_perf_event_open, &attr, pid, -1, -1, 0);
  if (fd >= 0) close(fd);
  return fd;
}

static const char *pidfd_answers(pid_t pid, const char **sent) {
  long fd = syscall(SYS_pidfd_open, pid, 0);
  const char *opened = answer(fd);
  *sent = "-";
  if (fd >= 0) {
    *sent = ANSWER(syscall(SYS_pidfd_send_signal, fd, 0, NULL, 0));
    close(fd);
  }
  return opened;
}

static const char *owner_answer(pid_t pid) {
  if (pid <= 0) return "-";
  if (fcntl(owned_pipe[0], F_SETOWN, pid) == -1) return answer(-1);
  pid_t owner = fcntl(owned_pipe[0], F_GETOWN);
  CHECK(fcntl(owned_pipe[0], F_SETOWN, 0) == 0);
  return owner == pid ? "ok" : "wrong-owner";
}

/* /proc/PID/FILE opened by its path, relative to a descriptor of /proc, through a symbolic link, and from /proc/self/root. */
static void proc_answers(pid_t pid) {
  char path[128], relative[64], link[128], rooted[128];
  snprintf(path, sizeof path, "/proc/%d/status", pid);
  snprintf(relative, sizeof relative, "%d/status", pid);
  snprintf(link, sizeof link, "%s/mem", link_dir);
  snprintf(rooted, sizeof rooted, "/proc/self/root/proc/%d/status", pid);
  char mem[128];
  snprintf(mem, sizeof mem, "/proc/%d/mem", pid);
  unlink(link);
  CHECK(symlink(mem, link) == 0);
  int fd;
  printf(" proc_status=%s", ANSWER(fd = open(path, O_RDONLY)));
  if (fd >= 0) close(fd);
  printf(" proc_mem=%s", ANSWER(fd = open(mem, O_RDWR)));
  if (fd >= 0) close(fd);
  printf(" proc_at=%s", ANSWER(fd = openat(proc_fd, relative, O_RDONLY)));
  if (fd >= 0) close(fd);
  printf(" proc_link=%s", ANSWER(fd = open(link, O_RDONLY)));
  if (fd >= 0) close(fd);
  printf(" proc_root=%s", ANSWER(fd = open(rooted, O_RDONLY)));
  if (fd >= 0) close(fd);
}

static void report(const char *label, pid_t pid) {
  siginfo_t info;
  memset(&info, 0, sizeof info);
  info.si_code = SI_QUEUE;
  info.si_pid = getpid();
  const char *pidfd_sent;
  const char *pidfd = pidfd_answers(pid, &pidfd_sent);
  struct rlimit limit;
  struct sched_param param;
  cpu_set_t cpus;
  void *head;
  size_t head_length;
  printf("%s:", label);
  /* kill(-5) would signal a group of this machine natively: only pids. */
  printf(" kill=%s", pid > 0 ? ANSWER(kill(pid, 0)) : "-");
  printf(" sigqueue=%s", ANSWER(syscall(SYS_rt_sigqueueinfo, pid, 0, &info)));
  printf(" tgkill=%s", ANSWER(syscall(SYS_tgkill, pid, pid, 0)));
  printf(" tkill=%s", ANSWER(syscall(SYS_tkill, pid, 0)));
  printf(" pidfd_open=%s pidfd_send_signal=%s", pidfd, pidfd_sent);
  printf(" vm_readv=%s", ANSWER(vm_access(pid, 0)));
  printf(" vm_writev=%s", ANSWER(vm_access(pid, 1)));
  printf(" kcmp=%s", ANSWER(syscall(SYS_kcmp, pid, getpid(), KCMP_VM, 0, 0)));
  printf(" prlimit=%s", ANSWER(prlimit(pid, RLIMIT_NOFILE, NULL, &limit)));
  printf(" getpgid=%s", ANSWER(getpgid(pid)));
  printf(" getsid=%s", ANSWER(getsid(pid)));
  printf(" sched_getparam=%s", ANSWER(sched_getparam(pid, &param)));
  printf(" sched_getaffinity=%s", ANSWER(sched_getaffinity(pid, sizeof cpus, &cpus)));
  printf(" getpriority=%s", ANSWER(syscall(SYS_getpriority, PRIO_PROCESS, pid)));
  printf(" get_robust_list=%s", ANSWER(syscall(SYS_get_robust_list, pid, &head, &head_length)));
  printf(" perf_event_open=%s", ANSWER(perf_open(pid)));
  printf(" f_setown=%s", owner_answer(pid));
  printf(" ptrace_peek=%s", ANSWER(syscall(SYS_ptrace, PTRACE_PEEKDATA, pid, 0, 0)));
  if (try_attach) printf(" ptrace_attach=%s", ANSWER(ptrace(PTRACE_ATTACH, pid, 0, 0)));
  proc_answers(pid);
  printf("\n");
  fflush(stdout);
}

/* Every numbered entry of /proc but the program's own ids: whether there are any, and how many each call reaches. */
static void scan(pid_t self, pid_t child) {
  DIR *proc = opendir("/proc");
  CHECK(proc != NULL);
  int candidates = 0, killed = 0, pidfds = 0, read_memory = 0, opened = 0;
  struct dirent *entry;
  while ((entry = readdir(proc)) != NULL) {
    char *end;
    long pid = strtol(entry->d_name, &end, 10);
    if (*end != '\0' || pid <= 0 || pid == self || pid == child) continue;
    candidates++;
    if (kill(pid, 0) == 0) killed++;
    long fd = syscall(SYS_pidfd_open, pid, 0);
    if (fd >= 0) {
      pidfds++;
      close(fd);
    }
    if (vm_access(pid, 0) == -1 && errno == EFAULT) read_memory++;
    char status[64];
    snprintf(status, sizeof status, "%ld/status", pid);
    int status_fd = openat(proc_fd, status, O_RDONLY);
    if (status_fd >= 0) {
      opened++;
      close(status_fd);
    }
  }
  closedir(proc);
  printf("scan: %s listed, reached by kill %d, by pidfd_open %d, memory of %d, /proc of %d\n", candidates > 0 ? "others" : "none", killed, pidfds,
         read_memory, opened);
}

/* A fresh proc file system, and OUTSIDE's /proc directory bound elsewhere, each at a new directory. */
static void mounts(pid_t outside) {
  char target[] = "/tmp/reach-mount-XXXXXX";
  CHECK(mkdtemp(target) != NULL);
  int mounted = mount("proc", target, "proc", 0, NULL);
  printf("mount proc=%s", answer(mounted));
  if (mounted == 0) CHECK(umount(target) == 0);
  char source[64], status[96];
  snprintf(source, sizeof source, "/proc/%d", outside);
  snprintf(status, sizeof status, "%s/status", target);
  mounted = mount(source, target, NULL, MS_BIND, NULL);
  printf(" bind=%s", answer(mounted));
  if (mounted == 0) {
    int fd;
    printf(" bound_status=%s", ANSWER(fd = open(status, O_RDONLY)));
    if (fd >= 0) close(fd);
    CHECK(umount(target) == 0);
  }
  CHECK(rmdir(target) == 0);
  printf("\n");
}

static volatile sig_atomic_t woken;

static void on_usr1(int signal) {
  (void)signal;
  woken = 1;
}

/* A child waiting in pause() wakes for a signal sent through its pidfd,
 * while its parent goes on running: it polls a pipe the child writes to
 * once woken. */
static void pidfd_wakes(void) {
  struct sigaction action = {0};
  action.sa_handler = on_usr1;
  CHECK(sigaction(SIGUSR1, &action, NULL) == 0);
  int woke[2];
  CHECK(pipe2(woke, O_NONBLOCK) == 0);
  pid_t child = fork();
  CHECK(child >= 0);
  if (child == 0) {
    while (!woken) pause();
    CHECK(write(woke[1], "w", 1) == 1);
    _exit(5);
  }
  long fd = syscall(SYS_pidfd_open, child, 0);
  CHECK(fd >= 0);
  CHECK(syscall(SYS_pidfd_send_signal, fd, SIGUSR1, NULL, 0) == 0);
  char byte;
  while (read(woke[0], &byte, 1) != 1) CHECK(errno == EAGAIN);
  int status;
  CHECK(waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 5);
  printf("pidfd_send_signal woke a pausing child\n");
}

int main(int argc, char **argv) {
  CHECK(argc >= 3);
  pid_t outside = atoi(argv[1]);
  pid_t missing = atoi(argv[2]);
  try_attach = argc > 3 && strcmp(argv[3], "attach") == 0;
  CHECK(pipe(owned_pipe) == 0);
  proc_fd = open("/proc", O_RDONLY | O_DIRECTORY);
  CHECK(proc_fd >= 0);
  strcpy(link_dir, "/tmp/reach-XXXXXX");
  CHECK(mkdtemp(link_dir) != NULL);

  pid_t child = fork();
  CHECK(child >= 0);
  if (child == 0) {
    for (;;) pause();
  }
  report("self", getpid());
  report("child", child);
  report("parent", getppid());
  report("outside", outside);
  report("missing", missing);
  report("zero", 0);
  report("negative", -5);
  scan(getpid(), child);
  if (try_attach) mounts(outside);
  CHECK(kill(child, SIGKILL) == 0);
  CHECK(waitpid(child, NULL, 0) == child);
  pidfd_wakes();
  char link[128];
  snprintf(link, sizeof link, "%s/mem", link_dir);
  CHECK(unlink(link) == 0 && rmdir(link_dir) == 0);
  printf("EXIT-SUCCESS\n");
  return 0;
}
