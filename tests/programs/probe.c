// SPDX-License-Identifier: Apache-2.0
/* probe: a static program run inside containers by the tests; it reports what it sees as
 * key=value lines on stdout, one action per argument group, in order:
 *   status              pid ppid uid gid euid egid groups hostname cwd + Cap*, NoNewPrivs, Seccomp
 *   fds                 fds=0,1,2 (open descriptors, the one used for listing excluded)
 *   exists PATH         exists:PATH=yes|no
 *   read PATH           read:PATH=ok|ERRNO_NAME        (open O_RDONLY + read 1 byte)
 *   write PATH          write:PATH=ok|ERRNO_NAME       (open O_WRONLY|O_CREAT, write 1 byte)
 *   syscall NR [A0..]   syscall:NR=RESULT errno=N      (raw syscall with up to 6 integer args)
 *   env                 env:KEY=VALUE for each variable
 *   sleep SECONDS
 *   nanosleep MS        prints nanosleep-started=1, sleeps with nanosleep(2), prints
 *                       nanosleep=ok|ERRNO_NAME (a stop and continue meanwhile makes the
 *                       kernel resume it through restart_syscall, which the filter sees)
 *   wait-signal         installs handlers for TERM INT HUP USR1 USR2 QUIT, waits; prints
 *                       signal=N and exits 100+N
 *   signal N            raise(N) with the default action
 *   exit N              exit(N)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

extern char** environ;

static const char* errno_name(int e) {
  switch (e) {
    case 0: return "ok";
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EACCES: return "EACCES";
    case EROFS: return "EROFS";
    case ENOSYS: return "ENOSYS";
    case EISDIR: return "EISDIR";
    case EINVAL: return "EINVAL";
    case ENXIO: return "ENXIO";
    case EBADF: return "EBADF";
    case ENOTDIR: return "ENOTDIR";
    case EEXIST: return "EEXIST";
    default: return "EOTHER";
  }
}

static void print_status_fields(void) {
  static const char* keys[] = {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp", NULL};
  FILE* f = fopen("/proc/self/status", "r");
  if (!f) {
    printf("status=%s\n", errno_name(errno));
    return;
  }
  char line[512];
  while (fgets(line, sizeof line, f)) {
    for (int i = 0; keys[i]; ++i) {
      size_t n = strlen(keys[i]);
      if (strncmp(line, keys[i], n) == 0 && line[n] == ':') {
        char* value = line + n + 1;
        while (*value == ' ' || *value == '\t') ++value;
        printf("%s=%s", keys[i], value);
      }
    }
  }
  fclose(f);
}

static void status(void) {
  printf("pid=%d\nppid=%d\n", (int)getpid(), (int)getppid());
  printf("uid=%d\ngid=%d\neuid=%d\negid=%d\n", (int)getuid(), (int)getgid(), (int)geteuid(), (int)getegid());
  gid_t groups[64];
  int n = getgroups(64, groups);
  printf("groups=");
  for (int i = 0; i < n; ++i) printf(i ? ",%d" : "%d", (int)groups[i]);
  printf("\n");
  char host[256] = "";
  gethostname(host, sizeof host);
  printf("hostname=%s\n", host);
  char cwd[4096] = "";
  printf("cwd=%s\n", getcwd(cwd, sizeof cwd) ? cwd : errno_name(errno));
  print_status_fields();
}

static void fds(void) {
  DIR* d = opendir("/proc/self/fd");
  if (!d) {
    printf("fds=%s\n", errno_name(errno));
    return;
  }
  printf("fds=");
  int first = 1;
  struct dirent* e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    int fd = atoi(e->d_name);
    if (fd == dirfd(d)) continue;
    printf(first ? "%d" : ",%d", fd);
    first = 0;
  }
  printf("\n");
  closedir(d);
}

static void try_read(const char* path) {
  int fd = open(path, O_RDONLY);
  int err = errno;
  if (fd >= 0) {
    char c;
    err = read(fd, &c, 1) < 0 ? errno : 0;
    close(fd);
  }
  printf("read:%s=%s\n", path, errno_name(err));
}

static void try_write(const char* path) {
  int fd = open(path, O_WRONLY | O_CREAT, 0644);
  int err = errno;
  if (fd >= 0) {
    err = write(fd, "x", 1) < 0 ? errno : 0;
    close(fd);
  }
  printf("write:%s=%s\n", path, errno_name(err));
}

static volatile sig_atomic_t got_signal = 0;
static void on_signal(int sig) { got_signal = sig; }

static void wait_signal(void) {
  int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2, SIGQUIT};
  for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; ++i) signal(sigs[i], on_signal);
  printf("waiting=1\n");
  fflush(stdout);
  while (!got_signal) pause();
  printf("signal=%d\n", (int)got_signal);
  fflush(stdout);
  exit(100 + got_signal);
}

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const char* a = argv[i];
    const char* next = i + 1 < argc ? argv[i + 1] : "";
    if (!strcmp(a, "status")) {
      status();
    } else if (!strcmp(a, "fds")) {
      fds();
    } else if (!strcmp(a, "exists")) {
      printf("exists:%s=%s\n", next, access(next, F_OK) == 0 ? "yes" : "no");
      ++i;
    } else if (!strcmp(a, "read")) {
      try_read(next);
      ++i;
    } else if (!strcmp(a, "write")) {
      try_write(next);
      ++i;
    } else if (!strcmp(a, "syscall")) {
      long nr = strtol(next, NULL, 0);
      long args[6] = {0};
      int n = 0;
      i += 1;
      while (n < 6 && i + 1 < argc && (argv[i + 1][0] == '-' || (argv[i + 1][0] >= '0' && argv[i + 1][0] <= '9'))) {
        args[n++] = strtol(argv[++i], NULL, 0);
      }
      errno = 0;
      fflush(stdout);
      long r = syscall(nr, args[0], args[1], args[2], args[3], args[4], args[5]);
      printf("syscall:%ld=%ld errno=%d\n", nr, r, r < 0 ? errno : 0);
    } else if (!strcmp(a, "env")) {
      for (char** e = environ; *e; ++e) printf("env:%s\n", *e);
    } else if (!strcmp(a, "sleep")) {
      fflush(stdout);
      sleep((unsigned)atoi(next));
      ++i;
    } else if (!strcmp(a, "nanosleep")) {
      const long ms = atol(next);
      struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
      printf("nanosleep-started=1\n");
      fflush(stdout);
      const long r = syscall(SYS_nanosleep, &ts, NULL);
      printf("nanosleep=%s\n", r == 0 ? "ok" : errno_name(errno));
      ++i;
    } else if (!strcmp(a, "wait-signal")) {
      wait_signal();
    } else if (!strcmp(a, "signal")) {
      fflush(stdout);
      signal(atoi(next), SIG_DFL);
      raise(atoi(next));
      ++i;
    } else if (!strcmp(a, "exit")) {
      fflush(stdout);
      exit(atoi(next));
    } else {
      printf("unknown=%s\n", a);
    }
    fflush(stdout);
  }
  return 0;
}
