/* pthreads: a contended mutex must count exactly; a bounded queue with
 * condition variables must hand every item over once, in order. */
#include <pthread.h>
#include <stdint.h>

#include "check.h"

#define COUNTING_THREADS 4
#define INCREMENTS 100000

static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *count(void *arg) {
  (void)arg;
  for (int i = 0; i < INCREMENTS; i++) {
    pthread_mutex_lock(&counter_lock);
    counter++;
    pthread_mutex_unlock(&counter_lock);
  }
  return NULL;
}

static void contended_mutex(void) {
  pthread_t threads[COUNTING_THREADS];
  for (int i = 0; i < COUNTING_THREADS; i++)
    CHECK(pthread_create(&threads[i], NULL, count, NULL) == 0);
  for (int i = 0; i < COUNTING_THREADS; i++) CHECK(pthread_join(threads[i], NULL) == 0);
  printf("mutex: counter=%ld (expected %d)\n", counter, COUNTING_THREADS * INCREMENTS);
  CHECK(counter == (long)COUNTING_THREADS * INCREMENTS);
}

#define QUEUE_CAPACITY 8
#define ITEMS 10000

static struct {
  pthread_mutex_t lock;
  pthread_cond_t not_full, not_empty;
  int items[QUEUE_CAPACITY];
  int head, length;
} queue = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER, {0}, 0, 0};

static void *produce(void *arg) {
  (void)arg;
  for (int i = 1; i <= ITEMS; i++) {
    pthread_mutex_lock(&queue.lock);
    while (queue.length == QUEUE_CAPACITY) pthread_cond_wait(&queue.not_full, &queue.lock);
    queue.items[(queue.head + queue.length) % QUEUE_CAPACITY] = i;
    queue.length++;
    pthread_cond_signal(&queue.not_empty);
    pthread_mutex_unlock(&queue.lock);
  }
  return NULL;
}

struct consumed {
  long sum;
  int count;
  int in_order;
};

static void *consume(void *arg) {
  struct consumed *result = arg;
  int previous = 0;
  result->in_order = 1;
  for (int i = 0; i < ITEMS; i++) {
    pthread_mutex_lock(&queue.lock);
    while (queue.length == 0) pthread_cond_wait(&queue.not_empty, &queue.lock);
    int item = queue.items[queue.head];
    queue.head = (queue.head + 1) % QUEUE_CAPACITY;
    queue.length--;
    pthread_cond_signal(&queue.not_full);
    pthread_mutex_unlock(&queue.lock);
    result->in_order &= item == previous + 1;
    previous = item;
    result->sum += item;
    result->count++;
  }
  return NULL;
}

static void producer_consumer(void) {
  pthread_t producer, consumer;
  struct consumed result = {0, 0, 0};
  CHECK(pthread_create(&consumer, NULL, consume, &result) == 0);
  CHECK(pthread_create(&producer, NULL, produce, NULL) == 0);
  CHECK(pthread_join(producer, NULL) == 0);
  CHECK(pthread_join(consumer, NULL) == 0);
  printf("queue: consumed %d items, sum=%ld, in order: %s\n", result.count, result.sum,
         result.in_order ? "yes" : "no");
  CHECK(result.count == ITEMS);
  CHECK(result.sum == (long)ITEMS * (ITEMS + 1) / 2);
  CHECK(result.in_order);
  CHECK(queue.length == 0);
}

static void *square(void *arg) { return (void *)((intptr_t)arg * (intptr_t)arg); }

static void join_returns_values(void) {
  pthread_t threads[3];
  for (intptr_t i = 0; i < 3; i++)
    CHECK(pthread_create(&threads[i], NULL, square, (void *)(i + 2)) == 0);
  printf("join:");
  for (int i = 0; i < 3; i++) {
    void *value;
    CHECK(pthread_join(threads[i], &value) == 0);
    printf(" %ld", (long)(intptr_t)value);
  }
  printf("\n");
}

int main(void) {
  contended_mutex();
  producer_consumer();
  join_returns_values();
  printf("EXIT-SUCCESS\n");
  return 0;
}
