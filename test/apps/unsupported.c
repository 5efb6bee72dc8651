/* Waits on a System V message queue, which simterpose cannot mediate: the
 * run must stop and name the syscall instead of hanging. */
#include <stdio.h>
#include <sys/ipc.h>
#include <sys/msg.h>

struct message {
  long type;
  char text[16];
};

int main(void) {
  int queue = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
  if (queue < 0) {
    perror("msgget");
    return 1;
  }
  struct message message;
  msgrcv(queue, &message, sizeof message.text, 0, 0);
  msgctl(queue, IPC_RMID, NULL);
  puts("never printed");
  return 0;
}
