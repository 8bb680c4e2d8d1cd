// SPDX-License-Identifier: Apache-2.0
#include "compiler/docker/export.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <limits>
#include <map>
#include <sstream>

#include "compiler/docker/conjunction.h"
#include "compiler/docker/pol_text.h"
#include "compiler/docker/profile.h"

namespace policyc::docker {
namespace {

using nlohmann::ordered_json;
using seccomp::Action;
using seccomp::ActionKind;
using seccomp::Rule;

constexpr std::size_t kMaxRulesPerSyscall = 256;  // DNF blow-up guard

struct Effective {
  Action action;
  Conjunction conditions;
  std::string comment;
};

Location where_of(const Rule& rule) { return {rule.where.file, rule.where.line, rule.where.column}; }

std::string rule_text(const Rule& rule) {
  std::string text = pol_action(rule.action) + " " + rule.syscall;
  if (!rule.conditions.empty()) text += " if " + pol_conjunction(rule.conditions);
  return text;
}

// The rules of one syscall in first-match order -> rules with the same meaning under
// libseccomp's merge (order-free, at most one unconditional, none equal to the default).
std::optional<std::vector<Effective>> effective_rules(const std::vector<const Rule*>& rules, const Action& default_action,
                                                      Diagnostics& diags) {
  struct Live { const Rule* rule; Conjunction conditions; };
  std::vector<Live> live;
  for (const Rule* rule : rules) {
    Conjunction conditions;
    bool never = false;
    for (const auto& condition : rule->conditions) {
      bool this_never = false;
      auto docker_form = to_docker_form(condition, this_never);
      if (!docker_form && seccomp::is_masked(condition)) {
        diags.error(where_of(*rule), "`" + rule_text(*rule) + "` cannot be exported to Docker's format: `" +
                                         seccomp::condition_text(condition) + "` compares a masked argument with " +
                                         "something other than ==, and Docker's format has SCMP_CMP_MASKED_EQ only",
                    "compile the policy itself (plan-exec), or test the bits with (argN & MASK) == VALUE");
        return std::nullopt;
      }
      if (!docker_form) {
        diags.error(where_of(*rule), "`" + rule_text(*rule) + "` cannot be exported to Docker's format",
                    "libseccomp compares all 64 bits; only u32(argN) == VALUE and masked compares have a 64-bit form");
        return std::nullopt;
      }
      never = never || this_never;
      conditions.push_back(*docker_form);
    }
    if (never) continue;  // can never match: no effect
    live.push_back({rule, conditions});
    if (conditions.empty()) break;  // first match: later rules are dead
  }

  std::vector<Effective> out;
  for (std::size_t i = 0; i < live.size(); ++i) {
    std::vector<Conjunction> dnf{live[i].conditions};
    for (std::size_t j = 0; j < i; ++j) {
      if (live[j].rule->action == live[i].rule->action) continue;        // same verdict: order is irrelevant
      std::vector<Conjunction> next;
      for (const auto& conjunction : dnf) {
        if (disjoint(conjunction, live[j].conditions)) { next.push_back(conjunction); continue; }
        for (const auto& earlier : live[j].conditions) {
          auto negated = negate(earlier);
          if (!negated) {
            diags.error(where_of(*live[i].rule),
                        "`" + rule_text(*live[i].rule) + "` cannot be exported to Docker's format: it comes after `" +
                            rule_text(*live[j].rule) + "`, whose masked compare libseccomp cannot negate",
                        "make the two rules' conditions exclusive, or give them the same action");
            return std::nullopt;
          }
          Conjunction extended = conjunction;
          extended.push_back(*negated);
          bool inexpressible = false;
          if (auto simplified = simplify(extended, inexpressible)) next.push_back(*simplified);
        }
      }
      dnf = std::move(next);
      if (dnf.size() > kMaxRulesPerSyscall) {
        diags.error(where_of(*live[i].rule), "`" + rule_text(*live[i].rule) +
                                                 "` needs more than 256 Docker rules to keep its meaning",
                    "reorder the rules so that rules with different actions do not overlap");
        return std::nullopt;
      }
    }
    if (live[i].rule->action == default_action) continue;  // what is left falls to the default anyway
    for (const auto& conjunction : dnf) {
      bool inexpressible = false;
      auto simplified = simplify(conjunction, inexpressible);
      if (!simplified) continue;
      if (inexpressible) {
        diags.error(where_of(*live[i].rule),
                    "`" + rule_text(*live[i].rule) + "` cannot be exported to Docker's format: it needs two "
                    "comparisons of one argument, which runc turns into an OR",
                    "split the range into rules that each compare an argument once");
        return std::nullopt;
      }
      out.push_back({live[i].rule->action, *simplified, live[i].rule->comment});
    }
  }
  return out;
}

ordered_json arg_json(const seccomp::ArgCondition& c) {
  ordered_json arg;
  arg["index"] = c.arg;
  if (seccomp::is_masked_eq(c)) {
    arg["value"] = c.mask;
    arg["valueTwo"] = c.value;
  } else {
    arg["value"] = c.value;
    arg["valueTwo"] = 0;
  }
  arg["op"] = docker_op_name(c);
  return arg;
}

// Docker's format carries a number with errno and trace only (errnoRet): trap(N) has no form.
bool exportable_action(const Action& action, const Rule* rule, Diagnostics& diags) {
  if (action.kind != ActionKind::Trap || action.data == 0) return true;
  const std::string what = rule ? "`" + rule_text(*rule) + "`" : "the default action " + pol_action(action);
  diags.error(rule ? where_of(*rule) : Location{}, what + " cannot be exported to Docker's format: SCMP_ACT_TRAP carries no number",
              "write `trap` (si_errno 0) to export");
  return false;
}

void set_action(ordered_json& object, const Action& action, const char* action_key, const char* errno_key) {
  object[action_key] = docker_action_name(action);
  if (action.kind == ActionKind::Errno || action.kind == ActionKind::Trace) object[errno_key] = action.data;
}

// A string reads back as the same string when written plain: a word of letters, digits and
// _ . / - that starts with a letter, _ or /, and is none of the words YAML 1.1 (the YAML of
// kubectl's parser) reads as a boolean or null. Everything else is written as a JSON string,
// which is a valid YAML double-quoted string.
bool plain_yaml_string(const std::string& text) {
  if (text.empty()) return false;
  const unsigned char first = static_cast<unsigned char>(text.front());
  if (!std::isalpha(first) && first != '_' && first != '/') return false;
  for (char c : text) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '/' && c != '-') return false;
  }
  std::string lower;
  for (char c : text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static const char* const kReserved[] = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"};
  return std::none_of(std::begin(kReserved), std::end(kReserved), [&](const char* word) { return lower == word; });
}

std::string yaml_scalar(const ordered_json& value) {
  if (value.is_string() && plain_yaml_string(value.get<std::string>())) return value.get<std::string>();
  return value.dump();
}

void yaml(std::ostringstream& out, const ordered_json& value, int indent);

void yaml_item(std::ostringstream& out, const ordered_json& value, int indent) {
  if (value.is_object() && !value.empty()) {
    bool first = true;
    for (auto it = value.begin(); it != value.end(); ++it) {
      out << std::string(first ? 0 : static_cast<std::size_t>(indent) + 2, ' ') << it.key() << ":";
      if ((it->is_object() || it->is_array()) && !it->empty()) { out << "\n"; yaml(out, *it, indent + 2); }
      else out << " " << ((it->is_array() || it->is_object()) ? it->dump() : yaml_scalar(*it)) << "\n";
      first = false;
    }
  } else {
    out << yaml_scalar(value) << "\n";
  }
}

void yaml(std::ostringstream& out, const ordered_json& value, int indent) {
  std::string pad(static_cast<std::size_t>(indent), ' ');
  if (value.is_array()) {
    for (const auto& item : value) {
      out << pad << "- ";
      yaml_item(out, item, indent);
    }
    return;
  }
  for (auto it = value.begin(); it != value.end(); ++it) {
    out << pad << it.key() << ":";
    if ((it->is_object() || it->is_array()) && !it->empty()) { out << "\n"; yaml(out, *it, indent + 2); }
    else out << " " << ((it->is_array() || it->is_object()) ? it->dump() : yaml_scalar(*it)) << "\n";
  }
}

// The CRD's limits (int32 errnoRet, int64 argument values, no defaultErrnoRet field).
constexpr std::uint64_t kK8sMaxArgValue = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
constexpr std::uint64_t kK8sMaxErrno = static_cast<std::uint64_t>(std::numeric_limits<std::int32_t>::max());
constexpr std::uint64_t kRuntimeDefaultErrno = 1;  // EPERM: runc's and crun's errno without an errnoRet

std::string names_text(const ordered_json& item) {
  std::string out;
  for (const auto& name : item["names"]) out += (out.empty() ? "" : ", ") + name.get<std::string>();
  return out;
}

bool k8s_args_fit(const ordered_json& item, const Location& where, Diagnostics& diags) {
  bool ok = true;
  for (const auto& arg : item["args"]) {
    for (const char* key : {"value", "valueTwo"}) {
      const std::uint64_t value = arg[key].get<std::uint64_t>();
      if (value <= kK8sMaxArgValue) continue;
      std::ostringstream hex;
      hex << "0x" << std::hex << value;
      diags.error(where, "the rule for " + names_text(item) + " compares arg" + arg["index"].dump() + " with " + hex.str() +
                          ", and a SeccompProfile holds argument values as int64 (at most 2^63-1)",
                  "give Kubernetes the JSON profile as a Localhost profile instead of the SeccompProfile manifest");
      ok = false;
    }
  }
  return ok;
}

// The Docker profile in the SeccompProfile CRD's terms (see export.h).
std::optional<ordered_json> k8s_spec(const ordered_json& profile, const Location& where, Diagnostics& diags) {
  ordered_json spec;
  spec["defaultAction"] = profile["defaultAction"];
  bool ok = true;
  if (profile.contains("defaultErrnoRet") && profile["defaultErrnoRet"].get<std::uint64_t>() != kRuntimeDefaultErrno) {
    diags.error(where, "the default action " + profile["defaultAction"].get<std::string>() + " with errno " +
                        profile["defaultErrnoRet"].dump() + " cannot be said in a SeccompProfile: the CRD has no "
                        "defaultErrnoRet, so the runtime would return EPERM",
                "use `default errno(EPERM)`, or give Kubernetes the JSON profile as a Localhost profile");
    ok = false;
  }
  spec["architectures"] = profile["architectures"];
  ordered_json syscalls = ordered_json::array();
  for (const auto& item : profile["syscalls"]) {
    ordered_json out;
    out["names"] = item["names"];
    out["action"] = item["action"];
    if (item.contains("errnoRet")) {
      if (item["errnoRet"].get<std::uint64_t>() > kK8sMaxErrno) {
        diags.error(where, "the errno of the rule for " + names_text(item) + " does not fit a SeccompProfile's int32 errnoRet");
        ok = false;
      }
      out["errnoRet"] = item["errnoRet"];
    }
    if (item.contains("args")) {
      ok = k8s_args_fit(item, where, diags) && ok;
      out["args"] = item["args"];
    }
    syscalls.push_back(std::move(out));
  }
  spec["syscalls"] = std::move(syscalls);
  if (!ok) return std::nullopt;
  return spec;
}

}  // namespace

