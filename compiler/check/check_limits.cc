// SPDX-License-Identifier: Apache-2.0
// Checks of the `limits { ... }` block: known keys, one value each, and values the kernel's
// cgroup files accept (memory a process can start with, cpu > 0, weights 1..10000, ...).
#include <algorithm>
#include <cctype>
#include <map>

#include "compiler/check/check_internal.h"
#include "compiler/values/values.h"
#include "plan/rules.h"

namespace policyc::check::detail {
namespace {

const std::vector<std::string> kKeys = {"memory", "swap", "memory_reservation", "cpu", "cpu_weight",
                                        "cpuset", "cpuset_mems", "pids", "best_effort", "parent"};
using plan::kMinMemoryBytes;
using plan::valid_cgroup_name;
using plan::valid_cpu_list;

void check_memory(const ast::Word& value, const std::string& key, Diagnostics& diags) {
  std::string why;
  auto bytes = lower::parse_size(value.text, why);
  if (!bytes) {
    diags.error(value.where, "bad " + key + " size: " + why, "write e.g. 250M or 1G");
  } else if (key == "memory" && *bytes < kMinMemoryBytes) {
    diags.error(value.where, "memory limit " + value.text + " is below 4M: a process cannot start with less",
                "give at least 4M");
  }
}

void check_cpu(const ast::Word& value, Diagnostics& diags) {
  std::string why;
  auto cpu = lower::parse_cpu(value.text, why);
  if (!cpu) {
    diags.error(value.where, "bad cpu limit: " + why, "write a number of CPUs (0.5) or quota/period (20ms/100ms)");
  } else if (cpu->quota_us == 0) {
    diags.error(value.where, "cpu limit " + value.text + " must be more than 0", "give e.g. cpu 0.5 for half a CPU");
  } else if (cpu->quota_us < plan::kMinCpuQuotaUs) {
    diags.error(value.where, "cpu quota " + value.text + " is below the kernel's minimum of 1ms per period",
                "raise the quota or lengthen the period");
  } else if (cpu->period_us < plan::kMinCpuPeriodUs || cpu->period_us > plan::kMaxCpuPeriodUs) {
    diags.error(value.where, "cpu period in " + value.text + " must be between 1ms and 1s");
  }
}

void check_value(const ast::LimitDecl& limit, Diagnostics& diags) {
  const std::string& key = limit.key.text;
  const ast::Word& value = limit.values[0];
  std::string why;
  if (key == "memory" || key == "swap" || key == "memory_reservation") {
    check_memory(value, key, diags);
  } else if (key == "cpu") {
    check_cpu(value, diags);
  } else if (key == "cpu_weight") {
    auto weight = lower::parse_uint(value.text, plan::kMaxCpuWeight, why);
    if (!weight || *weight < plan::kMinCpuWeight) diags.error(value.where, "cpu_weight " + value.text + " is out of range", "use 1 to 10000");
  } else if (key == "cpuset" || key == "cpuset_mems") {
    if (!valid_cpu_list(value.text)) {
      diags.error(value.where, key + " " + in_quotes(value.text) + " is not a list of numbers and ranges",
                  "write e.g. \"0-3,8\"");
    }
  } else if (key == "pids") {
    auto pids = lower::parse_uint(value.text, plan::kMaxPids, why);
    if (!pids || *pids < plan::kMinPids) diags.error(value.where, "pids limit " + value.text + " must be a number from 1 to 4194304",
                                        "a container needs at least its first process");
  } else if (key == "parent") {
    if (!valid_cgroup_name(value.text)) {
      diags.error(value.where, "cgroup parent " + in_quotes(value.text) + " is not a relative cgroup name",
                  "use letters, digits, '-', '_', '.' and '/' without \"..\"");
    }
  }
}

}  // namespace

void check_limits(const ast::Container& c, Diagnostics& diags) {
  std::map<std::string, const ast::LimitDecl*> seen;
  for (const auto& limit : c.limits) {
    const std::string& key = limit.key.text;
    if (std::find(kKeys.begin(), kKeys.end(), key) == kKeys.end()) {
      diags.error(limit.key.where, "unknown limit " + in_quotes(key), suggestion(key, kKeys));
      continue;
    }
    if (!seen.emplace(key, &limit).second) {
      diags.error(limit.key.where, "limit " + in_quotes(key) + " is set twice", "keep one");
      continue;
    }
    std::size_t wanted = key == "best_effort" ? 0 : 1;
    if (limit.values.size() != wanted) {
      diags.error(limit.where, key + (wanted ? " takes one value" : " takes no value"),
                  wanted ? "write e.g. " + key + " " + (key == "cpu" ? "0.5" : key == "parent" ? "\"plan-exec\"" : "64")
                         : "write best_effort alone");
      continue;
    }
    if (wanted) check_value(limit, diags);
  }
  if (seen.count("swap") && !seen.count("memory")) {
    diags.error(seen["swap"]->key.where, "swap needs a memory limit",
                "cgroup v1 limits memory + swap together; add e.g. memory 250M");
  }
  std::string why;
  auto has_value = [&](const char* key) { return seen.count(key) && seen[key]->values.size() == 1; };
  if (has_value("memory") && has_value("memory_reservation")) {
    auto memory = lower::parse_size(seen["memory"]->values[0].text, why);
    auto reservation = lower::parse_size(seen["memory_reservation"]->values[0].text, why);
    if (memory && reservation && *reservation > *memory) {
      diags.error(seen["memory_reservation"]->values[0].where, "memory_reservation is above the memory limit",
                  "a reservation must be at most the limit");
    }
  }
}

}  // namespace policyc::check::detail
