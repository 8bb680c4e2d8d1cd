// SPDX-License-Identifier: Apache-2.0
#include "launcher/supervisor/supervisor.h"

#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <optional>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>

#include "launcher/host/error.h"
#include "launcher/supervisor/syscall_names.h"
#include "plan/bpf_interp.h"
#include "plan/source_map.h"

namespace launcher {

namespace {

constexpr char kAnnounce = 'L';
constexpr char kAck = 'A';


// ---- what the kernel tells about the caller ---------------------------------------------------

// A field of /proc/TID/status ("" when absent).
std::string status_field(pid_t tid, const std::string& name) {
  std::ifstream status("/proc/" + std::to_string(tid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.compare(0, name.size() + 1, name + ":") == 0) {
      std::size_t start = line.find_first_not_of(" \t", name.size() + 1);
      return start == std::string::npos ? "" : line.substr(start);
    }
  }
  return "";
}

// The pid as the container sees it: the last NSpid entry.
pid_t inner_pid(pid_t tid) {
  std::istringstream ids(status_field(tid, "NSpid"));
  long id = 0, last = tid;
  while (ids >> id) last = id;
  return static_cast<pid_t>(last);
}

std::string program_of(pid_t tid) {
  std::ifstream cmdline("/proc/" + std::to_string(tid) + "/cmdline", std::ios::binary);
  std::string argv0;
  std::getline(cmdline, argv0, '\0');
  // The container chose it: control characters must not reach the caller's terminal.
  const std::string quoted = quoted_c_string(argv0);
  return quoted == "\"" + argv0 + "\"" ? argv0 : quoted;
}

bool sigsys_in(const std::string& mask_hex) {
  if (mask_hex.empty()) return true;  // cannot tell: do not rely on SIGSYS
  const unsigned long long mask = std::strtoull(mask_hex.c_str(), nullptr, 16);
  return (mask >> (SIGSYS - 1)) & 1ULL;
}

// A NUL-terminated string of the caller, at most 4 KiB, read page by page.
std::optional<std::string> read_string(pid_t tid, std::uint64_t address) {
  std::string out;
  char buffer[4096];
  while (out.size() < 4096) {
    const std::size_t to_page_end = 4096 - (address % 4096);
    iovec local{buffer, to_page_end};
    iovec remote{reinterpret_cast<void*>(address), to_page_end};
    const ssize_t n = ::process_vm_readv(tid, &local, 1, &remote, 1, 0);
    if (n <= 0) return out.empty() ? std::nullopt : std::optional<std::string>(out);
    const std::size_t got = static_cast<std::size_t>(n);
    const char* end = static_cast<const char*>(std::memchr(buffer, '\0', got));
    out.append(buffer, end ? static_cast<std::size_t>(end - buffer) : got);
    if (end) return out;
    address += got;
  }
  return out;
}

std::string arch_name(std::uint32_t arch) {
  switch (arch) {
    case plan::bpf::kAuditArchX86_64: return "x86_64";
    case plan::bpf::kAuditArchI386: return "i386";
    default: {
      char text[16];
      std::snprintf(text, sizeof text, "0x%08x", arch);
      return std::string("arch ") + text;
    }
  }
}

std::string verdict_text(std::uint32_t ret) {
  switch (ret & SECCOMP_RET_ACTION_FULL) {
    case SECCOMP_RET_ERRNO: return errno_text(static_cast<int>(ret & SECCOMP_RET_DATA));
    case SECCOMP_RET_KILL_PROCESS: return "kill_process";
    case SECCOMP_RET_KILL_THREAD: return "kill_thread";
    case SECCOMP_RET_LOG: return "log (let through)";
    case SECCOMP_RET_TRAP: return "trap";
    case SECCOMP_RET_TRACE: return "trace";
    case SECCOMP_RET_USER_NOTIF: return "notify (no handler: ENOSYS)";
    case SECCOMP_RET_ALLOW: return "allow";
    default: return "unknown verdict";
  }
}

long seccomp_call(unsigned op, unsigned flags, void* args) { return ::syscall(SYS_seccomp, op, flags, args); }

}  // namespace

// ---- the command process's side ---------------------------------------------------------------

namespace {

// The call that waits for the ack, one the loaded filter lets through or hands to the
// supervisor (which lets it run): read, else recvfrom, else ppoll (which leaves the ack unread).
struct AckWait {
  int nr = -1;
  std::array<std::uint64_t, 6> args{};
  // 1 once the ack is there (read into the buffer the arguments name, or ready to be read).
  long operator()() const {
    long n;
    do {
      n = ::syscall(nr, args[0], args[1], args[2], args[3], args[4], args[5]);
    } while (n < 0 && errno == EINTR);
    return n;
  }
};

std::optional<AckWait> choose_ack_wait(const std::vector<std::uint8_t>& bpf, int channel, char* ack, pollfd* ready) {
  const auto fd = static_cast<std::uint64_t>(channel);
  const auto buffer = reinterpret_cast<std::uint64_t>(ack);
  const AckWait candidates[] = {
      {SYS_read, {fd, buffer, 1, 0, 0, 0}},
      {SYS_recvfrom, {fd, buffer, 1, 0, 0, 0}},
      {SYS_ppoll, {reinterpret_cast<std::uint64_t>(ready), 1, 0, 0, sizeof(sigset_t), 0}},
  };
  for (const auto& candidate : candidates) {
    if (lets_through(bpf, candidate.nr, candidate.args)) return candidate;
  }
  return std::nullopt;
}

}  // namespace

void load_filter_handing_listener(const std::vector<std::uint8_t>& bpf, int channel) {
  char ack[1] = {0};
  pollfd ready{channel, POLLIN, 0};
  const std::optional<AckWait> chosen = choose_ack_wait(bpf, channel, ack, &ready);
  if (!chosen) {
    throw StepError("seccomp", "the policy traps or traces read, recvfrom and ppoll alike; plan-exec needs one of them "
                               "once before execve to take the seccomp listener (run with --denials=off and no kill rule, "
                               "or let one of them through)");
  }
  const AckWait wait = *chosen;
  // The kernel gives the new listener the lowest free descriptor, like any new fd.
  const int probe = ::fcntl(channel, F_DUPFD, 0);
  if (probe < 0) throw StepError("seccomp", "find a free descriptor for the seccomp listener", errno);
  ::close(probe);
  char message[1 + sizeof(int)] = {kAnnounce};
  std::memcpy(message + 1, &probe, sizeof probe);
  if (::send(channel, message, sizeof message, MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof message)) {
    throw StepError("seccomp", "announce the seccomp listener to plan-exec", errno);
  }
  std::vector<sock_filter> program(bpf.size() / sizeof(sock_filter));
  std::memcpy(program.data(), bpf.data(), program.size() * sizeof(sock_filter));
  sock_fprog prog{static_cast<unsigned short>(program.size()), program.data()};
  const long listener = seccomp_call(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
  if (listener < 0) {
    throw StepError("seccomp", "load the seccomp filter with a listener for plan-exec (" +
                                   std::to_string(program.size()) + " instructions)", errno);
  }
  // From here every call is filtered; a wrong number leaves the supervisor waiting in vain, so
  // leave (it notices the channel closing).
  if (listener != probe) _exit(125);
  const long n = wait();
  if (n != 1 || (wait.nr != SYS_ppoll && ack[0] != kAck)) _exit(125);
}

// ---- the parent's side ------------------------------------------------------------------------

Supervisor::Supervisor(const plan::Seccomp& seccomp, SupervisorConfig config)
    : seccomp_(seccomp), program_(plan::bpf::decode(seccomp.bpf)), config_(std::move(config)) {}

Supervisor::~Supervisor() {
  stop();
  for (int fd : {parent_end_, child_end_, stop_fd_}) {
    if (fd >= 0) ::close(fd);
  }
}

void Supervisor::open_channel() {
  int ends[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ends) != 0) {
    throw StepError("supervisor", "create the channel for the seccomp listener", errno);
  }
  parent_end_ = ends[0];
  child_end_ = ends[1];
  const int on = 1;
  if (::setsockopt(parent_end_, SOL_SOCKET, SO_PASSCRED, &on, sizeof on) != 0) {
    throw StepError("supervisor", "ask for the sender's pid on the listener channel (SO_PASSCRED)", errno);
  }
  stop_fd_ = ::eventfd(0, EFD_CLOEXEC);
  if (stop_fd_ < 0) throw StepError("supervisor", "create the supervisor's stop event", errno);
}

void Supervisor::start() {
  ::close(std::exchange(child_end_, -1));
  // The thread takes no signal: they stay with the main thread, which forwards them.
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &previous);
  thread_ = std::thread([this] { run(); });
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

void Supervisor::stop() {
  if (!thread_.joinable()) return;
  const std::uint64_t one = 1;
  ssize_t ignored = ::write(stop_fd_, &one, sizeof one);
  (void)ignored;
  thread_.join();
}

void Supervisor::run() {
  if (!take_listener()) return;
  serve(listener_);
  ::close(std::exchange(listener_, -1));
}

// Waits for the announcement, copies the listener out of the command process and acks.
bool Supervisor::take_listener() {
  pollfd fds[2] = {{parent_end_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
  while (::poll(fds, 2, -1) < 0 && errno == EINTR) {
  }
  if (fds[1].revents) return false;
  char message[1 + sizeof(int)] = {};
  iovec iov{message, sizeof message};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(ucred))];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  const ssize_t n = ::recvmsg(parent_end_, &msg, MSG_CMSG_CLOEXEC);
  if (n != static_cast<ssize_t>(sizeof message) || message[0] != kAnnounce) return false;  // the child failed earlier
  int number = -1;
  std::memcpy(&number, message + 1, sizeof number);
  const cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  if (!cmsg || cmsg->cmsg_type != SCM_CREDENTIALS) {
    failure_ = "the container process announced its listener without credentials";
    return false;
  }
  ucred cred{};
  std::memcpy(&cred, CMSG_DATA(cmsg), sizeof cred);
  command_ = cred.pid;
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, command_, 0));
  if (pidfd < 0) {
    failure_ = "open a pidfd of the container process " + std::to_string(command_) + ": " + std::strerror(errno);
    return false;
  }
  // The load follows the announcement at once; poll for the descriptor for up to 5 s.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  long delay_ns = 20000;
  int fd = -1;
  for (;;) {
    fd = static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd, number, 0));
    if (fd >= 0) break;
    const int err = errno;
    pollfd gone{parent_end_, POLLRDHUP, 0};
    if (err != EBADF || (::poll(&gone, 1, 0) > 0 && (gone.revents & (POLLHUP | POLLRDHUP)))) {
      if (err != EBADF) failure_ = "copy the seccomp listener out of the container process (pidfd_getfd): " + std::string(std::strerror(err));
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      failure_ = "the container process announced a seccomp listener but none appeared within 5 s";
      break;
    }
    timespec pause{0, delay_ns};
    ::nanosleep(&pause, nullptr);
    delay_ns = std::min(delay_ns * 2, 1000000L);
  }
  char link[64] = {};
  const std::string self = "/proc/self/fd/" + std::to_string(fd);
  if (fd >= 0 && (::readlink(self.c_str(), link, sizeof link - 1) < 0 || std::strcmp(link, "anon_inode:seccomp notify") != 0)) {
    failure_ = "descriptor " + std::to_string(number) + " of the container process is not a seccomp listener";
    ::close(std::exchange(fd, -1));
  }
  // Without us it would wait for the ack, or in a notification, for ever.
  if (fd < 0 && !failure_.empty()) ::syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0);
  ::close(pidfd);
  if (fd < 0) return false;
  listener_ = fd;
  ::send(parent_end_, &kAck, 1, MSG_NOSIGNAL);  // fails only when it died: then nothing is left to serve
  return true;
}

