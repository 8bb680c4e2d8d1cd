// SPDX-License-Identifier: Apache-2.0
// Security probe "nodev": can the container make a device node of its own and open it?
// Usage: probe_nodev [DIR]   (DIR: a writable mount of the container, default /tmp)
//   mknod-char:  a copy of /dev/null (char 1:3) in DIR, opened read-write
//   mknod-block: the host's first disk from /proc/partitions (block), opened read-only
// Held when mknod is refused (no CAP_MKNOD, seccomp, user namespace) or the open is (nodev on
// the mount, a device cgroup). Escaped when the node opens: with the disk, the host's whole file
// system. One line per attempt; the exit code is the number of escapes. Nothing is read or
// written through the nodes, and they are removed again.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static int escapes = 0;

static void attempt(const char* name, const char* dir, mode_t type, unsigned major_number, unsigned minor_number,
                    int open_flags, const char* what) {
  char path[512];
  snprintf(path, sizeof path, "%s/probe-nodev-%s", dir, name);
  unlink(path);
  if (mknod(path, type | 0600, makedev(major_number, minor_number)) != 0) {
    printf("%s: held (mknod %u:%u in %s: %s)\n", name, major_number, minor_number, dir, strerror(errno));
    return;
  }
  int fd = open(path, open_flags | O_CLOEXEC);
  int err = errno;
  unlink(path);
  if (fd < 0) {
    printf("%s: held (mknod %u:%u in %s worked, open: %s)\n", name, major_number, minor_number, dir, strerror(err));
    return;
  }
  close(fd);
  printf("%s: escaped (opened %s through a node made in %s)\n", name, what, dir);
  ++escapes;
}

// The first whole disk /proc/partitions lists ("major minor #blocks name"), or 0.
static int first_disk(unsigned* major_number, unsigned* minor_number, char* name, size_t size) {
  FILE* f = fopen("/proc/partitions", "re");
  if (!f) return 0;
  char line[256], found[64];
  int ok = 0;
  while (fgets(line, sizeof line, f)) {
    unsigned long long blocks;
    if (sscanf(line, " %u %u %llu %63s", major_number, minor_number, &blocks, found) == 4) {
      snprintf(name, size, "%s", found);
      ok = 1;
      break;
    }
  }
  fclose(f);
  return ok;
}

int main(int argc, char** argv) {
  const char* dir = argc > 1 ? argv[1] : "/tmp";
  attempt("mknod-char", dir, S_IFCHR, 1, 3, O_RDWR, "a copy of /dev/null (1:3)");
  unsigned major_number = 0, minor_number = 0;
  char disk[64], what[128];
  if (first_disk(&major_number, &minor_number, disk, sizeof disk)) {
    snprintf(what, sizeof what, "the host's disk %s (%u:%u)", disk, major_number, minor_number);
    attempt("mknod-block", dir, S_IFBLK, major_number, minor_number, O_RDONLY, what);
  } else {
    printf("mknod-block: held (no disk in /proc/partitions to try)\n");
  }
  return escapes;
}
