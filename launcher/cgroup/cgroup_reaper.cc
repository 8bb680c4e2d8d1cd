// SPDX-License-Identifier: Apache-2.0
#include "launcher/cgroup/cgroup_reaper.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <new>
#include <string_view>

#include "launcher/cgroup/cgroup_fs.h"
#include "launcher/host/error.h"
#include "launcher/host/raw_syscall.h"
#include "launcher/host/signals.h"

namespace launcher {
namespace {

constexpr std::string_view kDone = "done";

// The terminal's signals (^C, ^Z, hangup: INT TSTP HUP ...) go to plan-exec's process group,
// the watcher included; they must not stop or kill it before it cleaned up. Blocking them is
// one syscall (they stay pending, harmlessly); SIGTERM and SIGKILL still end it.
constexpr int kTerminalSignals[] = {SIGINT, SIGHUP, SIGQUIT, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU};

// Only in the exec'd cleanup (plan-exec died, or its cleanup failed), before the possibly
// slow work: leave the terminal's session for good, ignoring its signals from now on.
void detach_from_plan_exec() {
  ::setsid();
  for (int sig : kTerminalSignals) ::signal(sig, SIG_IGN);
}

// ---- the watcher: a process on plan-exec's memory ------------------------------------------
//
// A fork() of plan-exec copies its page tables, and every page either side writes afterwards
// is a copy-on-write fault, on the start path of every run with limits (measured: 0.2-0.3 ms of
// a 3.5 ms launch). The watcher only has to wait for one message, so it is cloned with CLONE_VM
// instead: no copy at all. The price is discipline: it runs on plan-exec's memory and thread
// pointer, so it uses nothing but raw system calls (raw_syscall.h) and what start() placed in a
// mapping plan-exec never unmaps (WatcherStart, the stack). If the message is not "done", it
// execve()s `plan-exec --reap-cgroups ...` and the cleanup runs in a fresh address space.

struct WatcherStart {
  long read_fd, write_fd;
  unsigned long terminal_mask;  // the kernel's sigset_t: bit (signal - 1)
  const char* program;          // plan-exec: set_reap_program()
  char** argv;                  // plan-exec-reap --reap-cgroups LEAF... -- PARENT...
  char** envp;                  // empty: the cleanup needs no environment
};

struct KernelSigaction {  // the kernel's struct sigaction; zero = SIG_DFL
  void* handler = nullptr;
  unsigned long flags = 0;
  void* restorer = nullptr;
  unsigned long mask = 0;
};

constexpr std::size_t kWatcherStackBytes = 32 * 1024;

// The watcher's own code must not call into a sanitizer's runtime either: that keeps per-thread
// state behind the thread pointer, which the watcher shares with plan-exec.
#define WATCHER_CODE __attribute__((no_sanitize("address", "undefined")))

WATCHER_CODE bool received_done(long fd) {
  char buffer[8];
  long got = 0;
  for (;;) {
    const long n = raw_syscall(SYS_read, fd, reinterpret_cast<long>(buffer + got), static_cast<long>(sizeof buffer) - got);
    if (n == -EINTR) continue;
    if (n <= 0) break;
    got += n;
    if (got == static_cast<long>(sizeof buffer)) break;  // longer than "done": not the message
  }
  if (got != static_cast<long>(kDone.size())) return false;
  for (long i = 0; i < got; ++i) {  // by hand: a sanitizer intercepts memcmp
    if (buffer[i] != kDone[static_cast<std::size_t>(i)]) return false;
  }
  return true;
}

// It must not keep plan-exec's stdout/stderr pipes or any other fd open (a test or a shell
// reading plan-exec's output would otherwise wait for the watcher too): stdio on /dev/null,
// every fd but the pipe closed. Handlers plan-exec installed (signal forwarding) must never run
// here: every signal is blocked from clone until they are back to SIG_DFL.
WATCHER_CODE int watch(void* arg) {
  const WatcherStart& w = *static_cast<const WatcherStart*>(arg);
  // plan-exec's handlers (the forwarding ones, installed at clone: on v1 the cgroups are made
  // after clone) do what signals do by default here: SIGTERM ends the watcher.
  const KernelSigaction default_action;
  for (int sig : kForwardedSignals) raw_syscall(SYS_rt_sigaction, sig, reinterpret_cast<long>(&default_action), 0, 8);
  raw_syscall(SYS_rt_sigaction, SIGCHLD, reinterpret_cast<long>(&default_action), 0, 8);
  raw_syscall(SYS_rt_sigprocmask, SIG_SETMASK, reinterpret_cast<long>(&w.terminal_mask), 0, 8);
  raw_syscall(SYS_prctl, PR_SET_NAME, reinterpret_cast<long>("plan-exec-reap"));
  raw_syscall(SYS_close, w.write_fd);
  const long null_fd = raw_syscall(SYS_openat, AT_FDCWD, reinterpret_cast<long>("/dev/null"), O_RDWR | O_CLOEXEC);
  for (long fd = 0; fd <= 2 && null_fd >= 0; ++fd) {
    if (fd != null_fd) raw_syscall(SYS_dup3, null_fd, fd, 0);
  }
  if (w.read_fd != 3) raw_syscall(SYS_dup3, w.read_fd, 3, O_CLOEXEC);
  raw_syscall(SYS_close_range, 4, ~0U, 0);
  if (received_done(3)) raw_syscall(SYS_exit, 0);
  raw_syscall(SYS_execve, reinterpret_cast<long>(w.program), reinterpret_cast<long>(w.argv),
              reinterpret_cast<long>(w.envp));
  raw_syscall(SYS_exit, 1);  // no plan-exec to run: nothing better is left to do
  return 1;
}

std::string& reap_program() {
  static std::string program;
  return program;
}

// One private anonymous mapping: WatcherStart, argv and envp, their strings, then the stack.
// Returns the stack's top. Never unmapped: the watcher may read it after plan-exec is gone.
// args[0] is the program to exec, args[1] its argv[0], and so on.
char* place_watcher(const std::vector<std::string>& args, WatcherStart** out) {
  std::size_t strings = 0;
  for (const auto& a : args) strings += a.size() + 1;
  const std::size_t pointers = (args.size() + 2) * sizeof(char*);
  const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  const std::size_t size = (sizeof(WatcherStart) + pointers + strings + kWatcherStackBytes + page - 1) / page * page;
  void* memory = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) throw StepError("cgroups", "map memory for the cgroup cleanup watcher", errno);
  auto* start = new (memory) WatcherStart{};
  char** argv = reinterpret_cast<char**>(start + 1);
  char* text = reinterpret_cast<char*>(argv + args.size() + 2);
  for (std::size_t i = 0; i < args.size(); ++i) {
    argv[i] = text;
    text = std::copy(args[i].begin(), args[i].end(), text);
    *text++ = '\0';
  }
  argv[args.size()] = nullptr;
  argv[args.size() + 1] = nullptr;  // envp: empty
  start->program = argv[0];
  start->argv = argv + 1;
  start->envp = argv + args.size() + 1;
  for (int sig : kTerminalSignals) start->terminal_mask |= 1UL << (sig - 1);
  *out = start;
  return static_cast<char*>(memory) + size;  // page-aligned, so 16-byte aligned
}

}  // namespace