void Supervisor::serve(int listener) {
  seccomp_notif_sizes sizes{};
  if (seccomp_call(SECCOMP_GET_NOTIF_SIZES, 0, &sizes) != 0) {
    sizes.seccomp_notif = sizeof(seccomp_notif);
    sizes.seccomp_notif_resp = sizeof(seccomp_notif_resp);
  }
  // The kernel may know a larger structure than our headers: give it the room it asks for.
  std::vector<char> notif(std::max<std::size_t>(sizes.seccomp_notif, sizeof(seccomp_notif)));
  std::vector<char> resp(std::max<std::size_t>(sizes.seccomp_notif_resp, sizeof(seccomp_notif_resp)));
  pollfd fds[2] = {{listener, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
  for (;;) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      failure_ = std::string("wait for seccomp notifications: ") + std::strerror(errno);
      return;
    }
    if (fds[1].revents) return;
    if (fds[0].revents & POLLIN) {
      std::fill(notif.begin(), notif.end(), 0);
      if (::ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, notif.data()) != 0) continue;  // ENOENT: the caller died
      std::fill(resp.begin(), resp.end(), 0);
      handle(listener, notif.data(), resp.data());
    } else if (fds[0].revents & (POLLHUP | POLLERR)) {
      return;  // no filtered process is left
    }
  }
}

