// SPDX-License-Identifier: Apache-2.0
// escape_probe: run inside a container, tries the classic ways out and prints one line per
// attempt:
//   <name>: refused (<how>)        the sandbox stopped it
//   <name>: ESCAPED (<what>)       it worked: the sandbox failed
//   <name>: kernel-refused (<why>) the kernel itself has the ABI off (x32, int 0x80); the
//                                  filter's guard for it is proven in the BPF interpreter
// Exit status: the number of ESCAPED lines. Each attempt that could kill the process (a
// seccomp kill action, SIGSYS, SIGSEGV from int 0x80) runs in a forked child.
//
// Usage: escape_probe [--inherited-fd N] [--setuid-helper PATH] [--host-environ-marker TEXT]
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int escaped = 0;

static void report(const char* name, int ok_for_attacker, const char* detail) {
  if (ok_for_attacker) {
    printf("%s: ESCAPED (%s)\n", name, detail);
    escaped++;
  } else {
    printf("%s: refused (%s)\n", name, detail);
  }
  fflush(stdout);
}

// Runs `attempt` in a child. The child exits 0 when the attempt succeeded, 1 + errno when it
// failed with an error; a signal means the sandbox (or the kernel) killed it.
typedef long (*attempt_fn)(void);

// Runs `attempt` in a forked child; returns its wait status, or -1 when it could not run.
static int run_attempt(attempt_fn attempt) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    errno = 0;
    long r = attempt();
    _exit(r == -1 ? (errno & 0x7f) + 1 : 0);
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) < 0) return -1;
  return status;
}

static void probe(const char* name, attempt_fn attempt) {
  int status = run_attempt(attempt);
  if (status == -1) {
    report(name, 0, "could not fork to try");
    return;
  }
  char detail[96];
  if (WIFSIGNALED(status)) {
    snprintf(detail, sizeof detail, "killed by signal %d%s", WTERMSIG(status),
             WTERMSIG(status) == SIGSYS ? " (SIGSYS: seccomp)" : "");
    report(name, 0, detail);
  } else if (WEXITSTATUS(status) == 0) {
    report(name, 1, "the call succeeded");
  } else {
    snprintf(detail, sizeof detail, "%s", strerror(WEXITSTATUS(status) - 1));
    report(name, 0, detail);
  }
}

static long try_ptrace(void) { return ptrace(PTRACE_TRACEME, 0, 0, 0); }
static long try_mount(void) { return mount("none", "/tmp", "tmpfs", 0, ""); }
static long try_unshare_user(void) { return unshare(CLONE_NEWUSER); }
static long try_unshare_mount(void) { return unshare(CLONE_NEWNS); }
static long try_keyctl(void) { return syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0); }
static long try_syslog(void) { return syscall(SYS_syslog, 3 /* SYSLOG_ACTION_READ_ALL */, 0, 0); }
static long try_pivot_root(void) { return syscall(SYS_pivot_root, "/", "/"); }
static long try_chroot(void) { return chroot("/"); }

static long try_sysrq(void) {
  int fd = open("/proc/sysrq-trigger", O_WRONLY);
  if (fd < 0) return -1;
  // Writing nothing harmful: an unknown key. Even opening it for writing is the escape.
  close(fd);
  return 0;
}

static long try_host_cgroup_write(void) {
  const char* files[] = {"/sys/fs/cgroup/cgroup.procs", "/sys/fs/cgroup/memory/cgroup.procs",
                         "/sys/fs/cgroup/unified/cgroup.procs", "/sys/fs/cgroup/pids/cgroup.procs"};
  for (unsigned i = 0; i < sizeof files / sizeof files[0]; ++i) {
    int fd = open(files[i], O_WRONLY);
    if (fd >= 0) {
      close(fd);
      return 0;
    }
  }
  return -1;
}

// x32: the same AUDIT_ARCH as x86_64 with bit 30 set in the number. getpid has no side effects.
static long try_x32(void) { return syscall(0x40000000 | SYS_getpid); }

