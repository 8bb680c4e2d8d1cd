// PLACEHOLDER (owner: Docker/OCI engineer).
#include "compiler/cli/commands.h"

namespace policyc::cli {
std::vector<Command> add_docker_commands(CLI::App&) { return {}; }
}  // namespace policyc::cli
