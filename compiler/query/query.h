// SPDX-License-Identifier: Apache-2.0
// policyc query: the verdict a filter gives one call, per arch it serves, with the rule that
// decides it. Arguments the call leaves open (pointers, `...`) are explored exactly: when the
// verdict depends on them the answer lists the cases.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "compiler/query/call.h"
#include "compiler/query/cases.h"
#include "compiler/query/source.h"
#include "compiler/seccomp/abi.h"

namespace policyc::query {

struct QueryTarget {
  seccomp::Abi abi = seccomp::Abi::X86_64;
  std::string label;                                // "x86_64", "x86 via socketcall(SYS=1)"
  std::uint32_t nr = 0;
  std::array<std::optional<std::uint64_t>, 6> known{};  // the arguments the call fixes
};

struct QueryAnswer {
  QueryTarget target;
  bool served = true;        // false: the filter refuses the arch; `cases` holds that verdict
  bool by_bpf = false;       // cases over seccomp_data words (a plan), not argument indexes
  std::vector<Case> cases;   // one outcome each; together they cover every open argument value
};

// Throws QueryError for a name no served arch knows.
std::vector<QueryAnswer> answer_query(const FilterSource& source, const Call& call);

std::string render_query(const FilterSource& source, const Call& call, const std::vector<QueryAnswer>& answers);

// The argument values case `c` of `answer` covers: "arg0 == AF_NETLINK && arg1 & SOCK_RAW".
std::string constraints_text(const std::string& syscall, const QueryAnswer& answer, const Case& c);
// The arguments `call` leaves open: "any pointer value of arg1 and any value of arg3".
std::string open_arguments(const Call& call);
// The call as the query understood it: "socket(AF_INET, <any pointer>, ...)".
std::string call_echo(const Call& call);

// "app.pol:12: allow openat if arg2 == O_RDONLY" for the rule (or default) that gave `outcome`.
std::string rule_text(const FilterSource& source, const Outcome& outcome);

}  // namespace policyc::query
