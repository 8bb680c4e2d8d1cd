// SPDX-License-Identifier: Apache-2.0
// Whether and how this run supervises the command's filter (supervisor/supervisor.h): decided
// in prepare, before the first side effect, from --denials / --learn and the plan's filter.
#pragma once

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "launcher/sequence.h"
#include "launcher/supervisor/denial_log.h"
#include "launcher/supervisor/learn.h"
#include "launcher/supervisor/supervisor.h"
#include "plan/plan.h"

namespace launcher {

struct Supervision {
  Watch watch = Watch::Denials;
  std::vector<std::uint8_t> notifying_bpf;  // what the command process loads instead of the plan's filter
  std::string destination;                  // "stderr" or the file, for messages and --dry-run
  std::FILE* out = nullptr;                 // owned when not stderr
  std::unique_ptr<DenialLog> log;
  std::unique_ptr<Learner> learner;          // --learn
  std::string learn_policy;
  plan::SeccompSource source;                // --learn: where the block ends (a copy: the plan moves)
  std::unique_ptr<Supervisor> supervisor;
  ~Supervision();
  std::string describe() const;             // one line for --dry-run
  // After the command: the summary, or --learn's lines written into the policy.
  void finish();
};

// nullptr when nothing is to be supervised (no filter, or it returns no watched verdict).
// Opens the report file (as the caller, appending). Throws StepError("supervisor").
std::unique_ptr<Supervision> prepare_supervision(const plan::Plan& plan, const RunOptions& options, bool dry_run);

}  // namespace launcher
