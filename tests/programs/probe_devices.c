// SPDX-License-Identifier: Apache-2.0
// probe_devices: run inside a container, tries to reach a device node beyond the default list
// (Docker's: c 1:3 1:5 1:7 1:8 1:9 5:0 5:2 136:*) and prints one line per attempt:
//   <attempt>: held (<how>)       the container could not open it
//   <attempt>: escaped (<what>)   it opened a device it must not have
// Exit status: the number of escaped lines.
//
// Attempts: mknod of block 8:0, of the block device holding "/" (its st_dev, a real disk when
// the rootfs is a host directory), of char 1:1 (/dev/mem) and 1:11 (/dev/kmsg), in /tmp, /dev
// and "/", each followed by open(); then open() of every device node already in /dev that is
// not on the list. An open is tried read-only, and for char devices write-only too (/dev/kmsg
// opened for writing needs no capability at all). Nothing is ever read or written.
//
// Usage: probe_devices [--allow c:MAJOR:MINOR]...   also count these as allowed (granted)
//        probe_devices --open c:MAJOR:MINOR...      mknod each in /dev, open it, print
//                                                   "open c M:N: ok" or "open c M:N: failed (why)"
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

struct device {
  char type;  // 'c' or 'b'
  unsigned major, minor;
};

static int escaped = 0;

static void report(const char* attempt, int escaped_now, const char* detail) {
  printf("%s: %s (%s)\n", attempt, escaped_now ? "escaped" : "held", detail);
  fflush(stdout);
  if (escaped_now) escaped++;
}

static int parse_device(const char* text, struct device* d) {
  char type = 0;
  if (sscanf(text, "%c:%u:%u", &type, &d->major, &d->minor) != 3 || (type != 'c' && type != 'b')) return -1;
  d->type = type;
  return 0;
}

static struct device granted[32];
static int granted_count = 0;

static int allowed(char type, unsigned major, unsigned minor) {
  static const unsigned kChar[][2] = {{1, 3}, {1, 5}, {1, 7}, {1, 8}, {1, 9}, {5, 0}, {5, 2}};
  if (type == 'c' && major == 136) return 1;
  for (size_t i = 0; type == 'c' && i < sizeof kChar / sizeof kChar[0]; i++)
    if (kChar[i][0] == major && kChar[i][1] == minor) return 1;
  for (int i = 0; i < granted_count; i++)
    if (granted[i].type == type && granted[i].major == major && granted[i].minor == minor) return 1;
  return 0;
}

// 0 when `path` opened (read-only, or for char devices write-only), else the last errno.
static int try_open(const char* path, char type) {
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0 && type == 'c') fd = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return errno;
  close(fd);
  return 0;
}

static void mknod_then_open(const char* dir, const char* label, struct device d) {
  char attempt[160], path[128], detail[200];
  snprintf(attempt, sizeof attempt, "mknod %c %u:%u (%s) in %s, open", d.type, d.major, d.minor, label, dir);
  snprintf(path, sizeof path, "%s/.probe-devices-%d", strcmp(dir, "/") == 0 ? "" : dir, getpid());
  unlink(path);
  dev_t dev = makedev(d.major, d.minor);
  if (mknod(path, (d.type == 'c' ? S_IFCHR : S_IFBLK) | 0600, dev) != 0) {
    snprintf(detail, sizeof detail, "mknod: %s", strerror(errno));
    report(attempt, 0, detail);
    return;
  }
  int err = try_open(path, d.type);
  unlink(path);
  if (err == 0) {
    snprintf(detail, sizeof detail, "opened the node made at %s", path);
    report(attempt, 1, detail);
  } else {
    snprintf(detail, sizeof detail, "mknod worked, open: %s", strerror(err));
    report(attempt, 0, detail);
  }
}

// Every device node in `dir` (and one level of subdirectories) outside the list.
static void open_existing(const char* dir, int depth, int* outside, int* opened) {
  DIR* d = opendir(dir);
  if (!d) return;
  struct dirent* entry;
  while ((entry = readdir(d)) != NULL) {
    if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) continue;
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, entry->d_name);
    struct stat st;
    if (lstat(path, &st) != 0) continue;
    if (S_ISDIR(st.st_mode) && depth == 0) open_existing(path, 1, outside, opened);
    if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)) continue;
    char type = S_ISCHR(st.st_mode) ? 'c' : 'b';
    if (allowed(type, major(st.st_rdev), minor(st.st_rdev))) continue;
    (*outside)++;
    char attempt[600], detail[200];
    snprintf(attempt, sizeof attempt, "open existing %s (%c %u:%u)", path, type, major(st.st_rdev), minor(st.st_rdev));
    int err = try_open(path, type);
    if (err == 0) (*opened)++;
    snprintf(detail, sizeof detail, "%s", err == 0 ? "opened" : strerror(err));
    report(attempt, err == 0, detail);
  }
  closedir(d);
}

static int open_mode(int argc, char** argv) {
  for (int i = 0; i < argc; i++) {
    struct device d;
    if (parse_device(argv[i], &d) != 0) {
      fprintf(stderr, "probe_devices: bad device %s (want c:MAJOR:MINOR)\n", argv[i]);
      return 2;
    }
    char path[64];
    snprintf(path, sizeof path, "/dev/.probe-open-%d-%d", getpid(), i);
    unlink(path);
    int err = mknod(path, (d.type == 'c' ? S_IFCHR : S_IFBLK) | 0600, makedev(d.major, d.minor)) == 0 ? 0 : errno;
    if (err == 0) {
      err = try_open(path, d.type);
      unlink(path);
    }
    if (err == 0)
      printf("open %c %u:%u: ok\n", d.type, d.major, d.minor);
    else
      printf("open %c %u:%u: failed (%s)\n", d.type, d.major, d.minor, strerror(err));
  }
  return 0;
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "--open") == 0) return open_mode(argc - 2, argv + 2);
  for (int i = 1; i + 1 < argc; i += 2)
    if (strcmp(argv[i], "--allow") == 0 && granted_count < 32 && parse_device(argv[i + 1], &granted[granted_count]) == 0)
      granted_count++;

  struct device targets[4] = {{'b', 8, 0}, {'c', 1, 1}, {'c', 1, 11}, {'b', 0, 0}};
  const char* labels[4] = {"sda", "/dev/mem", "/dev/kmsg", "the disk of /"};
  int count = 3;
  struct stat root;
  if (stat("/", &root) == 0 && major(root.st_dev) != 0) {
    targets[3].major = major(root.st_dev);
    targets[3].minor = minor(root.st_dev);
    count = 4;
  }
  const char* dirs[] = {"/tmp", "/dev", "/"};
  for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
    for (int t = 0; t < count; t++) mknod_then_open(dirs[i], labels[t], targets[t]);

  int outside = 0, opened = 0;
  open_existing("/dev", 0, &outside, &opened);
  if (outside == 0) report("open existing nodes in /dev outside the list", 0, "there are none");
  return escaped;
}
