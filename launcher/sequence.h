// SPDX-License-Identifier: Apache-2.0
// The launcher's one entry point for running a plan; sequence.cc alone knows the order.
#pragma once

#include <string>
#include <vector>

namespace launcher {

// --denials: where reports of denied calls go. Default: stderr when it is a terminal, else off.
enum class DenialMode { Default, Off, Stderr, Json };

// Who is the container's pid 1. Plan: plan-exec's minimal init (process/init.h), the command its
// child, unless the plan says the command is an init of its own (plan.command_is_init).
// Always (--init) and Never (--no-init) override the plan.
enum class InitMode { Plan, Always, Never };

// --stop-timeout: how long the container has after a forwarded SIGTERM/SIGINT before everything
// in it is killed (docker stop's default), and the largest value accepted.
constexpr double kDefaultStopTimeoutSeconds = 10;
constexpr double kMaxStopTimeoutSeconds = 86400;

struct RunOptions {
  std::string plan_path;
  std::vector<std::string> command;  // non-empty: overrides the plan's command
  bool dry_run = false;
  bool stats = false;
  InitMode init = InitMode::Plan;
  double stop_timeout_seconds = kDefaultStopTimeoutSeconds;
  bool terminal = false;             // -t: a pseudo-terminal for the command (terminal.h)
  unsigned instance = 0;             // --instance K: veth addresses K subnets up
  DenialMode denials = DenialMode::Default;
  std::string denials_file;          // --denials=FILE or json:FILE; empty = stderr
  bool learn = false;                // --learn POLICY (learn.h)
  std::string learn_policy;
  bool quiet = false;                // -q: no notes or warnings of plan-exec's own, no start-up address line (errors stay)
  bool verbose = false;              // -v: each step on stderr as it ends, with its time
};

// Runs (or, with dry_run, prints) the plan; returns plan-exec's exit code: the command's,
// 128+signal, 125 for plan-exec's own failures, 126 not executable, 127 not found, 137 OOM.
int run_plan(const RunOptions& options);

// Parent step names in order (for PLAN_EXEC_FAULT_AFTER and `plan-exec --list-steps`).
const std::vector<std::string>& parent_step_names();

// `plan-exec --cleanup`: removes leftovers of dead instances (veths, cgroups, stale records of
// the instance registry), prints what it removed.
int cleanup_leftovers();

}  // namespace launcher
