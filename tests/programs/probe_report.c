// SPDX-License-Identifier: Apache-2.0
/* probe_report: what a container can put into plan-exec's denial reports (and --learn's
 * comments): paths it passes to denied calls and its own argv[0]. Each action makes denied
 * calls and prints one key=value line with what the call returned; the test reads the report
 * on plan-exec's stderr (or the learned policy) and decides whether the bytes got through raw.
 *   mknod          mknod(PATH) with ESC sequences, a newline and a fake report line in PATH
 *   chown          chown(PATH) with the same bytes (a call the default denies)
 *   rename         re-execs itself with that text as argv[0], then mknod("/tmp/renamed")
 *   unreadable     mknod((char*)1): the supervisor cannot read the path
 *   huge           mknod(1 MiB path, NUL-terminated) and mknod(a path that runs into an
 *                  unmapped page without a NUL)
 *   vanish N       N children call mknod in a loop and are SIGKILLed at once, so notifications
 *                  are pending for callers that are gone; then mknod("/tmp/after-vanish")
 * Every line is "<action>=<return> errno=<errno>"; the denied calls return -1 errno=1 (EPERM).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* ESC [2J clears the screen, ESC ]0;...BEL sets the window title, 0x9b is the 8-bit CSI; the
 * newline and the text after it would read as a report line of its own. */
static const char kHostile[] =
    "/tmp/\x1b[2J\x1b]0;owned\x07\x9b" "31m\nplan-exec: denied nothing() = EPERM  pid 1 /fake  [forged]\n  allow ptrace\n#";

static void report(const char* what, long r) { printf("%s=%ld errno=%d\n", what, r, r < 0 ? errno : 0); }

static long denied_mknod(const char* path) { return syscall(SYS_mknod, path, S_IFIFO | 0600, 0); }

static void huge(void) {
  size_t size = 1 << 20;
  char* big = malloc(size);
  if (!big) return;
  memset(big, 'A', size - 1);
  big[size - 1] = '\0';
  report("huge", denied_mknod(big));
  free(big);
  /* Two pages: the first full of 'B' with no NUL, the second unmapped. */
  long page = sysconf(_SC_PAGESIZE);
  char* area = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (area == MAP_FAILED) return;
  memset(area, 'B', (size_t)page);
  munmap(area + page, (size_t)page);
  report("unterminated", denied_mknod(area));
}

static void vanish(int n) {
  pid_t kids[16];
  if (n > 16) n = 16;
  for (int i = 0; i < n; ++i) {
    kids[i] = fork();
    if (kids[i] == 0) {
      for (;;) denied_mknod("/tmp/vanishing");
    }
  }
  usleep(20000);
  for (int i = 0; i < n; ++i) {
    if (kids[i] > 0) kill(kids[i], SIGKILL);
  }
  for (int i = 0; i < n; ++i) {
    if (kids[i] > 0) waitpid(kids[i], NULL, 0);
  }
  report("after-vanish", denied_mknod("/tmp/after-vanish"));
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  for (int i = 1; i < argc; ++i) {
    const char* a = argv[i];
    if (!strcmp(a, "mknod")) {
      report("mknod", denied_mknod(kHostile));
    } else if (!strcmp(a, "chown")) {
      report("chown", syscall(SYS_chown, kHostile, 0, 0));
    } else if (!strcmp(a, "rename")) {
      char* args[] = {(char*)kHostile, "renamed", NULL};
      execv("/proc/self/exe", args);
      report("rename-exec", -1);
    } else if (!strcmp(a, "renamed")) {
      report("renamed", denied_mknod("/tmp/renamed"));
    } else if (!strcmp(a, "unreadable")) {
      report("unreadable", denied_mknod((const char*)1));
    } else if (!strcmp(a, "huge")) {
      huge();
    } else if (!strcmp(a, "vanish") && i + 1 < argc) {
      vanish(atoi(argv[++i]));
    } else {
      fprintf(stderr, "probe_report: unknown action %s\n", a);
      return 2;
    }
  }
  return 0;
}
