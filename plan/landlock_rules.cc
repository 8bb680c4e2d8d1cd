// SPDX-License-Identifier: Apache-2.0
// The rules of plan.landlock (docs/plan.md, "Rules"): only rights the kernel's Landlock defines,
// every rule granting some handled right, paths plain and absolute, each path and port once.
#include <set>

#include "plan/landlock.h"
#include "plan/rules.h"

namespace plan {
namespace {

std::string index_key(const std::string& key, std::size_t i) { return key + "[" + std::to_string(i) + "]"; }

void check_known(LandlockClass klass, std::uint64_t mask, const std::string& key, std::vector<RuleViolation>& out) {
  if (landlock_unknown_bits(klass, mask) != 0) {
    out.push_back({key, "holds " + landlock_right_names(klass, landlock_unknown_bits(klass, mask)) +
                            ", which no Landlock ABI up to " + std::to_string(kLandlockNewestRightsAbi) +
                            " defines; recompile the policy with policyc"});
  }
}

// A rule must grant something, and only what the ruleset handles (the kernel refuses the rest).
void check_access(LandlockClass klass, std::uint64_t access, std::uint64_t handled, const std::string& key,
                  std::vector<RuleViolation>& out) {
  if (access == 0) {
    out.push_back({key, "grants no right; remove the rule or give it rights"});
  } else if ((access & ~handled) != 0) {
    out.push_back({key, "grants " + landlock_right_names(klass, access & ~handled) +
                            ", which the ruleset does not handle; add them to the handled rights or drop them"});
  }
}

void check_paths(const Landlock& l, std::vector<RuleViolation>& out) {
  std::set<std::string> seen;
  for (std::size_t i = 0; i < l.paths.size(); ++i) {
    const std::string key = index_key("plan.landlock.paths", i);
    const auto normal = normal_path(l.paths[i].path);
    if (!normal) {
      out.push_back({key + ".path", "\"" + l.paths[i].path + "\" is not an absolute path without \"..\""});
    } else if (!seen.insert(*normal).second) {
      out.push_back({key + ".path", "\"" + *normal + "\" has a rule already; merge the rights into one rule"});
    }
    check_access(LandlockClass::Fs, l.paths[i].access, l.handled_fs, key + ".access", out);
  }
}

void check_ports(const Landlock& l, std::vector<RuleViolation>& out) {
  std::set<unsigned> seen;
  for (std::size_t i = 0; i < l.ports.size(); ++i) {
    const std::string key = index_key("plan.landlock.ports", i);
    if (!seen.insert(l.ports[i].port).second) {
      out.push_back({key + ".port", std::to_string(l.ports[i].port) + " has a rule already; merge the rights into one rule"});
    }
    check_access(LandlockClass::Net, l.ports[i].access, l.handled_net, key + ".access", out);
  }
}

}  // namespace

void check_landlock_rules(const Plan& plan, std::vector<RuleViolation>& out) {
  if (!plan.landlock) return;
  const Landlock& l = *plan.landlock;
  check_known(LandlockClass::Fs, l.handled_fs, "plan.landlock.handled_fs", out);
  check_known(LandlockClass::Net, l.handled_net, "plan.landlock.handled_net", out);
  check_known(LandlockClass::Scope, l.scoped, "plan.landlock.scoped", out);
  if (l.handled_fs == 0 && l.handled_net == 0 && l.scoped == 0) {
    out.push_back({"plan.landlock", "handles no right and scopes nothing; remove the section"});
  }
  if (!plan.no_new_privs) {
    out.push_back({"plan.no_new_privs", "must be true with plan.landlock: an unprivileged landlock_restrict_self needs it"});
  }
  check_paths(l, out);
  check_ports(l, out);
}

}  // namespace plan
