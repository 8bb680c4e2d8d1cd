// SPDX-License-Identifier: Apache-2.0
#include "launcher/network/network_pasta.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "launcher/host/error.h"
#include "launcher/network/network_nat.h"
#include "launcher/network/network_netlink.h"

namespace launcher {

namespace {

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

class PastaNetwork final : public ContainerNetwork {
 public:
  PastaNetwork(plan::UserNetwork user, std::string pasta, pid_t instance)
      : user_(std::move(user)), pasta_(std::move(pasta)), instance_(instance) {}

  // Runs pasta, which configures the container's interface and then goes to the background
  // (its first process exits once the network is ready); the child is released only after.
  void setup_host(pid_t child) override {
    // A private directory (mkdtemp, 0700) for pasta's pid file and log: no name in /tmp that
    // someone else could have planted a symlink on.
    std::string dir = "/tmp/plan-exec-pasta-" + std::to_string(instance_) + "-XXXXXX";
    if (!::mkdtemp(dir.data())) throw StepError("network", "make a directory for pasta's pid file in /tmp", errno);
    dir_ = dir;
    pid_file_ = dir_ + "/pasta.pid";
    const auto args = pasta_arguments(user_, child, pid_file_);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const std::string log = dir_ + "/pasta.log";
    const pid_t starter = ::fork();
    if (starter < 0) throw StepError("network", "fork to start pasta", errno);
    if (starter == 0) {
      // plan-exec blocks the signals it forwards; pasta gets the usual mask.
      sigset_t none;
      sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      ::execv(pasta_.c_str(), argv.data());
      _exit(127);
    }
    int status = 0;
    while (::waitpid(starter, &status, 0) < 0 && errno == EINTR) {
    }
    started_ = true;
    const std::string said = read_text(log);
    ::unlink(log.c_str());
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      teardown();
      throw StepError("network", "network user: pasta (" + pasta_ + ") failed to connect the container" +
                                     (said.empty() ? std::string() : ": " + said));
    }
  }

  void setup_inside() override {}  // pasta made the interface, its addresses and routes (and lo)

  // pasta ends by itself when the container's namespace goes (also after SIGKILL of
  // plan-exec); stopping it here just does not wait for that.
  void teardown() override {
    if (!started_) return;
    started_ = false;
    const std::string text = read_text(pid_file_);
    ::unlink(pid_file_.c_str());
    ::rmdir(dir_.c_str());
    const long pid = std::strtol(text.c_str(), nullptr, 10);
    if (pid > 1) ::kill(static_cast<pid_t>(pid), SIGTERM);
  }

  std::string describe() const override {
    std::string text = "network user: pasta " + pasta_ + " connects the container (its own interface, the host's addresses)";
    for (const auto& port : user_.publish) text += ", publish " + port.protocol + " " + pasta_spec(port);
    return text + (user_.outbound ? ", outbound TCP/UDP through pasta" : ", no outbound traffic");
  }

 private:
  plan::UserNetwork user_;
  std::string pasta_;
  pid_t instance_;
  std::string dir_, pid_file_;
  bool started_ = false;
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
  std::vector<std::string> args = {"pasta", "--config-net", "--quiet", "--pid", pid_file,
                                   "-t", ports_of(user, "tcp"), "-u", ports_of(user, "udp"),
                                   // The container reaches no port of the host's loopback.
                                   "-T", "none", "-U", "none"};
  if (!user.outbound && user.publish.empty()) {
    for (const char* off : {"--no-tcp", "--no-udp", "--no-icmp"}) args.push_back(off);
  }
  args.push_back(std::to_string(container_pid));
  return args;
}

std::unique_ptr<ContainerNetwork> prepare_pasta(const plan::UserNetwork& user, pid_t instance) {
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
  return std::make_unique<PastaNetwork>(user, pasta, instance);
}

}  // namespace launcher
