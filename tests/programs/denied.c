// SPDX-License-Identifier: Apache-2.0
/* denied: makes the calls the denial-report tests need, one action per argument group, and
 * prints what each returned as key=value lines on stdout:
 *   hello                 hello=1                      (only write and exit: nothing to deny)
 *   open PATH             open=FD errno=N              openat(AT_FDCWD, PATH, O_RDONLY|O_CLOEXEC)
 *   repeat N PATH         repeat=FAILURES              N such openat calls
 *   netlink               netlink=FD errno=N           socket(AF_NETLINK, SOCK_RAW, 0)
 *   getpriority           getpriority=R errno=N
 *   nr N                  nr=R errno=N                 syscall number N (decimal), no arguments
 *   catch-sigsys          installs a SIGSYS handler (the next kill then cannot use SIGSYS)
 *   thread-getpriority    getpriority from a second thread; the first waits for it
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static void on_sigsys(int sig) { (void)sig; }

static void* thread_getpriority(void* unused) {
  (void)unused;
  errno = 0;
  long r = syscall(SYS_getpriority, PRIO_PROCESS, 0);
  printf("thread-getpriority=%ld errno=%d\n", r, r < 0 ? errno : 0);
  fflush(stdout);
  return NULL;
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  for (int i = 1; i < argc; ++i) {
    const char* a = argv[i];
    if (!strcmp(a, "hello")) {
      printf("hello=1\n");
    } else if (!strcmp(a, "open") && i + 1 < argc) {
      long fd = syscall(SYS_openat, AT_FDCWD, argv[++i], O_RDONLY | O_CLOEXEC);
      printf("open=%ld errno=%d\n", fd, fd < 0 ? errno : 0);
    } else if (!strcmp(a, "repeat") && i + 2 < argc) {
      int n = atoi(argv[++i]), failures = 0;
      const char* path = argv[++i];
      for (int k = 0; k < n; ++k) {
        long fd = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) ++failures;
        else close((int)fd);
      }
      printf("repeat=%d\n", failures);
    } else if (!strcmp(a, "netlink")) {
      long fd = syscall(SYS_socket, AF_NETLINK, SOCK_RAW, 0);
      printf("netlink=%ld errno=%d\n", fd, fd < 0 ? errno : 0);
    } else if (!strcmp(a, "getpriority")) {
      long r = syscall(SYS_getpriority, PRIO_PROCESS, 0);
      printf("getpriority=%ld errno=%d\n", r, r < 0 ? errno : 0);
    } else if (!strcmp(a, "nr") && i + 1 < argc) {
      long r = syscall(strtol(argv[++i], NULL, 10), 0L, 0L, 0L, 0L, 0L, 0L);  /* 0L: every register 0 */
      printf("nr=%ld errno=%d\n", r, r < 0 ? errno : 0);
    } else if (!strcmp(a, "catch-sigsys")) {
      signal(SIGSYS, on_sigsys);
      printf("catch-sigsys=1\n");
    } else if (!strcmp(a, "thread-getpriority")) {
      pthread_t t;
      if (pthread_create(&t, NULL, thread_getpriority, NULL) != 0) return 2;
      pthread_join(t, NULL);
      printf("joined=1\n");
    } else {
      fprintf(stderr, "denied: unknown action %s\n", a);
      return 2;
    }
  }
  return 0;
}
