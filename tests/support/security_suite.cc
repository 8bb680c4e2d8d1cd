// SPDX-License-Identifier: Apache-2.0
#include "tests/support/security_suite.h"

#include <fstream>
#include <sstream>

#include "tests/support/proof_env.h"

namespace security {

const char* name_of(Policy policy) { return policy == Policy::Strict ? "strict.pol" : "permissive.pol"; }

std::string plan_path(const std::string& dir, Policy policy) {
  return dir + (policy == Policy::Strict ? "/strict.plan" : "/permissive.plan");
}

void compile_suite_plans(const std::string& dir, const std::string& rootfs) {
  const std::string quoted = "\"" + rootfs + "\"";
  proof::write_policy_variant(std::string(SOURCE_DIR) + "/policies/strict.pol", dir + "/strict.pol",
                              {{"\"/var/lib/policyc/busybox\"", quoted}});
  proof::compile_policy_file(dir + "/strict.pol", plan_path(dir, Policy::Strict));
  proof::write_policy_variant(std::string(SOURCE_DIR) + "/tests/fixtures/security/permissive.pol",
                              dir + "/permissive.pol",
                              {{"\"@ROOTFS@\"", quoted},
                               {"@DOCKER_PROFILE@", std::string(SHARED_TESTDATA_DIR) + "/seccomp/docker-default.json"}});
  proof::compile_policy_file(dir + "/permissive.pol", plan_path(dir, Policy::Permissive));
}

testsupport::ProcessResult run_under(const std::string& dir, Policy policy, const std::vector<std::string>& command,
                                     const std::vector<std::string>& disabled,
                                     const std::vector<std::string>& extra_args,
                                     testsupport::ProcessOptions options) {
  if (!disabled.empty()) {
    std::string list;
    for (const auto& d : disabled) list += (list.empty() ? "" : ",") + d;
    options.env.push_back("PLAN_EXEC_TEST_DISABLE_DEFENCES=" + list);
  }
  std::vector<std::string> args = extra_args;
  args.push_back(plan_path(dir, policy));
  args.push_back("--");
  args.insert(args.end(), command.begin(), command.end());
  return testsupport::run_plan_exec(args, options);
}

int yama_ptrace_scope() {
  std::ifstream in("/proc/sys/kernel/yama/ptrace_scope");
  int scope = 0;
  return in >> scope ? scope : 0;
}

namespace {

std::vector<std::string> lines_with(const std::string& output, const std::string& verdict) {
  std::vector<std::string> found;
  std::istringstream in(output);
  for (std::string line; std::getline(in, line);) {
    if (line.find(": " + verdict + " (") != std::string::npos || line.ends_with(": " + verdict)) found.push_back(line);
  }
  return found;
}

}  // namespace

std::vector<std::string> escaped_lines(const std::string& probe_output) { return lines_with(probe_output, "escaped"); }
std::vector<std::string> held_lines(const std::string& probe_output) { return lines_with(probe_output, "held"); }

std::string probe_line(const std::string& probe_output, const std::string& attempt) {
  std::istringstream in(probe_output);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with(attempt + ": ")) return line;
  }
  return "";
}

}  // namespace security
