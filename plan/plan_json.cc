// SPDX-License-Identifier: Apache-2.0
#include "plan/plan_json.h"

#include <sys/stat.h>
#include <sys/utsname.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <tuple>
#include <utility>

#include <nlohmann/json.hpp>

#include "plan/encoding.h"
#include "plan/rules.h"
#include "plan/strict_json.h"
#include "plan/syscall_table.h"

namespace plan {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw PlanError(path + ": " + what);
}

const char* type_name(const json& value) { return value.type_name(); }

// Reads one JSON object field by field; done() refuses the keys nobody asked for, so a typo in
// a hand-edited plan is an error rather than a silently ignored setting. (done() is explicit,
// not the destructor: a destructor that throws while a return value is in flight leaks it.)
class ObjectReader {
 public:
  ObjectReader(const json& value, std::string path) : value_(value), path_(std::move(path)) {
    if (!value_.is_object()) fail(path_, std::string("expected an object, found ") + type_name(value_));
  }
  void done() const {
    for (const auto& item : value_.items()) {
      if (std::find(read_.begin(), read_.end(), &item.value()) == read_.end()) fail(path_ + "." + item.key(), "unknown key");
    }
  }

  bool has(const std::string& key) const { return value_.contains(key); }
  std::string path(const std::string& key) const { return path_ + "." + key; }

  const json& required(const std::string& key) {
    auto it = value_.find(key);
    if (it == value_.end()) fail(path(key), "missing required key");
    read_.push_back(&*it);
    return *it;
  }
  const json* optional(const std::string& key) {
    auto it = value_.find(key);
    if (it == value_.end()) return nullptr;
    read_.push_back(&*it);
    return it->is_null() ? nullptr : &*it;
  }

  std::string string(const std::string& key) { return as_string(required(key), [&] { return path(key); }); }
  std::string string_or(const std::string& key, std::string fallback) {
    const json* v = optional(key);
    return v ? as_string(*v, [&] { return path(key); }) : fallback;
  }
  bool boolean_or(const std::string& key, bool fallback) {
    const json* v = optional(key);
    if (!v) return fallback;
    if (!v->is_boolean()) fail(path(key), std::string("expected a boolean, found ") + type_name(*v));
    return v->get<bool>();
  }
  std::uint64_t uint(const std::string& key, std::uint64_t max = UINT64_MAX) {
    return as_uint(required(key), [&] { return path(key); }, max);
  }
  std::uint64_t uint_or(const std::string& key, std::uint64_t fallback, std::uint64_t max = UINT64_MAX) {
    const json* v = optional(key);
    return v ? as_uint(*v, [&] { return path(key); }, max) : fallback;
  }
  std::optional<std::uint64_t> maybe_uint(const std::string& key) {
    const json* v = optional(key);
    if (!v) return std::nullopt;
    return as_uint(*v, [&] { return path(key); }, UINT64_MAX);
  }
  std::optional<std::string> maybe_string(const std::string& key) {
    const json* v = optional(key);
    if (!v) return std::nullopt;
    return as_string(*v, [&] { return path(key); });
  }
  const json& array(const std::string& key) {
    const json& v = required(key);
    if (!v.is_array()) fail(path(key), std::string("expected an array, found ") + type_name(v));
    return v;
  }
  const json* maybe_array(const std::string& key) {
    const json* v = optional(key);
    if (v && !v->is_array()) fail(path(key), std::string("expected an array, found ") + type_name(*v));
    return v;
  }

  // path_of() names the value in an error; it is called only then (plans are read on every
  // launch, and most of their values are fine).
  template <class PathOf>
  static std::string as_string(const json& v, PathOf&& path_of) {
    if (!v.is_string()) fail(path_of(), std::string("expected a string, found ") + type_name(v));
    return v.get<std::string>();
  }
  template <class PathOf>
  static std::uint64_t as_uint(const json& v, PathOf&& path_of, std::uint64_t max) {
    if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<std::int64_t>() >= 0)) {
      fail(path_of(), std::string("expected a non-negative integer, found ") +
                          (v.is_number() ? "a negative or fractional number" : type_name(v)));
    }
    std::uint64_t n = v.get<std::uint64_t>();
    if (n > max) fail(path_of(), std::to_string(n) + " is larger than " + std::to_string(max));
    return n;
  }

 private:
  const json& value_;
  std::string path_;
  std::vector<const json*> read_;  // the members asked for, which done() does not call unknown
};

std::vector<std::string> string_list(ObjectReader& r, const std::string& key) {
  std::vector<std::string> out;
  const json* list = r.maybe_array(key);
  if (!list) return out;
  for (std::size_t i = 0; i < list->size(); ++i) {
    out.push_back(ObjectReader::as_string((*list)[i], [&] { return r.path(key) + "[" + std::to_string(i) + "]"; }));
  }
  return out;
}

void require_absolute(const std::string& path, const std::string& value) {
  if (value.empty() || value[0] != '/') fail(path, "\"" + value + "\" is not an absolute path");
}

ordered_json published_ports_json(const std::vector<PublishedPort>& ports) {
  ordered_json out = ordered_json::array();
  for (const auto& port : ports) {
    out.push_back({{"protocol", port.protocol}, {"host_address", port.host_address},
                   {"host_port", port.host_port}, {"container_port", port.container_port}});
  }
  return out;
}

