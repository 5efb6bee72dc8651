/* kv_server <port>
 *
 * A key-value server for the fault tests: one connection at a time, one
 * request a line ("SET key value" answers "OK", "GET key" answers the
 * value or "NONE"), in memory only, so a restarted server starts empty.
 * Prints "listening" once it accepts connections. */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"

#define KEYS 64

static char keys[KEYS][32], values[KEYS][32];
static int count;

static const char *answer(char *line) {
  char key[32], value[32];
  if (sscanf(line, "SET %31s %31s", key, value) == 2) {
    int i = 0;
    while (i < count && strcmp(keys[i], key) != 0) i++;
    if (i == KEYS) return "FULL";
    if (i == count) count++;
    strcpy(keys[i], key);
    strcpy(values[i], value);
    return "OK";
  }
  if (sscanf(line, "GET %31s", key) == 1) {
    for (int i = 0; i < count; i++)
      if (strcmp(keys[i], key) == 0) return values[i];
    return "NONE";
  }
  return "ERROR";
}

/* Answers the connection's requests until it ends. */
static void serve(int fd) {
  char line[128];
  size_t length = 0;
  for (;;) {
    ssize_t n = read(fd, line + length, 1);
    if (n <= 0) return;
    if (line[length] != '\n' && length + 1 < sizeof line) {
      length++;
      continue;
    }
    line[length] = '\0';
    length = 0;
    char reply[64];
    int size = snprintf(reply, sizeof reply, "%s\n", answer(line));
    if (write(fd, reply, size) != size) return;
  }
}

int main(int argc, char **argv) {
  CHECK(argc == 2);
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(listener >= 0);
  int on = 1;
  CHECK(setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) == 0);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[1]))};
  CHECK(bind(listener, (struct sockaddr *)&address, sizeof address) == 0);
  CHECK(listen(listener, 8) == 0);
  printf("listening\n");
  fflush(stdout);
  for (;;) {
    int fd = accept(listener, NULL, NULL);
    CHECK(fd >= 0);
    serve(fd);
    close(fd);
  }
}
