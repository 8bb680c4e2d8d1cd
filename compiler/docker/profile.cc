// SPDX-License-Identifier: Apache-2.0
#include "compiler/docker/profile.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "compiler/docker/errno_names.h"

namespace policyc::docker {
namespace {

using nlohmann::json;
using seccomp::Action;
using seccomp::ActionKind;
using seccomp::ArgCondition;
using seccomp::CmpOp;

constexpr std::uint32_t kMaxErrno = 4095;      // SECCOMP_RET_DATA holds errno up to MAX_ERRNO
constexpr std::uint32_t kMaxTraceData = 65535;
// The action's data field: runc and libseccomp keep the low 16 bits of a larger errnoRet,
// which would turn 65536 into "return 0": refused rather than guessed.
constexpr std::uint64_t kMaxRetData = 0xFFFF;
constexpr int kDockerDefaultErrno = 1;         // runc: ERRNO/TRACE without errnoRet mean EPERM

// Walks the document, collecting every problem with its JSON path.
class Reader {
 public:
  Reader(const std::string& file, Diagnostics& diags) : file_(file), diags_(diags) {}

  void error(const std::string& path, const std::string& message, const std::string& hint = {}) {
    diags_.error({file_}, path + ": " + message, hint);
  }
  void warning(const std::string& path, const std::string& message, const std::string& hint = {}) {
    diags_.warning({file_}, path + ": " + message, hint);
  }
  void note(const std::string& path, const std::string& message) {
    diags_.note({file_}, path + ": " + message);
  }

  // Go decodes null as "absent", so null is accepted everywhere a field is optional.
  static bool absent(const json& object, const char* key) {
    auto it = object.find(key);
    return it == object.end() || it->is_null();
  }

  std::optional<std::string> string_at(const json& value, const std::string& path) {
    if (value.is_string()) return value.get<std::string>();
    error(path, "expected a string, found " + describe(value));
    return std::nullopt;
  }

  std::optional<std::uint64_t> unsigned_at(const json& value, const std::string& path) {
    if (value.is_number_unsigned()) return value.get<std::uint64_t>();
    if (value.is_number_integer()) {
      error(path, "expected an unsigned number, found " + value.dump(),
            "write the 64-bit two's complement value, e.g. 18446744073709551615 for -1");
      return std::nullopt;
    }
    error(path, "expected an unsigned number, found " + describe(value));
    return std::nullopt;
  }

  std::vector<std::string> strings_at(const json& value, const std::string& path) {
    std::vector<std::string> out;
    if (value.is_null()) return out;
    if (!value.is_array()) {
      error(path, "expected an array of strings, found " + describe(value));
      return out;
    }
    for (std::size_t i = 0; i < value.size(); ++i) {
      if (auto s = string_at(value[i], path + "[" + std::to_string(i) + "]")) out.push_back(*s);
    }
    return out;
  }

  void check_keys(const json& object, const std::string& path, const std::set<std::string>& known) {
    for (auto it = object.begin(); it != object.end(); ++it) {
      if (known.count(it.key())) continue;
      std::vector<std::string> candidates(known.begin(), known.end());
      std::string guess = did_you_mean(it.key(), candidates);
      warning(path.empty() ? it.key() : path + "." + it.key(),
              "unknown field, ignored (as Docker ignores it)",
              guess.empty() ? "" : "did you mean \"" + guess + "\"?");
    }
  }

  static std::string describe(const json& value) {
    switch (value.type()) {
      case json::value_t::null: return "null";
      case json::value_t::boolean: return "a boolean";
      case json::value_t::string: return "the string " + value.dump();
      case json::value_t::array: return "an array";
      case json::value_t::object: return "an object";
      case json::value_t::number_float: return "the number " + value.dump();
      default: return "the number " + value.dump();
    }
  }