// The values' own rules (protocol names, port ranges, addresses) are plan/rules.cc's.
std::vector<PublishedPort> read_published_ports(ObjectReader& r, const std::string& key) {
  std::vector<PublishedPort> out;
  const json* list = r.maybe_array(key);
  if (!list) return out;
  for (std::size_t i = 0; i < list->size(); ++i) {
    ObjectReader pr((*list)[i], r.path(key) + "[" + std::to_string(i) + "]");
    PublishedPort port;
    port.protocol = pr.string_or("protocol", "tcp");
    port.host_address = pr.string_or("host_address", "");
    port.host_port = static_cast<std::uint16_t>(pr.uint("host_port", 65535));
    port.container_port = static_cast<std::uint16_t>(pr.uint("container_port", 65535));
    pr.done();
    out.push_back(port);
  }
  return out;
}

// ---- enums ------------------------------------------------------------------------------

const std::pair<Namespace, const char*> kNamespaceNames[] = {
    {Namespace::Mount, "mount"}, {Namespace::Pid, "pid"},   {Namespace::Ipc, "ipc"},
    {Namespace::Uts, "uts"},     {Namespace::Net, "net"},   {Namespace::User, "user"},
    {Namespace::Cgroup, "cgroup"}, {Namespace::Time, "time"}};
const std::pair<MountKind, const char*> kMountKindNames[] = {
    {MountKind::Proc, "proc"},   {MountKind::Sysfs, "sysfs"},   {MountKind::Tmpfs, "tmpfs"},
    {MountKind::Bind, "bind"},   {MountKind::Dev, "dev"},       {MountKind::Mqueue, "mqueue"},
    {MountKind::Devpts, "devpts"}};
const std::pair<NetworkMode, const char*> kNetworkModeNames[] = {
    {NetworkMode::Host, "host"}, {NetworkMode::None, "none"},
    {NetworkMode::Loopback, "loopback"}, {NetworkMode::Veth, "veth"},
    {NetworkMode::Join, "join"}, {NetworkMode::User, "user"}};
const std::pair<RootfsKind, const char*> kRootfsKindNames[] = {
    {RootfsKind::Directory, "directory"}, {RootfsKind::Archive, "archive"}};

template <typename E, std::size_t N>
const char* name_of(const std::pair<E, const char*> (&table)[N], E value) {
  for (const auto& [v, name] : table) if (v == value) return name;
  return "?";
}
template <typename E, std::size_t N>
E parse_enum(const std::pair<E, const char*> (&table)[N], const std::string& text, const std::string& path) {
  std::string allowed;
  for (const auto& [v, name] : table) {
    if (text == name) return v;
    allowed += allowed.empty() ? name : std::string(", ") + name;
  }
  fail(path, "\"" + text + "\" is not one of: " + allowed);
}

// ---- writing ----------------------------------------------------------------------------

ordered_json mappings_json(const std::vector<IdMapping>& maps) {
  ordered_json out = ordered_json::array();
  for (const auto& m : maps) out.push_back({{"inside", m.inside}, {"outside", m.outside}, {"count", m.count}});
  return out;
}

ordered_json writes_json(const std::vector<CgroupWrite>& writes) {
  ordered_json out = ordered_json::array();
  for (const auto& w : writes) out.push_back({{"file", w.file}, {"value", w.value}});
  return out;
}

template <typename T>
void put_optional(ordered_json& j, const char* key, const std::optional<T>& v) {
  if (v) j[key] = *v;
}

ordered_json cgroups_json(const Cgroups& c) {
  ordered_json j;
  put_optional(j, "memory_max_bytes", c.memory_max_bytes);
  put_optional(j, "swap_max_bytes", c.swap_max_bytes);
  put_optional(j, "memory_reservation_bytes", c.memory_reservation_bytes);
  put_optional(j, "cpu_quota_us", c.cpu_quota_us);
  put_optional(j, "cpu_period_us", c.cpu_period_us);
  put_optional(j, "cpu_weight", c.cpu_weight);
  put_optional(j, "cpuset_cpus", c.cpuset_cpus);
  put_optional(j, "cpuset_mems", c.cpuset_mems);
  put_optional(j, "pids_max", c.pids_max);
  j["best_effort"] = c.best_effort;
  j["parent"] = c.parent;
  j["v2"] = writes_json(c.v2);
  ordered_json v1 = ordered_json::array();
  for (const auto& ctl : c.v1) v1.push_back({{"controller", ctl.controller}, {"writes", writes_json(ctl.writes)}});
  j["v1"] = v1;
  return j;
}

const std::pair<CmpOp, const char*> kCmpOpNames[] = {
    {CmpOp::Eq, "=="}, {CmpOp::Ne, "!="}, {CmpOp::Lt, "<"}, {CmpOp::Le, "<="}, {CmpOp::Gt, ">"}, {CmpOp::Ge, ">="}};

ordered_json conditions_json(const std::vector<SeccompCondition>& conditions) {
  ordered_json out = ordered_json::array();
  for (const auto& c : conditions) {
    ordered_json cj = {{"arg", c.arg}, {"op", name_of(kCmpOpNames, c.op)}, {"value", c.value}};
    if (c.mask) cj["mask"] = *c.mask;
    if (c.width != 64) cj["width"] = c.width;
    out.push_back(std::move(cj));
  }
  return out;
}

// Versions 2 and 3: one object per rule.
ordered_json rule_objects_json(const SeccompSource& source) {
  ordered_json rules = ordered_json::array();
  for (const auto& rule : source.rules) {
    ordered_json rj = {{"syscall", rule.syscall}, {"nr", rule.nr},     {"action", rule.action},
                       {"ret", rule.ret},         {"file", rule.file}, {"line", rule.line}};
    if (!rule.conditions.empty()) rj["conditions"] = conditions_json(rule.conditions);
    rules.push_back(std::move(rj));
  }
  return rules;
}

