// SPDX-License-Identifier: Apache-2.0
// policyc query FILE 'CALL'     the verdict of one call, per arch, with the deciding rule
// policyc diff A B              the calls A and B decide differently; exit 0 same, 1 different
// FILE, A and B are each a policy (.pol), a plan, or a Docker/OCI seccomp profile (JSON with
// "defaultAction"). Policies and profiles are answered from their rules (IR); plans from their
// BPF program. Exit codes as commands.h, except diff's 1, which means "the filters differ"
// (as diff(1)); errors in the inputs give 2.
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "compiler/bpf/bpf_interp.h"
#include "compiler/diag/input_file.h"
#include "compiler/cli/commands.h"
#include "compiler/cli/output.h"
#include "compiler/diag/printable.h"
#include "compiler/query/describe.h"
#include "compiler/driver/compile.h"
#include "compiler/driver/import_filter.h"
#include "compiler/query/call.h"
#include "compiler/query/diff.h"
#include "compiler/query/query.h"
#include "plan/plan_json.h"

namespace policyc::cli {
namespace {

// How a Docker profile is read (its capability- and kernel-dependent entries), as import-docker.
struct ProfileArgs {
  std::vector<std::string> caps;
  std::string kernel;
  docker::ImportOptions options() const {
    docker::ImportOptions out;
    out.caps = caps;
    out.kernel = kernel;
    return out;
  }
};

struct QueryArgs {
  std::string file;
  std::string call;
  ProfileArgs profile;
};

struct DiffArgs {
  std::string a, b;
  ProfileArgs profile;
};

void add_profile_options(CLI::App& command, ProfileArgs& args) {
  command.add_option("--caps", args.caps, "for Docker profiles: capabilities the container keeps (default: Docker's set)")
      ->delimiter(',');
  command.add_option("--kernel", args.kernel, "for Docker profiles: kernel version for minKernel (default: the running one)");
}

std::optional<query::FilterSource> from_policy(const std::string& path, Diagnostics& diags) {
  CompileOptions options;
  options.max_syntax_errors = output_settings().max_errors;
  std::optional<CompileResult> result = compile_policy(path, options, diags);
  if (!result) return std::nullopt;
  const ast::Seccomp* block = result->policy.seccomp_block();
  if (!result->filter || !block || !result->plan.seccomp) {
    diags.error({path}, "the policy has no seccomp block, so there is no filter to ask",
                "add `seccomp default errno(EPERM) { ... }`");
    return std::nullopt;
  }
  query::FilterSource out{path, "policy", std::move(result->filter), bpf::decode(result->plan.seccomp->bpf), std::nullopt};
  const Location& where = block->default_action.kind.where;
  out.default_where = seccomp::SourceRef{where.file, where.line, where.column};
  return out;
}

std::optional<query::FilterSource> from_docker(const std::string& path, const ProfileArgs& profile, Diagnostics& diags) {
  std::optional<seccomp::Filter> filter = import_filter_file(path, profile.options(), diags);
  if (!filter || diags.has_errors()) return std::nullopt;
  std::vector<sock_filter> program = seccomp::compile(*filter, seccomp::Backend::Policyc, diags);
  if (program.empty() || diags.has_errors()) return std::nullopt;
  return query::FilterSource{path, "Docker profile", std::move(filter), std::move(program), std::nullopt};
}

std::optional<query::FilterSource> from_plan(const std::string& path, Diagnostics& diags) {
  try {
    const plan::Plan loaded = plan::load_file(path);
    if (!loaded.seccomp) {
      diags.error({path}, "the plan has no seccomp filter", "add a seccomp block to the policy and recompile");
      return std::nullopt;
    }
    return query::FilterSource{path, "plan", std::nullopt, bpf::decode(loaded.seccomp->bpf), std::nullopt};
  } catch (const plan::PlanError& e) {
    diags.error({path}, e.what(), "give a policy (.pol), a plan from this policyc, or a Docker seccomp profile");
    return std::nullopt;
  }
}

// A JSON file is a Docker profile when it has "defaultAction", otherwise a plan.
std::optional<query::FilterSource> load_source(const std::string& path, const ProfileArgs& profile, Diagnostics& diags) {
  if (path.ends_with(".pol")) return from_policy(path, diags);
  InputFile text = read_input_file(path);
  if (!text.text) {
    diags.error({path}, "cannot read the file: " + text.error, "check the path");
    return std::nullopt;
  }
  const nlohmann::json json = nlohmann::json::parse(*text.text, nullptr, false);
  if (json.is_object() && json.contains("defaultAction")) return from_docker(path, profile, diags);
  return from_plan(path, diags);
}

// --format json when the inputs could not be read: the diagnostics alone.
int json_failure(const Diagnostics& diags) {
  if (output_settings().json()) {
    nlohmann::json doc{{"ok", false}};
    doc.update(diagnostics_json(diags));
    std::cout << doc.dump(2) << "\n";
  }
  return kExitInputError;
}

nlohmann::json query_json(const query::FilterSource& source, const query::Call& call,
                          const std::vector<query::QueryAnswer>& answers, const Diagnostics& diags) {
  nlohmann::json arches = nlohmann::json::array();
  for (const query::QueryAnswer& a : answers) {
    nlohmann::json cases = nlohmann::json::array();
    for (const query::Case& c : a.cases) {
      nlohmann::json item{{"when", printable(query::constraints_text(call.name, a, c))},
                          {"verdict", query::ret_text(c.outcomes.front().ret)},
                          {"ret", c.outcomes.front().ret}};
      const std::string rule = query::rule_text(source, c.outcomes.front());
      if (!rule.empty()) item["rule"] = printable(rule);
      cases.push_back(std::move(item));
    }
    arches.push_back({{"arch", a.target.label}, {"nr", a.target.nr}, {"syscall_of_arch", !a.cases.empty()},
                      {"served", a.served}, {"cases", std::move(cases)}});
  }
  nlohmann::json doc{{"ok", true}, {"file", printable(source.name)}, {"call", printable(query::call_echo(call))},
                     {"open_arguments", query::open_arguments(call)}, {"from_bpf", !source.filter},
                     {"answers", std::move(arches)}};
  doc.update(diagnostics_json(diags));
  return doc;
}

nlohmann::json diff_json(const DiffArgs& args, const query::DiffResult& result, const Diagnostics& diags) {
  nlohmann::json differences = nlohmann::json::array();
  for (const query::Difference& d : result.differences) {
    nlohmann::json item{{"text", printable(d.line)}, {"heading", d.note}};
    if (!d.note && d.change.outcomes.size() == 2) {
      item["from"] = query::ret_text(d.change.outcomes[0].ret);
      item["to"] = query::ret_text(d.change.outcomes[1].ret);
    }
    differences.push_back(std::move(item));
  }
  nlohmann::json doc{{"ok", true}, {"a", printable(args.a)}, {"b", printable(args.b)}, {"same", result.count() == 0},
                     {"count", result.count()}, {"from_bpf", result.by_bpf}, {"differences", std::move(differences)}};
  doc.update(diagnostics_json(diags));
  return doc;
}

int run_query(const QueryArgs& args) {
  std::string error;
  const std::optional<query::Call> call = query::parse_call(args.call, error);
  Diagnostics diags;
  if (!call) {
    diags.error({"query"}, "cannot read the call '" + args.call + "': " + error,
                "write it as strace prints it: 'openat(AT_FDCWD, \"/etc/hosts\", O_RDONLY)', `...` for the rest");
    print_diagnostics(diags);
    return json_failure(diags);
  }
  const std::optional<query::FilterSource> source = load_source(args.file, args.profile, diags);
  print_diagnostics(diags);
  if (!source) return json_failure(diags);
  try {
    const std::vector<query::QueryAnswer> answers = query::answer_query(*source, *call);
    if (output_settings().json()) {
      std::cout << query_json(*source, *call, answers, diags).dump(2) << "\n";
      return kExitOk;
    }
    std::cout << query::render_query(*source, *call, answers);
  } catch (const query::QueryError& e) {
    Diagnostics failure;
    failure.error({args.file}, e.message);
    print_diagnostics(failure);
    return json_failure(failure);
  }
  return kExitOk;
}

int run_diff(const DiffArgs& args) {
  Diagnostics diags;
  const std::optional<query::FilterSource> a = load_source(args.a, args.profile, diags);
  const std::optional<query::FilterSource> b = load_source(args.b, args.profile, diags);
  print_diagnostics(diags);
  if (!a || !b) return json_failure(diags);
  try {
    const query::DiffResult result = query::diff_filters(*a, *b);
    if (output_settings().json()) {
      std::cout << diff_json(args, result, diags).dump(2) << "\n";
    } else {
      std::cout << query::render_diff(*a, *b, result);
    }
    return result.count() == 0 ? kExitOk : kExitDiffers;
  } catch (const query::QueryError& e) {
    Diagnostics failure;
    failure.error({args.b}, "cannot compare " + args.a + " with " + args.b + ": " + e.message);
    print_diagnostics(failure);
    return json_failure(failure);
  }
}

}  // namespace

std::vector<Command> add_query_commands(CLI::App& app) {
  auto query_args = std::make_shared<QueryArgs>();
  CLI::App* q = app.add_subcommand("query", "the verdict a seccomp filter gives one call, per arch, and the rule deciding it");
  q->add_option("file", query_args->file, "a policy (.pol), a plan, or a Docker seccomp profile (JSON)")->required();
  q->add_option("call", query_args->call, "the call as strace prints it: 'socket(AF_INET6, ...)'")->required();
  add_profile_options(*q, query_args->profile);
  add_output_options(*q, true);

  auto diff_args = std::make_shared<DiffArgs>();
  CLI::App* d = app.add_subcommand("diff", "the calls two seccomp filters decide differently; exit 0 same, 1 different");
  d->add_option("a", diff_args->a, "the old filter: policy, plan or Docker profile")->required();
  d->add_option("b", diff_args->b, "the new filter: policy, plan or Docker profile")->required();
  add_profile_options(*d, diff_args->profile);
  add_output_options(*d, true);
  return {{q, [query_args] { return run_query(*query_args); }}, {d, [diff_args] { return run_diff(*diff_args); }}};
}

}  // namespace policyc::cli
