// SPDX-License-Identifier: Apache-2.0
// policyc: the command line. Compiling is the default command; `check` runs the same pipeline
// without writing anything; other families (Docker/OCI, explain) are wired from their files.
//
//   policyc app.pol -o app.plan            compile to a plan (atomic write)
//   policyc app.pol --emit-bpf app.bpf     also/instead write the raw filter
//   policyc check app.pol                  diagnostics only (errors, the linter's warnings)
//   policyc check --werror app.pol         warnings fail too (exit 3); also for compiling
//   policyc query app.pol 'socket(AF_INET, ...)'   one call's verdict and rule (query_commands.cc)
//   policyc diff old.pol new.pol           the calls two filters decide differently
//
// Exit codes (compiler/cli/commands.h): 0 ok, 2 a problem in the input, 1 an internal error
// (and, for diff only, "the filters differ"), 3 warnings with --werror.
// Nothing is written when there is any error: outputs are built in memory first.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>

#include <cstdio>
#include <exception>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "compiler/bpf/frequency.h"
#include "compiler/cli/commands.h"
#include "compiler/cli/output.h"
#include "compiler/diag/input_file.h"
#include "compiler/diag/printable.h"
#include "compiler/driver/compile.h"
#include "plan/plan_json.h"

#ifndef POLICYC_VERSION
#define POLICYC_VERSION "unknown"
#endif