// The index of `value` in `table`, appending it when new.
template <class T>
std::size_t index_in(std::vector<T>& table, const T& value) {
  const auto it = std::find(table.begin(), table.end(), value);
  if (it != table.end()) return static_cast<std::size_t>(it - table.begin());
  table.push_back(value);
  return table.size() - 1;
}

// Version 4 on: each rule is a row [syscall, nr, action, file, line(, conditions)] whose action
// and file are indices into the `actions` and `files` tables. Docker's profile has some 300
// rules that share two actions and one file; as objects they were two thirds of a plan, and
// plan-exec parses the plan on every launch.
void add_rule_rows(const SeccompSource& source, ordered_json& out) {
  std::vector<std::pair<std::string, std::uint32_t>> actions;
  std::vector<std::string> files;
  ordered_json rows = ordered_json::array();
  for (const auto& rule : source.rules) {
    ordered_json row = {rule.syscall, rule.nr, index_in(actions, {rule.action, rule.ret}), index_in(files, rule.file),
                        rule.line};
    if (!rule.conditions.empty()) row.push_back(conditions_json(rule.conditions));
    rows.push_back(std::move(row));
  }
  ordered_json action_table = ordered_json::array();
  for (const auto& [action, ret] : actions) action_table.push_back({{"action", action}, {"ret", ret}});
  out["actions"] = std::move(action_table);
  out["files"] = files;
  out["rules"] = std::move(rows);
}

ordered_json source_json(const SeccompSource& source, int version) {
  ordered_json j = {{"file", source.file},         {"default_line", source.default_line}, {"default_ret", source.default_ret},
                    {"end_line", source.end_line}, {"end_column", source.end_column}};
  if (version >= 4) {
    add_rule_rows(source, j);
  } else {
    j["rules"] = rule_objects_json(source);
  }
  if (source.default_nr) j["default_nr"] = *source.default_nr;
  if (source.unknown_from) j["unknown_from"] = *source.unknown_from;
  if (source.unknown_ret) j["unknown_ret"] = *source.unknown_ret;
  return j;
}

ordered_json landlock_json(const Landlock& l) {
  ordered_json paths = ordered_json::array();
  for (const auto& rule : l.paths) paths.push_back({{"path", rule.path}, {"access", rule.access}});
  ordered_json ports = ordered_json::array();
  for (const auto& rule : l.ports) ports.push_back({{"port", rule.port}, {"access", rule.access}});
  return {{"handled_fs", l.handled_fs}, {"handled_net", l.handled_net}, {"scoped", l.scoped},
          {"best_effort", l.best_effort}, {"paths", std::move(paths)},    {"ports", std::move(ports)}};
}

ordered_json plan_json(const Plan& p) {
  ordered_json j;
  j["version"] = p.version;
  j["arch"] = p.arch;
  j["name"] = p.name;
  j["source"] = p.source;
  ordered_json ns = ordered_json::array();
  for (auto n : p.namespaces) ns.push_back(to_string(n));
  j["namespaces"] = ns;
  if (p.rootfs) {
    j["rootfs"] = {{"kind", name_of(kRootfsKindNames, p.rootfs->kind)},
                   {"path", p.rootfs->path},
                   {"readonly", p.rootfs->readonly},
                   {"chroot", p.rootfs->use_chroot}};
    if (p.rootfs->writethrough) j["rootfs"]["writethrough"] = true;
  }
  ordered_json mounts = ordered_json::array();
  for (const auto& m : p.mounts) {
    mounts.push_back({{"kind", to_string(m.kind)}, {"source", m.source}, {"target", m.target},
                      {"fstype", m.fstype}, {"flags", m.flags}, {"data", m.data},
                      {"readonly", m.readonly}});
  }
  j["mounts"] = mounts;
  j["masked_paths"] = p.masked_paths;
  j["readonly_paths"] = p.readonly_paths;
  j["devices"] = p.devices;
  j["hostname"] = p.hostname;
  ordered_json net;
  net["mode"] = to_string(p.network.mode);
  if (p.network.veth) {
    const Veth& v = *p.network.veth;
    net["veth"] = {{"host_ifname", v.host_ifname}, {"container_ifname", v.container_ifname},
                   {"host_address", v.host_address}, {"host_prefix", v.host_prefix},
                   {"container_address", v.container_address},
                   {"container_prefix", v.container_prefix}, {"gateway", v.gateway}, {"mtu", v.mtu}};
    // Written only when used, so plans without them read exactly as before.
    if (!v.publish.empty()) net["veth"]["publish"] = published_ports_json(v.publish);
    if (v.outbound_nat) net["veth"]["outbound_nat"] = true;
    if (!v.dns.empty()) net["veth"]["dns"] = v.dns;
  }
  if (p.network.join) {
    const NetworkJoin& join = *p.network.join;
    net["join"] = join.path.empty() ? ordered_json{{"pid", join.pid}} : ordered_json{{"path", join.path}};
  }
  if (p.network.user) {
    net["user"] = {{"publish", published_ports_json(p.network.user->publish)}, {"outbound", p.network.user->outbound}};
  }
  j["network"] = net;
  if (p.cgroups) j["cgroups"] = cgroups_json(*p.cgroups);
  j["capabilities"] = p.capabilities;
  ordered_json rl = ordered_json::array();
  for (const auto& r : p.rlimits) {
    rl.push_back({{"resource", r.resource}, {"name", r.name}, {"soft", r.soft}, {"hard", r.hard}});
  }
  j["rlimits"] = rl;
  j["user"] = {{"uid", p.user.uid}, {"gid", p.user.gid}, {"groups", p.user.groups},
               {"uid_map", mappings_json(p.user.uid_map)}, {"gid_map", mappings_json(p.user.gid_map)}};
  j["env"] = p.env;
  j["cwd"] = p.cwd;
  j["command"] = p.command;
  if (p.command_is_init) j["command_is_init"] = true;  // absent: false, as in plans made before it existed
  j["no_new_privs"] = p.no_new_privs;
  if (p.landlock) j["landlock"] = landlock_json(*p.landlock);
  if (p.seccomp) {
    j["seccomp"] = {{"default_action", p.seccomp->default_action},
                    {"backend", p.seccomp->backend},
                    {"instructions", p.seccomp->instructions()},
                    {"sha256", p.seccomp->sha256},
                    {"bpf", base64_encode(p.seccomp->bpf)}};
    if (p.seccomp->source) j["seccomp"]["source"] = source_json(*p.seccomp->source, p.version);
  }
  return j;
}

