// SPDX-License-Identifier: Apache-2.0
#include "launcher/instances/lookup.h"

#include <unistd.h>

#include <algorithm>

#include "launcher/host/process_stat.h"
#include "launcher/registry/registry.h"

namespace launcher {

std::vector<InstanceRecord> running_instances_of_caller() {
  std::string why;
  const std::string location = registry_location(::geteuid() != 0, &why);
  if (location.empty()) throw RegistryError(why);
  const RegistryDir dir = RegistryDir::open(location, false);
  return running_instances(dir, live_process_start_time);
}

InstanceRecord pick_instance(const std::vector<InstanceRecord>& running, const std::string& name_or_pid) {
  const bool is_pid = !name_or_pid.empty() && std::all_of(name_or_pid.begin(), name_or_pid.end(), [](char c) { return c >= '0' && c <= '9'; });
  std::vector<const InstanceRecord*> matches;
  for (const auto& r : running) {
    const bool match = is_pid ? (std::to_string(r.pid) == name_or_pid || std::to_string(r.container_pid) == name_or_pid)
                              : r.name == name_or_pid;
    if (match) matches.push_back(&r);
  }
  if (matches.size() == 1) return *matches.front();
  if (matches.empty()) {
    throw RegistryError("no running container is " + std::string(is_pid ? "pid " : "named ") + name_or_pid +
                        " (plan-exec ps lists them)");
  }
  std::string pids;
  for (const auto* r : matches) pids += (pids.empty() ? "" : ", ") + std::to_string(r->pid);
  throw RegistryError(std::to_string(matches.size()) + " running containers are named " + name_or_pid +
                      " (plan-exec pids " + pids + "): give the pid of the one you mean, or run copies with --instance K");
}

}  // namespace launcher
