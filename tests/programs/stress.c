// SPDX-License-Identifier: Apache-2.0
/* stress MB [cpu_work_units] [forks]
 *
 * The cgroup tests' workload, static so it runs inside any rootfs:
 *   1. allocates MB MiB and touches every page (so it is really charged to the memory cgroup),
 *   2. burns a fixed amount of CPU work: cpu_work_units units of 1,000,000 xorshift rounds,
 *      timed with CLOCK_MONOTONIC (the same work is slower under a CPU quota),
 *   3. forks `forks` children that wait (so they count against pids.max) and reports the
 *      first fork that fails and its errno; then kills and reaps the children.
 * stress --child MB: a child allocates MB MiB (step 1 above) while this process only waits for it,
 *   prints "child: exited N" or "child: killed by signal N", and exits 0 either way (the OOM
 *   killer's victim is then a descendant, not the command).
 * Prints one line per phase on stdout, flushed at once (an OOM kill cuts the output where it
 * happened). Exit status: 0, 2 on bad arguments, 3 when a fork failed, 4 when malloc failed.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int parse_count(const char* text, long* out) {
  char* end = NULL;
  errno = 0;
  long value = strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || value < 0) return -1;
  *out = value;
  return 0;
}

static int allocate_and_touch(long mib) {
  size_t size = (size_t)mib * 1024 * 1024;
  if (size == 0) {
    printf("allocated 0 MiB\n");
    fflush(stdout);
    return 0;
  }
  /* volatile: the pages must really be written, and clang elides a malloc whose memory is
     written but never read. */
  volatile char* memory = malloc(size);
  if (memory == NULL) {
    printf("malloc of %ld MiB failed: %s\n", mib, strerror(errno));
    return -1;
  }
  long page = sysconf(_SC_PAGESIZE);
  for (size_t offset = 0; offset < size; offset += (size_t)page) memory[offset] = (char)(offset / (size_t)page + 1);
  printf("allocated %ld MiB\n", mib);
  fflush(stdout);
  /* Keep it allocated (and charged) for the rest of the run. */
  return 0;
}

static void burn_cpu(long units) {
  double start = now_seconds();
  volatile uint64_t state = 88172645463325252ULL;
  for (long unit = 0; unit < units; ++unit) {
    uint64_t x = state;
    for (int i = 0; i < 1000000; ++i) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
    }
    state = x;
  }
  printf("cpu work: %ld units in %.3f s\n", units, now_seconds() - start);
  fflush(stdout);
}

/* Returns 0 when every fork succeeded, else 3 after printing the first failure. */
static int fork_children(long count) {
  pid_t* children = calloc((size_t)count + 1, sizeof(pid_t));
  long made = 0;
  int failed_errno = 0;
  for (; made < count; ++made) {
    pid_t pid = fork();
    if (pid < 0) {
      failed_errno = errno;
      break;
    }
    if (pid == 0) {
      pause(); /* counted against pids.max until the parent kills it */
      _exit(0);
    }
    children[made] = pid;
  }
  if (failed_errno != 0)
    printf("forks: %ld ok, fork %ld failed: errno %d (%s)%s\n", made, made + 1, failed_errno, strerror(failed_errno),
           failed_errno == EAGAIN ? " EAGAIN" : "");
  else
    printf("forks: %ld ok\n", made);
  fflush(stdout);
  for (long i = 0; i < made; ++i) kill(children[i], SIGKILL);
  for (long i = 0; i < made; ++i) waitpid(children[i], NULL, 0);
  free(children);
  return failed_errno != 0 ? 3 : 0;
}

static int allocate_in_child(const char* mib_text) {
  long mib = 0;
  if (parse_count(mib_text, &mib) != 0) {
    fprintf(stderr, "usage: stress --child MB   (a non-negative integer)\n");
    return 2;
  }
  fflush(stdout);
  pid_t child = fork();
  if (child < 0) {
    printf("fork failed: %s\n", strerror(errno));
    return 3;
  }
  if (child == 0) _exit(allocate_and_touch(mib) != 0 ? 4 : 0);
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status))
    printf("child: killed by signal %d\n", WTERMSIG(status));
  else
    printf("child: exited %d\n", WEXITSTATUS(status));
  return 0;
}

int main(int argc, char** argv) {
  long mib = 0, units = 0, forks = 0;
  if (argc == 3 && strcmp(argv[1], "--child") == 0) return allocate_in_child(argv[2]);
  if (argc < 2 || argc > 4 || parse_count(argv[1], &mib) != 0 || (argc > 2 && parse_count(argv[2], &units) != 0) ||
      (argc > 3 && parse_count(argv[3], &forks) != 0)) {
    fprintf(stderr, "usage: stress MB [cpu_work_units] [forks]   (non-negative integers)\n");
    return 2;
  }
  if (allocate_and_touch(mib) != 0) return 4;
  if (units > 0) burn_cpu(units);
  if (forks > 0) return fork_children(forks);
  return 0;
}