// ---- reading ----------------------------------------------------------------------------

std::vector<IdMapping> read_mappings(ObjectReader& r, const std::string& key) {
  std::vector<IdMapping> out;
  const json* list = r.maybe_array(key);
  if (!list) return out;
  for (std::size_t i = 0; i < list->size(); ++i) {
    ObjectReader m((*list)[i], r.path(key) + "[" + std::to_string(i) + "]");
    IdMapping map;
    map.inside = static_cast<std::uint32_t>(m.uint("inside", UINT32_MAX));
    map.outside = static_cast<std::uint32_t>(m.uint("outside", UINT32_MAX));
    map.count = static_cast<std::uint32_t>(m.uint("count", UINT32_MAX));
    if (map.count == 0) fail(m.path("count"), "must be at least 1");
    m.done();
    out.push_back(map);
  }
  return out;
}

std::vector<CgroupWrite> read_writes(const json& list, const std::string& path) {
  if (!list.is_array()) fail(path, std::string("expected an array, found ") + type_name(list));
  std::vector<CgroupWrite> out;
  for (std::size_t i = 0; i < list.size(); ++i) {
    ObjectReader w(list[i], path + "[" + std::to_string(i) + "]");
    CgroupWrite write{w.string("file"), w.string("value")};
    if (write.file.empty() || write.file.find('/') != std::string::npos || write.file[0] == '.') {
      fail(w.path("file"), "\"" + write.file + "\" is not a plain cgroup file name");
    }
    w.done();
    out.push_back(std::move(write));
  }
  return out;
}

Cgroups read_cgroups(const json& value, const std::string& path) {
  ObjectReader r(value, path);
  Cgroups c;
  c.memory_max_bytes = r.maybe_uint("memory_max_bytes");
  c.swap_max_bytes = r.maybe_uint("swap_max_bytes");
  c.memory_reservation_bytes = r.maybe_uint("memory_reservation_bytes");
  c.cpu_quota_us = r.maybe_uint("cpu_quota_us");
  c.cpu_period_us = r.maybe_uint("cpu_period_us");
  c.cpu_weight = r.maybe_uint("cpu_weight");
  c.cpuset_cpus = r.maybe_string("cpuset_cpus");
  c.cpuset_mems = r.maybe_string("cpuset_mems");
  c.pids_max = r.maybe_uint("pids_max");
  c.best_effort = r.boolean_or("best_effort", false);
  c.parent = r.string_or("parent", "plan-exec");
  if (c.parent.empty() || c.parent[0] == '/' || c.parent.find("..") != std::string::npos) {
    fail(r.path("parent"), "\"" + c.parent + "\" must be a relative cgroup name without \"..\"");
  }
  c.v2 = read_writes(r.array("v2"), r.path("v2"));
  const json& v1 = r.array("v1");
  for (std::size_t i = 0; i < v1.size(); ++i) {
    ObjectReader ctl(v1[i], r.path("v1") + "[" + std::to_string(i) + "]");
    CgroupV1Controller controller;
    controller.controller = ctl.string("controller");
    controller.writes = read_writes(ctl.array("writes"), ctl.path("writes"));
    ctl.done();
    c.v1.push_back(std::move(controller));
  }
  r.done();
  return c;
}

CmpOp read_cmp_op(ObjectReader& r, const std::string& key) {
  const std::string text = r.string(key);
  for (const auto& [op, name] : kCmpOpNames) {
    if (text == name) return op;
  }
  fail(r.path(key), "\"" + text + "\" is not one of == != < <= > >=");
}

SeccompCondition read_condition(const json& value, const std::string& path) {
  ObjectReader r(value, path);
  SeccompCondition c;
  c.arg = static_cast<unsigned>(r.uint("arg", 5));
  c.op = read_cmp_op(r, "op");
  c.value = r.uint("value");
  c.mask = r.maybe_uint("mask");
  c.width = static_cast<unsigned>(r.uint_or("width", 64, 64));
  if (c.width != 32 && c.width != 64) fail(r.path("width"), "must be 32 or 64");
  r.done();
  return c;
}