std::string scmp_arch_name(const std::string& arch) {
  if (arch == "x86_64") return "SCMP_ARCH_X86_64";
  if (arch == "x86") return "SCMP_ARCH_X86";
  if (arch == "x32") return "SCMP_ARCH_X32";
  if (arch == "aarch64") return "SCMP_ARCH_AARCH64";
  std::string upper = "SCMP_ARCH_";
  for (char c : arch) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return upper;
}

std::optional<ordered_json> export_profile(const seccomp::Filter& filter, Diagnostics& diags) {
  if (filter.default_action.kind == ActionKind::Notify) {
    diags.error({}, "the default action notify cannot be exported", "choose another default action");
    return std::nullopt;
  }
  if (!(filter.bad_arch_action == Action{ActionKind::KillProcess, 0})) {
    diags.error({}, "the filter gives calls from other arches " + filter.bad_arch_action.to_string() +
                        ", and Docker's format cannot say that (the runtime decides)",
                "remove `otherwise " + pol_action(filter.bad_arch_action) + "` from the `arch` statement to export");
    return std::nullopt;
  }
  if (!exportable_action(filter.default_action, nullptr, diags)) return std::nullopt;
  bool actions_ok = true;
  for (const auto& rule : filter.rules) {
    actions_ok = exportable_action(rule.action, &rule, diags) && actions_ok;
    if (!rule.syscall.empty() && std::isdigit(static_cast<unsigned char>(rule.syscall[0]))) {
      diags.error(where_of(rule), "the rule for syscall number " + rule.syscall + " cannot be exported to Docker's "
                                  "format, which names syscalls, and this table has no name for it",
                  "runtimes resolve the names with their own libseccomp; leave the rule out of the export");
      actions_ok = false;
    }
  }
  if (!actions_ok) return std::nullopt;
  // Rules of each syscall, in first-appearance order of the syscalls.
  std::vector<std::string> order;
  std::map<std::string, std::vector<const Rule*>> by_name;
  for (const auto& rule : filter.rules) {
    auto& list = by_name[rule.syscall];
    if (list.empty()) order.push_back(rule.syscall);
    list.push_back(&rule);
  }
  // Docker entries: one per (action, args), with every name that has exactly that rule.
  struct Entry { Action action; Conjunction conditions; std::vector<std::string> names; std::string comment; };
  std::vector<Entry> entries;
  bool ok = true;
  for (const auto& name : order) {
    auto effective = effective_rules(by_name[name], filter.default_action, diags);
    if (!effective) { ok = false; continue; }
    for (const auto& rule : *effective) {
      auto same = std::find_if(entries.begin(), entries.end(), [&](const Entry& e) {
        return e.action == rule.action && e.conditions == rule.conditions;
      });
      if (same == entries.end()) {
        entries.push_back({rule.action, rule.conditions, {}, rule.comment});
        same = entries.end() - 1;
      }
      if (std::find(same->names.begin(), same->names.end(), name) == same->names.end()) same->names.push_back(name);
      if (same->comment.empty()) same->comment = rule.comment;
    }
  }
  if (!ok) return std::nullopt;

  ordered_json profile;
  set_action(profile, filter.default_action, "defaultAction", "defaultErrnoRet");
  ordered_json arches = ordered_json::array();
  for (const auto& arch : filter.arches) arches.push_back(scmp_arch_name(arch));
  profile["architectures"] = arches;
  ordered_json syscalls = ordered_json::array();
  for (const auto& entry : entries) {
    ordered_json item;
    item["names"] = entry.names;
    set_action(item, entry.action, "action", "errnoRet");
    if (!entry.conditions.empty()) {
      ordered_json args = ordered_json::array();
      for (const auto& c : entry.conditions) args.push_back(arg_json(c));
      item["args"] = args;
    }
    if (!entry.comment.empty()) item["comment"] = entry.comment;
    syscalls.push_back(item);
  }
  profile["syscalls"] = syscalls;
  return profile;
}

