// SPDX-License-Identifier: Apache-2.0
// Checks of the container's sections other than network and limits: sections given twice,
// namespaces, rootfs, mounts and paths, hostname, capabilities, rlimits, user and id maps,
// env, cwd, command.
#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "compiler/check/check.h"
#include "compiler/check/check_internal.h"
#include "compiler/values/values.h"
#include "plan/plan.h"
#include "plan/rules.h"

namespace policyc::check {
namespace detail {

std::string suggestion(const std::string& word, const std::vector<std::string>& candidates) {
  std::string close = did_you_mean(word, candidates);
  if (!close.empty()) return "did you mean " + in_quotes(close) + "?";
  std::string all;
  for (const auto& c : candidates) all += (all.empty() ? "" : ", ") + c;
  return "use one of: " + all;
}

bool has_namespace(const ast::Container& c, const std::string& name) {
  return std::any_of(c.namespaces.begin(), c.namespaces.end(), [&](const ast::Word& w) { return w.text == name; });
}

void require_absolute_path(const ast::Word& path, const std::string& what, Diagnostics& diags) {
  if (path.text.empty() || path.text[0] != '/') {
    diags.error(path.where, what + " " + in_quotes(path.text) + " is not an absolute path",
                "write it from the root, e.g. \"/" + path.text + "\"");
    return;
  }
  std::size_t start = 0;
  while (start <= path.text.size()) {
    std::size_t end = path.text.find('/', start);
    if (end == std::string::npos) end = path.text.size();
    if (path.text.compare(start, end - start, "..") == 0 && end - start == 2) {
      diags.error(path.where, what + " " + in_quotes(path.text) + " contains \"..\"",
                  "write the path without \"..\" so it cannot leave the directory it names");
      return;
    }
    start = end + 1;
  }
}

}  // namespace detail

namespace {

using namespace detail;

// Sections that may appear once; the others (mount, mask, readonly, device, rlimit, uidmap,
// gidmap, env) add up.
void check_sections(const ast::Container& c, Diagnostics& diags) {
  static const std::set<std::string> kOnce = {"rootfs", "namespaces", "hostname", "network", "limits",
                                              "capabilities", "user", "cwd", "command", "init", "seccomp",
                                              "landlock"};
  std::map<std::string, const ast::Word*> first;
  for (const auto& section : c.sections) {
    if (!kOnce.count(section.text)) continue;
    auto [it, inserted] = first.emplace(section.text, &section);
    if (inserted) continue;
    diags.error(section.where, "duplicate " + in_quotes(section.text) + " section",
                "merge it into the first one, at line " + std::to_string(it->second->where.line));
  }
}

void check_namespaces(const ast::Container& c, Diagnostics& diags) {
  std::set<std::string> seen;
  for (const auto& ns : c.namespaces) {
    if (!plan::namespace_from_string(ns.text)) {
      diags.error(ns.where, "unknown namespace " + in_quotes(ns.text), suggestion(ns.text, lower::namespace_names()));
    } else if (!seen.insert(ns.text).second) {
      diags.warning(ns.where, "namespace " + in_quotes(ns.text) + " is listed twice", "remove the second one");
    }
  }
  bool mounts = c.rootfs || !c.mounts.empty() || !c.masked_paths.empty() || !c.readonly_paths.empty();
  if (mounts && !has_namespace(c, "mount")) {
    Location where = c.rootfs ? c.rootfs->where : !c.mounts.empty() ? c.mounts[0].where : c.where;
    diags.error(where, "a rootfs, mounts and masked paths need the mount namespace",
                "add `mount` to the namespaces, or the mounts would change the host");
  }
  if (c.hostname && !has_namespace(c, "uts")) {
    diags.error(c.hostname->where, "hostname needs the uts namespace",
                "add `uts` to the namespaces, or the host's name would change");
  }
  bool maps = !c.uid_map.empty() || !c.gid_map.empty();
  if (maps && !has_namespace(c, "user")) {
    const auto& first = !c.uid_map.empty() ? c.uid_map[0] : c.gid_map[0];
    diags.error(first.where, "uidmap/gidmap need the user namespace", "add `user` to the namespaces");
  }
}

void check_rootfs(const ast::Container& c, Diagnostics& diags) {
  if (!c.rootfs) return;
  require_absolute_path(c.rootfs->path, "rootfs", diags);
  const std::string& p = c.rootfs->path.text;
  if (plan::normal_path(p) == std::optional<std::string>("/")) {
    diags.error(c.rootfs->path.where, "rootfs " + in_quotes(p) + " is the host's root \"/\"",
                "point it at a container's tree, e.g. \"/var/lib/policyc/alpine\"");
  }
  auto ends_with = [&](const std::string& tail) {
    return p.size() >= tail.size() && p.compare(p.size() - tail.size(), tail.size(), tail) == 0;
  };
  if (c.rootfs->archive && !ends_with(".tar") && !ends_with(".tar.gz") && !ends_with(".tgz")) {
    diags.error(c.rootfs->path.where, "rootfs archive " + in_quotes(p) + " is not a .tar, .tar.gz or .tgz file",
                "give a minirootfs tarball, or drop `archive` for a directory");
  }
  if (c.rootfs->writethrough && c.rootfs->archive) {
    diags.error(c.rootfs->where, "`writethrough` needs a directory rootfs: an archive's cache entry is shared by every run",
                "drop `writethrough`; a container's writes to an archive rootfs go to a private layer");
  }
  if (c.rootfs->writethrough && c.rootfs->readonly) {
    diags.error(c.rootfs->where, "a rootfs cannot be both readonly and writethrough", "keep one of the two");
  }
}

void check_mount(const ast::MountDecl& m, Diagnostics& diags) {
  const std::string& kind = m.kind.text;
  auto kinds = lower::mount_kind_names();
  if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) {
    std::string close = did_you_mean(kind, kinds);
    diags.error(m.kind.where,
                "expected a mount kind (proc, sysfs, tmpfs, bind, dev, mqueue, devpts), found " + in_quotes(kind),
                close.empty() ? std::string() : "did you mean " + in_quotes(close) + "?");
    return;
  }
  require_absolute_path(m.target, "mount target", diags);
  if (plan::normal_path(m.target.text) == std::optional<std::string>("/")) {
    diags.error(m.target.where, "cannot mount over the container's root \"/\"", "use `rootfs` for the root");
  }
  if (kind == "bind" && !m.source) {
    diags.error(m.where, "a bind mount needs a source", "write mount bind \"/host/path\" at /target");
  }
  if (kind != "bind" && m.source) {
    diags.error(m.source->where, "only bind mounts take a source path",
                "write mount " + kind + " at " + m.target.text);
  }
  if (m.source) require_absolute_path(*m.source, "bind source", diags);
  if (kind == "dev" && m.target.text != "/dev") {
    diags.error(m.target.where, "the minimal /dev is mounted at /dev only", "write mount dev at /dev");
  }
  if (m.size && kind != "tmpfs" && kind != "dev") {
    diags.error(m.size->where, "only tmpfs and dev mounts take a size", "remove `size`");
  }
  std::string why;
  if (m.size && !lower::parse_size(m.size->text, why)) diags.error(m.size->where, "bad size: " + why);
  if (m.mode) {
    bool octal = m.mode->text.size() <= 4 &&
                 std::all_of(m.mode->text.begin(), m.mode->text.end(), [](char ch) { return ch >= '0' && ch <= '7'; });
    if (!octal) diags.error(m.mode->where, "mode " + in_quotes(m.mode->text) + " is not an octal mode up to 7777",
                            "write e.g. mode 1777 or mode 755");
    if (kind != "tmpfs") diags.error(m.mode->where, "only tmpfs mounts take a mode", "remove `mode`");
  }
  if (m.readonly && m.readwrite_explicit) {
    diags.error(m.where, "a mount cannot be both readonly and readwrite", "keep one of the two");
  }
}

void check_mounts(const ast::Container& c, Diagnostics& diags) {
  std::map<std::string, const ast::MountDecl*> targets;
  for (const auto& m : c.mounts) {
    check_mount(m, diags);
    if (m.kind.text == "proc" && !has_namespace(c, "pid")) {
      diags.error(m.kind.where, "/proc without the pid namespace would show every process of the host",
                  "add pid to the namespaces");
    }
    auto [it, inserted] = targets.emplace(plan::normal_path(m.target.text).value_or(m.target.text), &m);
    if (!inserted) {
      diags.error(m.target.where, "duplicate mount target " + in_quotes(m.target.text),
                  "it is already mounted at line " + std::to_string(it->second->where.line) + "; remove one");
    }
  }
}

// Legal but probably not what the author wants.
void warn_weak_isolation(const ast::Container& c, Diagnostics& diags) {
  // Without a user namespace the container's root is the host's root: what it plants in the
  // host directory (setuid-root binaries, device nodes) works for every host user who reaches it.
  const bool runs_as_root = !c.user || c.user->uid.text == "0";
  if (c.rootfs && c.rootfs->writethrough && !c.rootfs->archive && runs_as_root && !has_namespace(c, "user")) {
    diags.warning(c.rootfs->where,
                  "writethrough lets a root container without a user namespace plant setuid-root files and "
                  "device nodes in the host directory " + in_quotes(c.rootfs->path.text),
                  "add `user` to the namespaces, run as another user (`user 1000`), or drop `writethrough` "
                  "so writes go to a private layer");
  }
  if (c.rootfs && c.rootfs->chroot) {
    diags.warning(c.rootfs->where, "chroot can be escaped by a process with CAP_SYS_CHROOT",
                  "leave out `chroot` to get pivot_root, which unmounts the host's root");
  }
}

void require_path_below_root(const ast::Word& path, const std::string& what, Diagnostics& diags) {
  require_absolute_path(path, what, diags);
  if (plan::normal_path(path.text) == std::optional<std::string>("/")) {
    diags.error(path.where, what + " " + in_quotes(path.text) + " is the container's root \"/\" itself",
                "name a directory below it");
  }
}

void check_path_lists(const ast::Container& c, Diagnostics& diags) {
  bool none = std::any_of(c.masked_paths.begin(), c.masked_paths.end(), [](const ast::Word& w) { return w.text == "none"; });
  for (const auto& p : c.masked_paths) {
    if (p.text == "none") {
      if (c.masked_paths.size() > 1) diags.error(p.where, "`mask none` cannot be combined with paths",
                                                   "write `mask none` alone to turn off the default masked paths");
      continue;
    }
    if (!none) require_path_below_root(p, "masked path", diags);
  }
  for (const auto& p : c.readonly_paths) require_path_below_root(p, "read-only path", diags);
}

void check_hostname(const ast::Container& c, Diagnostics& diags) {
  if (!c.hostname) return;
  const std::string& name = c.hostname->text;
  if (name.empty() || name.size() > plan::kMaxHostnameLength) {
    diags.error(c.hostname->where, "hostname " + in_quotes(name) + " must be 1 to 64 characters long (HOST_NAME_MAX)");
    return;
  }
  if (!plan::valid_hostname(name)) diags.error(c.hostname->where, "hostname " + in_quotes(name) + " may hold only letters, digits, '-' and '.'");
}

void check_capabilities(const ast::Container& c, Diagnostics& diags) {
  if (!c.capabilities_keep) return;
  for (const auto& cap : *c.capabilities_keep) {
    if (cap.text == "none") continue;   // reported by the parser when mixed with names
    if (cap.text == "all") {
      diags.error(cap.where, "\"all\" is not a capability",
                  "name each capability to keep (capabilities(7), without CAP_), or leave the section out for the "
                  "default set");
      continue;
    }
    if (!lower::capability_number(cap.text)) {
      std::string close = did_you_mean(cap.text, lower::capability_names());
      diags.error(cap.where, "unknown capability " + in_quotes(cap.text),
                  close.empty() ? "see capabilities(7) for the names (without CAP_)" : "did you mean " + in_quotes(close) + "?");
    }
  }
}

void check_rlimits(const ast::Container& c, Diagnostics& diags) {
  std::set<std::string> seen;
  for (const auto& r : c.rlimits) {
    if (!lower::rlimit_number(r.resource.text)) {
      diags.error(r.resource.where, "unknown rlimit " + in_quotes(r.resource.text),
                  suggestion(r.resource.text, lower::rlimit_names()));
      continue;
    }
    if (!seen.insert(r.resource.text).second) {
      diags.error(r.resource.where, "rlimit " + in_quotes(r.resource.text) + " is set twice", "keep one");
    }
    std::string why;
    auto soft = lower::parse_rlimit_value(r.soft.text, why);
    if (!soft) diags.error(r.soft.where, "bad rlimit value: " + why, "write a number, a size (64M) or unlimited");
    auto hard = r.hard ? lower::parse_rlimit_value(r.hard->text, why) : soft;
    if (r.hard && !hard) diags.error(r.hard->where, "bad rlimit value: " + why, "write a number, a size (64M) or unlimited");
    if (soft && hard && *soft > *hard) {
      diags.error(r.soft.where, "soft limit " + r.soft.text + " is above the hard limit " + r.hard->text,
                  "the soft limit must be at most the hard limit");
    }
  }
}

using plan::kMaxId;

void check_id(const ast::Word& id, const std::string& what, Diagnostics& diags) {
  std::string why;
  if (!lower::parse_uint(id.text, kMaxId, why)) diags.error(id.where, "bad " + what + ": " + why);
}

void check_id_maps(const std::vector<ast::IdMapDecl>& maps, const std::string& what, Diagnostics& diags) {
  for (const auto& m : maps) {
    std::string why;
    auto inside = lower::parse_uint(m.inside.text, kMaxId, why);
    auto outside = lower::parse_uint(m.outside.text, kMaxId, why);
    auto count = lower::parse_uint(m.count.text, kMaxId, why);
    if (!inside || !outside || !count) {
      diags.error(m.where, "bad " + what + ": " + why);
      continue;
    }
    if (*count == 0) {
      diags.error(m.count.where, what + " count must be at least 1", "the count is how many ids the line maps");
    } else if (*inside + *count - 1 > kMaxId || *outside + *count - 1 > kMaxId) {
      diags.error(m.where, what + " range ends beyond id " + std::to_string(kMaxId), "lower the count");
    }
  }
}

// With id maps, the user's ids must be among the mapped ones, or the kernel refuses to switch to them.
void check_mapped(const ast::Word& id, const std::vector<ast::IdMapDecl>& maps, const std::string& what,
                  const std::string& map_name, Diagnostics& diags) {
  if (maps.empty()) return;
  std::string why;
  auto value = lower::parse_uint(id.text, kMaxId, why);
  if (!value) return;  // reported by check_id
  for (const auto& m : maps) {
    auto inside = lower::parse_uint(m.inside.text, kMaxId, why);
    auto count = lower::parse_uint(m.count.text, kMaxId, why);
    if (!inside || !count) return;  // reported by check_id_maps
    if (*value >= *inside && *value - *inside < *count) return;
  }
  diags.error(id.where, what + " " + id.text + " is not inside any " + map_name + " line",
              "map it (" + map_name + " " + id.text + " <host id> 1) or run as a mapped id");
}

void check_user(const ast::Container& c, Diagnostics& diags) {
  if (c.user) {
    check_id(c.user->uid, "uid", diags);
    if (c.user->gid) check_id(*c.user->gid, "gid", diags);
    for (const auto& g : c.user->groups) check_id(g, "group id", diags);
  }
  check_id_maps(c.uid_map, "uidmap", diags);
  check_id_maps(c.gid_map, "gidmap", diags);
  if (c.user) {
    check_mapped(c.user->uid, c.uid_map, "uid", "uidmap", diags);
    check_mapped(c.user->gid ? *c.user->gid : c.user->uid, c.gid_map, "gid", "gidmap", diags);
    for (const auto& g : c.user->groups) check_mapped(g, c.gid_map, "group", "gidmap", diags);
  }
}

void check_env_cwd_command(const ast::Container& c, Diagnostics& diags) {
  std::set<std::string> keys;
  for (const auto& e : c.env) {
    const std::string& key = e.key.text;
    if (!plan::valid_env_name(key)) diags.error(e.key.where, "environment name " + in_quotes(key) + " may hold only letters, digits and '_'");
    if (!keys.insert(key).second) diags.error(e.key.where, "environment variable " + in_quotes(key) + " is set twice", "keep one");
  }
  if (c.cwd) require_absolute_path(*c.cwd, "cwd", diags);
  if (!c.command.empty() && c.command[0].text.empty()) {
    diags.error(c.command[0].where, "the command's program name is empty", "name the program to run");
  }
  if (c.init && c.init->text != "minimal" && c.init->text != "none") {
    diags.error(c.init->where, "init takes `minimal` or `none`, not " + in_quotes(c.init->text),
                "`init none` when the command is an init of its own (it reaps orphans and handles SIGTERM as pid 1), "
                "else leave the line out: plan-exec's minimal init is the default");
  }
}

}  // namespace

bool check_container(const ast::Container& container, Diagnostics& diags) {
  std::size_t errors_before = diags.error_count();
  check_sections(container, diags);
  check_namespaces(container, diags);
  check_rootfs(container, diags);
  check_mounts(container, diags);
  check_path_lists(container, diags);
  detail::check_devices(container, diags);
  warn_weak_isolation(container, diags);
  check_hostname(container, diags);
  detail::check_network(container, diags);
  detail::check_limits(container, diags);
  check_capabilities(container, diags);
  check_rlimits(container, diags);
  check_user(container, diags);
  check_env_cwd_command(container, diags);
  detail::check_landlock(container, diags);
  return diags.error_count() == errors_before;
}

}  // namespace policyc::check