std::vector<SeccompCondition> read_conditions(const json& list, const std::string& path) {
  std::vector<SeccompCondition> out;
  for (std::size_t k = 0; k < list.size(); ++k) out.push_back(read_condition(list[k], path + "[" + std::to_string(k) + "]"));
  return out;
}

// Versions 2 and 3: one object per rule.
void read_rule_objects(ObjectReader& r, SeccompSource& s) {
  const json& rules = r.array("rules");
  for (std::size_t i = 0; i < rules.size(); ++i) {
    ObjectReader rr(rules[i], r.path("rules") + "[" + std::to_string(i) + "]");
    SeccompRuleSource rule;
    rule.syscall = rr.string("syscall");
    rule.nr = static_cast<int>(rr.uint("nr", 0x3fffffff));
    rule.action = rr.string("action");
    rule.ret = static_cast<std::uint32_t>(rr.uint("ret", UINT32_MAX));
    rule.file = rr.string("file");
    rule.line = static_cast<unsigned>(rr.uint("line", UINT32_MAX));
    if (const json* conditions = rr.maybe_array("conditions")) rule.conditions = read_conditions(*conditions, rr.path("conditions"));
    rr.done();
    s.rules.push_back(std::move(rule));
  }
}

// Version 4 on: rows [syscall, nr, action, file, line(, conditions)] over the actions and files
// tables (see add_rule_rows).
void read_rule_rows(ObjectReader& r, SeccompSource& s) {
  std::vector<std::pair<std::string, std::uint32_t>> actions;
  const json& action_table = r.array("actions");
  for (std::size_t i = 0; i < action_table.size(); ++i) {
    ObjectReader ar(action_table[i], r.path("actions") + "[" + std::to_string(i) + "]");
    actions.emplace_back(ar.string("action"), static_cast<std::uint32_t>(ar.uint("ret", UINT32_MAX)));
    ar.done();
  }
  r.array("files");  // required, even when empty
  const std::vector<std::string> files = string_list(r, "files");
  const json& rows = r.array("rules");
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto at = [&](std::size_t field) { return r.path("rules") + "[" + std::to_string(i) + "][" + std::to_string(field) + "]"; };
    const json& row = rows[i];
    if (!row.is_array() || row.size() < 5 || row.size() > 6) {
      fail(r.path("rules") + "[" + std::to_string(i) + "]",
           "expected [syscall, nr, action, file, line] or [syscall, nr, action, file, line, conditions], found " +
               (row.is_array() ? "an array of " + std::to_string(row.size()) : std::string(type_name(row))));
    }
    SeccompRuleSource rule;
    rule.syscall = ObjectReader::as_string(row[0], [&] { return at(0); });
    rule.nr = static_cast<int>(ObjectReader::as_uint(row[1], [&] { return at(1); }, 0x3fffffff));
    if (actions.empty()) fail(at(2), "refers to the actions table, which is empty");
    const auto action = ObjectReader::as_uint(row[2], [&] { return at(2); }, actions.size() - 1);
    std::tie(rule.action, rule.ret) = actions[action];
    if (files.empty()) fail(at(3), "refers to the files table, which is empty");
    rule.file = files[ObjectReader::as_uint(row[3], [&] { return at(3); }, files.size() - 1)];
    rule.line = static_cast<unsigned>(ObjectReader::as_uint(row[4], [&] { return at(4); }, UINT32_MAX));
    if (row.size() == 6) {
      if (!row[5].is_array()) fail(at(5), std::string("expected an array of conditions, found ") + type_name(row[5]));
      rule.conditions = read_conditions(row[5], at(5));
    }
    s.rules.push_back(std::move(rule));
  }
}

SeccompSource read_source(const json& value, const std::string& path, int version) {
  ObjectReader r(value, path);
  SeccompSource s;
  s.file = r.string("file");
  s.default_line = static_cast<unsigned>(r.uint("default_line", UINT32_MAX));
  s.default_ret = static_cast<std::uint32_t>(r.uint("default_ret", UINT32_MAX));
  s.end_line = static_cast<unsigned>(r.uint("end_line", UINT32_MAX));
  s.end_column = static_cast<unsigned>(r.uint("end_column", UINT32_MAX));
  if (version >= 4) {
    read_rule_rows(r, s);
  } else {
    read_rule_objects(r, s);
  }
  if (const auto nr = r.maybe_uint("default_nr")) {
    if (*nr >= kX32SyscallBit) fail(r.path("default_nr"), "must be an x86_64 syscall number, 0..0x3fffffff");
    s.default_nr = static_cast<std::uint32_t>(*nr);
  }
  if (const auto from = r.maybe_uint("unknown_from")) {
    if (*from == 0 || *from >= kX32SyscallBit) fail(r.path("unknown_from"), "must be an x86_64 syscall number, 1..0x3fffffff");
    s.unknown_from = static_cast<std::uint32_t>(*from);
  }
  if (const auto ret = r.maybe_uint("unknown_ret")) {
    if (*ret > UINT32_MAX) fail(r.path("unknown_ret"), "must fit in 32 bits (SECCOMP_RET_* | data)");
    s.unknown_ret = static_cast<std::uint32_t>(*ret);
  }
  if (s.unknown_from.has_value() != s.unknown_ret.has_value()) {
    fail(r.path("unknown_from"), "unknown_from and unknown_ret come together (numbers newer than the syscall table and "
                                 "their verdict); recompile the policy");
  }
  r.done();
  return s;
}

