// SPDX-License-Identifier: Apache-2.0
#include "launcher/network/network_pasta.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include "launcher/host/error.h"
#include "launcher/network/network_nat.h"
#include "launcher/network/network_netlink.h"

namespace launcher {

namespace {

using Clock = std::chrono::steady_clock;

// pasta configures the container's interface in well under a second; beyond this it hangs.
constexpr std::chrono::seconds kPastaReadyTimeout{10};
// After SIGTERM at teardown, before SIGKILL.
constexpr std::chrono::milliseconds kPastaStopTimeout{2000};

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// "8080:80" or "127.0.0.1/8080:80", pasta's SPEC for one port.
std::string pasta_spec(const plan::PublishedPort& port) {
  std::string spec = port.host_address.empty() ? "" : port.host_address + "/";
  return spec + std::to_string(port.host_port) + ":" + std::to_string(port.container_port);
}

std::string ports_of(const plan::UserNetwork& user, const std::string& protocol) {
  std::string list;
  for (const auto& port : user.publish) {
    if (port.protocol == protocol) list += (list.empty() ? "" : ",") + pasta_spec(port);
  }
  return list.empty() ? "none" : list;
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// What is in a non-blocking pipe right now (pasta's stdout and stderr, at most 4 KiB), one
// line after another, without pasta's complaints that it has no syslog to write to.
std::string drain(int fd) {
  std::string text;
  char buffer[1024];
  ssize_t n;
  while (text.size() < 4096 && (n = ::read(fd, buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<size_t>(n));
  std::istringstream lines(text);
  std::string said, line;
  while (std::getline(lines, line)) {
    if (line.empty() || (line.rfind("Failed to send ", 0) == 0 && line.find(" to syslog") != std::string::npos)) continue;
    said += (said.empty() ? "" : "; ") + line;
  }
  return said;
}

// The forked child, up to execv: async-signal-safe calls only.
// - Every signal back to its default action and none blocked: plan-exec ignores SIGPIPE (and
//   blocks the signals it forwards), ignored dispositions survive execve, and pasta (2023) treats
//   an ignored SIGPIPE as a failure to install its own handlers ("Couldn't install signal
//   handlers": it checks signal()'s return value, the previous handler, against zero).
// - PR_SET_PDEATHSIG: pasta dies with plan-exec, also after SIGKILL; pasta attached to a pid
//   never notices that the namespace is gone (it holds the namespace open itself).
// - Its own session: a terminal's Ctrl-C reaches plan-exec, which stops the container first.
[[noreturn]] void exec_pasta(const char* pasta, char* const* argv, pid_t parent, int null_fd, int output_fd,
                             int ready_fd) {
  sigset_t all;
  sigfillset(&all);
  ::sigprocmask(SIG_SETMASK, &all, nullptr);
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) ::signal(sig, SIG_DFL);
  }
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) _exit(125);
  if (::getppid() != parent) _exit(125);  // plan-exec died before PDEATHSIG was armed
  ::setsid();
  if (::dup2(null_fd, 0) < 0 || ::dup2(output_fd, 1) < 0 || ::dup2(output_fd, 2) < 0) _exit(125);
  if (::fcntl(ready_fd, F_SETFD, 0) != 0) _exit(125);  // pasta opens /proc/self/fd/N: keep N open across exec
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::execv(pasta, argv);
  _exit(127);
}

// pasta runs in the foreground as plan-exec's child. Its --pid file is the write end of a pipe
// (/proc/self/fd/N), so "pid + newline" arrives once the container's interface is configured:
// pasta writes its pid file only after --config-net. No file is made anywhere.
class PastaNetwork final : public ContainerNetwork {
 public:
  PastaNetwork(plan::UserNetwork user, std::string pasta) : user_(std::move(user)), pasta_(std::move(pasta)) {}
  ~PastaNetwork() override { stop(); }

  // The child is released only after pasta has configured its interface.
  void setup_host(pid_t child) override {
    int ready[2] = {-1, -1}, output[2] = {-1, -1};
    if (::pipe2(ready, O_CLOEXEC) != 0) throw StepError("network", "make a pipe for pasta's readiness", errno);
    if (::pipe2(output, O_CLOEXEC | O_NONBLOCK) != 0) {
      const int err = errno;
      close_fd(ready[0]);
      close_fd(ready[1]);
      throw StepError("network", "make a pipe for pasta's messages", err);
    }
    int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    const pid_t self = ::getpid();
    ready_fd_ = ready[0];
    output_fd_ = output[0];
    pid_t pid = -1;
    int err = 0;
    if (null_fd < 0) {
      err = errno;
    } else {
      const auto args = pasta_arguments(user_, child, "/proc/self/fd/" + std::to_string(ready[1]));
      std::vector<char*> argv;
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      pid = ::fork();
      if (pid == 0) exec_pasta(pasta_.c_str(), argv.data(), self, null_fd, output[1], ready[1]);
      err = errno;
    }
    close_fd(ready[1]);
    close_fd(output[1]);
    close_fd(null_fd);
    if (pid < 0) {
      stop();
      throw StepError("network", "start pasta (" + pasta_ + "): open /dev/null, fork", err);
    }
    pid_ = pid;
    wait_until_ready();
  }

  void setup_inside() override {}  // pasta made the interface, its addresses and routes (and lo)

  void teardown() override { stop(); }

