// SPDX-License-Identifier: Apache-2.0
/* syscall_loop: the per-call cost of one syscall inside a container, for bench/run's supervisor
 * rows. `syscall_loop denied N` calls getpriority (which the bench policy refuses with
 * errno(EPERM)) N times; `syscall_loop allowed N` calls getppid (allowed) N times. Prints
 * "ns_per_call=X" from CLOCK_MONOTONIC (the vDSO: no syscall of its own) around the loop, and
 * exits 1 if a denied call did not fail with EPERM or an allowed one failed. Static: the bench
 * rootfs has no libc. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char** argv) {
  if (argc != 3 || (strcmp(argv[1], "denied") && strcmp(argv[1], "allowed"))) {
    fprintf(stderr, "usage: syscall_loop denied|allowed N\n");
    return 2;
  }
  const int denied = !strcmp(argv[1], "denied");
  const long n = atol(argv[2]);
  int wrong = 0;
  const long long start = now_ns();
  for (long i = 0; i < n; ++i) {
    if (denied) {
      wrong |= syscall(SYS_getpriority, PRIO_PROCESS, 0) != -1 || errno != EPERM;
    } else {
      wrong |= syscall(SYS_getppid) < 0;
    }
  }
  const long long took = now_ns() - start;
  printf("ns_per_call=%.1f\n", n > 0 ? (double)took / (double)n : 0.0);
  return wrong;
}
