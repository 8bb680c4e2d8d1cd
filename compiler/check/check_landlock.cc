// SPDX-License-Identifier: Apache-2.0
// Checks of `landlock { ... }`: every line a known right (or `bind`/`connect`, `scope`,
// `best_effort`) with the values it takes; paths absolute and plain, ports 0..65535, nothing
// granted twice; and a command the section lets execve start.
#include <algorithm>
#include <map>
#include <set>

#include "compiler/check/check_internal.h"
#include "compiler/values/values.h"
#include "plan/landlock.h"
#include "plan/rules.h"

namespace policyc::check::detail {
namespace {

const std::vector<std::string> kScopeNames = {"signals", "abstract_unix"};

std::vector<std::string> all_keys() {
  std::vector<std::string> keys = plan::landlock_fs_keywords();
  for (const char* key : {"bind", "connect", "scope", "best_effort"}) keys.emplace_back(key);
  return keys;
}

std::string line_of(const ast::Word& w) { return "line " + std::to_string(w.where.line); }

bool looks_like_path(const ast::Word& w) { return !w.text.empty() && (w.text[0] == '/' || w.text.find('/') != std::string::npos); }

// What lowering needs to know about the section while checking it.
struct Seen {
  std::map<std::pair<std::string, std::string>, const ast::Word*> paths;  // (keyword, normal path)
  std::map<std::pair<std::string, unsigned long long>, const ast::Word*> ports;
  std::set<std::string> scopes;
  bool net = false;                   // a `bind tcp` or `connect tcp` line, with ports or not
  const ast::Word* best_effort = nullptr;
};

void check_path_entry(const ast::LandlockEntry& e, Seen& seen, Diagnostics& diags) {
  if (e.values.empty()) {
    diags.error(e.key.where, "`" + e.key.text + "` names no path",
                "write the paths it applies to, as the container sees them: `" + e.key.text + " /usr /lib`");
  }
  for (const auto& value : e.values) {
    if (!looks_like_path(value)) {
      diags.error(value.where, "expected a path after `" + e.key.text + "`, found " + in_quotes(value.text),
                  "ports go with `bind tcp` and `connect tcp`, scopes with `scope`");
      continue;
    }
    const std::size_t before = diags.error_count();
    require_absolute_path(value, "landlock path", diags);
    if (diags.error_count() != before) continue;
    const std::string normal = plan::normal_path(value.text).value_or(value.text);
    auto [it, inserted] = seen.paths.emplace(std::make_pair(e.key.text, normal), &value);
    if (!inserted) {
      diags.error(value.where, "`" + e.key.text + " " + normal + "` is given twice",
                  "it is already granted at " + line_of(*it->second) + "; remove one");
    }
  }
}

void check_port_entry(const ast::LandlockEntry& e, Seen& seen, Diagnostics& diags) {
  const std::string usage = "write `" + e.key.text + " tcp PORT...`, e.g. `" + e.key.text + " tcp 8080`";
  if (e.values.empty() || e.values[0].text != "tcp") {
    if (!e.values.empty() && e.values[0].text == "udp") {
      diags.error(e.values[0].where, "Landlock restricts TCP ports only (up to ABI 7); `udp` cannot be restricted",
                  "keep UDP out of the section; restrict it with the seccomp block or a network namespace");
    } else {
      diags.error(e.values.empty() ? e.key.where : e.values[0].where,
                  "`" + e.key.text + "` needs the protocol `tcp` first", usage);
    }
    return;
  }
  seen.net = true;
  // `connect tcp` alone handles the right and grants no port: no connection at all.
  for (std::size_t i = 1; i < e.values.size(); ++i) {
    const ast::Word& value = e.values[i];
    std::string why;
    auto port = lower::parse_uint(value.text, 65535, why);
    if (!port) {
      diags.error(value.where, "port " + in_quotes(value.text) + " is not a number from 0 to 65535", usage);
      continue;
    }
    auto [it, inserted] = seen.ports.emplace(std::make_pair(e.key.text, *port), &value);
    if (!inserted) {
      diags.error(value.where, "`" + e.key.text + " tcp " + value.text + "` is given twice",
                  "it is already granted at " + line_of(*it->second) + "; remove one");
    }
  }
}

void check_scope_entry(const ast::LandlockEntry& e, Seen& seen, Diagnostics& diags) {
  if (e.values.empty()) {
    diags.error(e.key.where, "`scope` names nothing to scope", "write `scope signals abstract_unix` (or one of them)");
  }
  for (const auto& value : e.values) {
    if (value.text != "signals" && value.text != "abstract_unix") {
      diags.error(value.where, "unknown Landlock scope " + in_quotes(value.text), suggestion(value.text, kScopeNames));
    } else if (!seen.scopes.insert(value.text).second) {
      diags.warning(value.where, "scope " + in_quotes(value.text) + " is given twice", "remove the second one");
    }
  }
}

void check_entry(const ast::LandlockEntry& e, Seen& seen, Diagnostics& diags) {
  const std::string& key = e.key.text;
  if (plan::landlock_fs_keyword(key)) return check_path_entry(e, seen, diags);
  if (key == "bind" || key == "connect") return check_port_entry(e, seen, diags);
  if (key == "scope") return check_scope_entry(e, seen, diags);
  if (key == "best_effort") {
    if (!e.values.empty()) diags.error(e.values[0].where, "`best_effort` takes no value", "write `best_effort` alone");
    if (seen.best_effort) diags.warning(e.key.where, "`best_effort` is given twice", "remove the second one");
    seen.best_effort = &e.key;
    return;
  }
  std::string hint = suggestion(key, all_keys());
  // A misspelled scope name is no token of the grammar, so it starts a line of its own.
  const std::string scope = did_you_mean(key, kScopeNames);
  if (!scope.empty()) hint = "did you mean the scope " + in_quotes(scope) + "? (scope names follow `scope`)";
  diags.error(e.key.where, "unknown Landlock right " + in_quotes(key), hint);
}

// True when some rule written with a keyword granting all of `rights` covers `path`.
bool granted_beneath(const ast::LandlockDecl& l, const std::string& path, std::uint64_t rights) {
  std::uint64_t have = 0;
  for (const auto& e : l.entries) {
    auto bits = plan::landlock_fs_keyword(e.key.text);
    if (!bits) continue;
    for (const auto& value : e.values) {
      auto base = plan::normal_path(value.text);
      if (!base) continue;
      const bool beneath = *base == "/" || path == *base || path.starts_with(*base + "/");
      if (beneath) have |= *bits;
    }
  }
  return (have & rights) == rights;
}

// execve opens the program with FMODE_EXEC: Landlock wants execute and read_file beneath it.
void check_command(const ast::Container& c, const ast::LandlockDecl& l, bool handles_fs, Diagnostics& diags) {
  if (!handles_fs || c.command.empty()) return;
  const ast::Word& program = c.command[0];
  auto path = plan::normal_path(program.text);
  if (!path) return;  // a name looked up in PATH: plan-exec checks the path it finds
  const std::uint64_t needed = plan::kLandlockFsExecute | plan::kLandlockFsReadFile;
  if (granted_beneath(l, *path, needed)) return;
  diags.error(program.where, "the landlock section does not let execve start " + in_quotes(*path) +
                                 ": it needs `execute` and `read` (read_file) on the program",
              "add `execute " + *path + "` and `read " + *path +
                  "` (and the same for its ELF interpreter and libraries, e.g. `execute /lib64` `read /lib /lib64 /usr/lib`)");
}

}  // namespace

void check_landlock(const ast::Container& c, Diagnostics& diags) {
  if (!c.landlock) return;
  const ast::LandlockDecl& l = *c.landlock;
  Seen seen;
  for (const auto& e : l.entries) check_entry(e, seen, diags);
  if (seen.paths.empty() && !seen.net && seen.scopes.empty()) {
    diags.error(l.where, "the landlock section restricts nothing",
                "grant paths (`read /usr`), ports (`connect tcp 443`) or scopes (`scope signals`), or remove it");
  }
  check_command(c, l, !seen.paths.empty(), diags);
}

}  // namespace policyc::check::detail