  // SCMP_ACT_* + errnoRet + errno (symbolic) -> our action.
  std::optional<Action> action_at(const json& object, const std::string& action_key,
                                  const std::string& errno_ret_key, const std::string& errno_key,
                                  const std::string& path) {
    std::string action_path = path.empty() ? action_key : path + "." + action_key;
    if (absent(object, action_key.c_str())) {
      error(action_path, "missing", "every rule and the profile need an action, e.g. \"SCMP_ACT_ALLOW\"");
      return std::nullopt;
    }
    auto name = string_at(object[action_key], action_path);
    if (!name) return std::nullopt;
    auto errno_value = errno_of(object, errno_ret_key, errno_key, path);
    if (!errno_value) return std::nullopt;
    static const std::map<std::string, ActionKind> kinds = {
        {"SCMP_ACT_ALLOW", ActionKind::Allow},         {"SCMP_ACT_ERRNO", ActionKind::Errno},
        {"SCMP_ACT_KILL", ActionKind::KillThread},     {"SCMP_ACT_KILL_THREAD", ActionKind::KillThread},
        {"SCMP_ACT_KILL_PROCESS", ActionKind::KillProcess}, {"SCMP_ACT_TRAP", ActionKind::Trap},
        {"SCMP_ACT_TRACE", ActionKind::Trace},         {"SCMP_ACT_LOG", ActionKind::Log},
        {"SCMP_ACT_NOTIFY", ActionKind::Notify}};
    auto kind = kinds.find(*name);
    if (kind == kinds.end()) {
      std::vector<std::string> candidates;
      for (const auto& [known, _] : kinds) candidates.push_back(known);
      std::string guess = did_you_mean(*name, candidates);
      error(action_path, "unknown action \"" + *name + "\"",
            guess.empty() ? "use one of SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, SCMP_ACT_KILL_PROCESS, "
                            "SCMP_ACT_KILL_THREAD, SCMP_ACT_TRAP, SCMP_ACT_TRACE, SCMP_ACT_LOG, SCMP_ACT_NOTIFY"
                          : "did you mean \"" + guess + "\"?");
      return std::nullopt;
    }
    Action action{kind->second, 0};
    if (action.kind == ActionKind::Errno || action.kind == ActionKind::Trace) {
      std::uint32_t limit = action.kind == ActionKind::Errno ? kMaxErrno : kMaxTraceData;
      std::uint64_t data = errno_value->value_or(kDockerDefaultErrno);
      if (action.kind == ActionKind::Errno && data > kMaxErrno && data <= kMaxRetData) {
        // Docker and libseccomp accept it; the kernel returns -MAX_ERRNO for anything above.
        warning(path.empty() ? errno_ret_key : path + "." + errno_ret_key,
                std::to_string(data) + " is above the largest errno (" + std::to_string(kMaxErrno) +
                    "); the kernel returns " + std::to_string(kMaxErrno) + " for it, and so does this filter",
                "write " + std::to_string(kMaxErrno) + " or a real errno (e.g. 1 for EPERM) to say what happens");
        data = kMaxErrno;
      }
      if (data > limit) {
        error(path.empty() ? errno_ret_key : path + "." + errno_ret_key,
              std::to_string(data) + " is out of range for " + *name,
              action.kind == ActionKind::Errno
                  ? "seccomp's data field holds 16 bits (values above 4095 return 4095); runc would keep only the "
                    "low 16 bits of this one: write a real errno"
                  : "seccomp keeps at most " + std::to_string(limit) + " here");
        return std::nullopt;
      }
      action.data = static_cast<std::uint32_t>(data);
    }
    return action;
  }

  // errnoRet (number) and errno (symbolic, containers/common): errnoRet wins when both are
  // given, as in containers/common; a disagreement is worth a warning.
  std::optional<std::optional<std::uint64_t>> errno_of(const json& object, const std::string& ret_key,
                                                       const std::string& name_key, const std::string& path) {
    auto full = [&](const std::string& key) { return path.empty() ? key : path + "." + key; };
    std::optional<std::uint64_t> number;
    if (!absent(object, ret_key.c_str())) {
      number = unsigned_at(object[ret_key], full(ret_key));
      if (!number) return std::nullopt;
    }
    if (!absent(object, name_key.c_str())) {
      auto name = string_at(object[name_key], full(name_key));
      if (!name) return std::nullopt;
      auto value = errno_from_name(*name);
      if (!value) {
        error(full(name_key), "unknown errno name \"" + *name + "\"", "use a name such as EPERM or ENOSYS, or a number in " + ret_key);
        return std::nullopt;
      }
      if (number && *number != static_cast<std::uint64_t>(*value)) {
        warning(full(name_key), "\"" + *name + "\" (" + std::to_string(*value) + ") disagrees with " + ret_key + " " +
                                    std::to_string(*number) + "; using " + ret_key);
      } else if (!number) {
        number = static_cast<std::uint64_t>(*value);
      }
    }
    return std::optional<std::optional<std::uint64_t>>{number};
  }

