// SPDX-License-Identifier: Apache-2.0
// Syscall frequency profiles: how often a workload makes each syscall. The code generator
// weights its search tree with them; `explain` and the benchmark report costs weighted by them.
// File format, one syscall per line: `name<TAB>count` or `name count`; `#` starts a comment.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "compiler/diag/diagnostics.h"

namespace policyc::seccomp {

// Relative call frequency per syscall name, for the generator's layout and for `explain`.
using FrequencyProfile = std::map<std::string, double>;

// Parses profile text; errors name `file_name` and the line. nullopt on any error.
std::optional<FrequencyProfile> parse_frequency_profile(const std::string& text, const std::string& file_name,
                                                        Diagnostics& diags);
std::optional<FrequencyProfile> load_frequency_profile(const std::string& path, Diagnostics& diags);

// The built-in profile used when none is given: the distribution of
// /work/shared/testdata/syscall-mix/tar-python.tsv (tar czf/xzf plus a Python JSON+hash loop,
// 172,802 calls counted with strace -f -c on Debian 12 x86_64), compiled in.
const FrequencyProfile& default_frequency_profile();

// Relative weight per x86_64 syscall number 0..count-1, summing to 1 over the profile's
// syscalls that exist on x86_64 (names libseccomp does not know for x86_64 are ignored).
std::vector<double> weights_by_nr(const FrequencyProfile& profile, std::size_t count);

}  // namespace policyc::seccomp
