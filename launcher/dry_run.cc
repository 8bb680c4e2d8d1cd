// SPDX-License-Identifier: Apache-2.0
#include "launcher/dry_run.h"

#include <linux/sched.h>
#include <sys/capability.h>
#include <sys/mount.h>

#include "launcher/host/mount_util.h"

namespace launcher {

void print_step(std::FILE* out, int depth, const char* name, const std::string& text) {
  std::fprintf(out, "%*s%-16s %s\n", 2 * depth, "", name, text.c_str());
}

std::string join(const std::vector<std::string>& items, const char* separator) {
  std::string text;
  for (const auto& item : items) {
    if (!text.empty()) text += separator;
    text += item;
  }
  return text;
}

static std::string quoted(const std::string& s) { return "\"" + s + "\""; }

std::string describe_clone_flags(unsigned long long flags) {
  static const std::pair<unsigned long long, const char*> kNames[] = {
      {CLONE_NEWNS, "CLONE_NEWNS"},   {CLONE_NEWPID, "CLONE_NEWPID"},       {CLONE_NEWIPC, "CLONE_NEWIPC"},
      {CLONE_NEWUTS, "CLONE_NEWUTS"}, {CLONE_NEWNET, "CLONE_NEWNET"},       {CLONE_NEWUSER, "CLONE_NEWUSER"},
      {CLONE_NEWCGROUP, "CLONE_NEWCGROUP"}, {CLONE_NEWTIME, "CLONE_NEWTIME"}};
  std::vector<std::string> names;
  for (auto [bit, name] : kNames) {
    if (flags & bit) names.emplace_back(name);
  }
  return names.empty() ? "no new namespaces" : join(names, "|");
}

static std::string describe_ms_flags(unsigned long flags) {
  static const std::pair<unsigned long, const char*> kNames[] = {
      {MS_RDONLY, "ro"},     {MS_NOSUID, "nosuid"}, {MS_NODEV, "nodev"}, {MS_NOEXEC, "noexec"},
      {MS_NOATIME, "noatime"}, {MS_STRICTATIME, "strictatime"}, {MS_RELATIME, "relatime"}};
  std::vector<std::string> names;
  for (auto [bit, name] : kNames) {
    if (flags & bit) names.emplace_back(name);
  }
  return join(names, ",");
}

std::string describe_mount(const plan::Mount& m, const std::vector<std::string>& devices) {
  std::string text = plan::to_string(m.kind);
  if (m.kind == plan::MountKind::Bind) text += " " + quoted(m.source);
  text += " at " + m.target;
  if (m.kind == plan::MountKind::Dev) {
    text += " (tmpfs + null zero full random urandom tty" + (devices.empty() ? "" : " " + join(devices, " ")) +
            ", devpts, shm)";
  }
  const std::string flags = describe_ms_flags(enforced_mount_flags(m));
  if (!flags.empty()) text += " flags " + flags;
  if (!m.data.empty()) text += " options " + quoted(m.data);
  if (m.readonly) text += " readonly";
  return text;
}

static std::string one_line(std::string text) {
  while (!text.empty() && text.back() == '\n') text.pop_back();
  for (auto& c : text) if (c == '\n') c = ',';
  return text;
}

std::string describe_id_maps(const IdMaps& maps) {
  return "setgroups " + std::string(maps.deny_setgroups ? "deny" : "allow") + ", gid_map " +
         quoted(one_line(maps.gid_map)) + ", uid_map " + quoted(one_line(maps.uid_map));
}

std::string describe_user(const plan::User& user, bool setgroups_allowed) {
  std::string text = "uid " + std::to_string(user.uid) + " gid " + std::to_string(user.gid);
  std::vector<std::string> groups;
  for (auto g : user.groups) groups.push_back(std::to_string(g));
  text += setgroups_allowed ? " groups [" + join(groups, " ") + "]" : " (setgroups denied)";
  return text;
}

std::string describe_capabilities(const std::vector<int>& keep) {
  std::vector<std::string> names;
  for (int cap : keep) {
    char* name = cap_to_name(static_cast<cap_value_t>(cap));
    names.emplace_back(name ? name : std::to_string(cap));
    cap_free(name);
  }
  return "keep [" + join(names, " ") + "] in bounding/permitted/effective/inheritable/ambient, drop the rest";
}

std::string describe_rlimits(const std::vector<plan::Rlimit>& rlimits) {
  std::vector<std::string> items;
  for (const auto& r : rlimits) items.push_back(r.name + "=" + std::to_string(r.soft) + ":" + std::to_string(r.hard));
  return join(items, " ");
}

std::string describe_seccomp(const plan::Seccomp& seccomp) {
  return std::to_string(seccomp.instructions()) + " BPF instructions (" + seccomp.backend + "), default " +
         seccomp.default_action + ", sha256 " + seccomp.sha256.substr(0, 16) + "...";
}

std::string describe_exec(const std::string& path, const std::vector<std::string>& argv,
                          const std::vector<std::string>& env, const std::string& cwd) {
  std::vector<std::string> args;
  for (const auto& a : argv) args.push_back(quoted(a));
  return path + " [" + join(args, " ") + "] cwd " + cwd + ", env [" + join(env, " ") + "]";
}

}  // namespace launcher
