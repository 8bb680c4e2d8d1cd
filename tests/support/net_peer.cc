// SPDX-License-Identifier: Apache-2.0
#include "tests/support/net_peer.h"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "launcher/network/network_address.h"
#include "launcher/network/network_netlink.h"
#include "plan/plan_json.h"

namespace net_peer {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

ScratchRootfs::ScratchRootfs(const std::string& tag)
    : dir_(fs::path(TEST_SCRATCH_DIR) / (tag + "-" + std::to_string(getpid()))) {
  fs::remove_all(dir_);
  for (const char* sub : {"home", "proc", "tmp", "dev", "etc", "bin"}) fs::create_directories(path() / sub);
  fs::copy_file(fs::path(TEST_PROGRAMS_DIR) / "hello_world", path() / "home/hello-world");
  if (fs::exists("/usr/bin/busybox")) fs::copy_file("/usr/bin/busybox", path() / "bin/busybox");  // busybox-static
}

ScratchRootfs::~ScratchRootfs() {
  std::error_code ignored;
  fs::remove_all(dir_, ignored);
}

std::string ScratchRootfs::write_plan(const std::string& name, const plan::Network& network, int port,
                                      std::vector<std::string> command) const {
  plan::Plan p;
  p.name = name;
  p.source = "net_peer.cc";
  p.namespaces = {plan::Namespace::Mount, plan::Namespace::Pid, plan::Namespace::Ipc, plan::Namespace::Uts,
                  plan::Namespace::Net};
  p.rootfs = plan::Rootfs{plan::RootfsKind::Directory, path().string(), false, false};
  plan::Mount proc;
  proc.kind = plan::MountKind::Proc;
  proc.source = "proc";
  proc.target = "/proc";
  proc.fstype = "proc";
  proc.flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
  p.mounts = {proc};
  p.hostname = name;
  p.network = network;
  p.env = {"PATH=/bin"};
  p.cwd = "/home";
  p.command = command.empty() ? std::vector<std::string>{"/home/hello-world", "--port", std::to_string(port)} : command;
  const fs::path file = dir_ / (name + ".plan");
  plan::write_file_atomically(file.string(), plan::to_json(p));
  return file.string();
}

PlanExecRun::PlanExecRun(const std::string& plan_file, std::vector<std::string> options, std::function<void()> in_child) {
  static int next_log = 0;
  // Next to the plan; options alone (--cleanup) log into the scratch directory.
  const std::string base = plan_file.starts_with("/") ? plan_file
                                                      : std::string(TEST_SCRATCH_DIR) + "/plan-exec-" + std::to_string(getpid());
  log_ = base + "." + std::to_string(next_log++) + ".stderr";
  std::vector<std::string> args = {"plan-exec"};
  args.insert(args.end(), options.begin(), options.end());
  args.push_back(plan_file);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_ = started_ = fork();
  if (pid_ == 0) {
    const int fd = open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    dup2(fd, 2);
    const int out = open((log_ + ".stdout").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    dup2(out, 1);
    if (in_child) in_child();
    execv(PLAN_EXEC_BIN, argv.data());
    _exit(127);
  }
}

PlanExecRun::~PlanExecRun() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

int PlanExecRun::stop(int sig, std::chrono::milliseconds deadline) {
  if (pid_ > 0) kill(pid_, sig);
  return wait_exit(deadline);
}

int PlanExecRun::wait_exit(std::chrono::milliseconds deadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  int status = 0;
  while (pid_ > 0) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    if (std::chrono::steady_clock::now() >= until) return -1;
    std::this_thread::sleep_for(10ms);
  }
  return -1;
}

std::string PlanExecRun::stderr_text() const {
  std::ifstream in(log_);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string PlanExecRun::stdout_text() const {
  std::ifstream in(log_ + ".stdout");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

namespace {

void set_up(const std::string& ifname) {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ifreq request{};
  std::strncpy(request.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
  if (fd >= 0 && ioctl(fd, SIOCGIFFLAGS, &request) == 0) {
    request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP);
    ioctl(fd, SIOCSIFFLAGS, &request);
  }
  if (fd >= 0) close(fd);
}

}  // namespace

bool interface_up(const std::string& ifname) {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ifreq request{};
  std::strncpy(request.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
  const bool up = fd >= 0 && ioctl(fd, SIOCGIFFLAGS, &request) == 0 && (request.ifr_flags & IFF_UP);
  if (fd >= 0) close(fd);
  return up;
}

PeerNamespace::PeerNamespace() {
  int ready[2], release[2];
  if (pipe2(ready, O_CLOEXEC) != 0 || pipe2(release, O_CLOEXEC) != 0) throw std::runtime_error("pipe for the peer namespace");
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork the peer namespace holder");
  if (pid_ == 0) {
    ::signal(SIGPIPE, SIG_DFL);
    if (unshare(CLONE_NEWNET) != 0) _exit(1);
    set_up("lo");
    char byte = 1;
    if (write(ready[1], &byte, 1) != 1) _exit(1);
    close(release[1]);
    // Until the test closes its end (or dies): then the namespace goes with this process.
    while (read(release[0], &byte, 1) < 0) {
    }
    _exit(0);
  }
  close(ready[1]);
  close(release[0]);
  release_fd_ = release[1];
  char byte = 0;
  const bool started = read(ready[0], &byte, 1) == 1;
  close(ready[0]);
  if (!started) throw std::runtime_error("the peer namespace holder failed to unshare its net namespace");
}

PeerNamespace::~PeerNamespace() {
  if (release_fd_ >= 0) close(release_fd_);
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

void PeerNamespace::run_inside(const std::function<void()>& work) const {
  std::exception_ptr failure;
  std::thread worker([&] {
    try {
      const int fd = open(ns_path().c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) throw std::runtime_error("enter the peer namespace " + ns_path());
      close(fd);
      work();
    } catch (...) {
      failure = std::current_exception();
    }
  });
  worker.join();
  if (failure) std::rethrow_exception(failure);
}

std::string output_in(const std::string& ns_path, const std::string& command) {
  const std::string full = "nsenter --net=" + ns_path + " sh -c '" + command + "' 2>&1";
  FILE* pipe = popen(full.c_str(), "r");
  if (!pipe) return "(popen failed)";
  std::string out;
  char buffer[4096];
  for (size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) out.append(buffer, n);
  pclose(pipe);
  return out;
}

std::string sysctl_in(const PeerNamespace& peer, const std::string& path) {
  return peer.inside<std::string>([&] {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line;
  });
}

TestLink::TestLink(const PeerNamespace& a, const std::string& a_ifname, const std::string& a_address,
                   const PeerNamespace& b, const std::string& b_ifname, const std::string& b_address, unsigned prefix)
    : a_(a), a_ifname_(a_ifname) {
  a.run_inside([&] {
    auto netlink = launcher::make_netlink_ops();
    netlink->create_veth({a_ifname, b_ifname, b.pid(), 0});
    netlink->add_address(a_ifname, *launcher::parse_ip(a_address), prefix);
    netlink->set_up(a_ifname, "");
  });
  b.run_inside([&] {
    auto netlink = launcher::make_netlink_ops();
    netlink->add_address(b_ifname, *launcher::parse_ip(b_address), prefix);
    netlink->set_up(b_ifname, "");
  });
}

TestLink::~TestLink() {
  try {
    a_.run_inside([&] { launcher::make_netlink_ops()->delete_link(a_ifname_); });
  } catch (...) {
  }
}

ProcessIn::ProcessIn(const PeerNamespace& peer, std::vector<std::string> argv) {
  const std::string ns = peer.ns_path();
  pid_ = fork();
  if (pid_ == 0) {
    const int fd = open(ns.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) _exit(126);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
}

ProcessIn::~ProcessIn() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

}  // namespace net_peer
