/* thread_exec MODE: a thread other than the main one ends the process or
 * outlives the main one, as Linux allows.
 *   exec:        a second thread execs a shell while main joins it; the
 *                shell checks that its pid is the one the process had
 *                before (execve keeps the thread-group id).
 *   exit_group:  a second thread calls exit(0) while main joins it (main
 *                would exit 1 if the join ever returned).
 *   leader_exit: main calls pthread_exit; the second thread goes on, prints
 *                and the process exits 0 when it returns. */
#include <pthread.h>
#include <unistd.h>

#include "check.h"

static pid_t pid_before;

static void *exec_echo(void *unused) {
  (void)unused;
  char pid_text[32];
  snprintf(pid_text, sizeof pid_text, "%d", (int)pid_before);
  char *argv[] = {"sh", "-c", "[ $$ = \"$0\" ] && echo 'thread_exec: the pid survived the exec' && echo EXIT-SUCCESS", pid_text, NULL};
  char *env[] = {"PATH=/usr/bin:/bin", NULL};
  execve("/bin/sh", argv, env);
  CHECK(!"execve of /bin/sh returned");
  return NULL;
}

static void *exit_process(void *unused) {
  (void)unused;
  printf("thread_exec: second thread exits the process\nEXIT-SUCCESS\n");
  fflush(stdout);
  exit(0);
}

static void *outlive_main(void *unused) {
  (void)unused;
  usleep(20000);
  CHECK(getpid() == pid_before);
  printf("thread_exec: second thread outlived main\nEXIT-SUCCESS\n");
  fflush(stdout);
  return NULL;
}

int main(int argc, char **argv) {
  CHECK(argc == 2);
  pid_before = getpid();
  void *(*body)(void *) = NULL;
  if (strcmp(argv[1], "exec") == 0) body = exec_echo;
  if (strcmp(argv[1], "exit_group") == 0) body = exit_process;
  if (strcmp(argv[1], "leader_exit") == 0) body = outlive_main;
  CHECK(body != NULL);
  printf("thread_exec: %s\n", argv[1]);
  fflush(stdout);
  pthread_t thread;
  CHECK(pthread_create(&thread, NULL, body, NULL) == 0);
  if (body == outlive_main) pthread_exit(NULL);
  pthread_join(thread, NULL);
  CHECK(!"the second thread returned to a joining main");
  return 1;
}
