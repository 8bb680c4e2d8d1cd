// SPDX-License-Identifier: Apache-2.0
// The built-in syscall groups (@default, @file-system, @mount, ...), in the spirit of systemd's
// SystemCallFilter= sets but our own lists, for x86_64 containers. A rule names them like a
// policy's own groups; docs/language.md's table is generated from this list (`policyc groups
// --markdown`, checked by a unit test).
//
// Design:
//   - The groups are pairwise disjoint: a syscall belongs to at most one, so naming several in
//     one block never decides a call twice and never gives duplicate-rule diagnostics.
//   - They hold calls that are safe to allow unconditionally, or (the dangerous ones) to refuse
//     as a whole. Calls whose danger depends on their arguments (clone, clone3, ioctl,
//     personality, socket families...) are in no group or must be narrowed before the group:
//     clone/clone3/ioctl/personality/seccomp/io_uring are in none, so a policy decides them
//     explicitly with a condition.
//   - Members may be names of the i386 ABI only (sigreturn, mmap2, socketcall...): they apply
//     when the filter allows `arch x86` and are skipped otherwise. Members the build's syscall
//     tables do not know (newer than its kernel headers) are skipped, silently.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace policyc::seccomp {

struct BuiltinGroup {
  std::string_view name;                   // "@file-system"
  std::string_view purpose;                // one line, for the docs and `policyc groups`
  bool dangerous = false;                  // meant to be refused (kill_process, errno)
  std::vector<std::string_view> members;   // syscall names, as the kernel spells them
};

// Every built-in group, @default first, then the everyday ones, then the dangerous ones.
const std::vector<BuiltinGroup>& builtin_groups();

// The group called `name` ("@mount"), or nullptr.
const BuiltinGroup* find_builtin_group(std::string_view name);

// How a member resolves on this build: an x86_64 call, a call of the i386 ABI only (applies
// with `arch x86`), or unknown to the build's tables (skipped).
enum class MemberKind { X86_64, I386Only, Unknown };
MemberKind member_kind(std::string_view member);

// The Markdown table of docs/language.md: every group with its purpose and members, and the
// members this build skips.
std::string builtin_groups_markdown();

}  // namespace policyc::seccomp
