// SPDX-License-Identifier: Apache-2.0
// `landlock { ... }` -> plan.landlock. What the section handles (docs/language.md, "landlock"):
// a section with a path rule handles every filesystem right Landlock has, so whatever it does
// not grant is denied everywhere; a `bind` line handles bind_tcp and a `connect` line
// connect_tcp (two directions, each restricted when the section speaks of it); `scope` adds its
// scopes. Rules for one path (or port) merge into one, in the order first written.
#include <algorithm>

#include "compiler/lower/lower_container.h"
#include "compiler/values/values.h"
#include "plan/landlock.h"
#include "plan/rules.h"

namespace policyc::lower {
namespace {

void grant_path(plan::Landlock& out, const std::string& path, std::uint64_t access) {
  auto it = std::find_if(out.paths.begin(), out.paths.end(), [&](const plan::LandlockPath& p) { return p.path == path; });
  if (it == out.paths.end()) out.paths.push_back({path, access});
  else it->access |= access;
}

void grant_port(plan::Landlock& out, std::uint16_t port, std::uint64_t access) {
  auto it = std::find_if(out.ports.begin(), out.ports.end(), [&](const plan::LandlockPort& p) { return p.port == port; });
  if (it == out.ports.end()) out.ports.push_back({port, access});
  else it->access |= access;
}

void lower_ports(const ast::LandlockEntry& e, plan::Landlock& out) {
  const std::uint64_t access = e.key.text == "bind" ? plan::kLandlockNetBindTcp : plan::kLandlockNetConnectTcp;
  out.handled_net |= access;  // also for `bind tcp` without ports: no port may be bound
  for (std::size_t i = 1; i < e.values.size(); ++i) {
    std::string why;
    if (auto port = parse_uint(e.values[i].text, 65535, why)) grant_port(out, static_cast<std::uint16_t>(*port), access);
  }
}

}  // namespace

plan::Landlock lower_landlock(const ast::LandlockDecl& decl) {
  plan::Landlock out;
  for (const auto& e : decl.entries) {
    if (auto bits = plan::landlock_fs_keyword(e.key.text)) {
      for (const auto& value : e.values) {
        if (auto path = plan::normal_path(value.text)) grant_path(out, *path, *bits);
      }
    } else if (e.key.text == "bind" || e.key.text == "connect") {
      lower_ports(e, out);
    } else if (e.key.text == "scope") {
      for (const auto& value : e.values) {
        out.scoped |= value.text == "signals" ? plan::kLandlockScopeSignal : plan::kLandlockScopeAbstractUnix;
      }
    } else if (e.key.text == "best_effort") {
      out.best_effort = true;
    }
  }
  if (!out.paths.empty()) out.handled_fs = plan::landlock_rights_up_to(plan::LandlockClass::Fs, plan::kLandlockNewestRightsAbi);
  return out;
}

}  // namespace policyc::lower
