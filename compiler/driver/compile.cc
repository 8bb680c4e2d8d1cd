// SPDX-License-Identifier: Apache-2.0
// compile_policy: parse -> checks -> container lowering -> seccomp lowering -> backend -> plan.
// Each stage adds to one Diagnostics; the next stage runs only when the previous one left no
// error, so a broken policy gives the errors of its first broken stage, all of them at once,
// without follow-on noise from stages that would see a half-built policy.
#include "compiler/driver/compile.h"

#include <algorithm>

#include <filesystem>
#include <set>

#include "compiler/bpf/bpf_interp.h"
#include "compiler/check/check.h"
#include "compiler/expect/check_expect.h"
#include "compiler/lint/lint.h"
#include "compiler/lower/lower_expect.h"
#include "compiler/lower/lower_container.h"
#include "compiler/lower/lower_seccomp.h"
#include "compiler/parse/parse.h"
#include "compiler/seccomp/abi.h"
#include "plan/encoding.h"
#include "plan/plan_json.h"
#include "plan/source_map.h"

namespace policyc {
namespace {

const char* backend_name(seccomp::Backend backend) {
  return backend == seccomp::Backend::Policyc ? "policyc" : "libseccomp";
}

bool check_policy(const ast::Policy& policy, const CompileOptions& options, Diagnostics& diags) {
  std::size_t errors_before = diags.error_count();
  if (policy.container) check::check_container(*policy.container, diags);
  if (options.require_container) {
    if (!policy.container) {
      diags.error({policy.file, 1, 1, 1}, "this policy has no container, so plan-exec cannot run it",
                  "write `container NAME { rootfs \"/path\" ... }` around the seccomp block");
    } else if (!policy.container->rootfs) {
      diags.error(policy.container->where, "container " + policy.container->name.text + " has no rootfs",
                  "add rootfs \"/path/to/rootfs\" (a directory) or rootfs archive \"/path/x.tar.gz\"");
    }
  }
  return diags.error_count() == errors_before;
}

}  // namespace

plan::SeccompSource seccomp_source_map(const seccomp::Filter& filter, const ast::Seccomp* block) {
  plan::SeccompSource source;
  if (block) {
    source.file = block->where.file;
    source.default_line = block->default_action.kind.where.line;
    source.end_line = block->end.line;
    source.end_column = block->end.column;
  }
  source.default_ret = seccomp::seccomp_ret(filter.default_action);
  if (const auto& unknown = seccomp::unknown_numbers(seccomp::Abi::X86_64);
      seccomp::unknown_numbers_get_enosys(filter) && !unknown.empty()) {
    source.unknown_from = unknown.front().lo;
    source.unknown_ret = seccomp::seccomp_ret(seccomp::kUnknownSyscallAction);
  }
  std::set<int> named;
  for (const auto& rule : filter.rules) {
    if (rule.nr < 0) continue;
    named.insert(rule.nr);
    if (rule.action.kind == seccomp::ActionKind::Allow) continue;  // no report meets its verdict (plan.h)
    plan::SeccompRuleSource out{rule.syscall, rule.nr, rule.action.to_string(), seccomp::seccomp_ret(rule.action),
                                {}, rule.where.file, rule.where.line};
    for (const auto& c : rule.conditions) out.conditions.push_back(seccomp::plan_condition(c));
    source.rules.push_back(std::move(out));
  }
  source.default_nr = static_cast<std::uint32_t>(plan::lowest_unnamed_number(named));
  return source;
}

namespace {

// Lowers and compiles the seccomp block into plan.seccomp; false on any error.
bool compile_seccomp(const ast::Seccomp& block, const CompileOptions& options, CompileResult& result,
                     Diagnostics& diags) {
  auto filter = seccomp::lower_seccomp(block, diags);
  if (!filter || diags.has_errors()) return false;
  const std::vector<seccomp::Expectation> expectations = seccomp::lower_expectations(block, *filter, diags);
  if (diags.has_errors()) return false;
  std::vector<sock_filter> program = seccomp::compile(*filter, options.backend, diags, options.profile);
  if (diags.has_errors()) return false;
  if (program.empty()) {
    diags.error(block.where, std::string("the ") + backend_name(options.backend) + " backend produced no filter",
                "this is a compiler bug; try --backend libseccomp and report the policy");
    return false;
  }
  if (program.size() > plan::kMaxBpfInstructions) {
    diags.error(block.where,
                "the filter has " + std::to_string(program.size()) + " instructions, over the kernel's limit of " +
                    std::to_string(plan::kMaxBpfInstructions),
                "merge rules, drop argument conditions, or try the other backend (--backend)");
    return false;
  }
  if (options.lint) lint::lint_seccomp(block, *filter, diags);
  if (!expect::check_expectations(*filter, program, expectations, block.default_action.kind.where, diags)) return false;
  plan::Seccomp out;
  out.default_action = filter->default_action.to_string();
  out.backend = backend_name(options.backend);
  out.bpf = bpf::encode(program);
  out.sha256 = plan::sha256_hex(out.bpf);
  out.source = seccomp_source_map(*filter, &block);
  result.plan.seccomp = std::move(out);
  result.filter = std::move(filter);
  return true;
}

}  // namespace

std::optional<CompileResult> compile_policy(const std::string& path, const CompileOptions& options,
                                            Diagnostics& diags) {
  ParseOptions parse_options;
  parse_options.max_syntax_errors = options.max_syntax_errors;
  auto policy = parse_file(path, diags, parse_options);
  if (!policy || diags.has_errors()) return std::nullopt;
  if (!check_policy(*policy, options, diags)) return std::nullopt;

  CompileResult result;
  result.plan.arch = plan::host_arch();
  result.plan.source = path;
  if (policy->container) {
    lower::lower_container(*policy->container, result.plan);
  } else {
    result.plan.name = std::filesystem::path(path).stem().string();
  }
  if (const ast::Seccomp* block = policy->seccomp_block()) {
    if (!compile_seccomp(*block, options, result, diags)) return std::nullopt;
  }
  if (diags.has_errors()) return std::nullopt;
  const Location where = policy->container ? policy->container->where : Location{path, 1, 1, 1};
  if (!check::check_lowered_plan(result.plan, where, diags)) return std::nullopt;
  result.policy = std::move(*policy);
  return result;
}

}  // namespace policyc
