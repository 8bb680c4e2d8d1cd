// SPDX-License-Identifier: Apache-2.0
// The launcher's one entry point for running a plan; sequence.cc alone knows the order.
#pragma once

#include <string>
#include <vector>

namespace launcher {

// --denials: where reports of denied calls go. Default: stderr when it is a terminal, else off.
enum class DenialMode { Default, Off, Stderr, Json };

struct RunOptions {
  std::string plan_path;
  std::vector<std::string> command;  // non-empty: overrides the plan's command
  bool dry_run = false;
  bool stats = false;
  bool init = false;
  bool terminal = false;             // -t: a pseudo-terminal for the command (terminal.h)
  unsigned instance = 0;             // --instance K: veth addresses K subnets up
  DenialMode denials = DenialMode::Default;
  std::string denials_file;          // --denials=FILE or json:FILE; empty = stderr
  bool learn = false;                // --learn POLICY (learn.h)
  std::string learn_policy;
};

// Runs (or, with dry_run, prints) the plan; returns plan-exec's exit code: the command's,
// 128+signal, 125 for plan-exec's own failures, 126 not executable, 127 not found, 137 OOM.
int run_plan(const RunOptions& options);

// Parent step names in order (for PLAN_EXEC_FAULT_AFTER and `plan-exec --list-steps`).
const std::vector<std::string>& parent_step_names();

// `plan-exec --cleanup`: removes leftovers of dead instances, prints what it removed.
int cleanup_leftovers();

}  // namespace launcher
