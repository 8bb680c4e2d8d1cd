// SPDX-License-Identifier: Apache-2.0
/* probe_landlock: tries file and network accesses inside a container and prints one line per
 * attempt, "ACTION:ARG=ok" or "ACTION:ARG=ERRNO_NAME", for the Landlock tests:
 *   read PATH        open O_RDONLY and read a byte
 *   list PATH        open a directory and read its entries
 *   write PATH       open O_WRONLY|O_CREAT|O_TRUNC and write a byte
 *   mkdir PATH       mkdir 0755
 *   exec PATH        fork, execve(PATH, {PATH, "--version"}); ok when execve succeeded
 *   bind PORT        a TCP socket bound to 0.0.0.0:PORT
 *   connect PORT     a TCP connection to 127.0.0.1:PORT (ECONNREFUSED: Landlock let it through)
 *   script PATH      write "#!/bin/sh\nexit 0\n" there, mode 0755 (something to exec later)
 * After the word "expect-held", each attempt prints the security suite's form instead:
 * "landlock ACTION ARG: held (EACCES)" when Landlock's EACCES stopped it, else
 * "landlock ACTION ARG: escaped (RESULT)": the access reached the file or the network stack. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char* errno_name(int e) {
  switch (e) {
    case 0: return "ok";
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EACCES: return "EACCES";
    case EROFS: return "EROFS";
    case EXDEV: return "EXDEV";
    case ECONNREFUSED: return "ECONNREFUSED";
    case EADDRINUSE: return "EADDRINUSE";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case ENETUNREACH: return "ENETUNREACH";
    case ESRCH: return "ESRCH";
    case ENOEXEC: return "ENOEXEC";
    default: return "other";
  }
}

static int try_read(const char* path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  char c;
  int err = read(fd, &c, 1) < 0 ? errno : 0;
  close(fd);
  return err;
}

static int try_list(const char* path) {
  DIR* d = opendir(path);
  if (!d) return errno;
  errno = 0;
  while (readdir(d)) {
  }
  int err = errno;
  closedir(d);
  return err;
}

static int try_write(const char* path) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return errno;
  int err = write(fd, "x", 1) < 0 ? errno : 0;
  close(fd);
  return err;
}

static int try_exec(const char* path) {
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) return errno;
  pid_t pid = fork();
  if (pid < 0) return errno;
  if (pid == 0) {
    char* argv[] = {(char*)path, (char*)"--version", NULL};
    char* envp[] = {NULL};
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0) {
      dup2(null, 1);
      dup2(null, 2);
    }
    execve(path, argv, envp);
    int err = errno;
    if (write(report[1], &err, sizeof err) < 0) _exit(126);
    _exit(126);
  }
  close(report[1]);
  int err = 0;
  if (read(report[0], &err, sizeof err) != (ssize_t)sizeof err) err = 0;  /* closed by a successful exec */
  close(report[0]);
  waitpid(pid, NULL, 0);
  return err;
}

static int tcp(int do_bind, int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((unsigned short)port);
  addr.sin_addr.s_addr = htonl(do_bind ? INADDR_ANY : INADDR_LOOPBACK);
  int rc = do_bind ? bind(fd, (struct sockaddr*)&addr, sizeof addr) : connect(fd, (struct sockaddr*)&addr, sizeof addr);
  int err = rc == 0 ? 0 : errno;
  close(fd);
  return err;
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  int expect_held = 0;
  for (int i = 1; i < argc; ++i) {
    const char* action = argv[i];
    if (strcmp(action, "expect-held") == 0) { expect_held = 1; continue; }
    if (i + 1 >= argc) {
      fprintf(stderr, "probe_landlock: %s needs an argument\n", action);
      return 2;
    }
    const char* arg = argv[++i];
    int err;
    if (strcmp(action, "read") == 0) err = try_read(arg);
    else if (strcmp(action, "list") == 0) err = try_list(arg);
    else if (strcmp(action, "write") == 0) err = try_write(arg);
    else if (strcmp(action, "mkdir") == 0) err = mkdir(arg, 0755) == 0 ? 0 : errno;
    else if (strcmp(action, "exec") == 0) err = try_exec(arg);
    else if (strcmp(action, "bind") == 0) err = tcp(1, atoi(arg));
    else if (strcmp(action, "connect") == 0) err = tcp(0, atoi(arg));
    else if (strcmp(action, "kill") == 0) err = kill(atoi(arg), 0) == 0 ? 0 : errno;
    else if (strcmp(action, "script") == 0) {
      int fd = open(arg, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
      err = fd < 0 ? errno : (write(fd, "#!/bin/sh\nexit 0\n", 18) == 18 ? 0 : errno);
      if (fd >= 0) close(fd);
    }
    else {
      fprintf(stderr, "probe_landlock: unknown action %s\n", action);
      return 2;
    }
    if (!expect_held) printf("%s:%s=%s\n", action, arg, errno_name(err));
    else if (err == EACCES) printf("landlock %s %s: held (EACCES)\n", action, arg);
    else printf("landlock %s %s: escaped (%s)\n", action, arg, errno_name(err));
  }
  return 0;
}
