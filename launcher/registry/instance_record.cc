// SPDX-License-Identifier: Apache-2.0
#include "launcher/registry/instance_record.h"

#include <linux/sched.h>
#include <sched.h>

#include <algorithm>
#include <limits>

#include <nlohmann/json.hpp>

#include "plan/strict_json.h"

namespace launcher {

namespace {

constexpr int kRecordVersion = 1;

using nlohmann::json;

// Reads one object's keys, each exactly once, refusing keys it was not asked for.
class Reader {
 public:
  Reader(const json& object, std::string path, const std::string& origin) : object_(object), path_(std::move(path)), origin_(origin) {
    if (!object.is_object()) fail(path_, "is not an object");
  }
  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    throw RegistryError("instance record " + origin_ + ": " + key + " " + what +
                        " (a record plan-exec did not write, or of another version: remove it with plan-exec --cleanup)");
  }
  const json& get(const char* key) {
    seen_.emplace_back(key);
    const auto it = object_.find(key);
    if (it == object_.end()) fail(path_ + "." + key, "is missing");
    return *it;
  }
  std::string string(const char* key) {
    const json& v = get(key);
    if (!v.is_string()) fail(path_ + "." + key, "is not a string");
    return v.get<std::string>();
  }
  template <class Number>
  Number number(const char* key, bool may_be_zero = false) {
    const json& v = get(key);
    if (!v.is_number_integer()) fail(path_ + "." + key, "is not an integer");
    const auto value = v.get<std::int64_t>();
    if (value < (may_be_zero ? 0 : 1) || static_cast<std::uint64_t>(value) > std::uint64_t(std::numeric_limits<Number>::max())) {
      fail(path_ + "." + key, "is out of range");
    }
    return static_cast<Number>(value);
  }
  std::vector<std::string> strings(const char* key) {
    const json& v = get(key);
    if (!v.is_array()) fail(path_ + "." + key, "is not a list");
    std::vector<std::string> out;
    for (const auto& item : v) {
      if (!item.is_string()) fail(path_ + "." + key, "holds something other than strings");
      out.push_back(item.get<std::string>());
    }
    return out;
  }
  void no_other_keys() const {
    for (const auto& [key, value] : object_.items()) {
      if (std::find(seen_.begin(), seen_.end(), key) == seen_.end()) fail(path_ + "." + key, "is not a key of a record");
    }
  }
  bool has(const char* key) const { return object_.contains(key); }

 private:
  const json& object_;
  std::string path_;
  const std::string& origin_;
  std::vector<std::string> seen_;
};

VethRecord veth_from(Reader& r) {
  VethRecord v;
  v.host_ifname = r.string("host_ifname");
  v.container_ifname = r.string("container_ifname");
  v.host_address = r.string("host_address");
  v.container_address = r.string("container_address");
  r.no_other_keys();
  return v;
}

constexpr std::pair<unsigned long long, const char*> kNamespaces[] = {
    {CLONE_NEWUSER, "user"}, {CLONE_NEWNS, "mnt"}, {CLONE_NEWPID, "pid"},       {CLONE_NEWNET, "net"},
    {CLONE_NEWIPC, "ipc"},   {CLONE_NEWUTS, "uts"}, {CLONE_NEWCGROUP, "cgroup"}, {CLONE_NEWTIME, "time"}};

}  // namespace

std::vector<std::string> namespace_names(unsigned long long clone_flags) {
  std::vector<std::string> out;
  for (const auto& [flag, name] : kNamespaces) {
    if (clone_flags & flag) out.emplace_back(name);
  }
  return out;
}

unsigned long long namespace_flags(const std::vector<std::string>& names) {
  unsigned long long flags = 0;
  for (const auto& name : names) {
    const auto* it = std::find_if(std::begin(kNamespaces), std::end(kNamespaces), [&](const auto& ns) { return name == ns.second; });
    if (it == std::end(kNamespaces)) throw RegistryError("unknown namespace \"" + name + "\" in an instance record");
    flags |= it->first;
  }
  return flags;
}

