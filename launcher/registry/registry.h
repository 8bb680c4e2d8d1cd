// SPDX-License-Identifier: Apache-2.0
// Reading the registry as a whole: the records of running instances, and `--cleanup` of stale
// ones. Liveness is asked through `start_time_of` (live_process_start_time in real runs: a zombie
// runs no more) so unit tests decide which pids run.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "launcher/registry/instance_record.h"
#include "launcher/registry/registry_dir.h"

namespace launcher {

struct RegistryEntry {
  std::string file;                     // "4081.json"
  std::optional<InstanceRecord> record;  // nullopt: unreadable, `problem` says why
  std::string problem;
  Liveness owner = Liveness::Gone;      // of plan-exec (record.pid); Gone for unreadable ones
};

// Every "<pid>.json" of `dir` (temporaries left out), read and checked.
std::vector<RegistryEntry> read_registry(const RegistryDir& dir, const StartTimeOf& start_time_of);

// The records whose plan-exec still runs (the others are stale).
std::vector<InstanceRecord> running_instances(const RegistryDir& dir, const StartTimeOf& start_time_of);

// `plan-exec --cleanup`: removes records whose plan-exec is gone or whose pid was reused,
// unreadable records and temporaries whose file-name pid runs no more, and symlinks (plan-exec
// never makes one). Returns one line per file removed.
std::vector<std::string> remove_stale_records(const RegistryDir& dir, const StartTimeOf& start_time_of);

}  // namespace launcher
