// SPDX-License-Identifier: Apache-2.0
/* probe_init: run as the command under `plan-exec --init` (pid 2; pid 1 is plan-exec's init).
 * Tries to reach into the init process the ways a debugger or an exploit would, one attempt per
 * line, "<attempt>: held (<how>)" or "<attempt>: escaped (<what>)"; exit code = number escaped.
 * Each attempt runs in a forked child, so a policy filter that kills on ptrace or
 * process_vm_readv ends only that attempt ("held (killed by signal 31)").
 *   ptrace-attach    PTRACE_ATTACH to pid 1
 *   ptrace-seize     PTRACE_SEIZE of pid 1
 *   inject           attach, then PTRACE_POKEUSER of one of init's registers (same value back)
 *   proc-mem         open /proc/1/mem and read init's memory
 *   process-vm-readv read init's memory with process_vm_readv
 *   proc-environ     read /proc/1/environ
 *   proc-fd          open init's descriptors through /proc/1/fd/N
 *   pidfd-getfd      pidfd_open(1) + pidfd_getfd of descriptors 0..10
 *   kill-init        SIGKILL to pid 1 (from inside its pid namespace: ignored)
 * and one line of facts, not an attempt:
 *   init-status: NoNewPrivs=<n> Seccomp=<n> CapEff=<hex> CapPrm=<hex> CapInh=<hex> CapBnd=<hex> CapAmb=<hex>
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

static const pid_t kInit = 1;

static int held(const char* attempt, const char* how) {
  printf("%s: held (%s)\n", attempt, how);
  return 0;
}
static int held_errno(const char* attempt, const char* call, int err) {
  printf("%s: held (%s: %s)\n", attempt, call, strerror(err));
  return 0;
}
static int escaped(const char* attempt, const char* what) {
  printf("%s: escaped (%s)\n", attempt, what);
  return 1;
}

/* The start of init's first mapping, from /proc/1/maps when readable (0 otherwise). */
static unsigned long init_address(void) {
  unsigned long start = 0;
  FILE* f = fopen("/proc/1/maps", "r");
  if (!f) return 0;
  if (fscanf(f, "%lx-", &start) != 1) start = 0;
  fclose(f);
  return start;
}

static int try_ptrace_attach(void) {
  if (ptrace(PTRACE_ATTACH, kInit, 0, 0) != 0) return held_errno("ptrace-attach", "PTRACE_ATTACH", errno);
  int status;
  waitpid(kInit, &status, __WALL);
  ptrace(PTRACE_DETACH, kInit, 0, 0);
  return escaped("ptrace-attach", "PTRACE_ATTACH to pid 1 succeeded");
}

static int try_ptrace_seize(void) {
  if (ptrace(PTRACE_SEIZE, kInit, 0, 0) != 0) return held_errno("ptrace-seize", "PTRACE_SEIZE", errno);
  return escaped("ptrace-seize", "PTRACE_SEIZE of pid 1 succeeded");  /* our exit detaches */
}

static int try_inject(void) {
  if (ptrace(PTRACE_ATTACH, kInit, 0, 0) != 0) return held_errno("inject", "PTRACE_ATTACH", errno);
  int status;
  waitpid(kInit, &status, __WALL);
  const long offset = (long)offsetof(struct user_regs_struct, r15);
  errno = 0;
  const long value = ptrace(PTRACE_PEEKUSER, kInit, (void*)offset, 0);
  const int peek_err = errno;
  const long poked = peek_err ? -1 : ptrace(PTRACE_POKEUSER, kInit, (void*)offset, (void*)value);
  const int poke_err = errno;
  ptrace(PTRACE_DETACH, kInit, 0, 0);
  if (peek_err) return escaped("inject", "attached to pid 1 (PTRACE_PEEKUSER then failed)");
  if (poked != 0) {
    printf("inject: escaped (attached to pid 1; PTRACE_POKEUSER failed: %s)\n", strerror(poke_err));
    return 1;
  }
  return escaped("inject", "PTRACE_POKEUSER wrote a register of pid 1");
}

