// SPDX-License-Identifier: Apache-2.0
// The instance subcommands, dispatched before plan-exec's own options are parsed:
//   plan-exec ps [--json]
//   plan-exec exec NAME|PID [-t] -- COMMAND ARGS...
//   plan-exec stop NAME|PID
// (A plan file named like a subcommand is run as ./ps.)
#pragma once

namespace launcher {

bool is_instance_command(const char* word);
// argv[1] is the subcommand. Returns plan-exec's exit code.
int run_instance_command(int argc, const char* const* argv);
const char* instance_usage_text();

}  // namespace launcher