// SIGSYS ends the process as the kernel's kill would (core dump, 128+31), unless it could not:
// a pid namespace's init ignores it from outside, a program may catch, block or ignore it, and a
// thread it reached already is still here. Then SIGKILL, which nothing stops; the exit status is
// translated back to 128+31 (killed_by_sigkill). No reply: the call must not return.
void Supervisor::kill_caller(int listener, std::uint64_t id, pid_t tid, pid_t inner) {
  const pid_t tgid = static_cast<pid_t>(std::atoi(status_field(tid, "Tgid").c_str()));
  const int pidfd = tgid > 0 ? static_cast<int>(::syscall(SYS_pidfd_open, tgid, 0)) : -1;
  if (pidfd < 0) return;  // gone already
  if (::ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0) {
    const bool sigsys_kills = inner != 1 && !sigsys_sent_.count(tid) && !sigsys_in(status_field(tid, "SigCgt")) &&
                              !sigsys_in(status_field(tid, "SigBlk")) && !sigsys_in(status_field(tid, "SigIgn"));
    if (sigsys_kills && ::syscall(SYS_tgkill, tgid, tid, SIGSYS) == 0) {
      sigsys_sent_.insert(tid);
    } else if (::syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0) == 0) {
      std::lock_guard<std::mutex> lock(killed_mutex_);
      killed_.insert(tgid);
    }
  }
  ::close(pidfd);
}

