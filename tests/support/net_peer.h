// SPDX-License-Identifier: Apache-2.0
// Scaffolding of the network integration tests (join, published ports, outbound NAT, pasta):
// a scratch rootfs with the hello-world server, plan-exec in the background, and peer net
// namespaces the test makes itself. Everything removes what it made in its destructor, so a
// failing assertion leaves nothing behind; all traffic stays inside this machine.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "plan/plan.h"

namespace net_peer {

// DIR/rootfs with /home/hello-world (tests/programs/hello_world.c) and the mount points the
// plans use; the directory goes in the destructor (plan-exec mounts only inside its own
// mount namespace). `tag` keeps two tests apart.
class ScratchRootfs {
 public:
  explicit ScratchRootfs(const std::string& tag);
  ~ScratchRootfs();
  ScratchRootfs(const ScratchRootfs&) = delete;
  ScratchRootfs& operator=(const ScratchRootfs&) = delete;
  std::filesystem::path path() const { return dir_ / "rootfs"; }
  const std::filesystem::path& dir() const { return dir_; }
  // A plan running /home/hello-world --port `port` (mount pid ipc uts net, proc, no filter) with
  // the given network, written to DIR/NAME.plan; returns its path.
  // `command` replaces the server (e.g. /bin/busybox wget ...; busybox is at /bin/busybox).
  std::string write_plan(const std::string& name, const plan::Network& network, int port = 8080,
                         std::vector<std::string> command = {}) const;

 private:
  std::filesystem::path dir_;
};

// plan-exec [options] PLAN in the background, stderr to a file. Killed (SIGKILL) and reaped in
// the destructor when still running.
class PlanExecRun {
 public:
  explicit PlanExecRun(const std::string& plan_file, std::vector<std::string> options = {},
                       std::function<void()> in_child = {});
  ~PlanExecRun();
  PlanExecRun(const PlanExecRun&) = delete;
  PlanExecRun& operator=(const PlanExecRun&) = delete;
  pid_t pid() const { return started_; }
  std::string host_ifname() const { return "pe-" + std::to_string(started_); }
  int stop(int sig, std::chrono::milliseconds deadline = std::chrono::seconds(5));
  int wait_exit(std::chrono::milliseconds deadline = std::chrono::seconds(5));  // -1: still running
  std::string stderr_text() const;
  std::string stdout_text() const;

 private:
  std::string log_;
  pid_t pid_ = -1;
  pid_t started_ = -1;
};

// A process of the test in a net namespace of its own (lo up), standing for "another host" or
// for the namespace a container joins. Killed and reaped in the destructor: its namespace,
// with any interface the test moved into it, dies with it.
class PeerNamespace {
 public:
  PeerNamespace();
  ~PeerNamespace();
  PeerNamespace(const PeerNamespace&) = delete;
  PeerNamespace& operator=(const PeerNamespace&) = delete;
  pid_t pid() const { return pid_; }
  std::string ns_path() const { return "/proc/" + std::to_string(pid_) + "/ns/net"; }
  // Runs `work` on a thread that entered the namespace (setns affects that thread only) and
  // returns its result.
  template <typename Result>
  Result inside(const std::function<Result()>& work) const {
    Result result{};
    run_inside([&] { result = work(); });
    return result;
  }
  void run_inside(const std::function<void()>& work) const;

 private:
  pid_t pid_ = -1;
  int release_fd_ = -1;  // closing it ends the holder
};

// Whether the interface `ifname` of the current thread's namespace is up (IFF_UP).
bool interface_up(const std::string& ifname);

// The output of `sh -c command` run in the net namespace at `ns_path` (through nsenter), stderr
// included; for looking at nftables with the nft command, which plan-exec itself never runs.
std::string output_in(const std::string& ns_path, const std::string& command);

// The first line of a sysctl file read in `peer`'s namespace ("" when there is none).
std::string sysctl_in(const PeerNamespace& peer, const std::string& path);

// A veth pair between two test namespaces, `a_ifname` a_address/prefix in `a` and `b_ifname`
// b_address/prefix in `b` (IPv4 or IPv6), both up. Deleted in the destructor (it dies with
// either namespace too).
class TestLink {
 public:
  TestLink(const PeerNamespace& a, const std::string& a_ifname, const std::string& a_address, const PeerNamespace& b,
           const std::string& b_ifname, const std::string& b_address, unsigned prefix = 24);
  ~TestLink();
  TestLink(const TestLink&) = delete;
  TestLink& operator=(const TestLink&) = delete;

 private:
  const PeerNamespace& a_;
  std::string a_ifname_;
};

// A program of the test (e.g. the hello-world server) started inside `peer`'s namespace; killed
// and reaped in the destructor.
class ProcessIn {
 public:
  ProcessIn(const PeerNamespace& peer, std::vector<std::string> argv);
  ~ProcessIn();
  ProcessIn(const ProcessIn&) = delete;
  ProcessIn& operator=(const ProcessIn&) = delete;
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

}  // namespace net_peer
