// PLACEHOLDER (owner: network engineer) - replaced by the libnl implementation.
#include "launcher/network.h"

#include "launcher/error.h"

namespace launcher {
std::unique_ptr<ContainerNetwork> prepare_network(const plan::Network& network, pid_t, bool) {
  throw StepError("network", "network mode \"" + plan::to_string(network.mode) + "\" is not implemented yet");
}
std::vector<std::string> cleanup_network_leftovers() { return {}; }
}  // namespace launcher
