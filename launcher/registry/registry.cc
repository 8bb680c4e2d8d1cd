// SPDX-License-Identifier: Apache-2.0
#include "launcher/registry/registry.h"

namespace launcher {

std::vector<RegistryEntry> read_registry(const RegistryDir& dir, const StartTimeOf& start_time_of) {
  std::vector<RegistryEntry> out;
  for (const auto& file : dir.files()) {
    if (file[0] == '.') continue;  // a temporary: being written, or left by a killed run
    RegistryEntry entry;
    entry.file = file;
    try {
      entry.record = record_from_json(dir.read(file), dir.path() + "/" + file);
      entry.owner = owner_liveness(*entry.record, start_time_of);
    } catch (const RegistryError& e) {
      entry.problem = e.what();
    }
    out.push_back(std::move(entry));
  }
  return out;
}

std::vector<InstanceRecord> running_instances(const RegistryDir& dir, const StartTimeOf& start_time_of) {
  std::vector<InstanceRecord> out;
  for (auto& entry : read_registry(dir, start_time_of)) {
    if (entry.record && entry.owner == Liveness::Running) out.push_back(std::move(*entry.record));
  }
  return out;
}

std::vector<std::string> remove_stale_records(const RegistryDir& dir, const StartTimeOf& start_time_of) {
  std::vector<std::string> removed;
  auto remove = [&](const std::string& file, const std::string& why) {
    if (dir.remove(file)) removed.push_back(dir.path() + "/" + file + " (" + why + ")");
  };
  for (const auto& file : dir.files()) {
    const auto pid_in_name = pid_of_record_file(file);
    if (file[0] == '.') {
      if (!start_time_of(*pid_in_name)) remove(file, "a half-written record of a run that died");
      continue;
    }
    try {
      const InstanceRecord record = record_from_json(dir.read(file), dir.path() + "/" + file);
      const Liveness owner = owner_liveness(record, start_time_of);
      if (owner != Liveness::Running) {
        remove(file, "record of " + record.name + ", plan-exec " + std::to_string(record.pid) + " " + describe(owner));
      }
    } catch (const RegistryError& e) {
      if (dir.is_symlink(file)) remove(file, "a symlink, which plan-exec never writes");
      else if (!start_time_of(*pid_in_name)) remove(file, std::string("unreadable, and its pid runs no more: ") + e.what());
    }
  }
  return removed;
}

}  // namespace launcher
