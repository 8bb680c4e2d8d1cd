// SPDX-License-Identifier: Apache-2.0
// Checks of `device /dev/fuse ...`: host device nodes granted by name, which plan-exec puts into
// the minimal /dev. Each must be a plain path under /dev that the minimal /dev does not make
// itself, granted once, with `mount dev at /dev` to put it into.
#include <algorithm>
#include <map>
#include <set>

#include "compiler/check/check_internal.h"
#include "compiler/values/defaults.h"

namespace policyc::check::detail {
namespace {

// What the minimal /dev makes besides its device nodes: a grant may not replace or enter them.
const std::set<std::string> kMadeByMinimalDev = {"ptmx", "pts", "shm", "fd", "stdin", "stdout", "stderr"};

std::vector<std::string> components(const std::string& path) {
  std::vector<std::string> out;
  std::size_t start = 1;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    out.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// "/dve/fuse" -> "/dev/fuse"; "fuse" -> "/dev/fuse": what the author probably meant, or "".
std::string probable_device_path(const std::string& path) {
  if (path.empty()) return "";
  if (path[0] != '/') {
    if (path.rfind("dev/", 0) == 0) return "/" + path;
    return path.find('/') == std::string::npos ? "/dev/" + path : "";
  }
  auto parts = components(path);
  if (parts.size() < 2 || did_you_mean(parts[0], {"dev"}).empty()) return "";
  return "/dev" + path.substr(1 + parts[0].size());
}

std::string hint_with(const std::string& probable, const std::string& otherwise) {
  return probable.empty() ? otherwise : "did you mean " + in_quotes(probable) + "?";
}

// True when `device` passed; reports the first problem otherwise.
bool check_device_path(const ast::Word& device, Diagnostics& diags) {
  const std::string& path = device.text;
  const std::string probable = probable_device_path(path);
  if (path.empty() || path[0] != '/') {
    diags.error(device.where, "device " + in_quotes(path) + " is not an absolute path",
                hint_with(probable, "name the host's node by its path, e.g. /dev/fuse"));
    return false;
  }
  auto parts = components(path);
  for (const auto& part : parts) {
    if (part == "..") {
      diags.error(device.where, "device " + in_quotes(path) + " contains \"..\"",
                  "name the node by its plain path under /dev, e.g. /dev/net/tun");
      return false;
    }
    if (part.empty() || part == ".") {
      diags.error(device.where, "device " + in_quotes(path) + " is not a plain path (empty or \".\" component)",
                  "write it without \"//\", \"/./\" or a trailing \"/\"");
      return false;
    }
  }
  if (parts.size() < 2 || parts[0] != "dev") {
    diags.error(device.where, "device " + in_quotes(path) + " is not under /dev",
                hint_with(probable, "grant a device node by its path in the host's /dev, e.g. /dev/fuse"));
    return false;
  }
  if (kMadeByMinimalDev.count(parts[1])) {
    diags.error(device.where, "/dev/" + parts[1] + " is made by the minimal /dev itself and cannot be granted",
                "remove " + in_quotes(path) + " from the device list");
    return false;
  }
  return true;
}

// Bind mounts are nodev: a host node bound by `mount bind "/dev/x"` would not open.
void warn_device_binds(const ast::Container& c, Diagnostics& diags) {
  for (const auto& m : c.mounts) {
    if (m.kind.text != "bind" || !m.source || m.source->text.rfind("/dev/", 0) != 0) continue;
    diags.warning(m.source->where, "bind mounts are nodev, so a device node bound from " + m.source->text +
                                       " cannot be opened in the container",
                  "grant device nodes with `device " + m.source->text + "` instead");
  }
}

}  // namespace

void check_devices(const ast::Container& c, Diagnostics& diags) {
  warn_device_binds(c, diags);
  if (c.devices.empty()) return;
  const auto& defaults = lower::minimal_dev_nodes();
  std::map<std::string, const ast::Word*> granted;
  for (const auto& device : c.devices) {
    if (!check_device_path(device, diags)) continue;
    auto [it, inserted] = granted.emplace(device.text, &device);
    if (!inserted) {
      diags.error(device.where, "device " + in_quotes(device.text) + " is granted twice",
                  "it is already granted at line " + std::to_string(it->second->where.line) + "; remove one");
      continue;
    }
    if (std::find(defaults.begin(), defaults.end(), device.text.substr(5)) != defaults.end()) {
      diags.warning(device.where, "device " + in_quotes(device.text) + " is in the minimal /dev already",
                    "remove it; the minimal /dev always has null zero full random urandom tty");
    }
  }
  bool minimal_dev = std::any_of(c.mounts.begin(), c.mounts.end(),
                                 [](const ast::MountDecl& m) { return m.kind.text == "dev"; });
  if (!minimal_dev) {
    diags.error(c.devices.front().where, "`device` needs `mount dev at /dev`",
                "add `mount dev at /dev`: granted nodes are put into the container's minimal /dev");
  }
}

}  // namespace policyc::check::detail