  std::optional<ArgCondition> arg_at(const json& value, const std::string& path) {
    if (!value.is_object()) {
      error(path, "expected an object {index, value, valueTwo, op}, found " + describe(value));
      return std::nullopt;
    }
    check_keys(value, path, {"index", "value", "valueTwo", "op"});
    ArgCondition condition;
    bool ok = true;
    if (absent(value, "index")) { error(path + ".index", "missing"); ok = false; }
    else if (auto index = unsigned_at(value["index"], path + ".index")) {
      if (*index > 5) { error(path + ".index", std::to_string(*index) + " is not an argument index", "system calls have arguments 0 to 5"); ok = false; }
      else condition.arg = static_cast<unsigned>(*index);
    } else ok = false;
    std::uint64_t first = 0, second = 0;
    if (!absent(value, "value")) {
      if (auto v = unsigned_at(value["value"], path + ".value")) first = *v; else ok = false;
    }
    if (!absent(value, "valueTwo")) {
      if (auto v = unsigned_at(value["valueTwo"], path + ".valueTwo")) second = *v; else ok = false;
    }
    if (absent(value, "op")) { error(path + ".op", "missing", "e.g. \"SCMP_CMP_EQ\""); return std::nullopt; }
    auto op = string_at(value["op"], path + ".op");
    if (!op) return std::nullopt;
    // SCMP_CMP_MASKED_EQ is (arg & mask) == value: Eq with a mask in the IR.
    static const std::map<std::string, CmpOp> ops = {
        {"SCMP_CMP_EQ", CmpOp::Eq}, {"SCMP_CMP_NE", CmpOp::Ne}, {"SCMP_CMP_LT", CmpOp::Lt},
        {"SCMP_CMP_LE", CmpOp::Le}, {"SCMP_CMP_GT", CmpOp::Gt}, {"SCMP_CMP_GE", CmpOp::Ge},
        {"SCMP_CMP_MASKED_EQ", CmpOp::Eq}};
    auto found = ops.find(*op);
    if (found == ops.end()) {
      std::vector<std::string> candidates;
      for (const auto& [known, _] : ops) candidates.push_back(known);
      std::string guess = did_you_mean(*op, candidates);
      error(path + ".op", "unknown operator \"" + *op + "\"",
            guess.empty() ? "use SCMP_CMP_EQ, NE, LT, LE, GT, GE or MASKED_EQ" : "did you mean \"" + guess + "\"?");
      return std::nullopt;
    }
    condition.op = found->second;
    if (*op == "SCMP_CMP_MASKED_EQ") {
      // libseccomp: (arg & datum_a) == datum_b; Docker passes value as datum_a.
      condition.mask = first;
      condition.value = second;
    } else {
      condition.value = first;
    }
    condition.width = 64;  // libseccomp compares all 64 bits on 64-bit arches
    if (!ok) return std::nullopt;
    return condition;
  }

  Selector selector_at(const json& value, const std::string& path, bool& ok) {
    Selector selector;
    if (value.is_null()) return selector;
    if (!value.is_object()) {
      error(path, "expected an object {caps, arches, minKernel}, found " + describe(value));
      ok = false;
      return selector;
    }
    check_keys(value, path, {"caps", "arches", "minKernel"});
    std::size_t errors_before = diags_.error_count();
    if (value.contains("caps")) selector.caps = strings_at(value["caps"], path + ".caps");
    if (value.contains("arches")) selector.arches = strings_at(value["arches"], path + ".arches");
    if (!absent(value, "minKernel")) {
      if (auto k = string_at(value["minKernel"], path + ".minKernel")) {
        if (!valid_kernel_version(*k)) {
          error(path + ".minKernel", "\"" + *k + "\" is not a kernel version", "write MAJOR.MINOR, e.g. \"4.8\"");
        } else {
          selector.min_kernel = *k;
        }
      }
    }
    if (diags_.error_count() != errors_before) ok = false;
    return selector;
  }

  static bool valid_kernel_version(const std::string& text) {
    std::size_t dots = 0;
    bool digit_seen = false;
    for (char c : text) {
      if (c == '.') { if (!digit_seen) return false; ++dots; digit_seen = false; }
      else if (c >= '0' && c <= '9') digit_seen = true;
      else return false;
    }
    return digit_seen && dots >= 1 && dots <= 2;
  }