std::string instance_name(const std::string& plan_name, unsigned instance) {
  return instance == 0 ? plan_name : plan_name + "-" + std::to_string(instance);
}

std::string record_to_json(const InstanceRecord& r) {
  json j = {{"version", kRecordVersion},
            {"name", r.name},
            {"plan", r.plan_path},
            {"plan_sha256", r.plan_sha256},
            {"instance", r.instance},
            {"pid", r.pid},
            {"pid_start", r.pid_start},
            {"container_pid", r.container_pid},
            {"container_start", r.container_start},
            {"started", r.started},
            {"command", r.command},
            {"cgroups", r.cgroups},
            {"namespaces", r.namespaces}};
  if (r.veth) {
    j["veth"] = {{"host_ifname", r.veth->host_ifname},
                 {"container_ifname", r.veth->container_ifname},
                 {"host_address", r.veth->host_address},
                 {"container_address", r.veth->container_address}};
  } else {
    j["veth"] = nullptr;
  }
  return j.dump(2) + "\n";
}

InstanceRecord record_from_json(std::string_view text, const std::string& origin) {
  json j;
  try {
    j = plan::parse_refusing_duplicate_keys(text);
  } catch (const std::exception& e) {
    throw RegistryError("instance record " + origin + ": not valid JSON (" + e.what() +
                        "); remove it with plan-exec --cleanup");
  }
  Reader r(j, "record", origin);
  if (r.number<int>("version") != kRecordVersion) r.fail("record.version", "is not " + std::to_string(kRecordVersion));
  InstanceRecord out;
  out.name = r.string("name");
  out.plan_path = r.string("plan");
  out.plan_sha256 = r.string("plan_sha256");
  out.instance = r.number<unsigned>("instance", true);
  out.pid = r.number<pid_t>("pid");
  out.pid_start = r.number<std::uint64_t>("pid_start", true);
  out.container_pid = r.number<pid_t>("container_pid");
  out.container_start = r.number<std::uint64_t>("container_start", true);
  out.started = r.number<std::int64_t>("started", true);
  out.command = r.strings("command");
  out.cgroups = r.strings("cgroups");
  out.namespaces = r.strings("namespaces");
  const json& veth = r.get("veth");
  if (!veth.is_null()) {
    Reader v(veth, "record.veth", origin);
    out.veth = veth_from(v);
  }
  r.no_other_keys();
  if (out.name.empty()) r.fail("record.name", "is empty");
  if (out.plan_path.empty() || out.plan_path[0] != '/') r.fail("record.plan", "is not an absolute path");
  try {
    namespace_flags(out.namespaces);
  } catch (const RegistryError& e) {
    r.fail("record.namespaces", std::string("is wrong: ") + e.what());
  }
  for (const auto& dir : out.cgroups) {
    if (dir.empty() || dir[0] != '/') r.fail("record.cgroups", "holds \"" + dir + "\", not an absolute directory");
  }
  return out;
}

namespace {
Liveness liveness_of(pid_t pid, std::uint64_t start, const StartTimeOf& start_time_of) {
  const auto now = start_time_of(pid);
  if (!now) return Liveness::Gone;
  return *now == start ? Liveness::Running : Liveness::PidReused;
}
}  // namespace

Liveness owner_liveness(const InstanceRecord& record, const StartTimeOf& start_time_of) {
  return liveness_of(record.pid, record.pid_start, start_time_of);
}

Liveness container_liveness(const InstanceRecord& record, const StartTimeOf& start_time_of) {
  const Liveness owner = owner_liveness(record, start_time_of);
  if (owner != Liveness::Running) return owner;
  return liveness_of(record.container_pid, record.container_start, start_time_of);
}

const char* describe(Liveness liveness) {
  switch (liveness) {
    case Liveness::Running: return "running";
    case Liveness::Gone: return "no longer running";
    case Liveness::PidReused: return "no longer running (its pid now belongs to another process)";
  }
  return "unknown";
}

}  // namespace launcher