Seccomp read_seccomp(const json& value, const std::string& path, int version) {
  ObjectReader r(value, path);
  Seccomp s;
  s.default_action = r.string("default_action");
  s.backend = r.string("backend");
  std::uint64_t instructions = r.uint("instructions");
  s.sha256 = r.string("sha256");
  auto bytes = base64_decode(r.string("bpf"));
  if (!bytes) fail(r.path("bpf"), "is not valid base64");
  if (bytes->size() % 8 != 0) {
    fail(r.path("bpf"), "length " + std::to_string(bytes->size()) +
                            " bytes is not a multiple of 8 (struct sock_filter)");
  }
  if (bytes->empty()) fail(r.path("bpf"), "is empty: a filter needs at least one instruction");
  if (bytes->size() / 8 > kMaxBpfInstructions) {
    fail(r.path("bpf"), std::to_string(bytes->size() / 8) + " instructions exceed the kernel's limit of " +
                            std::to_string(kMaxBpfInstructions));
  }
  if (instructions != bytes->size() / 8) {
    fail(r.path("instructions"), "says " + std::to_string(instructions) + " but the filter holds " +
                                     std::to_string(bytes->size() / 8));
  }
  s.bpf = std::move(*bytes);
  if (sha256_hex(s.bpf) != s.sha256) fail(r.path("sha256"), "does not match the filter: the plan was altered or damaged");
  if (const json* source = r.optional("source")) {
    if (version < 2) fail(r.path("source"), "needs plan version 2 (this plan says version 1)");
    s.source = read_source(*source, r.path("source"), version);
  }
  r.done();
  return s;
}

Landlock read_landlock(const json& value, const std::string& path, int version) {
  if (version < 3) fail(path, "needs plan version 3 (this plan says version " + std::to_string(version) + ")");
  ObjectReader r(value, path);
  Landlock l;
  l.handled_fs = r.uint_or("handled_fs", 0);
  l.handled_net = r.uint_or("handled_net", 0);
  l.scoped = r.uint_or("scoped", 0);
  l.best_effort = r.boolean_or("best_effort", false);
  if (const json* paths = r.maybe_array("paths")) {
    for (std::size_t i = 0; i < paths->size(); ++i) {
      ObjectReader pr((*paths)[i], r.path("paths") + "[" + std::to_string(i) + "]");
      LandlockPath rule;
      rule.path = pr.string("path");
      require_absolute(pr.path("path"), rule.path);
      rule.access = pr.uint("access");
      pr.done();
      l.paths.push_back(std::move(rule));
    }
  }
  if (const json* ports = r.maybe_array("ports")) {
    for (std::size_t i = 0; i < ports->size(); ++i) {
      ObjectReader pr((*ports)[i], r.path("ports") + "[" + std::to_string(i) + "]");
      LandlockPort rule;
      rule.port = static_cast<std::uint16_t>(pr.uint("port", 65535));
      rule.access = pr.uint("access");
      pr.done();
      l.ports.push_back(rule);
    }
  }
  r.done();
  return l;
}