bool Supervisor::killed_by_sigkill(pid_t pid) const {
  std::lock_guard<std::mutex> lock(killed_mutex_);
  return killed_.count(pid) != 0;
}

void Supervisor::handle(int listener, void* notif_buffer, void* resp_buffer) {
  const auto& n = *static_cast<const seccomp_notif*>(notif_buffer);
  auto& r = *static_cast<seccomp_notif_resp*>(resp_buffer);
  r.id = n.id;
  auto respond = [&](std::int32_t error, std::uint32_t flags) {
    r.error = error;
    r.val = 0;
    r.flags = flags;
    ::ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &r);  // ENOENT: the caller is gone meanwhile
  };
  const pid_t tid = static_cast<pid_t>(n.pid);
  // The launcher's own calls between loading and execve (see supervisor.h).
  if (!command_execed_ && tid == command_) {
    pollfd channel{parent_end_, POLLRDHUP, 0};
    if (::poll(&channel, 1, 0) == 0) return respond(0, SECCOMP_USER_NOTIF_FLAG_CONTINUE);
    command_execed_ = true;
  }
  plan::bpf::SeccompData data;
  data.nr = n.data.nr;
  data.arch = n.data.arch;
  data.instruction_pointer = n.data.instruction_pointer;
  std::copy(std::begin(n.data.args), std::end(n.data.args), data.args.begin());
  const auto verdict = plan::bpf::run(program_, data);
  const std::uint32_t ret = verdict ? verdict->ret : SECCOMP_RET_KILL_PROCESS;
  const std::uint32_t action = ret & SECCOMP_RET_ACTION_FULL;
  const bool native = data.arch == plan::bpf::kAuditArchX86_64 && data.nr >= 0 && data.nr < plan::bpf::kX32SyscallBit;

  // Everything read from the caller is read first and trusted only if the call is still pending.
  Denial d;
  d.nr = data.nr;
  if (native) {
    const char* name = syscall_name(data.nr);
    d.syscall = name ? name : "syscall_" + std::to_string(data.nr);
    d.call = format_call(data.nr, data.args, [tid](std::uint64_t address) { return read_string(tid, address); });
  } else {
    d.syscall = arch_name(data.arch) + (data.nr & plan::bpf::kX32SyscallBit ? " (x32)" : "") + " syscall " +
                std::to_string(data.nr);
    d.call = d.syscall;
  }
  d.pid = inner_pid(tid);
  d.program = program_of(tid);
  std::uint64_t id = n.id;
  if (::ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) != 0) return;  // gone, or no longer that call

  if (config_.learn) {
    config_.learn(ObservedCall{data.nr, data.arch, data.args, d.call, ret});
    return respond(0, SECCOMP_USER_NOTIF_FLAG_CONTINUE);
  }
  d.verdict = verdict ? verdict_text(ret) : "kill_process (the plan's filter failed to run)";
  d.kill = action == SECCOMP_RET_KILL_PROCESS || action == SECCOMP_RET_KILL_THREAD;
  if (const auto& source = seccomp_.source) {
    if (!native) {
      d.rule = source->file + ": " + arch_name(data.arch) + " calls are not in the policy's arch list";
    } else if (const plan::Decision decision = plan::decide(*source, seccomp_.default_action, data.nr, data.args);
               decision.ret == ret) {
      d.rule = decision.reason;
    }
  }
  if (config_.log) config_.log->record(d);

  switch (action) {
    case SECCOMP_RET_ERRNO: return respond(-static_cast<std::int32_t>(ret & SECCOMP_RET_DATA), 0);
    case SECCOMP_RET_LOG:
    case SECCOMP_RET_ALLOW: return respond(0, SECCOMP_USER_NOTIF_FLAG_CONTINUE);
    case SECCOMP_RET_KILL_PROCESS:
    case SECCOMP_RET_KILL_THREAD: return kill_caller(listener, id, tid, d.pid);
    default: return respond(-ENOSYS, 0);  // the plan's own notify: as without a listener
  }
}

}  // namespace launcher