std::vector<std::string> remove_container_cgroups(const std::vector<std::string>& leaves,
                                                  const std::vector<std::string>& parents) {
  CgroupFs fs;
  std::vector<std::string> problems;
  for (const auto& leaf : leaves) {
    std::string problem = kill_and_remove_cgroup(fs, leaf);
    if (!problem.empty()) problems.push_back(problem);
  }
  // Shared parents: another instance may still use them (ENOTEMPTY/EBUSY), which is fine.
  for (const auto& parent : parents) fs.remove_dir(parent);
  return problems;
}

void CgroupReaper::start(std::vector<std::string> leaves, std::vector<std::string> parents) {
  if (reap_program().empty()) {
    throw StepError("cgroups", "no program for the cgroup cleanup watcher to run (launcher bug: call set_reap_program first)");
  }
  std::vector<std::string> args = {reap_program(), "plan-exec-reap", kReapOption};
  args.insert(args.end(), leaves.begin(), leaves.end());
  args.emplace_back("--");
  args.insert(args.end(), parents.begin(), parents.end());
  WatcherStart* start = nullptr;
  char* stack_top = place_watcher(args, &start);
  int fds[2];
  check(::pipe2(fds, O_CLOEXEC), "cgroups", "create the pipe to the cgroup cleanup watcher");
  start->read_fd = fds[0];
  start->write_fd = fds[1];
  sigset_t all, previous;
  ::sigfillset(&all);
  ::sigprocmask(SIG_SETMASK, &all, &previous);
  const pid_t pid = ::clone(watch, stack_top, CLONE_VM | SIGCHLD, start);
  const int err = errno;
  ::sigprocmask(SIG_SETMASK, &previous, nullptr);
  ::close(fds[0]);
  if (pid < 0) {
    ::close(fds[1]);
    throw StepError("cgroups", "start the cgroup cleanup watcher (clone)", err);
  }
  write_fd_ = fds[1];
  pid_ = pid;
  owner_ = ::getpid();
}

void CgroupReaper::close_and_wait(bool done) {
  if (write_fd_ < 0) return;
  if (::getpid() != owner_) {  // a cloned child's copy: only plan-exec speaks to the watcher
    ::close(write_fd_);
    write_fd_ = -1;
    return;
  }
  if (done) {
    // A failed write leaves the watcher at EOF without "done": it cleans up, which is safe.
    [[maybe_unused]] ssize_t n = ::write(write_fd_, kDone.data(), kDone.size());
  }
  ::close(write_fd_);
  write_fd_ = -1;
  // Waited for even after "done" (measured: not waiting saved nothing visible here), so that
  // plan-exec's exit means none of its processes is left.
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

void set_reap_program(std::string path) { reap_program() = std::move(path); }

int reap_cgroups_command(const std::vector<std::string>& leaves, const std::vector<std::string>& parents) {
  detach_from_plan_exec();
  return remove_container_cgroups(leaves, parents).empty() ? 0 : 1;
}

void CgroupReaper::dismiss() { close_and_wait(true); }
void CgroupReaper::release() { close_and_wait(false); }
CgroupReaper::~CgroupReaper() { release(); }

}  // namespace launcher