  std::optional<SyscallEntry> entry_at(const json& value, const std::string& path) {
    if (!value.is_object()) {
      error(path, "expected an object {names, action, ...}, found " + describe(value));
      return std::nullopt;
    }
    check_keys(value, path, {"name", "names", "action", "errnoRet", "errno", "args", "comment", "includes", "excludes"});
    SyscallEntry entry;
    entry.path = path;
    bool ok = true;
    std::size_t errors_before = diags_.error_count();
    bool has_name = !absent(value, "name");
    bool has_names = !absent(value, "names");
    if (has_name && has_names && !value["names"].empty()) {
      error(path, "has both \"name\" and \"names\"", "use only \"names\" (Docker refuses both too)");
      ok = false;
    } else if (has_name) {
      if (auto n = string_at(value["name"], path + ".name")) entry.names.push_back(*n);
    } else if (has_names) {
      entry.names = strings_at(value["names"], path + ".names");
    }
    if (ok && entry.names.empty() && diags_.error_count() == errors_before) {
      warning(path, "names no system call; the entry has no effect");
    }
    auto action = action_at(value, "action", "errnoRet", "errno", path);
    if (action) entry.action = *action; else ok = false;
    if (!absent(value, "args")) {
      const json& args = value["args"];
      if (!args.is_array()) {
        error(path + ".args", "expected an array of {index, value, valueTwo, op}, found " + describe(args));
        ok = false;
      } else {
        for (std::size_t i = 0; i < args.size(); ++i) {
          auto condition = arg_at(args[i], path + ".args[" + std::to_string(i) + "]");
          if (condition) entry.conditions.push_back(*condition); else ok = false;
        }
      }
    }
    if (!absent(value, "comment")) {
      if (auto c = string_at(value["comment"], path + ".comment")) entry.comment = *c; else ok = false;
    }
    if (value.contains("includes")) entry.includes = selector_at(value["includes"], path + ".includes", ok);
    if (value.contains("excludes")) entry.excludes = selector_at(value["excludes"], path + ".excludes", ok);
    if (diags_.error_count() != errors_before) ok = false;
    if (!ok) return std::nullopt;
    return entry;
  }

  void arch_map_at(const json& value, Profile& profile) {
    if (value.is_null()) return;
    if (!value.is_array()) { error("archMap", "expected an array of {architecture, subArchitectures}, found " + describe(value)); return; }
    for (std::size_t i = 0; i < value.size(); ++i) {
      std::string path = "archMap[" + std::to_string(i) + "]";
      const json& item = value[i];
      if (!item.is_object()) { error(path, "expected an object {architecture, subArchitectures}, found " + describe(item)); continue; }
      check_keys(item, path, {"architecture", "subArchitectures"});
      ArchMapEntry entry;
      if (absent(item, "architecture")) { error(path + ".architecture", "missing", "e.g. \"SCMP_ARCH_X86_64\""); continue; }
      if (auto a = string_at(item["architecture"], path + ".architecture")) entry.arch = *a; else continue;
      if (item.contains("subArchitectures")) entry.sub_arches = strings_at(item["subArchitectures"], path + ".subArchitectures");
      profile.arch_map.push_back(std::move(entry));
    }
  }

  std::optional<Profile> profile_at(const json& document) {
    if (!document.is_object()) {
      error("(top level)", "expected an object {defaultAction, syscalls, ...}, found " + describe(document));
      return std::nullopt;
    }
    check_keys(document, "", {"defaultAction", "defaultErrnoRet", "defaultErrno", "architectures", "archMap",
                              "syscalls", "listenerPath", "listenerMetadata", "flags"});
    Profile profile;
    if (auto action = action_at(document, "defaultAction", "defaultErrnoRet", "defaultErrno", "")) {
      profile.default_action = *action;
      if (action->kind == ActionKind::Notify) {
        error("defaultAction", "SCMP_ACT_NOTIFY cannot be the default action",
              "runc refuses it too; notify only the system calls a supervisor handles, or write "
              "`seccomp default notify` in a policy");
      }
    }
    if (document.contains("architectures")) profile.architectures = strings_at(document["architectures"], "architectures");
    if (document.contains("archMap")) arch_map_at(document["archMap"], profile);
    if (!profile.architectures.empty() && !profile.arch_map.empty()) {
      error("architectures", "both \"architectures\" and \"archMap\" are given", "use one of them (Docker refuses both too)");
    }
    if (!absent(document, "listenerPath")) {
      if (auto p = string_at(document["listenerPath"], "listenerPath")) profile.listener_path = *p;
    }
    if (!absent(document, "listenerMetadata")) {
      if (auto m = string_at(document["listenerMetadata"], "listenerMetadata")) profile.listener_metadata = *m;
    }
    if (document.contains("flags")) profile.flags = strings_at(document["flags"], "flags");
    if (!absent(document, "syscalls")) {
      const json& syscalls = document["syscalls"];
      if (!syscalls.is_array()) {
        error("syscalls", "expected an array of rules, found " + describe(syscalls));
      } else {
        for (std::size_t i = 0; i < syscalls.size(); ++i) {
          if (auto entry = entry_at(syscalls[i], "syscalls[" + std::to_string(i) + "]")) {
            profile.syscalls.push_back(std::move(*entry));
          }
        }
      }
    }
    return profile;
  }