Plan read_plan(const json& root) {
  ObjectReader r(root, "plan");
  Plan p;
  // Version first: a plan from another schema would otherwise fail on some later key with a
  // confusing message.
  const json& version = r.required("version");
  if (!version.is_number_integer() || version.get<std::int64_t>() < kOldestSchemaVersion ||
      version.get<std::int64_t>() > kSchemaVersion) {
    fail("plan.version", version.dump() + " is not supported: this plan-exec reads versions " +
                             std::to_string(kOldestSchemaVersion) + " to " + std::to_string(kSchemaVersion) +
                             "; recompile the policy with a matching policyc");
  }
  p.version = static_cast<int>(version.get<std::int64_t>());
  p.arch = r.string("arch");
  if (p.arch != host_arch()) {
    fail("plan.arch", "\"" + p.arch + "\" does not match this machine (" + host_arch() +
                          "); compile the policy for " + host_arch());
  }
  p.name = r.string_or("name", "");
  p.source = r.string_or("source", "");
  for (std::size_t i = 0; const auto& n : string_list(r, "namespaces")) {
    auto ns = namespace_from_string(n);
    if (!ns) fail("plan.namespaces[" + std::to_string(i) + "]", "unknown namespace \"" + n + "\"");
    p.namespaces.push_back(*ns);
    ++i;
  }
  if (const json* rootfs = r.optional("rootfs")) {
    ObjectReader rr(*rootfs, "plan.rootfs");
    Rootfs fs;
    fs.kind = parse_enum(kRootfsKindNames, rr.string("kind"), rr.path("kind"));
    fs.path = rr.string("path");
    require_absolute(rr.path("path"), fs.path);
    fs.readonly = rr.boolean_or("readonly", false);
    fs.use_chroot = rr.boolean_or("chroot", false);
    fs.writethrough = rr.boolean_or("writethrough", false);
    rr.done();
    p.rootfs = fs;
  }
  if (const json* mounts = r.maybe_array("mounts")) {
    for (std::size_t i = 0; i < mounts->size(); ++i) {
      ObjectReader m((*mounts)[i], "plan.mounts[" + std::to_string(i) + "]");
      Mount mount;
      mount.kind = parse_enum(kMountKindNames, m.string("kind"), m.path("kind"));
      mount.source = m.string_or("source", "");
      mount.target = m.string("target");
      require_absolute(m.path("target"), mount.target);
      mount.fstype = m.string_or("fstype", "");
      mount.flags = m.uint_or("flags", 0);
      mount.data = m.string_or("data", "");
      mount.readonly = m.boolean_or("readonly", false);
      if (mount.kind == MountKind::Bind) require_absolute(m.path("source"), mount.source);
      m.done();
      p.mounts.push_back(std::move(mount));
    }
  }
  p.masked_paths = string_list(r, "masked_paths");
  p.readonly_paths = string_list(r, "readonly_paths");
  for (const auto& path : p.masked_paths) require_absolute("plan.masked_paths", path);
  for (const auto& path : p.readonly_paths) require_absolute("plan.readonly_paths", path);
  p.devices = string_list(r, "devices");
  for (const auto& path : p.devices) require_absolute("plan.devices", path);
  p.hostname = r.string_or("hostname", "");
  if (p.hostname.size() > 64) fail("plan.hostname", "is longer than 64 characters");
  if (const json* net = r.optional("network")) {
    ObjectReader n(*net, "plan.network");
    p.network.mode = parse_enum(kNetworkModeNames, n.string("mode"), n.path("mode"));
    if (const json* veth = n.optional("veth")) {
      ObjectReader v(*veth, "plan.network.veth");
      Veth out;
      out.host_ifname = v.string_or("host_ifname", "");
      out.container_ifname = v.string_or("container_ifname", "eth0");
      out.host_address = v.string("host_address");
      out.host_prefix = static_cast<std::uint8_t>(v.uint("host_prefix", 128));
      out.container_address = v.string("container_address");
      out.container_prefix = static_cast<std::uint8_t>(v.uint("container_prefix", 128));
      out.gateway = v.string_or("gateway", "");
      out.mtu = static_cast<std::uint32_t>(v.uint_or("mtu", 0, 65535));
      for (const auto* name : {&out.host_ifname, &out.container_ifname}) {
        if (name->size() > 15) fail("plan.network.veth", "interface name \"" + *name + "\" is longer than 15 characters");
      }
      out.publish = read_published_ports(v, "publish");
      out.outbound_nat = v.boolean_or("outbound_nat", false);
      out.dns = v.string_or("dns", "");
      v.done();
      p.network.veth = out;
    }
    if (const json* join = n.optional("join")) {
      ObjectReader jr(*join, "plan.network.join");
      NetworkJoin out;
      out.path = jr.string_or("path", "");
      out.pid = static_cast<std::int32_t>(jr.uint_or("pid", 0, INT32_MAX));
      if (out.path.empty() == (out.pid == 0)) fail("plan.network.join", "needs exactly one of \"path\" and \"pid\"");
      jr.done();
      p.network.join = out;
    }
    if (const json* user = n.optional("user")) {
      ObjectReader ur(*user, "plan.network.user");
      UserNetwork out;
      out.publish = read_published_ports(ur, "publish");
      out.outbound = ur.boolean_or("outbound", false);
      ur.done();
      p.network.user = out;
    }
    if ((p.network.mode == NetworkMode::Veth) != p.network.veth.has_value()) {
      fail("plan.network.veth", p.network.veth ? "is given but mode is not \"veth\"" : "is required when mode is \"veth\"");
    }
    if ((p.network.mode == NetworkMode::Join) != p.network.join.has_value()) {
      fail("plan.network.join", p.network.join ? "is given but mode is not \"join\"" : "is required when mode is \"join\"");
    }
    if ((p.network.mode == NetworkMode::User) != p.network.user.has_value()) {
      fail("plan.network.user", p.network.user ? "is given but mode is not \"user\"" : "is required when mode is \"user\"");
    }
    n.done();
  }
  if (p.network.mode != NetworkMode::Host && !p.has_namespace(Namespace::Net)) {
    fail("plan.network.mode", "\"" + to_string(p.network.mode) + "\" needs the net namespace");
  }
  if (const json* cg = r.optional("cgroups")) p.cgroups = read_cgroups(*cg, "plan.cgroups");
  if (const json* caps = r.maybe_array("capabilities")) {
    for (std::size_t i = 0; i < caps->size(); ++i) {
      p.capabilities.push_back(
          static_cast<int>(ObjectReader::as_uint((*caps)[i], [&] { return "plan.capabilities[" + std::to_string(i) + "]"; }, 63)));
    }
  }
  if (const json* rls = r.maybe_array("rlimits")) {
    for (std::size_t i = 0; i < rls->size(); ++i) {
      ObjectReader rl((*rls)[i], "plan.rlimits[" + std::to_string(i) + "]");
      Rlimit limit;
      limit.resource = static_cast<int>(rl.uint("resource", 63));
      limit.name = rl.string_or("name", "");
      limit.soft = rl.uint("soft");
      limit.hard = rl.uint("hard");
      if (limit.soft > limit.hard) fail(rl.path("soft"), "is above the hard limit");
      rl.done();
      p.rlimits.push_back(limit);
    }
  }
  if (const json* user = r.optional("user")) {
    ObjectReader u(*user, "plan.user");
    p.user.uid = static_cast<std::uint32_t>(u.uint_or("uid", 0, UINT32_MAX - 1));
    p.user.gid = static_cast<std::uint32_t>(u.uint_or("gid", 0, UINT32_MAX - 1));
    if (const json* groups = u.maybe_array("groups")) {
      for (std::size_t i = 0; i < groups->size(); ++i) {
        p.user.groups.push_back(static_cast<std::uint32_t>(
            ObjectReader::as_uint((*groups)[i], [&] { return "plan.user.groups[" + std::to_string(i) + "]"; }, UINT32_MAX - 1)));
      }
    }
    p.user.uid_map = read_mappings(u, "uid_map");
    p.user.gid_map = read_mappings(u, "gid_map");
    u.done();
  }
  p.env = string_list(r, "env");
  for (const auto& e : p.env) {
    if (e.find('=') == std::string::npos || e[0] == '=') fail("plan.env", "\"" + e + "\" is not KEY=value");
  }
  p.cwd = r.string_or("cwd", "/");
  require_absolute("plan.cwd", p.cwd);
  p.command = string_list(r, "command");
  p.command_is_init = r.boolean_or("command_is_init", false);
  p.no_new_privs = r.boolean_or("no_new_privs", true);
  if (const json* ll = r.optional("landlock")) {
    p.landlock = read_landlock(*ll, "plan.landlock", p.version);
    if (!p.no_new_privs) fail("plan.no_new_privs", "must be true when a Landlock ruleset is applied (an unprivileged landlock_restrict_self needs it)");
  }
  if (const json* sc = r.optional("seccomp")) p.seccomp = read_seccomp(*sc, "plan.seccomp", p.version);
  r.done();
  return p;
}

}  // namespace

