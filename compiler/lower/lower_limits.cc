// SPDX-License-Identifier: Apache-2.0
// limits { ... } -> plan::Cgroups: the resolved values, then the same limits spelled for each
// cgroup hierarchy, in the order they must be written.
#include <functional>
#include <map>

#include "compiler/lower/lower_container.h"
#include "compiler/values/values.h"

namespace policyc::lower {
namespace {

std::map<std::string, std::string> values_by_key(const std::vector<ast::LimitDecl>& limits) {
  std::map<std::string, std::string> out;
  for (const auto& l : limits) out.emplace(l.key.text, l.values.empty() ? std::string() : l.values[0].text);
  return out;
}

std::optional<std::uint64_t> size_of(const std::map<std::string, std::string>& values, const std::string& key) {
  auto it = values.find(key);
  std::string why;
  return it == values.end() ? std::nullopt : parse_size(it->second, why);
}

void resolve_values(const std::map<std::string, std::string>& values, plan::Cgroups& cg) {
  std::string why;
  cg.memory_max_bytes = size_of(values, "memory");
  cg.swap_max_bytes = size_of(values, "swap");
  cg.memory_reservation_bytes = size_of(values, "memory_reservation");
  if (auto it = values.find("cpu"); it != values.end()) {
    if (auto cpu = parse_cpu(it->second, why)) {
      cg.cpu_quota_us = cpu->quota_us;
      cg.cpu_period_us = cpu->period_us;
    }
  }
  if (auto it = values.find("cpu_weight"); it != values.end()) cg.cpu_weight = parse_uint(it->second, 10000, why);
  if (auto it = values.find("cpuset"); it != values.end()) cg.cpuset_cpus = it->second;
  if (auto it = values.find("cpuset_mems"); it != values.end()) cg.cpuset_mems = it->second;
  if (auto it = values.find("pids"); it != values.end()) cg.pids_max = parse_uint(it->second, UINT64_MAX, why);
  cg.best_effort = values.count("best_effort") > 0;
  auto parent = values.find("parent");
  cg.parent = parent != values.end() ? parent->second : "plan-exec";
}

void add(std::vector<plan::CgroupWrite>& writes, const std::string& file, const std::optional<std::string>& value) {
  if (value) writes.push_back({file, *value});
}

std::optional<std::string> text(const std::optional<std::uint64_t>& n) {
  return n ? std::optional<std::string>(std::to_string(*n)) : std::nullopt;
}

std::vector<plan::CgroupWrite> v2_writes(const plan::Cgroups& cg) {
  std::vector<plan::CgroupWrite> w;
  add(w, "memory.max", text(cg.memory_max_bytes));
  add(w, "memory.swap.max", text(cg.swap_max_bytes));
  add(w, "memory.low", text(cg.memory_reservation_bytes));
  if (cg.cpu_quota_us) add(w, "cpu.max", std::to_string(*cg.cpu_quota_us) + " " + std::to_string(*cg.cpu_period_us));
  add(w, "cpu.weight", text(cg.cpu_weight));
  add(w, "cpuset.cpus", cg.cpuset_cpus);
  add(w, "cpuset.mems", cg.cpuset_mems);
  add(w, "pids.max", text(cg.pids_max));
  return w;
}

// v1: memory.memsw.limit_in_bytes counts memory + swap, and must be written after
// memory.limit_in_bytes (the kernel refuses memsw below the memory limit).
std::vector<plan::CgroupV1Controller> v1_controllers(const plan::Cgroups& cg) {
  std::vector<plan::CgroupV1Controller> out;
  auto controller = [&](const std::string& name, std::vector<plan::CgroupWrite> writes) {
    if (!writes.empty()) out.push_back({name, std::move(writes)});
  };
  std::vector<plan::CgroupWrite> cpuset, memory, cpu, pids;
  add(cpuset, "cpuset.cpus", cg.cpuset_cpus);
  add(cpuset, "cpuset.mems", cg.cpuset_mems);
  add(memory, "memory.limit_in_bytes", text(cg.memory_max_bytes));
  if (cg.memory_max_bytes && cg.swap_max_bytes) {
    add(memory, "memory.memsw.limit_in_bytes", std::to_string(*cg.memory_max_bytes + *cg.swap_max_bytes));
  }
  add(memory, "memory.soft_limit_in_bytes", text(cg.memory_reservation_bytes));
  if (cg.cpu_quota_us) {
    add(cpu, "cpu.cfs_period_us", std::to_string(*cg.cpu_period_us));
    add(cpu, "cpu.cfs_quota_us", std::to_string(*cg.cpu_quota_us));
  }
  if (cg.cpu_weight) add(cpu, "cpu.shares", std::to_string(cpu_weight_to_shares(*cg.cpu_weight)));
  add(pids, "pids.max", text(cg.pids_max));
  controller("cpuset", cpuset);
  controller("memory", memory);
  controller("cpu", cpu);
  controller("pids", pids);
  return out;
}

}  // namespace

plan::Cgroups lower_limits(const std::vector<ast::LimitDecl>& limits) {
  plan::Cgroups cg;
  resolve_values(values_by_key(limits), cg);
  cg.v2 = v2_writes(cg);
  cg.v1 = v1_controllers(cg);
  return cg;
}

}  // namespace policyc::lower
