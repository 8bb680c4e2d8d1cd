// SPDX-License-Identifier: Apache-2.0
// plan-exec's command line, parsed by hand: start-up stays lean (no CLI11, no iostreams).
//   plan-exec [-q|-v] [--dry-run] [--stats] [--init | --no-init] [--stop-timeout S] [-t] [--instance K] PLAN [-- CMD ARGS...]
//   (plan-exec ps | exec | stop: launcher/instances/commands.h, dispatched before this parser)
//   plan-exec --cleanup | --prune-cache | --list-steps | --help | --version
#pragma once

#include <string>
#include <vector>

#include "launcher/sequence.h"

namespace launcher {

enum class CliMode { Run, Help, Version, ListSteps, Cleanup, PruneCache, ReapCgroups, Error };

struct CliArgs {
  CliMode mode = CliMode::Run;
  RunOptions run;
  std::string error;  // for CliMode::Error: what is wrong and what to do
  // CliMode::ReapCgroups (internal, what the cgroup watcher execs when plan-exec died):
  //   plan-exec --reap-cgroups LEAF... -- PARENT...   absolute cgroup directories
  std::vector<std::string> reap_leaves, reap_parents;
};

CliArgs parse_cli(int argc, const char* const* argv);
const char* usage_text();

}  // namespace launcher
