// PLACEHOLDER (owner: code generator engineer).
#include "compiler/cli/commands.h"

namespace policyc::cli {
std::vector<Command> add_explain_command(CLI::App&) { return {}; }
}  // namespace policyc::cli
