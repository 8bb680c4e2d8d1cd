// SPDX-License-Identifier: Apache-2.0
// probe_stdio: can the command leave its root through an inherited descriptor 0-2 (runc
// CVE-2024-21626)? A directory descriptor from outside the container's root leads out:
// openat(fd, "..") is not stopped at the container's root, which that descriptor is not under.
// For each of 0, 1, 2 that is a directory, walks up with openat(dir, "..") and fchdir, and
// looks for MARKER (a file the test put on the host, outside the rootfs) at each level. One
// line per descriptor: "<attempt>: held (<how>)" or "<attempt>: escaped (<what>)";
// exit code = number escaped.
// Usage: probe_stdio MARKER
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int escaped = 0;

static void verdict(int fd, int out, const char* text) {
  printf("stdio fd %d: %s (%s)\n", fd, out ? "escaped" : "held", text);
  fflush(stdout);
  escaped += out;
}

static void walk_up(int fd, const char* marker) {
  char text[256];
  int dir = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) {
    snprintf(text, sizeof text, "a directory, but openat(%d, \".\"): %s", fd, strerror(errno));
    return verdict(fd, 0, text);
  }
  for (int level = 0; level < 64; ++level) {
    if (faccessat(dir, marker, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
      snprintf(text, sizeof text, "saw the host's %s %d level(s) above descriptor %d, outside the root", marker,
               level, fd);
      close(dir);
      return verdict(fd, 1, text);
    }
    const int up = openat(dir, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (up < 0) {
      snprintf(text, sizeof text, "openat(\"..\") at level %d: %s", level, strerror(errno));
      close(dir);
      return verdict(fd, 0, text);
    }
    struct stat here, above;
    const int top = fstat(dir, &here) == 0 && fstat(up, &above) == 0 && here.st_dev == above.st_dev &&
                    here.st_ino == above.st_ino;
    close(dir);
    dir = up;
    if (fchdir(dir) != 0) {
      snprintf(text, sizeof text, "fchdir at level %d: %s", level + 1, strerror(errno));
      close(dir);
      return verdict(fd, 0, text);
    }
    if (top) break;
  }
  close(dir);
  verdict(fd, 0, "a directory, but no level above it holds the marker");
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: probe_stdio MARKER\n");
    return 100;
  }
  for (int fd = 0; fd <= 2; ++fd) {
    struct stat st;
    if (fstat(fd, &st) != 0) {
      verdict(fd, 0, "closed");
    } else if (!S_ISDIR(st.st_mode)) {
      verdict(fd, 0, "not a directory");
    } else {
      walk_up(fd, argv[1]);
    }
  }
  return escaped;
}
