// SPDX-License-Identifier: Apache-2.0
// One running plan-exec instance as `plan-exec ps`, `exec` and `stop` find it: the record each
// run writes into the registry (registry_dir.h) once its command runs, and removes at exit.
//
// A record names two processes, each by pid AND start time (field 22 of /proc/PID/stat), so a
// record whose process died is recognised as stale even when another process got the pid since:
//   pid            plan-exec itself: `stop` signals it, it forwards the signal (like Ctrl-C)
//   container_pid  the container's first process (pid 1 inside its pid namespace): `exec` joins
//                  its namespaces
// The JSON form (one object, version 1) is documented in docs/instances.md.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace launcher {

// A record that cannot be read or is malformed; what() names the file and the key.
class RegistryError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct VethRecord {
  std::string host_ifname;        // "pe-4081"
  std::string container_ifname;   // "eth0"
  std::string host_address;       // "10.200.0.1/24"
  std::string container_address;  // "10.200.0.2/24"
  bool operator==(const VethRecord&) const = default;
};

struct InstanceRecord {
  std::string name;         // the plan's name, "-K" appended for --instance K > 0 (instance_name())
  std::string plan_path;    // absolute
  std::string plan_sha256;  // of the plan file's bytes when the run started
  unsigned instance = 0;    // --instance K
  pid_t pid = 0;            // plan-exec
  std::uint64_t pid_start = 0;
  pid_t container_pid = 0;  // the container's first process, seen from the host
  std::uint64_t container_start = 0;
  std::int64_t started = 0;  // wall clock, seconds since the epoch
  std::vector<std::string> command;
  std::optional<VethRecord> veth;
  std::vector<std::string> cgroups;  // absolute cgroup directories the container sits in
  std::vector<std::string> namespaces;  // the container's own, by /proc/PID/ns name: "mnt", "pid", ...
  bool operator==(const InstanceRecord&) const = default;
};

// CLONE_NEW* flags <-> the names of /proc/PID/ns ("user", "mnt", "pid", "net", "ipc", "uts",
// "cgroup", "time"). An unknown name is an error naming it.
std::vector<std::string> namespace_names(unsigned long long clone_flags);
unsigned long long namespace_flags(const std::vector<std::string>& names);

// "web" for instance 0, "web-3" for --instance 3.
std::string instance_name(const std::string& plan_name, unsigned instance);

std::string record_to_json(const InstanceRecord& record);
// Strict: unknown or missing keys, wrong types, another version are errors naming `origin`
// (the file) and the key.
InstanceRecord record_from_json(std::string_view text, const std::string& origin);

// Whether a record's processes still run: a pid that is gone, or that now belongs to a process
// started at another time (the pid was reused), is no longer the one recorded.
enum class Liveness { Running, Gone, PidReused };
using StartTimeOf = std::function<std::optional<std::uint64_t>(pid_t)>;
// plan-exec itself: a record whose owner is not Running is stale (`plan-exec --cleanup` removes
// it); while the owner runs it removes the record itself, also after the container ended.
Liveness owner_liveness(const InstanceRecord& record, const StartTimeOf& start_time_of);
// plan-exec and the container's first process: what `exec` needs.
Liveness container_liveness(const InstanceRecord& record, const StartTimeOf& start_time_of);
const char* describe(Liveness liveness);

}  // namespace launcher