  std::string describe() const override {
    std::string text = "network user: pasta " + pasta_ + " connects the container (its own interface, the host's addresses)";
    for (const auto& port : user_.publish) text += ", publish " + port.protocol + " " + pasta_spec(port);
    return text + (user_.outbound ? ", outbound TCP/UDP through pasta" : ", no outbound traffic");
  }

 private:
  // Reads the pid line; EOF first means pasta exited (its error is in its output).
  void wait_until_ready() {
    std::string line;
    const auto until = Clock::now() + kPastaReadyTimeout;
    while (line.find('\n') == std::string::npos) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
      if (left <= 0) fail("did not configure the container's interface within " + std::to_string(kPastaReadyTimeout.count()) + " s");
      pollfd readable{ready_fd_, POLLIN, 0};
      const int n = ::poll(&readable, 1, static_cast<int>(left));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) fail("could not be watched", errno);
      if (n == 0) continue;
      char buffer[32];
      const ssize_t got = ::read(ready_fd_, buffer, sizeof buffer);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) fail("failed to connect the container");
      line.append(buffer, static_cast<size_t>(got));
    }
    close_fd(ready_fd_);
    close_fd(output_fd_);  // later messages of pasta go nowhere (it ignores SIGPIPE itself)
  }

  [[noreturn]] void fail(const std::string& what, int err = 0) {
    std::string said = output_fd_ >= 0 ? drain(output_fd_) : "";
    const int status = stop();
    if (said.empty() && WIFEXITED(status) && WEXITSTATUS(status) == 127) said = "could not execute " + pasta_;
    throw StepError("network", "network user: pasta (" + pasta_ + ") " + what + (said.empty() ? "" : ": " + said), err);
  }

  // SIGTERM, then SIGKILL if pasta does not end within kPastaStopTimeout; reaps it. Idempotent.
  // Returns pasta's wait status (0 when it was not running).
  int stop() {
    close_fd(ready_fd_);
    close_fd(output_fd_);
    if (pid_ <= 0) return 0;
    const pid_t pid = std::exchange(pid_, -1);
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) return status;
    ::kill(pid, SIGTERM);
    const auto until = Clock::now() + kPastaStopTimeout;
    while (true) {
      const pid_t got = ::waitpid(pid, &status, WNOHANG);
      if (got == pid || (got < 0 && errno != EINTR)) return status;
      if (Clock::now() >= until) break;
      ::usleep(5000);
    }
    ::kill(pid, SIGKILL);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return status;
  }

  plan::UserNetwork user_;
  std::string pasta_;
  pid_t pid_ = -1;
  int ready_fd_ = -1, output_fd_ = -1;
};

}  // namespace

std::string find_pasta() {
  if (const char* forced = std::getenv("PLAN_EXEC_PASTA")) return ::access(forced, X_OK) == 0 ? forced : "";
  for (const char* path : {"/usr/bin/pasta", "/usr/sbin/pasta"}) {
    if (::access(path, X_OK) == 0) return path;
  }
  return "";
}

std::vector<std::string> pasta_arguments(const plan::UserNetwork& user, pid_t container_pid, const std::string& pid_file) {
  std::vector<std::string> args = {"pasta", "--config-net", "--quiet", "--foreground", "--pid", pid_file,
                                   "-t", ports_of(user, "tcp"), "-u", ports_of(user, "udp"),
                                   // The container reaches no port of the host's loopback: neither
                                   // through pasta's splicing (-T/-U) nor through the gateway's
                                   // address, which pasta otherwise maps to the host's 127.0.0.1.
                                   "-T", "none", "-U", "none", "--no-map-gw"};
  if (!user.outbound && user.publish.empty()) {
    for (const char* off : {"--no-tcp", "--no-udp", "--no-icmp"}) args.push_back(off);
  }
  args.push_back(std::to_string(container_pid));
  return args;
}

std::unique_ptr<ContainerNetwork> prepare_pasta(const plan::UserNetwork& user, bool rootless) {
  if (!rootless) {
    throw StepError("network", "network user is for rootless runs: pasta, started by root, changes to user nobody and "
                               "then may not enter the container's namespaces; as root, write network veth { host "
                               "10.0.0.1/24  container 10.0.0.2/24  gateway host  publish tcp 8080:80  outbound nat }");
  }
  const std::string pasta = find_pasta();
  if (pasta.empty()) {
    throw StepError("network", "network user needs pasta, which is not installed (Debian package passt: "
                               "apt-get install passt); or use `network loopback` for no network");
  }
  if (!user.publish.empty() && !user.outbound) {
    throw StepError("network", "network user: pasta cannot take published ports without also carrying the container's "
                               "outbound traffic; add `outbound` to the network user block");
  }
  for (const auto& port : user.publish) {
    std::set<std::pair<std::string, unsigned>> bound;
    for (const char* suffix : {"", "6"}) {
      const auto found = bound_ports(read_text("/proc/net/" + port.protocol + suffix), port.protocol);
      bound.insert(found.begin(), found.end());
    }
    if (bound.count({port.protocol, port.host_port})) {
      throw StepError("network", "publish " + port.protocol + " port " + std::to_string(port.host_port) +
                                     ": a socket on this host is already bound to it; pick another host port in the policy");
    }
  }
  return std::make_unique<PastaNetwork>(user, pasta);
}

}  // namespace launcher
