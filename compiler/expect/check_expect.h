// SPDX-License-Identifier: Apache-2.0
// `expect` lines checked against the compiled filter: every call the line describes is run
// through the BPF interpreter (compiler/bpf/bpf_interp.h) on every arch the filter serves
// (x86_64; x32 and x86 when the `arch` list has them, with that ABI's numbers, and for i386's
// socket and IPC calls also through socketcall/ipc). Arguments not written are free: the check
// runs one call per class of values the filter's conditions tell apart (arg_space.h), so it holds
// for every value, not a sample. A failure is an error at the expect line naming the arch, the
// call, the verdict it got and the rule (or default action) that decided it.
#pragma once

#include <linux/filter.h>

#include <vector>

#include "compiler/diag/diagnostics.h"
#include "compiler/seccomp/expectation.h"
#include "compiler/seccomp/ir.h"

namespace policyc::expect {

// True when every expectation holds. `default_where`: the block's default action, for messages.
bool check_expectations(const seccomp::Filter& filter, const std::vector<sock_filter>& program,
                        const std::vector<seccomp::Expectation>& expectations, const Location& default_where,
                        Diagnostics& diags);

}  // namespace policyc::expect
