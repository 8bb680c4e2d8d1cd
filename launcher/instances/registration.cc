// SPDX-License-Identifier: Apache-2.0
#include "launcher/instances/registration.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "launcher/host/process_stat.h"
#include "launcher/registry/registry.h"
#include "plan/encoding.h"

namespace launcher {

namespace {

std::string absolute(const std::string& path) {
  char resolved[PATH_MAX];
  if (::realpath(path.c_str(), resolved)) return resolved;
  throw RegistryError("resolve the plan path " + path + ": " + std::strerror(errno));
}

std::uint64_t start_time_or_throw(pid_t pid, const char* what) {
  const auto start = process_start_time(pid);
  if (!start) throw RegistryError(std::string("read the start time of ") + what + " " + std::to_string(pid) + ": it is gone");
  return *start;
}

// The address without its prefix: "10.200.0.2/24" -> "10.200.0.2".
std::string bare(const std::string& address) { return address.substr(0, address.find('/')); }

}  // namespace

InstanceRecord record_for(const RunFacts& facts) {
  InstanceRecord r;
  r.name = instance_name(facts.plan->name, facts.instance);
  r.plan_path = absolute(facts.plan_path);
  r.plan_sha256 = plan::sha256_hex(facts.plan_text.data(), facts.plan_text.size());
  r.instance = facts.instance;
  r.pid = ::getpid();
  r.pid_start = start_time_or_throw(r.pid, "plan-exec");
  r.container_pid = facts.container_pid;
  r.container_start = start_time_or_throw(r.container_pid, "the container process");
  r.started = static_cast<std::int64_t>(std::time(nullptr));
  r.command = facts.plan->command;
  r.veth = facts.veth;
  r.cgroups = facts.cgroups;
  r.namespaces = namespace_names(facts.namespaces);
  return r;
}

std::string address_line(const std::string& name, const VethRecord& veth) {
  return name + ": " + bare(veth.container_address) + " via " + veth.host_ifname;
}

bool command_started(int error_read_fd) {
  pollfd p{error_read_fd, POLLIN, 0};
  for (;;) {
    p.revents = 0;
    const int ready = ::poll(&p, 1, -1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return false;
    if (p.revents & POLLIN) return false;  // an error record (the child failed), or EOF with data
    if (p.revents & (POLLHUP | POLLERR)) return true;
  }
}

void InstanceRegistration::publish(const RunFacts& facts) {
  try {
    std::string why;
    const std::string location = registry_location(::geteuid() != 0, &why);
    if (location.empty()) return;  // rootless without XDG_RUNTIME_DIR: `plan-exec ps` says why
    const InstanceRecord record = record_for(facts);
    dir_ = RegistryDir::open(location, true);
    const std::string file = record_file_name(record.pid);
    dir_.write(file, record_to_json(record));
    file_ = file;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "plan-exec: warning: this run is not registered, so plan-exec ps, exec and stop do not see it: %s\n",
                 e.what());
  }
}

void InstanceRegistration::withdraw() {
  if (file_.empty()) return;
  try {
    dir_.remove(file_);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "plan-exec: warning: %s (plan-exec --cleanup removes it once this run has ended)\n", e.what());
  }
  file_.clear();
}

InstanceRegistration::~InstanceRegistration() { withdraw(); }

std::vector<std::string> cleanup_stale_records() {
  const std::string location = registry_location(::geteuid() != 0, nullptr);
  if (location.empty()) return {};
  const RegistryDir dir = RegistryDir::open(location, false);
  if (!dir.is_open()) return {};
  return remove_stale_records(dir, live_process_start_time);
}

}  // namespace launcher
