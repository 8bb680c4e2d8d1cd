// SPDX-License-Identifier: Apache-2.0
// Docker/OCI seccomp profile JSON -> a checked in-memory profile. Shared by the importer
// (import-docker, `include "x.json"`). Every field of the format is read and type-checked;
// errors name the JSON path ("syscalls[12].args[0].op") or, for syntax errors, line:column.
// Actions and comparisons are already in the IR's terms (compiler/seccomp/ir.h), so what
// Docker means by an entry is decided here, once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "compiler/diag/diagnostics.h"
#include "compiler/seccomp/ir.h"

namespace policyc::docker {

// includes/excludes of one syscalls[] entry. Empty fields say nothing.
struct Selector {
  std::vector<std::string> caps;      // CAP_* names
  std::vector<std::string> arches;    // Go/Docker arch names: amd64, x32, x86, arm64, ...
  std::optional<std::string> min_kernel;  // "4.8"
  bool empty() const { return caps.empty() && arches.empty() && !min_kernel; }
};

struct SyscallEntry {
  std::string path;                   // "syscalls[3]", for messages
  std::vector<std::string> names;     // from "names", or the old format's "name"
  seccomp::Action action;             // errnoRet/errno already applied
  std::vector<seccomp::ArgCondition> conditions;  // args[], ANDed
  std::string comment;
  Selector includes;
  Selector excludes;
};

struct ArchMapEntry {
  std::string arch;                   // SCMP_ARCH_X86_64
  std::vector<std::string> sub_arches;
};

struct Profile {
  seccomp::Action default_action;
  std::vector<std::string> architectures;   // SCMP_ARCH_* (old format)
  std::vector<ArchMapEntry> arch_map;
  std::string listener_path;
  std::string listener_metadata;
  std::vector<std::string> flags;           // SECCOMP_FILTER_FLAG_*
  std::vector<SyscallEntry> syscalls;
};

// Parses and checks `json_text`. All problems go to `diags` (errors stop the import, warnings
// flag fields that are accepted but suspicious); nullopt on any error.
std::optional<Profile> parse_profile(const std::string& json_text, const std::string& file_name,
                                     Diagnostics& diags);

// 1-based line and column of byte `offset` (0-based) in `text`.
std::pair<unsigned, unsigned> line_column(const std::string& text, std::size_t offset);

// Docker's SCMP_ACT_* name of an action ("SCMP_ACT_ERRNO"); the errno/trace number is
// separate in the format (errnoRet).
std::string docker_action_name(const seccomp::Action& action);
// SCMP_CMP_* name of a condition's operator (a masked == is SCMP_CMP_MASKED_EQ).
std::string docker_op_name(const seccomp::ArgCondition& condition);

}  // namespace policyc::docker
