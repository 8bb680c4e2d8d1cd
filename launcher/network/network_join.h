// SPDX-License-Identifier: Apache-2.0
// `network join "/run/netns/NAME"` and `network join pid N`: the container is born in an
// existing net namespace instead of a new one, and nothing of it is torn down at exit.
#pragma once

#include <memory>

#include "launcher/network/network.h"
#include "plan/plan.h"

namespace launcher {

// Opens the namespace and proves, without leaving a trace, that this process may enter it:
// a missing path or process, a file that is no net namespace, plan-exec's own namespace (that
// would be `network host`) and a namespace we may not enter are errors before any side effect.
std::unique_ptr<ContainerNetwork> prepare_join(const plan::NetworkJoin& join);

}  // namespace launcher
