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
#include "compiler/cli/commands.h"
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
  std::ifstream in(path);
  if (!in) {
    diags.error({path}, "cannot read \"" + path + "\"", "check the path");
    return std::nullopt;
  }
  std::stringstream text;
  text << in.rdbuf();
  const nlohmann::json json = nlohmann::json::parse(text.str(), nullptr, false);
  if (json.is_object() && json.contains("defaultAction")) return from_docker(path, profile, diags);
  return from_plan(path, diags);
}

int run_query(const QueryArgs& args) {
  std::string error;
  const std::optional<query::Call> call = query::parse_call(args.call, error);
  if (!call) {
    std::cerr << "error: cannot read the call '" << args.call << "': " << error << "\n"
              << "hint: write it as strace prints it: 'openat(AT_FDCWD, \"/etc/hosts\", O_RDONLY)', `...` for the rest\n";
    return kExitInputError;
  }
  Diagnostics diags;
  const std::optional<query::FilterSource> source = load_source(args.file, args.profile, diags);
  diags.render(std::cerr);
  if (!source) return kExitInputError;
  try {
    std::cout << query::render_query(*source, *call, query::answer_query(*source, *call));
  } catch (const query::QueryError& e) {
    std::cerr << args.file << ": error: " << e.message << "\n";
    return kExitInputError;
  }
  return kExitOk;
}

int run_diff(const DiffArgs& args) {
  Diagnostics diags;
  const std::optional<query::FilterSource> a = load_source(args.a, args.profile, diags);
  const std::optional<query::FilterSource> b = load_source(args.b, args.profile, diags);
  diags.render(std::cerr);
  if (!a || !b) return kExitInputError;
  try {
    const query::DiffResult result = query::diff_filters(*a, *b);
    std::cout << query::render_diff(*a, *b, result);
    return result.count() == 0 ? kExitOk : kExitDiffers;
  } catch (const query::QueryError& e) {
    std::cerr << "error: cannot compare " << args.a << " with " << args.b << ": " << e.message << "\n";
    return kExitInputError;
  }
}

}  // namespace

std::vector<Command> add_query_commands(CLI::App& app) {
  auto query_args = std::make_shared<QueryArgs>();
  CLI::App* q = app.add_subcommand("query", "the verdict a seccomp filter gives one call, per arch, and the rule deciding it");
  q->add_option("file", query_args->file, "a policy (.pol), a plan, or a Docker seccomp profile (JSON)")->required();
  q->add_option("call", query_args->call, "the call as strace prints it: 'socket(AF_INET6, ...)'")->required();
  add_profile_options(*q, query_args->profile);

  auto diff_args = std::make_shared<DiffArgs>();
  CLI::App* d = app.add_subcommand("diff", "the calls two seccomp filters decide differently; exit 0 same, 1 different");
  d->add_option("a", diff_args->a, "the old filter: policy, plan or Docker profile")->required();
  d->add_option("b", diff_args->b, "the new filter: policy, plan or Docker profile")->required();
  add_profile_options(*d, diff_args->profile);
  return {{q, [query_args] { return run_query(*query_args); }}, {d, [diff_args] { return run_diff(*diff_args); }}};
}

}  // namespace policyc::cli
