// SPDX-License-Identifier: Apache-2.0
#include "launcher/cgroup/device_rules.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <cstring>

#include "launcher/host/error.h"

namespace launcher {

const std::vector<DeviceRule>& default_device_rules() {
  static const std::vector<DeviceRule> kRules = {
      {'c', -1, -1, kDeviceMknod},  // mknod (not open) of any node: images make them
      {'b', -1, -1, kDeviceMknod},
      {'c', 1, 3, kDeviceAll},      // null
      {'c', 1, 5, kDeviceAll},      // zero
      {'c', 1, 7, kDeviceAll},      // full
      {'c', 1, 8, kDeviceAll},      // random
      {'c', 1, 9, kDeviceAll},      // urandom
      {'c', 5, 0, kDeviceAll},      // tty
      {'c', 5, 2, kDeviceAll},      // ptmx
      {'c', 136, -1, kDeviceAll},   // pts/*
  };
  return kRules;
}

std::vector<DeviceRule> device_rules_for(const std::vector<std::string>& granted) {
  std::vector<DeviceRule> rules = default_device_rules();
  for (std::size_t i = 0; i < granted.size(); ++i) {
    const std::string key = "plan.devices[" + std::to_string(i) + "]";
    struct stat st {};
    if (::stat(granted[i].c_str(), &st) != 0) {
      const int err = errno;
      throw StepError("validate", key + ": cannot use the granted device " + granted[i] + ": " + std::strerror(err) +
                                      " (it must exist on this host)", err);
    }
    if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
      throw StepError("validate", key + ": " + granted[i] + " is not a device node: only character or block "
                                        "devices can be granted");
    rules.push_back({S_ISCHR(st.st_mode) ? 'c' : 'b', static_cast<std::int64_t>(major(st.st_rdev)),
                     static_cast<std::int64_t>(minor(st.st_rdev)), kDeviceAll});
  }
  return rules;
}

std::string v1_line(const DeviceRule& rule) {
  auto number = [](std::int64_t n) { return n < 0 ? std::string("*") : std::to_string(n); };
  std::string access;
  if (rule.access & kDeviceRead) access += 'r';
  if (rule.access & kDeviceWrite) access += 'w';
  if (rule.access & kDeviceMknod) access += 'm';
  return std::string(1, rule.type) + " " + number(rule.major) + ":" + number(rule.minor) + " " + access;
}

bool device_allowed(const std::vector<DeviceRule>& rules, char type, std::uint32_t major, std::uint32_t minor,
                    std::uint32_t access) {
  for (const auto& rule : rules) {
    if (rule.type != 'a' && rule.type != type) continue;
    if (rule.major >= 0 && static_cast<std::uint32_t>(rule.major) != major) continue;
    if (rule.minor >= 0 && static_cast<std::uint32_t>(rule.minor) != minor) continue;
    if ((access & ~rule.access) != 0) continue;
    return true;
  }
  return false;
}

std::string describe_device_rules(const std::vector<DeviceRule>& rules) {
  std::string text = "deny all devices but";
  for (std::size_t i = 0; i < rules.size(); ++i) text += (i == 0 ? " " : ", ") + v1_line(rules[i]);
  return text;
}

}  // namespace launcher
