// SPDX-License-Identifier: Apache-2.0
#include "compiler/docker/resolve.h"

#include <seccomp.h>
#include <sys/utsname.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "compiler/seccomp/syscalls.h"

namespace policyc::docker {
namespace {

using seccomp::Action;

std::string upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

std::string normalise_cap(const std::string& cap) {
  std::string name = upper(cap);
  return name.rfind("CAP_", 0) == 0 ? name : "CAP_" + name;
}

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

// The names Docker profiles use for an arch in includes/excludes (Go's GOARCH, plus the
// spellings found in real profiles).
std::vector<std::string> profile_arch_aliases(const std::string& arch) {
  if (arch == "x86_64") return {"amd64", "x86_64"};
  if (arch == "x86") return {"386", "x86", "i386"};
  if (arch == "x32") return {"x32"};
  return {arch};
}

bool arch_listed(const std::vector<std::string>& listed, const std::string& target) {
  for (const auto& alias : profile_arch_aliases(target)) {
    for (const auto& item : listed) {
      if (item == alias) return true;
    }
  }
  return false;
}

std::uint32_t libseccomp_arch_token(const std::string& arch) {
  if (arch == "x86") return SCMP_ARCH_X86;
  if (arch == "x32") return SCMP_ARCH_X32;
  return SCMP_ARCH_X86_64;
}

bool kernel_at_least(const std::vector<unsigned>& running, const std::vector<unsigned>& wanted) {
  for (std::size_t i = 0; i < std::max(running.size(), wanted.size()); ++i) {
    unsigned have = i < running.size() ? running[i] : 0;
    unsigned need = i < wanted.size() ? wanted[i] : 0;
    if (have != need) return have > need;
  }
  return true;
}

std::string join(const std::vector<std::string>& items, const std::string& separator) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

struct Context {
  std::set<std::string> caps;
  std::string arch;
  std::vector<unsigned> kernel;
};

// Docker's order of tests: excludes (arches, caps: any one present excludes, minKernel), then
// includes (arches, caps: all must be present, minKernel). Returns "" when the entry is left
// out, otherwise why it is in ("" reason is encoded as "-" for unconditional entries).
std::optional<std::string> selection_reason(const SyscallEntry& entry, const Context& context) {
  const Selector& ex = entry.excludes;
  const Selector& in = entry.includes;
  if (!ex.arches.empty() && arch_listed(ex.arches, context.arch)) return std::nullopt;
  for (const auto& cap : ex.caps) {
    if (context.caps.count(normalise_cap(cap))) return std::nullopt;
  }
  if (ex.min_kernel && kernel_at_least(context.kernel, kernel_version_numbers(*ex.min_kernel))) return std::nullopt;
  if (!in.arches.empty() && !arch_listed(in.arches, context.arch)) return std::nullopt;
  for (const auto& cap : in.caps) {
    if (!context.caps.count(normalise_cap(cap))) return std::nullopt;
  }
  if (in.min_kernel && !kernel_at_least(context.kernel, kernel_version_numbers(*in.min_kernel))) return std::nullopt;

  std::vector<std::string> reasons;
  if (!in.arches.empty()) reasons.push_back("arch " + context.arch);
  if (!in.caps.empty()) reasons.push_back("has " + join(in.caps, ", "));
  if (in.min_kernel) reasons.push_back("kernel >= " + *in.min_kernel);
  if (!ex.arches.empty()) reasons.push_back("arch not " + join(ex.arches, "/"));
  if (!ex.caps.empty()) reasons.push_back("lacks " + join(ex.caps, ", "));
  if (ex.min_kernel) reasons.push_back("kernel < " + *ex.min_kernel);
  return join(reasons, "; ");
}

// Output arches: archMap's entry for the target (arch + subArchitectures), or the old
// format's list; the target is always first (libseccomp always keeps the native arch).
std::vector<std::string> output_arches(const Profile& profile, const std::string& file, const Context& context,
                                       Diagnostics& diags) {
  std::vector<std::string> scmp_names;
  if (!profile.arch_map.empty()) {
    for (const auto& entry : profile.arch_map) {
      if (canonical_arch(entry.arch) != context.arch) continue;
      scmp_names.push_back(entry.arch);
      scmp_names.insert(scmp_names.end(), entry.sub_arches.begin(), entry.sub_arches.end());
    }
    if (scmp_names.empty()) {
      diags.note({file}, "archMap: no entry for " + context.arch + "; the filter allows the native arch only");
      return {};
    }
  } else {
    scmp_names = profile.architectures;
  }
  if (scmp_names.empty()) return {};
  std::vector<std::string> arches{context.arch};
  std::vector<std::string> skipped;
  for (const auto& name : scmp_names) {
    std::string ours = canonical_arch(name);
    if (ours.empty()) { skipped.push_back(name); continue; }
    if (!contains(arches, ours)) arches.push_back(ours);
  }
  if (!skipped.empty()) {
    diags.note({file}, (profile.arch_map.empty() ? "architectures" : "archMap") + std::string(": skipped ") +
                           join(skipped, ", ") + " (not an arch of an " + context.arch + " machine)");
  }
  return arches;
}

// Keeps the names that are system calls on the target arch or on one of the filter's other
// arches: Docker hands names of the sub-arches only (_llseek, socketcall, chown32 on x86) to
// libseccomp, which places them on those arches alone, and so does our IR (abi.h). Names no
// listed arch has are reported in one note per entry.
std::vector<std::string> known_names(const SyscallEntry& entry, const std::string& target,
                                     const std::vector<std::string>& arches, const std::string& file,
                                     Diagnostics& diags) {
  std::vector<std::string> kept, unknown;
  for (const auto& name : entry.names) {
    // libseccomp's names, then the generated table's (mseal, listmount... that 2.5.4 lacks).
    bool known = target == "x86_64" ? seccomp::resolve_syscall(name).status == seccomp::SyscallLookup::Found
                                    : seccomp_syscall_resolve_name_arch(libseccomp_arch_token(target), name.c_str()) >= 0;
    if (!known && target == "x86_64") {
      for (const auto& arch : seccomp::arches_having(name)) known = known || contains(arches, arch);
    }
    (known ? kept : unknown).push_back(name);
  }
  if (!unknown.empty()) {
    diags.note({file}, entry.path + ".names: skipped " + join(unknown, ", ") + " (no such system call on " +
                           join(arches.empty() ? std::vector<std::string>{target} : arches, "/") + ")");
  }
  return kept;
}

// The arches whose calls the rules may name: the profile's, or for an include those of the
// including block too (its `arch` list alone decides; the target always counts).
std::vector<std::string> naming_arches(const std::vector<std::string>& profile_arches, const Context& context,
                                       const ImportOptions& options) {
  if (!options.including_arches) return profile_arches;
  std::vector<std::string> out{context.arch};
  for (const auto& arch : *options.including_arches) {
    if (contains(profile_arches, arch) && !contains(out, arch)) out.push_back(arch);
  }
  return out;
}

bool same_action(const Action& a, const Action& b) { return a.kind == b.kind && a.data == b.data; }

std::string describe_action(const Action& action) {
  std::string name = docker_action_name(action);
  if (action.kind == seccomp::ActionKind::Errno || action.kind == seccomp::ActionKind::Trace) {
    name += "(" + std::to_string(action.data) + ")";
  }
  return name;
}

// libseccomp, per syscall: the first unconditional rule wins and replaces every conditional
// rule (earlier or later); without one, conditional rules are merged (an OR per action).
// So: keep one unconditional rule per name and drop that name from every other rule.
void apply_libseccomp_merge(std::vector<ResolvedRule>& rules, const std::string& file, Diagnostics& diags) {
  std::map<std::string, std::size_t> unconditional_owner;
  for (std::size_t i = 0; i < rules.size(); ++i) {
    if (!rules[i].conditions.empty()) continue;
    for (const auto& name : rules[i].names) unconditional_owner.emplace(name, i);
  }
  std::map<std::string, std::vector<std::size_t>> conditional_actions;
  for (std::size_t i = 0; i < rules.size(); ++i) {
    ResolvedRule& rule = rules[i];
    std::vector<std::string> kept;
    for (const auto& name : rule.names) {
      auto owner = unconditional_owner.find(name);
      if (owner == unconditional_owner.end() || owner->second == i) {
        if (std::find(kept.begin(), kept.end(), name) == kept.end()) kept.push_back(name);
        if (!rule.conditions.empty()) conditional_actions[name].push_back(i);
        continue;
      }
      const ResolvedRule& winner = rules[owner->second];
      if (!same_action(winner.action, rule.action)) {
        diags.note({file}, rule.path + ": " + name + " " + describe_action(rule.action) + " has no effect: " +
                               winner.path + " gives it " + describe_action(winner.action) +
                               " unconditionally, which wins in libseccomp");
      }
    }
    rule.names = std::move(kept);
  }
  for (const auto& [name, indexes] : conditional_actions) {
    for (std::size_t a = 0; a < indexes.size(); ++a) {
      for (std::size_t b = a + 1; b < indexes.size(); ++b) {
        const ResolvedRule& first = rules[indexes[a]];
        const ResolvedRule& second = rules[indexes[b]];
        if (same_action(first.action, second.action)) continue;
        if (first.conditions == second.conditions) {
          diags.warning({file}, second.path + ": " + name + " has the same conditions as in " + first.path +
                                    " with another action; libseccomp refuses this (Docker fails to start), "
                                    "policyc keeps the first");
        }
      }
    }
  }
  rules.erase(std::remove_if(rules.begin(), rules.end(), [](const ResolvedRule& r) { return r.names.empty(); }),
              rules.end());
}

// runc adds an entry with two comparisons of one argument as one rule per comparison (an OR;
// libseccomp refuses two on one argument). The format says AND, and so do we: say so.
void warn_same_arg_twice(const SyscallEntry& entry, const std::string& file, Diagnostics& diags) {
  std::set<unsigned> seen;
  for (const auto& condition : entry.conditions) {
    if (seen.insert(condition.arg).second) continue;
    diags.warning({file}, entry.path + ".args: compares arg" + std::to_string(condition.arg) +
                              " twice; policyc requires both (AND, as the format says), runc would accept either (OR)");
    return;
  }
}

}  // namespace

const std::vector<std::string>& docker_default_caps() {
  static const std::vector<std::string> caps = {
      "CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FSETID",   "CAP_FOWNER",           "CAP_MKNOD",
      "CAP_NET_RAW", "CAP_SETGID",      "CAP_SETUID",   "CAP_SETFCAP",          "CAP_SETPCAP",
      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"};
  return caps;
}

std::string canonical_arch(const std::string& name) {
  std::string n = name;
  for (char& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (n.rfind("scmp_arch_", 0) == 0) n = n.substr(10);
  if (n == "x86_64" || n == "amd64") return "x86_64";
  if (n == "x86" || n == "386" || n == "i386" || n == "i686") return "x86";
  if (n == "x32") return "x32";
  return "";
}

std::vector<unsigned> kernel_version_numbers(const std::string& release) {
  std::vector<unsigned> numbers;
  std::size_t i = 0;
  while (i < release.size() && std::isdigit(static_cast<unsigned char>(release[i]))) {
    unsigned value = 0;
    while (i < release.size() && std::isdigit(static_cast<unsigned char>(release[i]))) {
      value = value * 10 + static_cast<unsigned>(release[i] - '0');
      ++i;
    }
    numbers.push_back(value);
    if (i < release.size() && release[i] == '.') ++i; else break;
  }
  return numbers;
}

std::string running_kernel_release() {
  utsname name{};
  if (uname(&name) != 0) return {};
  return name.release;
}

std::optional<ResolvedProfile> resolve_profile(const Profile& profile, const std::string& file,
                                               const ImportOptions& options, Diagnostics& diags) {
  Context context;
  context.arch = canonical_arch(options.arch.empty() ? "x86_64" : options.arch);
  if (context.arch.empty()) {
    diags.error({file}, "target arch \"" + options.arch + "\" is not supported",
                "use x86_64 (amd64), x86 (386) or x32");
    return std::nullopt;
  }
  std::vector<std::string> caps = options.caps.empty() ? docker_default_caps() : options.caps;
  if (caps.size() == 1 && upper(caps[0]) == "NONE") caps.clear();
  for (const auto& cap : caps) context.caps.insert(normalise_cap(cap));
  std::string kernel = options.kernel.empty() ? running_kernel_release() : options.kernel;
  context.kernel = kernel_version_numbers(kernel);
  if (context.kernel.empty()) {
    diags.error({file}, "kernel version \"" + kernel + "\" is not a version", "give --kernel MAJOR.MINOR, e.g. 6.1");
    return std::nullopt;
  }

  ResolvedProfile out;
  out.default_action = profile.default_action;
  out.arch = context.arch;
  out.kernel = kernel;
  out.caps.assign(context.caps.begin(), context.caps.end());
  out.arches = output_arches(profile, file, context, diags);
  // "native only" would mean x86_64 to the compiler: say the target when it is another one.
  if (out.arches.empty() && context.arch != "x86_64") out.arches.push_back(context.arch);
  const std::vector<std::string> naming = naming_arches(out.arches, context, options);

  if (!profile.listener_path.empty()) {
    out.remarks.push_back("listenerPath \"" + profile.listener_path + "\"" +
                          (profile.listener_metadata.empty() ? "" : " (metadata \"" + profile.listener_metadata + "\")") +
                          ": notify rules need a supervisor listening there; a policyc plan has none");
    diags.note({file}, "listenerPath: kept as a comment; policyc plans do not hand the notify fd to a listener");
  }
  if (!profile.flags.empty()) {
    out.remarks.push_back("flags " + join(profile.flags, " ") + ": not carried into the policy");
    diags.note({file}, "flags: " + join(profile.flags, ", ") + " kept as a comment; plan-exec installs the filter "
                                                                "with its own flags (no_new_privs, TSYNC not needed)");
  }

  for (const auto& entry : profile.syscalls) {
    auto reason = selection_reason(entry, context);
    if (!reason) continue;
    if (same_action(entry.action, profile.default_action)) {
      // runc skips these (libseccomp refuses a rule equal to the default); in first-match
      // order they would shadow later rules, so they must go.
      if (!entry.names.empty()) {
        diags.note({file}, entry.path + ": same action as the default, dropped as Docker does");
      }
      continue;
    }
    warn_same_arg_twice(entry, file, diags);
    ResolvedRule rule;
    rule.path = entry.path;
    rule.names = known_names(entry, context.arch, naming, file, diags);
    rule.action = entry.action;
    rule.conditions = entry.conditions;
    rule.comment = entry.comment;
    rule.why = *reason;
    if (!rule.names.empty()) out.rules.push_back(std::move(rule));
  }
  apply_libseccomp_merge(out.rules, file, diags);
  return out;
}

}  // namespace policyc::docker