 private:
  std::string file_;
  Diagnostics& diags_;
};

// The start of the token that ends at `end` (exclusive): a string literal back to its opening
// quote, a word or number back to its first character, otherwise the single character.
std::size_t token_start(const std::string& text, std::size_t end) {
  if (end == 0) return 0;
  std::size_t last = end - 1;
  if (text[last] == '"' && last > 0) {
    for (std::size_t i = last; i-- > 0;) {
      if (text[i] == '"' && (i == 0 || text[i - 1] != '\\')) return i;
    }
    return last;
  }
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '+' || c == '.' || c == '_'; };
  if (!word(text[last])) return last;
  std::size_t i = last;
  while (i > 0 && word(text[i - 1])) --i;
  return i;
}

}  // namespace

std::pair<unsigned, unsigned> line_column(const std::string& text, std::size_t offset) {
  unsigned line = 1, column = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') { ++line; column = 1; } else { ++column; }
  }
  return {line, column};
}

std::optional<Profile> parse_profile(const std::string& json_text, const std::string& file_name,
                                     Diagnostics& diags) {
  json document;
  try {
    document = json::parse(json_text);
  } catch (const json::parse_error& e) {
    // e.byte counts the bytes read up to and including the end of the offending token; the
    // caret goes under the whole token.
    std::size_t end = e.byte > 0 ? std::min<std::size_t>(e.byte, json_text.size()) : 0;
    std::size_t start = token_start(json_text, end);
    auto [line, column] = line_column(json_text, start);
    diags.add_source(file_name, json_text);
    std::string what = e.what();
    auto detail = what.find(": ", what.find("parse error"));  // drop nlohmann's own position
    Location where{file_name, line, column, static_cast<unsigned>(std::max<std::size_t>(1, end - start))};
    diags.error(where, "invalid JSON: " + (detail == std::string::npos ? what : what.substr(detail + 2)),
                "fix the JSON syntax here (often a missing comma or quote before this point, or a trailing comma)");
    return std::nullopt;
  } catch (const json::exception& e) {
    // Valid syntax nlohmann still cannot hold, such as a number beyond a double (6e+99999).
    diags.error({file_name}, std::string("unusable JSON: ") + e.what(), "use numbers a JSON parser can represent");
    return std::nullopt;
  }
  std::size_t errors_before = diags.error_count();
  Reader reader(file_name, diags);
  auto profile = reader.profile_at(document);
  if (diags.error_count() != errors_before) return std::nullopt;
  return profile;
}

std::string docker_action_name(const seccomp::Action& action) {
  switch (action.kind) {
    case ActionKind::Allow: return "SCMP_ACT_ALLOW";
    case ActionKind::Errno: return "SCMP_ACT_ERRNO";
    case ActionKind::KillThread: return "SCMP_ACT_KILL_THREAD";
    case ActionKind::KillProcess: return "SCMP_ACT_KILL_PROCESS";
    case ActionKind::Trap: return "SCMP_ACT_TRAP";
    case ActionKind::Log: return "SCMP_ACT_LOG";
    case ActionKind::Trace: return "SCMP_ACT_TRACE";
    case ActionKind::Notify: return "SCMP_ACT_NOTIFY";
  }
  return "SCMP_ACT_KILL_PROCESS";
}

std::string docker_op_name(const seccomp::ArgCondition& condition) {
  switch (condition.op) {
    case CmpOp::Eq: return seccomp::is_masked(condition) ? "SCMP_CMP_MASKED_EQ" : "SCMP_CMP_EQ";
    case CmpOp::Ne: return "SCMP_CMP_NE";
    case CmpOp::Lt: return "SCMP_CMP_LT";
    case CmpOp::Le: return "SCMP_CMP_LE";
    case CmpOp::Gt: return "SCMP_CMP_GT";
    case CmpOp::Ge: return "SCMP_CMP_GE";
  }
  return "SCMP_CMP_EQ";
}

}  // namespace policyc::docker