static int try_proc_mem(void) {
  const unsigned long address = init_address();
  const int fd = open("/proc/1/mem", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return held_errno("proc-mem", "open /proc/1/mem", errno);
  char buf[16];
  const ssize_t n = address ? pread(fd, buf, sizeof buf, (off_t)address) : -1;
  close(fd);
  char what[128];
  snprintf(what, sizeof what, "opened /proc/1/mem; read %zd bytes at 0x%lx", n, address);
  return escaped("proc-mem", what);
}

static int try_process_vm_readv(void) {
  const unsigned long address = init_address();
  char buf[16];
  struct iovec local = {buf, sizeof buf};
  struct iovec remote = {(void*)(address ? address : 0x10000UL), sizeof buf};
  const ssize_t n = process_vm_readv(kInit, &local, 1, &remote, 1, 0);
  if (n >= 0) return escaped("process-vm-readv", "read init's memory");
  if (errno == EFAULT) return escaped("process-vm-readv", "permitted (EFAULT only at a guessed address)");
  return held_errno("process-vm-readv", "process_vm_readv", errno);
}

static int try_proc_environ(void) {
  const int fd = open("/proc/1/environ", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return held_errno("proc-environ", "open /proc/1/environ", errno);
  char buf[256];
  const ssize_t n = read(fd, buf, sizeof buf);
  const int err = errno;
  close(fd);
  if (n < 0) return held_errno("proc-environ", "read /proc/1/environ", err);
  char what[64];
  snprintf(what, sizeof what, "read %zd bytes of init's environment", n);
  return escaped("proc-environ", what);
}

static int try_proc_fd(void) {
  DIR* d = opendir("/proc/1/fd");
  if (!d) return held_errno("proc-fd", "opendir /proc/1/fd", errno);
  int listed = 0, open_err = 0;
  for (struct dirent* e; (e = readdir(d)) != NULL;) {
    if (e->d_name[0] == '.') continue;
    ++listed;
    char path[64];
    snprintf(path, sizeof path, "/proc/1/fd/%s", e->d_name);
    const int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd >= 0) {
      char what[96];
      snprintf(what, sizeof what, "opened %s, a descriptor of pid 1", path);
      close(fd);
      closedir(d);
      return escaped("proc-fd", what);
    }
    open_err = errno;
  }
  closedir(d);
  char how[96];
  if (listed == 0) return held("proc-fd", "pid 1 holds no descriptor");
  snprintf(how, sizeof how, "listed %d descriptors of pid 1, opened none: %s", listed, strerror(open_err));
  return held("proc-fd", how);
}

static int try_pidfd_getfd(void) {
  const int pidfd = (int)syscall(SYS_pidfd_open, kInit, 0);
  if (pidfd < 0) return held_errno("pidfd-getfd", "pidfd_open(1)", errno);
  int first_err = 0;
  for (int target = 0; target <= 10; ++target) {
    const int fd = (int)syscall(SYS_pidfd_getfd, pidfd, target, 0);
    if (fd >= 0) {
      char what[64];
      snprintf(what, sizeof what, "took descriptor %d of pid 1", target);
      return escaped("pidfd-getfd", what);
    }
    if (!first_err || errno != EBADF) first_err = errno;
  }
  return held_errno("pidfd-getfd", "pidfd_getfd 0..10", first_err);
}

static int try_kill_init(void) {
  if (kill(kInit, SIGKILL) != 0) return held_errno("kill-init", "kill(1, SIGKILL)", errno);
  const struct timespec pause = {0, 100 * 1000 * 1000};
  nanosleep(&pause, NULL);
  if (kill(kInit, 0) == 0) return held("kill-init", "pid 1 ignores SIGKILL from inside its pid namespace");
  return escaped("kill-init", "pid 1 died of SIGKILL");
}

/* Runs `attempt` in a child: a filter may kill it. Returns 1 when it escaped. */
static int attempt(const char* name, int (*fn)(void)) {
  fflush(stdout);
  const pid_t pid = fork();
  if (pid < 0) return held_errno(name, "fork", errno);
  if (pid == 0) {
    alarm(5);  /* a stuck attempt is reported as an error, never as held */
    const int result = fn();
    fflush(stdout);
    _exit(result);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) {
    printf("%s: error (timed out)\n", name);
    return 0;
  }
  if (WIFSIGNALED(status)) {
    printf("%s: held (killed by signal %d)\n", name, WTERMSIG(status));
    return 0;
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 1;
}

static void print_init_status(void) {
  static const char* keys[] = {"NoNewPrivs", "Seccomp", "CapEff", "CapPrm", "CapInh", "CapBnd", "CapAmb", NULL};
  FILE* f = fopen("/proc/1/status", "r");
  if (!f) {
    printf("init-status: unreadable (%s)\n", strerror(errno));
    return;
  }
  char line[256];
  printf("init-status:");
  while (fgets(line, sizeof line, f)) {
    for (int i = 0; keys[i]; ++i) {
      const size_t n = strlen(keys[i]);
      if (strncmp(line, keys[i], n) != 0 || line[n] != ':') continue;
      char* value = line + n + 1;
      while (*value == ' ' || *value == '\t') ++value;
      value[strcspn(value, "\n")] = '\0';
      printf(" %s=%s", keys[i], value);
    }
  }
  printf("\n");
  fclose(f);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (getpid() != 2) printf("note: this probe is pid %d, not 2: run it under plan-exec --init\n", (int)getpid());
  print_init_status();
  int escapes = 0;
  escapes += attempt("ptrace-attach", try_ptrace_attach);
  escapes += attempt("ptrace-seize", try_ptrace_seize);
  escapes += attempt("inject", try_inject);
  escapes += attempt("proc-mem", try_proc_mem);
  escapes += attempt("process-vm-readv", try_process_vm_readv);
  escapes += attempt("proc-environ", try_proc_environ);
  escapes += attempt("proc-fd", try_proc_fd);
  escapes += attempt("pidfd-getfd", try_pidfd_getfd);
  escapes += attempt("kill-init", try_kill_init);  /* last: if it escaped, the container is gone */
  return escapes;
}
