// SPDX-License-Identifier: Apache-2.0
// probe_terminal: can the command push input into the caller's terminal (bubblewrap
// CVE-2017-5226)? TIOCSTI queues bytes as if typed; TIOCLINUX's paste does the same on a
// virtual console. Tried on the inherited descriptors 0-2 and on /dev/tty (the controlling
// terminal, whatever the descriptors are). One line per attempt:
//   "<attempt>: held (<how>)" or "<attempt>: escaped (<what>)"; exit code = number escaped.
// Usage: probe_terminal [MARKER]   the bytes to inject (default "probe-terminal-injected\n");
// the test looks for them at the terminal's reader.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/tiocl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int escaped = 0;

static void held(const char* attempt, const char* on, const char* how) {
  printf("%s %s: held (%s)\n", attempt, on, how);
  fflush(stdout);
}

static void escape(const char* attempt, const char* on, const char* what) {
  printf("%s %s: escaped (%s)\n", attempt, on, what);
  fflush(stdout);
  escaped++;
}

// Byte by byte, as TIOCSTI takes them; one accepted byte is an injection.
static void try_tiocsti(const char* on, int fd, const char* marker) {
  size_t pushed = 0;
  int err = 0;
  for (const char* c = marker; *c; ++c) {
    if (ioctl(fd, TIOCSTI, c) != 0) {
      err = errno;
      break;
    }
    pushed++;
  }
  char text[128];
  if (pushed > 0) {
    snprintf(text, sizeof text, "pushed %zu bytes into the terminal's input", pushed);
    escape("tiocsti", on, text);
  } else {
    snprintf(text, sizeof text, "TIOCSTI: %s", strerror(err));
    held("tiocsti", on, text);
  }
}

static void try_tioclinux(const char* on, int fd) {
  char subcode = TIOCL_PASTESEL;  // paste the console selection into the terminal's input
  char text[128];
  if (ioctl(fd, TIOCLINUX, &subcode) == 0) {
    escape("tioclinux", on, "pasted the console selection into the terminal's input");
  } else {
    snprintf(text, sizeof text, "TIOCLINUX: %s", strerror(errno));
    held("tioclinux", on, text);
  }
}

int main(int argc, char** argv) {
  const char* marker = argc > 1 ? argv[1] : "probe-terminal-injected\n";
  const char* names[] = {"fd 0", "fd 1", "fd 2"};
  for (int fd = 0; fd <= 2; ++fd) {
    if (!isatty(fd)) {
      held("tiocsti", names[fd], "not a terminal");
      held("tioclinux", names[fd], "not a terminal");
      continue;
    }
    try_tiocsti(names[fd], fd, marker);
    try_tioclinux(names[fd], fd);
  }
  const int tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (tty < 0) {
    char text[128];
    snprintf(text, sizeof text, "open: %s", strerror(errno));
    held("tiocsti", "/dev/tty", text);
    held("tioclinux", "/dev/tty", text);
  } else {
    try_tiocsti("/dev/tty", tty, marker);
    try_tioclinux("/dev/tty", tty);
    close(tty);
  }
  return escaped;
}