#if defined(__x86_64__)
// i386 ABI through int 0x80: __NR_getpid is 20 there.
static long try_int80(void) {
  long ret;
  __asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory");
  if (ret < 0 && ret > -4096) {
    errno = (int)-ret;
    return -1;
  }
  return 0;
}
#endif

static int inherited_fd = -1;
static long try_inherited_fd(void) {
  struct stat st;
  return fstat(inherited_fd, &st);
}

static void probe_host_environ(const char* marker) {
  char buf[8192];
  int fd = open("/proc/1/environ", O_RDONLY);
  if (fd < 0) {
    report("host /proc/1/environ", 0, strerror(errno));
    return;
  }
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n < 0) {
    report("host /proc/1/environ", 0, strerror(errno));
    return;
  }
  buf[n] = 0;
  for (ssize_t i = 0; i < n; ++i) if (buf[i] == 0) buf[i] = '\n';
  // /proc/1 in our pid namespace is the container's own init: readable, and not the host's.
  int host = marker && *marker && strstr(buf, marker) != NULL;
  report("host /proc/1/environ", host, host ? "host's pid 1 environment is visible"
                                            : "only the container's own pid 1 is visible");
}

static void probe_setuid_helper(const char* path) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    // The helper is `id -u` style: a setuid-root copy of a program that exits with its euid.
    execl(path, path, (char*)NULL);
    _exit(126);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && geteuid() != 0) {
    report("setuid binary", 1, "euid became 0");
  } else {
    char detail[96];
    snprintf(detail, sizeof detail, "exit %d: no_new_privs kept euid %d",
             WIFEXITED(status) ? WEXITSTATUS(status) : -1, (int)geteuid());
    report("setuid binary", 0, detail);
  }
}

// The kernel refuses x32 (ENOSYS) and int 0x80 on its own on our machines; tell them apart from
// the filter refusing them: SIGSYS is seccomp, ENOSYS/SIGSEGV is the kernel.
static void probe_abi(const char* name, attempt_fn attempt) {
  int status = run_attempt(attempt);
  if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS) {
    report(name, 0, "killed by SIGSYS: the filter's arch guard");
  } else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV) {
    printf("%s: kernel-refused (SIGSEGV: the kernel has this ABI off; the filter's guard is proven "
           "in the BPF interpreter)\n", name);
  } else if (WIFEXITED(status) && WEXITSTATUS(status) == ENOSYS + 1) {
    printf("%s: kernel-refused (ENOSYS: the kernel has this ABI off; the filter's guard is proven "
           "in the BPF interpreter)\n", name);
  } else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    report(name, 1, "the call succeeded");
  } else {
    char detail[64];
    snprintf(detail, sizeof detail, "status 0x%x", status);
    report(name, 0, detail);
  }
  fflush(stdout);
}

int main(int argc, char** argv) {
  const char* setuid_helper = NULL;
  const char* marker = NULL;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--inherited-fd")) inherited_fd = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--setuid-helper")) setuid_helper = argv[i + 1];
    else if (!strcmp(argv[i], "--host-environ-marker")) marker = argv[i + 1];
  }
  probe("ptrace", try_ptrace);
  probe_abi("x32 syscall ABI", try_x32);
#if defined(__x86_64__)
  probe_abi("i386 ABI (int 0x80)", try_int80);
#endif
  probe("mount", try_mount);
  probe("unshare user namespace", try_unshare_user);
  probe("unshare mount namespace", try_unshare_mount);
  probe("keyctl", try_keyctl);
  probe("syslog", try_syslog);
  probe("write /proc/sysrq-trigger", try_sysrq);
  probe("pivot_root", try_pivot_root);
  probe("chroot", try_chroot);
  probe_host_environ(marker);
  probe("write host cgroup files", try_host_cgroup_write);
  if (inherited_fd >= 0) probe("inherited file descriptor", try_inherited_fd);
  if (setuid_helper) probe_setuid_helper(setuid_helper);
  printf("escaped: %d\n", escaped);
  return escaped;
}
