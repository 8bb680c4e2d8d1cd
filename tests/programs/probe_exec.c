// SPDX-License-Identifier: Apache-2.0
/* probe_exec: the first command of a container, waiting for `plan-exec exec` to send a process in.
 * Prints "ready", then watches /proc for a process that is neither itself nor pid 1 and whose
 * name is still "plan-exec": the command process of `plan-exec exec` between setns and execve,
 * which still holds plan-exec's memory, environment and host binary. It then tries what
 * CVE-2016-9962 and CVE-2019-5736 did to runc, one attempt per line, "<attempt>: held (<how>)"
 * or "<attempt>: escaped (<what>)", once that process holds the uids and capabilities of the
 * container's command (before, plan-exec's full capabilities keep everyone out anyway); exit code = number escaped (99: no such process seen).
 *   exec-exe      open /proc/N/exe: a descriptor of plan-exec's binary on the host
 *   exec-environ  read /proc/N/environ: plan-exec's host environment
 *   exec-fd       open one of its descriptors through /proc/N/fd
 *   exec-attach   PTRACE_ATTACH (in a forked child: a filter may kill on ptrace)
 * An attempt that gets in only after the process called execve (it is then the container's own
 * command) prints "<attempt>: inconclusive (...)". The probe outlives the exec'd command: that
 * command is in our pid namespace and would be killed with the container if we ended first.
 * Argument: how many seconds to watch (default 20).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* An attempt's verdict line, printed by report() once it is known whether the process had
 * already called execve at the time. */
static char verdict[256];

static int held_errno(const char* attempt, const char* call, int err) {
  snprintf(verdict, sizeof verdict, "%s: held (%s: %s)", attempt, call, strerror(err));
  return 0;
}
static int escaped(const char* attempt, const char* what) {
  snprintf(verdict, sizeof verdict, "%s: escaped (%s)", attempt, what);
  return 1;
}

static int is_plan_exec(pid_t pid) {
  char path[64], comm[32] = {0};
  snprintf(path, sizeof path, "/proc/%d/comm", pid);
  FILE* f = fopen(path, "r");
  if (!f) return 0;
  const int ok = fgets(comm, sizeof comm, f) != NULL;
  fclose(f);
  return ok && strncmp(comm, "plan-exec\n", 10) == 0;
}

/* The value of `key` ("CapPrm:") in /proc/PID/status, which anyone may read; "" when absent. */
static void status_value(const char* pid_dir, const char* key, char* out, size_t size) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%s/status", pid_dir);
  out[0] = 0;
  FILE* f = fopen(path, "r");
  if (!f) return;
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, key, strlen(key)) == 0) {
      snprintf(out, size, "%s", line + strlen(key));
      break;
    }
  }
  fclose(f);
}

/* Whether `pid` holds what this process holds: the same uids and permitted capabilities, the
 * state the exec'd command process reaches just before its filter and execve. Until then it
 * holds plan-exec's full capabilities, which no container process can match. */
static int holds_what_we_hold(pid_t pid) {
  char dir[16], mine[128], theirs[128];
  snprintf(dir, sizeof dir, "%d", pid);
  const char* keys[] = {"Uid:", "CapPrm:"};
  for (size_t i = 0; i < 2; ++i) {
    status_value("self", keys[i], mine, sizeof mine);
    status_value(dir, keys[i], theirs, sizeof theirs);
    if (mine[0] == 0 || strcmp(mine, theirs) != 0) return 0;
  }
  return 1;
}

/* The first pid in /proc that is not us, not pid 1, and still named plan-exec; 0 when none. */
static pid_t find_exec_process(void) {
  DIR* d = opendir("/proc");
  if (!d) return 0;
  pid_t found = 0;
  for (struct dirent* e; found == 0 && (e = readdir(d)) != NULL;) {
    const pid_t pid = (pid_t)atoi(e->d_name);
    if (pid > 1 && pid != getpid() && is_plan_exec(pid)) found = pid;
  }
  closedir(d);
  return found;
}

static int try_exe(pid_t pid) {
  char path[64], what[128];
  snprintf(path, sizeof path, "/proc/%d/exe", pid);
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return held_errno("exec-exe", "open /proc/N/exe", errno);
  struct stat st;
  fstat(fd, &st);
  close(fd);
  snprintf(what, sizeof what, "opened the host binary of pid %d: %lld bytes, inode %llu", pid, (long long)st.st_size,
           (unsigned long long)st.st_ino);
  return escaped("exec-exe", what);
}

