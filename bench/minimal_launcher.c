// SPDX-License-Identifier: Apache-2.0
// The floor for bench/run's launch row: the "minimal static C launcher" plan-exec is compared
// against, doing only clone + pivot_root + proc + cgroup join + seccomp + exec, with no
// validation, no error reporting beyond a message, no cleanup watcher, no signal forwarding.
// Not a product: it shows how much of plan-exec's launch time is the kernel's and libc's.
//   minimal_launcher ROOTFS FILTER.bpf COMMAND [ARGS...]
// FILTER.bpf is what `policyc --emit-bpf` writes. Cgroups: memory 64M, cpu 50%, pids 32, as
// in bench/run's launch policy (v1 hierarchies memory, cpu, pids; or one cgroup2 directory).
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char* what) {
  perror(what);
  _exit(125);
}

static void write_file(const char* dir, const char* file, const char* text) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write(fd, text, strlen(text)) < 0) die(path);
  close(fd);
}

struct cgroup {
  char dirs[3][256];
  int count;
  int tasks[3];  // opened before clone; the child writes "0" (itself) into each
};

static void make_cgroups(struct cgroup* cg) {
  const int v2 = access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0;
  const char* roots[3] = {"memory", "cpu", "pids"};
  cg->count = v2 ? 1 : 3;
  for (int i = 0; i < cg->count; ++i) {
    if (v2) snprintf(cg->dirs[i], sizeof cg->dirs[i], "/sys/fs/cgroup/minimal-%d", getpid());
    else snprintf(cg->dirs[i], sizeof cg->dirs[i], "/sys/fs/cgroup/%s/minimal-%d", roots[i], getpid());
    if (mkdir(cg->dirs[i], 0755) != 0) die(cg->dirs[i]);
  }
  if (v2) {
    write_file(cg->dirs[0], "memory.max", "67108864");
    write_file(cg->dirs[0], "cpu.max", "50000 100000");
    write_file(cg->dirs[0], "pids.max", "32");
  } else {
    write_file(cg->dirs[0], "memory.limit_in_bytes", "67108864");
    write_file(cg->dirs[1], "cpu.cfs_quota_us", "50000");
    write_file(cg->dirs[2], "pids.max", "32");
  }
  for (int i = 0; i < cg->count; ++i) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", cg->dirs[i], v2 ? "cgroup.procs" : "tasks");
    cg->tasks[i] = open(path, O_WRONLY | O_CLOEXEC);
    if (cg->tasks[i] < 0) die(path);
  }
}

static struct sock_fprog read_filter(const char* path) {
  static struct sock_filter program[4096];
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) die(path);
  ssize_t n = read(fd, program, sizeof program);
  if (n <= 0 || n % sizeof program[0]) die("filter");
  close(fd);
  struct sock_fprog fprog = {(unsigned short)(n / sizeof program[0]), program};
  return fprog;
}

static void child(const char* rootfs, const struct cgroup* cg, struct sock_fprog* filter, char** argv) {
  for (int i = 0; i < cg->count; ++i) {
    if (write(cg->tasks[i], "0", 1) != 1) die("cgroup join");
  }
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) die("private /");
  if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) != 0) die("bind rootfs");
  if (chdir(rootfs) != 0) die("chdir rootfs");
  if (mount("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0) die("proc");
  if (syscall(SYS_pivot_root, ".", ".") != 0) die("pivot_root");
  if (umount2(".", MNT_DETACH) != 0) die("detach old root");
  if (chdir("/") != 0) die("chdir /");
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) die("no_new_privs");
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, filter) != 0) die("seccomp");
  execv(argv[0], argv);
  die(argv[0]);
}

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s ROOTFS FILTER.bpf COMMAND [ARGS...]\n", argv[0]);
    return 125;
  }
  struct sock_fprog filter = read_filter(argv[2]);
  struct cgroup cg;
  make_cgroups(&cg);
  const long flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET | SIGCHLD;
  pid_t pid = (pid_t)syscall(SYS_clone, flags, 0, 0, 0, 0);
  if (pid < 0) die("clone");
  if (pid == 0) child(argv[1], &cg, &filter, argv + 3);
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) die("wait");
  for (int i = 0; i < cg.count; ++i) rmdir(cg.dirs[i]);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
