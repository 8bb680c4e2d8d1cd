// SPDX-License-Identifier: Apache-2.0
// peak_rss CMD ARGS...: runs CMD and prints the peak resident set size (KiB) that wait4 reports
// for it. A tiny static program on purpose: the forked child's memory before exec counts too,
// so a large parent (a Python or shell benchmark driver) would inflate the figure.
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: peak_rss CMD [ARGS...]\n");
    return 2;
  }
  pid_t pid = fork();
  if (pid == 0) {
    execv(argv[1], argv + 1);
    _exit(127);
  }
  int status = 0;
  struct rusage usage;
  if (pid < 0 || wait4(pid, &status, 0, &usage) < 0) return 2;
  printf("%ld\n", usage.ru_maxrss);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