bool Plan::has_namespace(Namespace ns) const {
  for (auto n : namespaces) if (n == ns) return true;
  return false;
}

std::string to_string(Namespace ns) { return name_of(kNamespaceNames, ns); }
std::string to_string(MountKind kind) { return name_of(kMountKindNames, kind); }
std::string to_string(NetworkMode mode) { return name_of(kNetworkModeNames, mode); }
std::optional<Namespace> namespace_from_string(const std::string& name) {
  for (const auto& [v, n] : kNamespaceNames) if (name == n) return v;
  return std::nullopt;
}

std::string host_arch() {
  struct utsname u;
  if (uname(&u) != 0) return "unknown";
  return u.machine;
}

std::string to_json(const Plan& plan) { return plan_json(plan).dump(2) + "\n"; }

Plan from_json(std::string_view text) {
  if (text.size() > kMaxPlanFileBytes) {
    throw PlanError("plan: " + std::to_string(text.size()) + " bytes is more than a plan may hold (16 MiB)");
  }
  json root;
  try {
    root = parse_refusing_duplicate_keys(text);
  } catch (const json::parse_error& e) {
    // nlohmann reports a byte offset; turn it into line:column, which an editor can jump to.
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i < e.byte - (e.byte > 0 ? 1 : 0) && i < text.size(); ++i) {
      if (text[i] == '\n') { ++line; column = 1; } else { ++column; }
    }
    throw PlanError("plan: not valid JSON at line " + std::to_string(line) + ", column " +
                    std::to_string(column) + " (is the file truncated?)");
  } catch (const json::exception& e) {
    // Valid syntax the parser still cannot hold, such as a number beyond a double (6e+99999).
    throw PlanError(std::string("plan: not a usable JSON document: ") + e.what());
  }
  Plan plan = read_plan(root);
  require_valid(plan);  // the rules of plan/rules.h: what policyc would refuse, refused here too
  return plan;
}

// The whole file, refusing one over kMaxPlanFileBytes before reading it (fstat) and, for files
// whose size fstat cannot tell (a pipe, /dev/zero), as soon as the read passes the limit.
std::string read_plan_text(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw PlanError(path + ": cannot open plan: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
    const int err = S_ISDIR(st.st_mode) ? EISDIR : errno;
    ::close(fd);
    throw PlanError(path + ": cannot read plan: " + std::strerror(err));
  }
  const auto too_big = [&](std::uint64_t size) {
    ::close(fd);
    return PlanError(path + ": plan: " + std::to_string(size) + " bytes is more than a plan may hold (16 MiB); "
                                "is this the right file?");
  };
  if (S_ISREG(st.st_mode) && static_cast<std::uint64_t>(st.st_size) > kMaxPlanFileBytes) throw too_big(static_cast<std::uint64_t>(st.st_size));
  std::string text;
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      throw PlanError(path + ": cannot read plan: " + std::strerror(err));
    }
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
    if (text.size() > kMaxPlanFileBytes) throw too_big(text.size());
  }
  ::close(fd);
  return text;
}

Plan load_text(const std::string& path, std::string_view text) {
  try {
    return from_json(text);
  } catch (const PlanError& e) {
    throw PlanError(path + ": " + e.what());
  }
}

Plan load_file(const std::string& path) { return load_text(path, read_plan_text(path)); }

void write_file_atomically(const std::string& path, std::string_view text) {
  std::string dir = ".";
  if (auto slash = path.rfind('/'); slash != std::string::npos) dir = slash == 0 ? "/" : path.substr(0, slash);
  std::string tmp = path + ".tmp.XXXXXX";
  int fd = mkstemp(tmp.data());
  if (fd < 0) throw std::runtime_error("cannot write " + path + ": " + std::strerror(errno) + " (in " + dir + ")");
  const char* p = text.data();
  std::size_t left = text.size();
  int err = 0;
  while (left > 0) {
    ssize_t n = write(fd, p, left);
    if (n < 0) { if (errno == EINTR) continue; err = errno; break; }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (!err && fchmod(fd, 0644) != 0) err = errno;
  if (!err && fsync(fd) != 0) err = errno;
  if (close(fd) != 0 && !err) err = errno;
  if (!err && rename(tmp.c_str(), path.c_str()) != 0) err = errno;
  if (err) {
    unlink(tmp.c_str());
    throw std::runtime_error("cannot write " + path + ": " + std::strerror(err));
  }
}

}  // namespace plan
