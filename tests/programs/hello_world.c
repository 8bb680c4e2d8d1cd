// SPDX-License-Identifier: Apache-2.0
/* hello_world: the seed scenario's server. A static HTTP server that answers "Hello, World" to
 * GET / on port 8080 (--port N to change it), one connection at a time, and exits 0 on SIGTERM.
 * It runs inside minimal rootfs images, so it needs nothing but the kernel: no libc files,
 * no /etc, no DNS. It listens on IPv6 with IPv4 mapped in when the kernel has IPv6, else IPv4. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested = 0;

static void on_stop(int sig) {
  (void)sig;
  stop_requested = 1;
}

/* No SA_RESTART: accept() returns EINTR so the loop sees the request to stop. As PID 1 of a
 * PID namespace, a handler is also what makes SIGTERM deliverable at all. */
static void install_stop_handlers(void) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = on_stop;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, NULL);
  sigaction(SIGINT, &action, NULL);
  signal(SIGPIPE, SIG_IGN); /* a client that hangs up must not kill the server */
}

static int parse_port(int argc, char** argv) {
  int port = 8080;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
      char* end = NULL;
      long value = strtol(argv[++i], &end, 10);
      if (*end != '\0' || value < 1 || value > 65535) {
        fprintf(stderr, "hello-world: --port %s is not a port number (1..65535)\n", argv[i]);
        exit(2);
      }
      port = (int)value;
    } else {
      fprintf(stderr, "hello-world: unknown argument \"%s\"; usage: hello-world [--port N]\n", argv[i]);
      exit(2);
    }
  }
  return port;
}

static int listen_on(int port) {
  int one = 1, zero = 0;
  int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd >= 0) {
    struct sockaddr_in6 addr6;
    memset(&addr6, 0, sizeof addr6);
    addr6.sin6_family = AF_INET6;
    addr6.sin6_port = htons((unsigned short)port);
    addr6.sin6_addr = in6addr_any;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    if (bind(fd, (struct sockaddr*)&addr6, sizeof addr6) == 0 && listen(fd, 64) == 0) return fd;
    close(fd);
  }
  fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  struct sockaddr_in addr4;
  memset(&addr4, 0, sizeof addr4);
  addr4.sin_family = AF_INET;
  addr4.sin_port = htons((unsigned short)port);
  addr4.sin_addr.s_addr = htonl(INADDR_ANY);
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, (struct sockaddr*)&addr4, sizeof addr4) != 0 || listen(fd, 64) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static void write_all(int fd, const char* data, size_t length) {
  while (length > 0) {
    ssize_t n = write(fd, data, length);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    data += n;
    length -= (size_t)n;
  }
}

/* Reads the request head (up to the blank line or 4 KiB) and answers it. */
static void serve(int client) {
  char request[4096];
  size_t used = 0;
  while (used < sizeof request - 1) {
    ssize_t n = read(client, request + used, sizeof request - 1 - used);
    if (n < 0 && errno == EINTR && !stop_requested) continue;
    if (n <= 0) break;
    used += (size_t)n;
    request[used] = '\0';
    if (strstr(request, "\r\n\r\n") || strstr(request, "\n\n")) break;
  }
  request[used] = '\0';
  const int root = strncmp(request, "GET / ", 6) == 0 || strncmp(request, "GET /?", 6) == 0;
  const char* body = root ? "Hello, World\n" : "Not Found\n";
  char response[256];
  int length = snprintf(response, sizeof response,
                        "HTTP/1.0 %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
                        root ? "200 OK" : "404 Not Found", strlen(body), body);
  write_all(client, response, (size_t)length);
}

int main(int argc, char** argv) {
  const int port = parse_port(argc, argv);
  install_stop_handlers();
  const int server = listen_on(port);
  if (server < 0) {
    fprintf(stderr, "hello-world: cannot listen on port %d: %s\n", port, strerror(errno));
    return 1;
  }
  fprintf(stderr, "hello-world: listening on :%d\n", port);
  while (!stop_requested) {
    int client = accept4(server, NULL, NULL, SOCK_CLOEXEC);
    if (client < 0) continue; /* EINTR on SIGTERM; ECONNABORTED and friends: keep serving */
    serve(client);
    close(client);
  }
  close(server);
  fprintf(stderr, "hello-world: stopped\n");
  return 0;
}