static int try_environ(pid_t pid) {
  char path[64], buf[256], what[128];
  snprintf(path, sizeof path, "/proc/%d/environ", pid);
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return held_errno("exec-environ", "open /proc/N/environ", errno);
  const ssize_t n = read(fd, buf, sizeof buf);
  const int err = errno;
  close(fd);
  if (n < 0) return held_errno("exec-environ", "read /proc/N/environ", err);
  if (n == 0) return held_errno("exec-environ", "read /proc/N/environ", 0);
  snprintf(what, sizeof what, "read %zd bytes of plan-exec's environment", n);
  return escaped("exec-environ", what);
}

static int try_fd(pid_t pid) {
  char path[64];
  for (int n = 0; n < 16; ++n) {
    snprintf(path, sizeof path, "/proc/%d/fd/%d", pid, n);
    const int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      close(fd);
      char what[96];
      snprintf(what, sizeof what, "opened descriptor %d of pid %d", n, pid);
      return escaped("exec-fd", what);
    }
    if (errno == EACCES || errno == EPERM) return held_errno("exec-fd", "open /proc/N/fd/M", errno);
  }
  return held_errno("exec-fd", "open /proc/N/fd/M", ENOENT);
}

static int try_attach(pid_t pid) {
  const pid_t child = fork();
  if (child == 0) {
    if (ptrace(PTRACE_ATTACH, pid, 0, 0) != 0) _exit(errno == EPERM ? 2 : 3);
    int stopped;
    waitpid(pid, &stopped, __WALL); /* detach only from the attach stop, or SIGSTOP stays pending */
    ptrace(PTRACE_DETACH, pid, 0, 0);
    _exit(1);
  }
  int status = 0;
  waitpid(child, &status, 0);
  if (WIFSIGNALED(status)) {
    snprintf(verdict, sizeof verdict, "exec-attach: held (killed by signal %d)", WTERMSIG(status));
    return 0;
  }
  if (WEXITSTATUS(status) == 1) return escaped("exec-attach", "PTRACE_ATTACH succeeded");
  return held_errno("exec-attach", "PTRACE_ATTACH", WEXITSTATUS(status) == 2 ? EPERM : EACCES);
}

/* Whether `pid` still exists (running, or a zombie not yet reaped). */
static int still_exists(pid_t pid) { return kill(pid, 0) == 0 || errno == EPERM; }

/* An attempt that got in counts only if the process had not yet called execve when it did: after
 * execve it is the container's own command, which the container may touch. */
static int report(const char* attempt, pid_t pid, int escaped_now) {
  if (escaped_now && !is_plan_exec(pid)) {  /* execve renames it */
    printf("%s: inconclusive (the process had called execve by then)\n", attempt);
    return 0;
  }
  printf("%s\n", verdict);
  return escaped_now;
}

int main(int argc, char** argv) {
  const int seconds = argc > 1 ? atoi(argv[1]) : 20;
  printf("ready\n");
  fflush(stdout);
  pid_t pid = 0;
  const struct timespec tick = {0, 1000000};
  for (long i = 0; pid == 0 && i < seconds * 1000L; ++i) {
    pid = find_exec_process();
    if (pid == 0) nanosleep(&tick, NULL);
  }
  if (pid == 0) {
    printf("no exec process seen in %d s\n", seconds);
    return 99;
  }
  for (long i = 0; !holds_what_we_hold(pid) && i < seconds * 1000L; ++i) nanosleep(&tick, NULL);
  if (!holds_what_we_hold(pid)) {
    printf("exec process %d never took the container's uids and capabilities\n", pid);
    return 99;
  }
  int escapes = report("exec-exe", pid, try_exe(pid));
  escapes += report("exec-environ", pid, try_environ(pid));
  escapes += report("exec-fd", pid, try_fd(pid));
  fflush(stdout);
  escapes += report("exec-attach", pid, try_attach(pid));
  /* The exec'd command lives in our pid namespace: if we ended first, it would be killed with us.
   * So wait until it is gone (until plan-exec exec, outside, has reaped it), not merely renamed. */
  for (long i = 0; still_exists(pid) && i < seconds * 1000L; ++i) nanosleep(&tick, NULL);
  return escapes;
}
