// SPDX-License-Identifier: Apache-2.0
#include "tests/support/docs_runner.h"

#include <fcntl.h>
#include <signal.h>

#include <iostream>
#include <memory>

#include "tests/support/plan_exec_runner.h"
#include "tests/support/rootfs.h"

namespace testsupport::docs {

namespace docs_runner_impl {

// Output in a failure message: enough to see why, not a whole log.
std::string clipped(const std::string& text) {
  constexpr std::size_t kMax = 4000;
  if (text.size() <= kMax) return text;
  return text.substr(0, kMax / 2) + "\n[... " + std::to_string(text.size() - kMax) + " bytes left out ...]\n" +
         text.substr(text.size() - kMax / 2);
}

std::string report(const std::string& where, const std::string& what, const ProcessResult& r) {
  return where + ": " + what + "\n--- stdout\n" + clipped(r.out) + "--- stderr\n" + clipped(r.err);
}

void trace(const RunSettings& settings, const std::string& where, const std::string& what, const ProcessResult& r) {
  if (settings.verbose) std::cout << report(where, what + ": exit " + std::to_string(r.exit_code), r) << std::endl;
}

ProcessOptions options_for(const RunSettings& settings) {
  ProcessOptions options;
  options.env = settings.env;
  options.env.push_back("HOME=" + settings.scratch);
  options.cwd = settings.scratch;
  options.timeout_seconds = settings.timeout_seconds;
  return options;
}

std::string exit_text(int code) {
  return code == -2 ? "timed out and was killed" : "exited " + std::to_string(code);
}

// A command that runs until stopped: SIGTERM by pid, then its time to end.
bool stop_background(Background& process, const Command& command, const std::string& where, const RunSettings& settings,
                     Outcome& outcome) {
  ::kill(process.pid(), SIGTERM);
  const ProcessResult r = process.finish(settings.stop_seconds);
  trace(settings, where, "`" + command.text + "` (background, after SIGTERM)", r);
  if (r.exit_code != -2) return true;
  outcome.failures.push_back(report(where, "`" + command.text + "` did not end within " +
                                               std::to_string(settings.stop_seconds) + " s of SIGTERM (killed)",
                                    r));
  return false;
}

class BlockRun {
 public:
  BlockRun(const Block& block, const RunSettings& settings, Outcome& outcome)
      : block_(block), settings_(settings), outcome_(outcome) {}

  // Whether every part of the block passed.
  bool run() {
    for (const auto& shell : block_.setup) {
      const ProcessResult r = run_process({"/bin/bash", "-c", shell}, options_for(settings_));
      trace(settings_, block_.where(), "setup `" + shell + "`", r);
      if (r.exit_code != 0) {
        return fail(report(block_.where(), "setup `" + shell + "` " + exit_text(r.exit_code), r));
      }
    }
    bool ok = block_.kind == BlockKind::kPolicy ? check_policy() : run_commands();
    for (auto& [process, command] : kept_) {
      ok = stop_background(*process, *command, block_.file + ":" + std::to_string(command->line), settings_, outcome_) && ok;
    }
    return ok;
  }

 private:
  bool fail(const std::string& failure) {
    outcome_.failures.push_back(failure);
    return false;
  }

  bool check_policy() {
    bool ok = true;
    for (const auto& policy : block_.policies()) {
      const std::string path = settings_.scratch + "/snippet-" + std::to_string(policy.line) + ".pol";
      write_text(path, policy.text);
      const ProcessResult r = run_process({POLICYC_BIN, "check", path}, options_for(settings_));
      trace(settings_, block_.file + ":" + std::to_string(policy.line), "policyc check " + path, r);
      if (r.exit_code == block_.expected_exit) continue;
      ok = fail(report(block_.file + ":" + std::to_string(policy.line),
                       "`policyc check` of this policy " + exit_text(r.exit_code) + ", expected " +
                           std::to_string(block_.expected_exit) + "\n--- the policy checked (" + path + ")\n" +
                           policy.text,
                       r));
    }
    return ok;
  }

  bool run_commands() {
    bool ok = true;
    for (const auto& command : block_.commands) {
      const std::string where = block_.file + ":" + std::to_string(command.line);
      if (!command.skip_reason.empty()) {
        outcome_.skips.push_back(where + ": `" + command.text + "`: " + command.skip_reason);
        continue;
      }
      ok = (command.background_seconds > 0 ? run_background(command, where) : run_foreground(command, where)) && ok;
    }
    return ok;
  }

  bool run_foreground(const Command& command, const std::string& where) {
    ProcessOptions options = options_for(settings_);
    std::vector<std::string> argv = {"/bin/bash", "-c", command.text};
    if (command.terminal) {
      // util-linux script gives the command a pty and returns its exit status (-e); what it
      // reads from its stdin is typed into that terminal.
      options.stdin_path = settings_.scratch + "/typed-" + std::to_string(command.line);
      options.stdin_flags = O_RDONLY;
      write_text(options.stdin_path, command.typed + "\n");
      argv = {"/usr/bin/script", "-qec", command.text, "/dev/null"};
    }
    const ProcessResult r = run_process(argv, options);
    trace(settings_, where, "`" + command.text + "`", r);
    if (r.exit_code == command.expected_exit) return true;
    return fail(report(where, "`" + command.text + "` " + exit_text(r.exit_code) + ", expected " +
                                  std::to_string(command.expected_exit),
                       r));
  }

  bool run_background(const Command& command, const std::string& where) {
    auto process = std::make_unique<Background>(std::vector<std::string>{"/bin/bash", "-c", "exec " + command.text},
                                                options_for(settings_));
    if (!process->running_after(command.background_seconds * 1000)) {
      const ProcessResult r = process->finish(1);
      return fail(report(where, "`" + command.text + "` " + exit_text(r.exit_code) + " within " +
                                    std::to_string(command.background_seconds) + " s; it should run until stopped",
                         r));
    }
    if (command.keep_running) {
      kept_.emplace_back(std::move(process), &command);
      return true;
    }
    return stop_background(*process, command, where, settings_, outcome_);
  }

  const Block& block_;
  const RunSettings& settings_;
  Outcome& outcome_;
  std::vector<std::pair<std::unique_ptr<Background>, const Command*>> kept_;
};

}  // namespace docs_runner_impl

Outcome run_blocks(const std::vector<Block>& blocks, const RunSettings& settings) {
  Outcome outcome;
  for (const auto& block : blocks) {
    ++outcome.blocks;
    if (block.kind == BlockKind::kText) {
      ++outcome.not_examples;
      continue;
    }
    if (!block.skip_reason.empty()) {
      ++outcome.skipped;
      outcome.skips.push_back(block.where() + ": " + block.skip_reason);
      continue;
    }
    ++outcome.ran;
    if (docs_runner_impl::BlockRun(block, settings, outcome).run()) ++outcome.passed;
  }
  return outcome;
}

}  // namespace testsupport::docs
