/* The pids System V IPC objects keep: shmctl(IPC_STAT)'s creator and last
 * attacher, msgctl(IPC_STAT)'s last sender and receiver, semctl(GETPID)'s
 * last operator. Each is compared with the pid the program knows
 * (getpid), its child's (fork), or 0 for nobody yet, and printed as who it
 * is, so that a native run and one under simterpose print the same. */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static pid_t child;

static const char *who(pid_t pid) {
  if (pid == 0) return "nobody";
  if (pid == getpid()) return "self";
  if (pid == child) return "child";
  return "someone else";
}

/* Runs `work` in a child and waits for it; the child's pid is kept in `child`. */
static void in_child(void (*work)(int), int id) {
  child = fork();
  CHECK(child >= 0);
  if (child == 0) {
    work(id);
    _exit(0);
  }
  int status;
  CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void attach(int id) {
  void *at = shmat(id, NULL, 0);
  CHECK(at != (void *)-1);
  CHECK(shmdt(at) == 0);
}

static void shared_memory(void) {
  int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
  CHECK(id >= 0);
  struct shmid_ds stat;
  CHECK(shmctl(id, IPC_STAT, &stat) == 0);
  printf("shm created by %s, last attached by %s\n", who(stat.shm_cpid), who(stat.shm_lpid));
  in_child(attach, id);
  CHECK(shmctl(id, IPC_STAT, &stat) == 0);
  printf("shm created by %s, last attached by %s\n", who(stat.shm_cpid), who(stat.shm_lpid));
  CHECK(shmctl(id, IPC_RMID, NULL) == 0);
}

struct message {
  long type;
  char text[8];
};

static void send_one(int id) {
  struct message message = {1, "hello"};
  CHECK(msgsnd(id, &message, sizeof message.text, 0) == 0);
}

static void message_queue(void) {
  int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
  CHECK(id >= 0);
  struct msqid_ds stat;
  CHECK(msgctl(id, IPC_STAT, &stat) == 0);
  printf("queue last sent by %s, last received by %s\n", who(stat.msg_lspid), who(stat.msg_lrpid));
  in_child(send_one, id);
  struct message message;
  CHECK(msgrcv(id, &message, sizeof message.text, 0, 0) == sizeof message.text);
  CHECK(msgctl(id, IPC_STAT, &stat) == 0);
  printf("queue last sent by %s, last received by %s\n", who(stat.msg_lspid), who(stat.msg_lrpid));
  CHECK(msgctl(id, IPC_RMID, NULL) == 0);
}

static void post(int id) {
  struct sembuf operation = {0, 1, 0};
  CHECK(semop(id, &operation, 1) == 0);
}

static void semaphore(void) {
  int id = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
  CHECK(id >= 0);
  printf("semaphore last operated by %s\n", who(semctl(id, 0, GETPID)));
  in_child(post, id);
  printf("semaphore last operated by %s\n", who(semctl(id, 0, GETPID)));
  post(id);
  printf("semaphore last operated by %s\n", who(semctl(id, 0, GETPID)));
  CHECK(semctl(id, 0, IPC_RMID) == 0);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  shared_memory();
  message_queue();
  semaphore();
  printf("EXIT-SUCCESS\n");
  return 0;
}