namespace policyc::cli {
namespace {

struct CompileArgs {
  std::string policy;
  std::string output;
  std::string emit_bpf;
  std::string backend = "auto";
  std::string profile;
  bool require_rootfs = false;
  bool werror = false;
  bool no_lint = false;
};

std::string plural(std::size_t n, const std::string& word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

// Renders the diagnostics (within --max-errors; -q: errors only) and, when there are errors,
// a one-line summary.
void report(const Diagnostics& diags, const std::string& policy) {
  print_diagnostics(diags);
  if (output_settings().json() || !diags.has_errors()) return;
  std::cerr << printable(policy) << ": " << plural(diags.error_count(), "error");
  if (diags.warning_count() && !output_settings().quiet) std::cerr << ", " << plural(diags.warning_count(), "warning");
  std::cerr << "\n";
}

double milliseconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

std::string format_ms(double ms) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f ms", ms);
  return buffer;
}

std::optional<CompileResult> run_compiler(const CompileArgs& args, Diagnostics& diags,
                                          std::optional<seccomp::FrequencyProfile>& profile) {
  CompileOptions options;
  // auto (kept for scripts written when i386 filters went to libseccomp) is our generator.
  options.backend = args.backend == "libseccomp" ? seccomp::Backend::Libseccomp : seccomp::Backend::Policyc;
  options.require_container = args.require_rootfs;
  options.lint = !args.no_lint;
  options.max_syntax_errors = output_settings().max_errors;
  if (!args.profile.empty()) {
    profile = seccomp::load_frequency_profile(args.profile, diags);
    if (!profile) return std::nullopt;
    options.profile = &*profile;
  }
  return compile_policy(args.policy, options, diags);
}

std::string bpf_bytes(const plan::Plan& plan) {
  return plan.seccomp ? std::string(plan.seccomp->bpf.begin(), plan.seccomp->bpf.end()) : std::string();
}

// With --werror, warnings fail the run: said on stderr, nothing written.
bool refused_for_warnings(const CompileArgs& args, const Diagnostics& diags) {
  if (!args.werror || diags.warning_count() == 0) return false;
  if (!output_settings().json()) {
    std::cerr << printable(args.policy) << ": " << plural(diags.warning_count(), "warning")
              << ", treated as errors (--werror); nothing written\n";
  }
  return true;
}

// Output paths are checked before any work: no compile for a run that cannot write.
bool outputs_are_writable(const CompileArgs& args, Diagnostics& diags) {
  if (args.output == "-" && args.emit_bpf == "-") {
    diags.error({"-"}, "-o - and --emit-bpf - would both write to stdout", "write one of them to a file");
    return false;
  }
  return check_output_path(args.output, {args.policy, args.profile}, diags) &&
         check_output_path(args.emit_bpf, {args.policy, args.profile, args.output}, diags);
}

int run_compile(const CompileArgs& args) {
  const auto start = std::chrono::steady_clock::now();
  Diagnostics diags;
  if (!outputs_are_writable(args, diags)) {
    report(diags, args.policy);
    return kExitInputError;
  }
  std::optional<seccomp::FrequencyProfile> profile;
  auto result = run_compiler(args, diags, profile);
  report(diags, args.policy);
  if (!result) return kExitInputError;
  if (refused_for_warnings(args, diags)) return kExitWarnings;

  if (!args.emit_bpf.empty() && !result->plan.seccomp) {
    std::cerr << printable(args.policy) << ": error: --emit-bpf needs a policy with a seccomp block\n";
    return kExitInputError;
  }
  // Everything is built; only now touch the disk, each file whole or not at all.
  // That the plan written loads (plan::from_json, as plan-exec reads it) is proven by the plan
  // round-trip tests and the CLI tests, not re-parsed here: that cost a sixth of the compile.
  std::string plan_text = plan::to_json(result->plan);
  if (!plan_text.empty() && plan_text.back() != '\n') plan_text += '\n';
  std::vector<std::pair<std::string, std::string>> files;
  if (!args.emit_bpf.empty()) files.push_back({args.emit_bpf, bpf_bytes(result->plan)});
  if (!args.output.empty() || args.emit_bpf.empty()) files.push_back({args.output.empty() ? "-" : args.output, plan_text});
  if (!write_outputs(files)) return kExitInputError;
  if (result->plan.seccomp) {
    verbose(args.policy + ": seccomp filter of " + std::to_string(result->plan.seccomp->instructions()) +
            " instructions (" + result->plan.seccomp->backend + " backend)");
  }
  for (const auto& [path, text] : files) {
    verbose("wrote " + (path == "-" ? std::string("stdout") : path) + " (" + describe_size(text.size()) + ")");
  }
  verbose(args.policy + ": done in " + format_ms(milliseconds_since(start)));
  return kExitOk;
}

nlohmann::json check_json(const CompileArgs& args, const Diagnostics& diags, const std::optional<CompileResult>& result,
                          int exit_code) {
  nlohmann::json doc{{"file", printable(args.policy)}, {"ok", exit_code == kExitOk}, {"exit_code", exit_code}};
  doc.update(diagnostics_json(diags));
  if (result && result->plan.seccomp) {
    doc["seccomp"] = {{"instructions", result->plan.seccomp->instructions()}, {"backend", result->plan.seccomp->backend}};
  }
  return doc;
}

int run_check(const CompileArgs& args) {
  const auto start = std::chrono::steady_clock::now();
  Diagnostics diags;
  std::optional<seccomp::FrequencyProfile> profile;
  auto result = run_compiler(args, diags, profile);
  report(diags, args.policy);
  int code = !result ? kExitInputError : refused_for_warnings(args, diags) ? kExitWarnings : kExitOk;
  if (output_settings().json()) {
    std::cout << check_json(args, diags, result, code).dump(2) << "\n";
    return code;
  }
  if (code != kExitOk) return code;
  verbose(args.policy + ": checked in " + format_ms(milliseconds_since(start)));
  if (output_settings().quiet) return kExitOk;
  std::cout << printable(args.policy) << ": ok";
  if (diags.warning_count()) std::cout << " (" << plural(diags.warning_count(), "warning") << ")";
  if (result->plan.seccomp) {
    std::cout << ", seccomp filter of " << result->plan.seccomp->instructions() << " instructions ("
              << result->plan.seccomp->backend << ")";
  }
  std::cout << "\n";
  return kExitOk;
}

void add_backend_options(CLI::App& app, CompileArgs& args) {
  app.add_option("--backend", args.backend,
                 "seccomp code generator: policyc (ours, the default) or libseccomp; auto = policyc")
      ->check(CLI::IsMember({"auto", "libseccomp", "policyc"}))
      ->capture_default_str();
  app.add_option("--profile", args.profile, "syscall frequency profile (`name count` lines) for --backend policyc");
  app.add_flag("--require-rootfs", args.require_rootfs, "refuse a policy without a container rootfs");
  app.add_flag("--werror", args.werror, "treat warnings as errors: exit 3 and write nothing");
  app.add_flag("--no-lint", args.no_lint, "skip the linter's warnings (risky allows, shadowed rules, 32-bit arches)");
}

int run(int argc, char** argv) {
  CLI::App app{"policyc: compiles a .pol policy to a plan for plan-exec, with a precompiled seccomp filter"};
  app.set_version_flag("--version", std::string("policyc ") + POLICYC_VERSION);
  app.require_subcommand(0, 1);

  auto compile_args = std::make_shared<CompileArgs>();
  app.add_option("policy", compile_args->policy, "the policy to compile (.pol)");
  app.add_option("-o,--output", compile_args->output, "the plan to write (default or `-`: print it)");
  app.add_option("--emit-bpf", compile_args->emit_bpf,
                 "also write the raw filter (little-endian struct sock_filter[]; `-`: stdout)");
  add_backend_options(app, *compile_args);
  add_output_options(app, false);

  auto check_args = std::make_shared<CompileArgs>();
  CLI::App* check = app.add_subcommand("check", "report the policy's diagnostics; write nothing");
  check->add_option("policy", check_args->policy, "the policy to check (.pol)")->required();
  add_backend_options(*check, *check_args);
  add_output_options(*check, true);

  std::vector<Command> commands{{check, [check_args] { return run_check(*check_args); }}};
  for (auto& c : add_docker_commands(app)) commands.push_back(c);
  for (auto& c : add_explain_command(app)) commands.push_back(c);
  for (auto& c : add_query_commands(app)) commands.push_back(c);
  for (auto& c : add_groups_command(app)) commands.push_back(c);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitInputError;
  }
  if (output_settings().quiet && output_settings().verbose) {
    std::cerr << "error: -q and -v contradict each other\n";
    return kExitInputError;
  }
  for (const auto& c : commands) {
    if (c.subcommand && c.subcommand->parsed()) return c.run();
  }
  if (compile_args->policy.empty()) {
    std::cerr << "error: no policy given\n" << app.help();
    return kExitInputError;
  }
  return run_compile(*compile_args);
}

}  // namespace
}  // namespace policyc::cli

int main(int argc, char** argv) {
  try {
    return policyc::cli::run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "policyc: internal error: " << e.what() << "\n";
  } catch (...) {
    std::cerr << "policyc: internal error of unknown kind\n";
  }
  return policyc::cli::kExitInternal;
}
