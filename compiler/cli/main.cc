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
#include <algorithm>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "compiler/bpf/frequency.h"
#include "compiler/cli/commands.h"
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

// Warnings only: notes (what an import skipped, which backend ran) are information.
std::size_t warning_count(const Diagnostics& diags) {
  return static_cast<std::size_t>(std::count_if(diags.all().begin(), diags.all().end(),
                                                [](const Diagnostic& d) { return d.severity == Severity::Warning; }));
}

// Renders every diagnostic and, when there are any, a one-line summary.
void report(const Diagnostics& diags, const std::string& policy) {
  diags.render(std::cerr);
  if (diags.has_errors()) {
    std::cerr << policy << ": " << plural(diags.error_count(), "error");
    if (warning_count(diags)) std::cerr << ", " << plural(warning_count(diags), "warning");
    std::cerr << "\n";
  }
}

std::optional<CompileResult> run_compiler(const CompileArgs& args, Diagnostics& diags,
                                          std::optional<seccomp::FrequencyProfile>& profile) {
  CompileOptions options;
  // auto (kept for scripts written when i386 filters went to libseccomp) is our generator.
  options.backend = args.backend == "libseccomp" ? seccomp::Backend::Libseccomp : seccomp::Backend::Policyc;
  options.require_container = args.require_rootfs;
  options.lint = !args.no_lint;
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

// Writes the filter, then the plan; if the second write fails the first is removed again,
// so a failed run leaves neither behind.
bool write_outputs(const CompileArgs& args, const std::string& plan_text, const std::string& bpf) {
  bool bpf_written = false;
  try {
    if (!args.emit_bpf.empty()) {
      plan::write_file_atomically(args.emit_bpf, bpf);
      bpf_written = true;
    }
    if (!args.output.empty()) plan::write_file_atomically(args.output, plan_text);
    return true;
  } catch (const std::exception& e) {
    if (bpf_written) std::remove(args.emit_bpf.c_str());
    std::cerr << "error: " << e.what() << "\n"
              << "hint: check that the output directory exists and is writable\n";
    return false;
  }
}

// With --werror, warnings fail the run: said on stderr, nothing written.
bool refused_for_warnings(const CompileArgs& args, const Diagnostics& diags) {
  if (!args.werror || warning_count(diags) == 0) return false;
  std::cerr << args.policy << ": " << plural(warning_count(diags), "warning")
            << ", treated as errors (--werror); nothing written\n";
  return true;
}

int run_compile(const CompileArgs& args) {
  Diagnostics diags;
  std::optional<seccomp::FrequencyProfile> profile;
  auto result = run_compiler(args, diags, profile);
  report(diags, args.policy);
  if (!result) return kExitInputError;
  if (refused_for_warnings(args, diags)) return kExitWarnings;

  if (!args.emit_bpf.empty() && !result->plan.seccomp) {
    std::cerr << args.policy << ": error: --emit-bpf needs a policy with a seccomp block\n";
    return kExitInputError;
  }
  // Everything is built; only now touch the disk, each file atomically.
  std::string plan_text = plan::to_json(result->plan);
  plan::from_json(plan_text);   // what we write must load; a throw here is a compiler bug
  if (!write_outputs(args, plan_text, bpf_bytes(result->plan))) return kExitInputError;
  if (args.output.empty() && args.emit_bpf.empty()) {
    std::cout << plan_text;
    if (!plan_text.empty() && plan_text.back() != '\n') std::cout << '\n';
  }
  return kExitOk;
}

int run_check(const CompileArgs& args) {
  Diagnostics diags;
  std::optional<seccomp::FrequencyProfile> profile;
  auto result = run_compiler(args, diags, profile);
  report(diags, args.policy);
  if (!result) return kExitInputError;
  if (refused_for_warnings(args, diags)) return kExitWarnings;
  std::cout << args.policy << ": ok";
  if (warning_count(diags)) std::cout << " (" << plural(warning_count(diags), "warning") << ")";
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
  app.add_option("-o,--output", compile_args->output, "the plan to write (default: print it)");
  app.add_option("--emit-bpf", compile_args->emit_bpf, "also write the raw filter (little-endian struct sock_filter[])");
  add_backend_options(app, *compile_args);

  auto check_args = std::make_shared<CompileArgs>();
  CLI::App* check = app.add_subcommand("check", "report the policy's diagnostics; write nothing");
  check->add_option("policy", check_args->policy, "the policy to check (.pol)")->required();
  add_backend_options(*check, *check_args);

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
