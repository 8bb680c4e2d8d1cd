// SPDX-License-Identifier: Apache-2.0
// policyc's subcommands come in families, each in its own file; main.cc only wires them:
//   main.cc              compile (default), check, --emit-bpf          (the front end)
//   docker_commands.cc   import-docker, export-docker, export-oci      (Docker/OCI bridges)
//   explain_command.cc   explain                                       (our seccomp backend)
//   query_commands.cc    query, diff                                   (asking and comparing filters)
//   groups_command.cc    groups                                        (built-in syscall groups)
// Exit codes, for every subcommand: 0 success, 2 an error in the user's input (policy, JSON,
// arguments), 1 an internal error, 3 warnings only but --werror given (compile and check).
// Nothing is written when there is an error. `diff` also exits 1 when the filters differ (as
// diff(1) does); its internal errors print "policyc: internal error" on stderr, which a
// difference never does.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <vector>

namespace policyc::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitInternal = 1;
inline constexpr int kExitInputError = 2;
inline constexpr int kExitWarnings = 3;
inline constexpr int kExitDiffers = 1;   // policyc diff: the two filters differ

struct Command {
  CLI::App* subcommand;           // run() is called when this subcommand was given
  std::function<int()> run;       // returns the exit code
};

std::vector<Command> add_docker_commands(CLI::App& app);
std::vector<Command> add_explain_command(CLI::App& app);
std::vector<Command> add_query_commands(CLI::App& app);
std::vector<Command> add_groups_command(CLI::App& app);

}  // namespace policyc::cli