std::string k8s_name_problem(const std::string& name) {
  if (name.empty() || name.size() > 253) return "a name has 1 to 253 characters";
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (!std::islower(u) && !std::isdigit(u) && c != '-' && c != '.') {
      return "a name has lowercase letters, digits, '-' and '.' only";
    }
  }
  auto alnum = [](char c) { return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)); };
  if (!alnum(name.front()) || !alnum(name.back())) return "a name starts and ends with a letter or a digit";
  return "";
}

std::optional<ordered_json> k8s_manifest_document(const ordered_json& profile, const std::string& name,
                                                  const std::string& source, Diagnostics& diags) {
  const Location where{source};
  const std::string problem = k8s_name_problem(name);
  if (!problem.empty()) {
    diags.error(where, "--k8s-manifest " + ordered_json(name).dump() + " is no Kubernetes object name: " + problem,
                "use a name like my-app");
    return std::nullopt;
  }
  auto spec = k8s_spec(profile, where, diags);
  if (!spec) return std::nullopt;
  ordered_json manifest;
  manifest["apiVersion"] = kK8sApiVersion;
  manifest["kind"] = "SeccompProfile";
  manifest["metadata"]["name"] = name;
  manifest["spec"] = std::move(*spec);
  return manifest;
}

std::optional<std::string> k8s_manifest(const ordered_json& profile, const std::string& name, const std::string& source,
                                        Diagnostics& diags) {
  auto manifest = k8s_manifest_document(profile, name, source, diags);
  if (!manifest) return std::nullopt;
  std::ostringstream out;
  out << "# Generated by `policyc export-docker --k8s-manifest`; apply with kubectl apply -f.\n";
  yaml(out, *manifest, 0);
  return out.str();
}

}  // namespace policyc::docker
