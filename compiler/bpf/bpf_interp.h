// SPDX-License-Identifier: Apache-2.0
// The classic-BPF interpreter lives in plan/ (plan/bpf_interp.h), so that plan-exec, which links
// no compiler code, can run a plan's filter too. The compiler keeps calling it policyc::bpf.
#pragma once

#include "plan/bpf_interp.h"

namespace policyc::bpf {

using plan::bpf::decode;
using plan::bpf::disassemble;
using plan::bpf::encode;
using plan::bpf::kAuditArchAarch64;
using plan::bpf::kAuditArchI386;
using plan::bpf::kAuditArchX86_64;
using plan::bpf::kX32SyscallBit;
using plan::bpf::run;
using plan::bpf::SeccompData;
using plan::bpf::Verdict;

}  // namespace policyc::bpf
