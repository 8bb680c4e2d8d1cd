// SPDX-License-Identifier: Apache-2.0
// The container's defaults that the checks, the include resolver (an included Docker profile
// is resolved for the capabilities the container keeps) and lowering must agree on.
#pragma once

#include <string>
#include <vector>

namespace policyc::lower {

// Docker's default capability set without mknod, kept when the policy has no `capabilities`
// section.
const std::vector<int>& default_capabilities();
// The device nodes the minimal /dev always has ("null", ...): `device` need not grant them.
const std::vector<std::string>& minimal_dev_nodes();

}  // namespace policyc::lower
