// SPDX-License-Identifier: Apache-2.0
// policyc explain FILE [--profile mix.tsv] [--backend policyc|libseccomp]
// Shows a seccomp filter as the kernel runs it: the BPF listing with labels and comments,
// each x86_64 syscall's verdict and path length, which syscalls the kernel's seccomp cache
// skips, and the expected cost on a syscall mix. FILE is a plan (the BPF it carries) or a
// .pol policy (compiled here, with our backend unless --backend says otherwise).
#include <iostream>
#include <memory>

#include "compiler/bpf/bpf_interp.h"
#include "compiler/bpf/explain.h"
#include "compiler/bpf/frequency.h"
#include "compiler/cli/commands.h"
#include "compiler/cli/output.h"
#include "compiler/diag/printable.h"
#include "compiler/query/describe.h"
#include "compiler/driver/compile.h"
#include "plan/plan_json.h"

namespace policyc::cli {
namespace {

struct ExplainArgs {
  std::string file;
  std::string profile;
  std::string backend = "policyc";
};

bool is_plan(const std::string& path) {
  return path.size() > 5 && (path.ends_with(".plan") || path.ends_with(".json"));
}

// The filter of a plan file, or of a policy compiled with `backend`; nullopt after reporting.
std::optional<std::vector<sock_filter>> load_filter(const ExplainArgs& args, const seccomp::FrequencyProfile& mix,
                                                    Diagnostics& diags) {
  if (is_plan(args.file)) {
    try {
      const plan::Plan loaded = plan::load_file(args.file);
      if (!loaded.seccomp) {
        diags.error({args.file}, "the plan has no seccomp filter", "add a seccomp block to the policy and recompile");
        return std::nullopt;
      }
      return bpf::decode(loaded.seccomp->bpf);
    } catch (const plan::PlanError& e) {
      diags.error({args.file}, e.what(), "check the path; a plan from another policyc version must be recompiled");
      return std::nullopt;
    }
  }
  CompileOptions options;
  options.backend = args.backend == "libseccomp" ? seccomp::Backend::Libseccomp : seccomp::Backend::Policyc;
  options.profile = &mix;
  options.max_syntax_errors = output_settings().max_errors;
  const std::optional<CompileResult> result = compile_policy(args.file, options, diags);
  if (!result) return std::nullopt;
  if (!result->plan.seccomp) {
    diags.error({args.file}, "the policy has no seccomp block, so there is no filter to explain",
                "add `seccomp default errno(EPERM) { ... }`");
    return std::nullopt;
  }
  return bpf::decode(result->plan.seccomp->bpf);
}

// --format json: the numbers of the text report's table and summary (the listing stays text).
nlohmann::json cost_json(const seccomp::FilterCost& cost) {
  nlohmann::json syscalls = nlohmann::json::array();
  for (const auto& c : cost.syscalls) {
    syscalls.push_back({{"nr", c.nr}, {"name", c.name}, {"verdict", query::ret_text(c.ret)}, {"ret", c.ret},
                        {"executed", c.executed}, {"worst", c.worst}, {"arg_dependent", c.arg_dependent},
                        {"cache_allowed", c.cache_allowed}});
  }
  nlohmann::json doc{{"instructions", cost.instructions}, {"worst", cost.worst},
                     {"mean", cost.mean}, {"weighted", cost.weighted},
                     {"allowed_arg_free", cost.allowed_arg_free}, {"cache_allowed", cost.cache_allowed},
                     {"x32_worst", cost.x32_worst}, {"i386_worst", cost.i386_worst},
                     {"syscalls", std::move(syscalls)}};
  if (cost.worst_nr >= 0) doc["worst_nr"] = cost.worst_nr;
  if (!cost.valid) doc["error"] = printable(cost.error);
  return doc;
}

int run_explain(const ExplainArgs& args) {
  Diagnostics diags;
  std::optional<seccomp::FrequencyProfile> mix = seccomp::default_frequency_profile();
  if (!args.profile.empty()) mix = seccomp::load_frequency_profile(args.profile, diags);
  std::optional<std::vector<sock_filter>> program;
  if (mix) program = load_filter(args, *mix, diags);
  print_diagnostics(diags);
  if (output_settings().json()) {
    nlohmann::json doc{{"file", printable(args.file)}, {"ok", program.has_value()}};
    doc.update(diagnostics_json(diags));
    if (program) doc["filter"] = cost_json(seccomp::measure_filter(*program, *mix));
    std::cout << doc.dump(2) << "\n";
    return program ? kExitOk : kExitInputError;
  }
  if (!program) return kExitInputError;
  const std::string title = args.file + (is_plan(args.file) ? "" : " (backend " + args.backend + ")");
  std::cout << seccomp::explain_filter(*program, *mix, title);
  return kExitOk;
}

}  // namespace

std::vector<Command> add_explain_command(CLI::App& app) {
  auto args = std::make_shared<ExplainArgs>();
  CLI::App* explain = app.add_subcommand("explain", "show a seccomp filter: listing, per-syscall cost, kernel cache");
  explain->add_option("file", args->file, "a plan (.plan/.json) or a policy (.pol)")->required();
  explain->add_option("--profile", args->profile, "syscall mix, `name count` per line (default: built-in)");
  explain->add_option("--backend", args->backend, "backend for a .pol: policyc (default) or libseccomp")
      ->check(CLI::IsMember({"policyc", "libseccomp"}));
  add_output_options(*explain, true);
  return {{explain, [args] { return run_explain(*args); }}};
}

}  // namespace policyc::cli
