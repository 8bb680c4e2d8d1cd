// SPDX-License-Identifier: Apache-2.0
// Security probe, class "rootfs": plants in the container's root what a container could use
// against host users if it reached the host's copy of a directory rootfs:
//   setuid-file   a setuid-root copy of this program at DIR/probe-rootfs-suid
//   device-node   a char device (1:3, like /dev/null) at DIR/probe-rootfs-node, then opens it
//   marker        a plain file DIR/probe-rootfs-marker
// DIR is argv[1] (default "/"). Whether a plant reached the host only the host can tell, so
// the test decides "held" or "escaped" by looking at the host directory afterwards; this
// program reports what it did, one line each: "<attempt>: planted (<what>)" or
// "<attempt>: refused (<errno>)", plus "device-open: ..." and "mount: <options of />".
// Exit code 0 unless it could not run at all.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static void refused(const char* attempt, int err) { printf("%s: refused (%s)\n", attempt, strerror(err)); }

static void plant_setuid_copy(const char* path) {
  int in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  int out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
  if (in < 0 || out < 0) {
    refused("setuid-file", errno);
    if (in >= 0) close(in);
    if (out >= 0) close(out);
    return;
  }
  char buf[65536];
  ssize_t n;
  while ((n = read(in, buf, sizeof buf)) > 0) {
    if (write(out, buf, (size_t)n) != n) break;
  }
  close(in);
  if (fchown(out, 0, 0) != 0 || fchmod(out, 04755) != 0) {
    refused("setuid-file", errno);
    close(out);
    return;
  }
  struct stat st;
  fstat(out, &st);
  close(out);
  printf("setuid-file: planted (%s mode %o uid %u)\n", path, (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid);
}

static void plant_device(const char* path) {
  if (mknod(path, S_IFCHR | 0666, makedev(1, 3)) != 0) {
    refused("device-node", errno);
    return;
  }
  printf("device-node: planted (%s char 1:3)\n", path);
  int fd = open(path, O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    printf("device-open: refused (%s)\n", strerror(errno));
  } else {
    printf("device-open: planted (opened %s)\n", path);
    close(fd);
  }
}

static void plant_marker(const char* path) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || write(fd, "planted\n", 8) != 8) {
    refused("marker", errno);
  } else {
    printf("marker: planted (%s)\n", path);
  }
  if (fd >= 0) close(fd);
}

// The mount options of "/" as the container sees them (mountinfo field 6, then the fs type).
static void print_root_mount(void) {
  FILE* f = fopen("/proc/self/mountinfo", "r");
  if (!f) return;
  char line[4096];
  while (fgets(line, sizeof line, f)) {
    char mountpoint[1024], options[1024], fstype[256];
    if (sscanf(line, "%*s %*s %*s %*s %1023s %1023s", mountpoint, options) != 2) continue;
    const char* dash = strstr(line, " - ");
    if (strcmp(mountpoint, "/") != 0 || !dash || sscanf(dash, " - %255s", fstype) != 1) continue;
    printf("mount: %s %s\n", fstype, options);  // the last "/" line is the one on top
  }
  fclose(f);
}

int main(int argc, char** argv) {
  const char* dir = argc > 1 ? argv[1] : "/";
  char path[4096];
  snprintf(path, sizeof path, "%s/probe-rootfs-suid", dir);
  plant_setuid_copy(path);
  snprintf(path, sizeof path, "%s/probe-rootfs-node", dir);
  plant_device(path);
  snprintf(path, sizeof path, "%s/probe-rootfs-marker", dir);
  plant_marker(path);
  print_root_mount();
  return 0;
}
