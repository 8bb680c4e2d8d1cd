// SPDX-License-Identifier: Apache-2.0
// import-docker, export-docker, export-oci: the bridges between .pol policies and the Docker /
// OCI world. Each command validates everything and builds every output in memory first; files
// are written (atomically) only when there is no error, so a failed run leaves nothing behind.
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "compiler/cli/commands.h"
#include "compiler/cli/output.h"
#include "compiler/diag/input_file.h"
#include "compiler/docker/export.h"
#include "compiler/docker/import.h"
#include "compiler/driver/compile.h"
#include "compiler/oci/export_oci.h"
#include "plan/plan_json.h"

namespace policyc::cli {
namespace {

struct ImportArgs {
  std::string profile;
  std::string output;
  std::vector<std::string> caps;
  std::string arch = "x86_64";
  std::string kernel;
};

struct ExportArgs {
  std::string policy;
  std::string output;
  std::string k8s_name;
  bool runc_compat = false;
};

std::optional<std::string> read_file(const std::string& path, Diagnostics& diags) {
  InputFile input = read_input_file(path);
  if (!input.text) diags.error({path}, "cannot read the profile: " + input.error, "check the path and its permissions");
  return input.text;
}

// Writes every (path, text) pair, or reports why not: all files or none.
int write_all(const std::vector<std::pair<std::string, std::string>>& files) {
  return write_outputs(files) ? kExitOk : kExitInputError;
}

int finish(const Diagnostics& diags) {
  print_diagnostics(diags);
  return diags.has_errors() ? kExitInputError : kExitOk;
}

int run_import(const ImportArgs& args) {
  Diagnostics diags;
  if (!check_output_path(args.output, {args.profile}, diags)) return finish(diags);
  auto text = read_file(args.profile, diags);
  if (!text) return finish(diags);
  docker::ImportOptions options;
  options.caps = args.caps;
  options.arch = args.arch;
  options.kernel = args.kernel;
  auto pol = docker::import_to_pol(*text, args.profile, options, diags);
  if (!pol || diags.has_errors()) return finish(diags);
  finish(diags);
  return write_all({{args.output, *pol}});
}

std::optional<CompileResult> compile_for_export(const std::string& policy, Diagnostics& diags) {
  CompileOptions options;
  options.max_syntax_errors = output_settings().max_errors;
  return compile_policy(policy, options, diags);
}

// A seccomp profile cannot grant device nodes: the user has to pass them to Docker.
void note_devices_not_exported(const plan::Plan& plan, Diagnostics& diags) {
  if (plan.devices.empty()) return;
  std::string flags;
  for (const auto& path : plan.devices) flags += (flags.empty() ? "" : " ") + ("--device " + path);
  diags.warning({plan.source}, "a seccomp profile cannot grant the policy's devices; the profile leaves them out",
                "pass them to the container runtime: docker run " + flags + " ...");
}

int run_export_docker(const ExportArgs& args) {
  Diagnostics diags;
  if (!check_output_path(args.output, {args.policy}, diags)) return finish(diags);
  if (!args.k8s_name.empty() && args.output == "-") {
    diags.error({args.output}, "--k8s-manifest writes NAME.yaml next to the profile, and `-o -` has no directory",
                "write the profile to a file");
    return finish(diags);
  }
  if (!args.k8s_name.empty()) {
    if (const std::string problem = docker::k8s_name_problem(args.k8s_name); !problem.empty()) {
      diags.error({"policyc"}, "--k8s-manifest " + nlohmann::json(args.k8s_name).dump() +
                          " is no Kubernetes object name (it becomes metadata.name): " + problem,
                  "use a name like my-app");
      return finish(diags);
    }
  }
  auto compiled = compile_for_export(args.policy, diags);
  if (!compiled || diags.has_errors()) return finish(diags);
  if (!compiled->filter) {
    diags.error({args.policy}, "the policy has no seccomp block, so there is no profile to export",
                "add `seccomp default ACTION { ... }`");
    return finish(diags);
  }
  auto profile = docker::export_profile(*compiled->filter, diags);
  if (!profile || diags.has_errors()) return finish(diags);
  note_devices_not_exported(compiled->plan, diags);
  std::vector<std::pair<std::string, std::string>> files{{args.output, profile->dump(2) + "\n"}};
  if (!args.k8s_name.empty()) {
    auto manifest = docker::k8s_manifest(*profile, args.k8s_name, args.policy, diags);
    if (!manifest) return finish(diags);
    files.push_back({directory_of(args.output) + "/" + args.k8s_name + ".yaml", std::move(*manifest)});
  }
  finish(diags);
  return write_all(files);
}

int run_export_oci(const ExportArgs& args) {
  Diagnostics diags;
  if (!check_output_path(args.output, {args.policy}, diags)) return finish(diags);
  auto compiled = compile_for_export(args.policy, diags);
  if (!compiled || diags.has_errors()) return finish(diags);
  const seccomp::Filter* filter = compiled->filter ? &*compiled->filter : nullptr;
  oci::OciOptions options;
  options.runc_compat = args.runc_compat;
  auto config = oci::export_config(compiled->plan, filter, diags, options);
  if (!config || diags.has_errors()) return finish(diags);
  finish(diags);
  return write_all({{args.output, config->dump(2) + "\n"}});
}

}  // namespace

std::vector<Command> add_docker_commands(CLI::App& app) {
  std::vector<Command> commands;

  auto import_args = std::make_shared<ImportArgs>();
  CLI::App* import = app.add_subcommand("import-docker", "Docker/OCI seccomp profile JSON -> .pol seccomp block");
  import->add_option("profile", import_args->profile, "Docker seccomp profile (JSON)")->required();
  import->add_option("-o,--output", import_args->output, "the .pol file to write (`-`: stdout)")->required();
  import->add_option("--caps", import_args->caps,
                     "capabilities the container keeps, for includes/excludes (default: Docker's set; `none`)")
      ->delimiter(',');
  import->add_option("--arch", import_args->arch, "target arch for includes/excludes and names (x86_64)");
  import->add_option("--kernel", import_args->kernel, "kernel version for minKernel (default: the running one)");
  add_output_options(*import, false);
  commands.push_back({import, [import_args] { return run_import(*import_args); }});

  auto docker_args = std::make_shared<ExportArgs>();
  CLI::App* docker = app.add_subcommand("export-docker", ".pol -> Docker seccomp profile JSON");
  docker->add_option("policy", docker_args->policy, "the policy (.pol)")->required();
  docker->add_option("-o,--output", docker_args->output, "the profile to write (profile.json; `-`: stdout)")->required();
  docker->add_option("--k8s-manifest", docker_args->k8s_name,
                     "also write a security-profiles-operator SeccompProfile NAME.yaml next to the profile");
  add_output_options(*docker, false);
  commands.push_back({docker, [docker_args] { return run_export_docker(*docker_args); }});

  auto oci_args = std::make_shared<ExportArgs>();
  CLI::App* oci = app.add_subcommand("export-oci", ".pol -> OCI runtime-spec config.json (runc, containerd)");
  oci->add_option("policy", oci_args->policy, "the policy (.pol)")->required();
  oci->add_option("-o,--output", oci_args->output, "the config to write (config.json; `-`: stdout)")->required();
  oci->add_flag("--runc-compat", oci_args->runc_compat,
                "allow the few syscalls runc's init makes under the filter (fstatfs, ...) when the policy "
                "does not name them");
  add_output_options(*oci, false);
  commands.push_back({oci, [oci_args] { return run_export_oci(*oci_args); }});

  return commands;
}

}  // namespace policyc::cli
