/* pingpong server <port> <rounds> [<size>]
 * pingpong client <host> <port> <rounds> [<size>]
 *
 * One client/server pair of the scale example. The client connects to the
 * server by host name and makes <rounds> request/response exchanges: it
 * sends a request (64 bytes) numbered by its round, the server
 * answers with a response (1024 bytes) carrying the same number, and
 * the client checks it. Each side prints one final line that depends only
 * on its arguments, so a whole run's output can be checked line by line.
 * A <size>, given to both sides, makes requests and responses that many
 * bytes each (the peers benchmark's small round trips). */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static size_t request_size = 64;
static size_t response_size = 1024;

static void fail(const char *what) {
  fprintf(stderr, "pingpong: %s: %s\n", what, strerror(errno));
  exit(1);
}

/* Reads exactly `size` bytes; a peer that closes early is an error. */
static void read_exactly(int fd, unsigned char *buffer, size_t size) {
  size_t done = 0;
  while (done < size) {
    ssize_t got = read(fd, buffer + done, size - done);
    if (got == 0) errno = ECONNRESET;
    if (got <= 0) fail("read");
    done += (size_t)got;
  }
}

static void write_all(int fd, const unsigned char *buffer, size_t size) {
  size_t done = 0;
  while (done < size) {
    ssize_t put = write(fd, buffer + done, size - done);
    if (put < 0) fail("write");
    done += (size_t)put;
  }
}

/* A message of `size` bytes whose every byte tells its round. */
static void fill(unsigned char *buffer, size_t size, int round) {
  memset(buffer, 'a' + round % 26, size);
}

static int check(const unsigned char *buffer, size_t size, int round) {
  for (size_t i = 0; i < size; i++) {
    if (buffer[i] != 'a' + round % 26) return 0;
  }
  return 1;
}

static int serve(int port, int rounds) {
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  if (listener < 0) fail("socket");
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_ANY)};
  if (bind(listener, (struct sockaddr *)&address, sizeof address) < 0) fail("bind");
  if (listen(listener, 1) < 0) fail("listen");
  int connection = accept(listener, NULL, NULL);
  if (connection < 0) fail("accept");
  unsigned char *request = malloc(request_size), *response = malloc(response_size);
  if (request == NULL || response == NULL) fail("malloc");
  for (int round = 0; round < rounds; round++) {
    read_exactly(connection, request, request_size);
    if (!check(request, request_size, round)) {
      printf("server: request %d is corrupt\n", round);
      return 1;
    }
    fill(response, response_size, round);
    write_all(connection, response, response_size);
  }
  close(connection);
  close(listener);
  printf("server: answered %d requests\n", rounds);
  return 0;
}

static int call(const char *host, const char *port, int rounds) {
  struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *found;
  int status = getaddrinfo(host, port, &hints, &found);
  if (status != 0) {
    fprintf(stderr, "pingpong: getaddrinfo %s: %s\n", host, gai_strerror(status));
    return 1;
  }
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) fail("socket");
  if (connect(fd, found->ai_addr, found->ai_addrlen) < 0) fail("connect");
  freeaddrinfo(found);
  unsigned char *request = malloc(request_size), *response = malloc(response_size);
  if (request == NULL || response == NULL) fail("malloc");
  for (int round = 0; round < rounds; round++) {
    fill(request, request_size, round);
    write_all(fd, request, request_size);
    read_exactly(fd, response, response_size);
    if (!check(response, response_size, round)) {
      printf("client: response %d is corrupt\n", round);
      return 1;
    }
  }
  close(fd);
  printf("client: %d exchanges with %s\n", rounds, host);
  return 0;
}

/* The optional last argument: both messages' size, at least one byte. */
static int sized(int argc, char **argv, int without_size) {
  if (argc == without_size) return 1;
  if (argc != without_size + 1 || atol(argv[without_size]) < 1) return 0;
  request_size = response_size = (size_t)atol(argv[without_size]);
  return 1;
}

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "server") == 0 && sized(argc, argv, 4)) return serve(atoi(argv[2]), atoi(argv[3]));
  if (argc >= 2 && strcmp(argv[1], "client") == 0 && sized(argc, argv, 5)) return call(argv[2], argv[3], atoi(argv[4]));
  fprintf(stderr, "usage: pingpong server <port> <rounds> [<size>] | pingpong client <host> <port> <rounds> [<size>]\n");
  return 2;
}
