/* Futexes beyond one process's private words, printed step by step so that
 * a native run and one under simterpose can be compared line for line:
 * words in shared memory wake across processes and across two mappings of
 * one file; process-shared semaphores, mutexes and condition variables;
 * FUTEX_REQUEUE and FUTEX_CMP_REQUEUE counts; priority-inheritance mutexes
 * (contended, timed, across processes) and the raw PI operations' answers;
 * FUTEX_WAIT_REQUEUE_PI with FUTEX_CMP_REQUEUE_PI. */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "semantics.h"

static long futex(uint32_t *word, int op, uint32_t value, const struct timespec *timeout, uint32_t *word2, uint32_t value3) {
  return syscall(SYS_futex, word, op, value, timeout, word2, value3);
}

static void *shared_page(void) {
  void *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  CHECK(page != MAP_FAILED);
  return page;
}

static int reap(pid_t child) {
  int status;
  CHECK(waitpid(child, &status, 0) == child);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* A child blocks on a shared word; the parent wakes it once it waits. */
static void across_processes(void) {
  uint32_t *word = shared_page();
  pid_t child = fork();
  CHECK(child >= 0);
  if (child == 0) {
    long result = futex(word, FUTEX_WAIT, 0, NULL, NULL, 0);
    _exit(result == 0 && word[0] == 1 ? 0 : 1);
  }
  nap(50);
  word[0] = 1;
  long woken = futex(word, FUTEX_WAKE, 1, NULL, NULL, 0);
  printf("shared word across processes: woke %ld, child %d\n", woken, reap(child));
  /* The same word with FUTEX_PRIVATE_FLAG is the process's own: nobody else's waiter. */
  word[0] = 0;
  child = fork();
  CHECK(child >= 0);
  if (child == 0) {
    long result = futex(word, FUTEX_WAIT, 0, NULL, NULL, 0);
    _exit(result == 0 ? 0 : 1);
  }
  nap(50);
  printf("private wake of another process's shared waiter: woke %ld\n", futex(word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0));
  woken = futex(word, FUTEX_WAKE, 1, NULL, NULL, 0);
  printf("shared wake: woke %ld, child %d\n", woken, reap(child));
}

static uint32_t *second_view;
static void *wait_on_view(void *arg) {
  (void)arg;
  return (void *)(intptr_t)futex(second_view, FUTEX_WAIT, 0, NULL, NULL, 0);
}

/* One file mapped twice: a waiter on one address, a wake on the other. */
static void two_mappings(void) {
  int fd = memfd_create("futex-word", 0);
  CHECK(fd >= 0);
  CHECK(ftruncate(fd, 4096) == 0);
  uint32_t *first = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  second_view = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  CHECK(first != MAP_FAILED && second_view != MAP_FAILED && first != second_view);
  pthread_t thread;
  CHECK(pthread_create(&thread, NULL, wait_on_view, NULL) == 0);
  nap(50);
  long woken = futex(first, FUTEX_WAKE, 1, NULL, NULL, 0);
  void *result;
  CHECK(pthread_join(thread, &result) == 0);
  printf("two mappings of one file: woke %ld, waiter returned %ld\n", woken, (long)(intptr_t)result);
  close(fd);
}

struct shared_sync {
  sem_t semaphore;
  pthread_mutex_t mutex;
  pthread_cond_t cond;
  int ready;
};

/* A semaphore, a mutex and a condition variable shared by two processes. */
static void process_shared_objects(void) {
  struct shared_sync *sync = shared_page();
  CHECK(sem_init(&sync->semaphore, 1, 0) == 0);
  pthread_mutexattr_t mutex_attr;
  pthread_condattr_t cond_attr;
  pthread_mutexattr_init(&mutex_attr);
  pthread_mutexattr_setpshared(&mutex_attr, PTHREAD_PROCESS_SHARED);
  pthread_condattr_init(&cond_attr);
  pthread_condattr_setpshared(&cond_attr, PTHREAD_PROCESS_SHARED);
  CHECK(pthread_mutex_init(&sync->mutex, &mutex_attr) == 0);
  CHECK(pthread_cond_init(&sync->cond, &cond_attr) == 0);
  pid_t child = fork();
  CHECK(child >= 0);
  if (child == 0) {
    CHECK(sem_wait(&sync->semaphore) == 0);
    pthread_mutex_lock(&sync->mutex);
    while (!sync->ready) pthread_cond_wait(&sync->cond, &sync->mutex);
    pthread_mutex_unlock(&sync->mutex);
    _exit(0);
  }
  nap(20);
  CHECK(sem_post(&sync->semaphore) == 0);
  nap(20);
  pthread_mutex_lock(&sync->mutex);
  sync->ready = 1;
  pthread_cond_signal(&sync->cond);
  pthread_mutex_unlock(&sync->mutex);
  printf("process-shared semaphore, mutex and condition variable: child %d\n", reap(child));
}

static uint32_t requeue_word = 0, requeue_target = 0;
static int waiting;
static void *wait_for_requeue(void *arg) {
  (void)arg;
  __atomic_add_fetch(&waiting, 1, __ATOMIC_SEQ_CST);
  return (void *)(intptr_t)futex(&requeue_word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
}

/* Three waiters: one woken, one moved, one left; then each queue woken. */
static void requeue_counts(int compare) {
  pthread_t threads[3];
  waiting = 0;
  for (int i = 0; i < 3; i++) CHECK(pthread_create(&threads[i], NULL, wait_for_requeue, NULL) == 0);
  while (__atomic_load_n(&waiting, __ATOMIC_SEQ_CST) < 3) nap(1);
  nap(50);
  int op = compare ? FUTEX_CMP_REQUEUE_PRIVATE : FUTEX_REQUEUE_PRIVATE;
  if (compare) printf("CMP_REQUEUE with a stale value: %s\n", outcome(futex(&requeue_word, op, 1, (void *)1, &requeue_target, 7)));
  long first = futex(&requeue_word, op, 1, (void *)1, &requeue_target, 0);
  nap(20);
  long target = futex(&requeue_target, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0);
  long rest = futex(&requeue_word, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0);
  for (int i = 0; i < 3; i++) CHECK(pthread_join(threads[i], NULL) == 0);
  printf("%s: returned %ld, then %ld on the target and %ld left\n", compare ? "CMP_REQUEUE" : "REQUEUE", first, target, rest);
}

static pthread_mutex_t pi_mutex;
static int pi_order[4], pi_steps;
static void *contend(void *arg) {
  CHECK(pthread_mutex_lock(&pi_mutex) == 0);
  pi_order[pi_steps++] = (int)(intptr_t)arg;
  CHECK(pthread_mutex_unlock(&pi_mutex) == 0);
  return NULL;
}

static void pi_mutexes(void) {
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  CHECK(pthread_mutexattr_setprotocol(&attr, PTHREAD_PRIO_INHERIT) == 0);
  CHECK(pthread_mutex_init(&pi_mutex, &attr) == 0);
  CHECK(pthread_mutex_lock(&pi_mutex) == 0);
  pthread_t threads[2];
  for (intptr_t i = 0; i < 2; i++) {
    CHECK(pthread_create(&threads[i], NULL, contend, (void *)(i + 1)) == 0);
    nap(20);
  }
  printf("PI mutex held: trylock %d (EBUSY %d), word has waiters %d\n", pthread_mutex_trylock(&pi_mutex), EBUSY,
         (*(uint32_t *)&pi_mutex.__data.__lock & FUTEX_WAITERS) != 0);
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_nsec += 100000000;
  if (deadline.tv_nsec >= 1000000000) deadline.tv_sec++, deadline.tv_nsec -= 1000000000;
  printf("PI mutex timedlock by its owner: %d (EDEADLK %d)\n", pthread_mutex_timedlock(&pi_mutex, &deadline), EDEADLK);
  pi_order[pi_steps++] = 0;
  CHECK(pthread_mutex_unlock(&pi_mutex) == 0);
  for (int i = 0; i < 2; i++) CHECK(pthread_join(threads[i], NULL) == 0);
  printf("PI mutex order: %d %d %d, word %u\n", pi_order[0], pi_order[1], pi_order[2], *(uint32_t *)&pi_mutex.__data.__lock);

  /* Across processes: the child times out on the parent's lock, then gets it once free. */
  pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
  pthread_mutex_t *shared = shared_page();
  CHECK(pthread_mutex_init(shared, &attr) == 0);
  CHECK(pthread_mutex_lock(shared) == 0);
  pid_t child = fork();
  CHECK(child >= 0);
  if (child == 0) {
    struct timespec soon;
    clock_gettime(CLOCK_REALTIME, &soon);
    soon.tv_nsec += 50000000;
    if (soon.tv_nsec >= 1000000000) soon.tv_sec++, soon.tv_nsec -= 1000000000;
    int timed = pthread_mutex_timedlock(shared, &soon);
    int locked = pthread_mutex_lock(shared);
    _exit(timed == ETIMEDOUT && locked == 0 ? 0 : 1);
  }
  nap(200);
  CHECK(pthread_mutex_unlock(shared) == 0);
  printf("PI mutex across processes: child %d\n", reap(child));
}

/* Each call made before its line is printed: printf's arguments are evaluated in no set order. */
static void raw_pi_answers(void) {
  uint32_t word = 0;
  uint32_t me = (uint32_t)gettid();
  const char *result = outcome(futex(&word, FUTEX_TRYLOCK_PI, 0, NULL, NULL, 0));
  printf("TRYLOCK_PI free: %s, owner me %d\n", result, word == me);
  printf("TRYLOCK_PI own: %s\n", outcome(futex(&word, FUTEX_TRYLOCK_PI, 0, NULL, NULL, 0)));
  printf("LOCK_PI own: %s\n", outcome(futex(&word, FUTEX_LOCK_PI, 0, NULL, NULL, 0)));
  result = outcome(futex(&word, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0));
  printf("UNLOCK_PI: %s, word %u\n", result, word);
  printf("UNLOCK_PI unowned: %s\n", outcome(futex(&word, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0)));
  word = 999999;
  result = outcome(futex(&word, FUTEX_TRYLOCK_PI, 0, NULL, NULL, 0));
  printf("TRYLOCK_PI, owner gone: %s, word waiters %d\n", result, (word & FUTEX_WAITERS) != 0);
  printf("UNLOCK_PI not owner: %s\n", outcome(futex(&word, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0)));
  printf("LOCK_PI misaligned: %s\n", outcome(futex((uint32_t *)((char *)&word + 1), FUTEX_LOCK_PI, 0, NULL, NULL, 0)));
  word = FUTEX_OWNER_DIED;
  result = outcome(futex(&word, FUTEX_LOCK_PI, 0, NULL, NULL, 0));
  printf("LOCK_PI of a dead owner's word: %s, owner me %d, owner died kept %d\n", result, (word & FUTEX_TID_MASK) == me, (word & FUTEX_OWNER_DIED) != 0);
  CHECK(futex(&word, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0) == 0);
}

static uint32_t condition_word, pi_word;
static long requeue_result;
static uint32_t requeued_owner;
static void *wait_requeue_pi(void *arg) {
  (void)arg;
  __atomic_add_fetch(&waiting, 1, __ATOMIC_SEQ_CST);
  requeue_result = futex(&condition_word, FUTEX_WAIT_REQUEUE_PI_PRIVATE, 0, NULL, &pi_word, 0);
  requeued_owner = pi_word & FUTEX_TID_MASK;
  uint32_t me = (uint32_t)gettid();
  if (requeue_result == 0) CHECK(futex(&pi_word, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0) == 0);
  return (void *)(intptr_t)(requeued_owner == me);
}

static void start_requeue_pi_waiter(pthread_t *thread) {
  waiting = 0;
  CHECK(pthread_create(thread, NULL, wait_requeue_pi, NULL) == 0);
  while (__atomic_load_n(&waiting, __ATOMIC_SEQ_CST) < 1) nap(1);
  nap(50);
}

static void requeue_pi(void) {
  pthread_t thread;
  void *owned;
  /* The PI futex is free: the waiter takes it and wakes. */
  start_requeue_pi_waiter(&thread);
  printf("CMP_REQUEUE_PI, target free: %s\n", outcome(futex(&condition_word, FUTEX_CMP_REQUEUE_PI_PRIVATE, 1, 0, &pi_word, 0)));
  CHECK(pthread_join(thread, &owned) == 0);
  printf("  waiter returned %ld owning it %ld\n", requeue_result, (long)(intptr_t)owned);
  /* The PI futex is held: the waiter is moved, and gets it when it is unlocked. */
  CHECK(futex(&pi_word, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0) == 0);
  start_requeue_pi_waiter(&thread);
  printf("CMP_REQUEUE_PI, wake count 2: %s\n", outcome(futex(&condition_word, FUTEX_CMP_REQUEUE_PI_PRIVATE, 2, (void *)1, &pi_word, 0)));
  printf("CMP_REQUEUE_PI, target held: %s\n", outcome(futex(&condition_word, FUTEX_CMP_REQUEUE_PI_PRIVATE, 1, (void *)1, &pi_word, 0)));
  nap(20);
  printf("  target word has waiters %d\n", (pi_word & FUTEX_WAITERS) != 0);
  CHECK(futex(&pi_word, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0) == 0);
  CHECK(pthread_join(thread, &owned) == 0);
  printf("  waiter returned %ld owning it %ld\n", requeue_result, (long)(intptr_t)owned);
  /* A plain wake does not reach a requeue-PI waiter. */
  start_requeue_pi_waiter(&thread);
  printf("FUTEX_WAKE of a requeue-PI waiter: %s\n", outcome(futex(&condition_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0)));
  printf("FUTEX_REQUEUE of a requeue-PI waiter: %s\n", outcome(futex(&condition_word, FUTEX_REQUEUE_PRIVATE, 0, (void *)1, &requeue_target, 0)));
  printf("CMP_REQUEUE_PI to another target: %s\n", outcome(futex(&condition_word, FUTEX_CMP_REQUEUE_PI_PRIVATE, 1, 0, &requeue_target, 0)));
  printf("CMP_REQUEUE_PI: %s\n", outcome(futex(&condition_word, FUTEX_CMP_REQUEUE_PI_PRIVATE, 1, 0, &pi_word, 0)));
  CHECK(pthread_join(thread, &owned) == 0);
  printf("  waiter returned %s owning it %ld\n", outcome(requeue_result), (long)(intptr_t)owned);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  across_processes();
  two_mappings();
  process_shared_objects();
  requeue_counts(0);
  requeue_counts(1);
  pi_mutexes();
  raw_pi_answers();
  requeue_pi();
  printf("EXIT-SUCCESS\n");
  return 0;
}
