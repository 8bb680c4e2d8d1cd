// SPDX-License-Identifier: Apache-2.0
#include "launcher/instances/ps.h"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include <nlohmann/json.hpp>

#include "launcher/instances/lookup.h"

namespace launcher {

std::string format_uptime(std::int64_t seconds) {
  if (seconds < 0) seconds = 0;
  char text[32];
  if (seconds < 60) std::snprintf(text, sizeof text, "%llds", static_cast<long long>(seconds));
  else if (seconds < 3600) std::snprintf(text, sizeof text, "%lldm%02llds", static_cast<long long>(seconds / 60), static_cast<long long>(seconds % 60));
  else if (seconds < 86400) std::snprintf(text, sizeof text, "%lldh%02lldm", static_cast<long long>(seconds / 3600), static_cast<long long>(seconds % 3600 / 60));
  else std::snprintf(text, sizeof text, "%lldd%02lldh", static_cast<long long>(seconds / 86400), static_cast<long long>(seconds % 86400 / 3600));
  return text;
}

std::string format_instance_table(const std::vector<InstanceRecord>& running, std::int64_t now) {
  std::vector<std::vector<std::string>> rows = {{"NAME", "PID", "CONTAINER", "UPTIME", "ADDRESS", "VETH", "COMMAND"}};
  for (const auto& r : running) {
    std::string command;
    for (const auto& word : r.command) command += (command.empty() ? "" : " ") + word;
    rows.push_back({r.name, std::to_string(r.pid), std::to_string(r.container_pid), format_uptime(now - r.started),
                    r.veth ? r.veth->container_address : "-", r.veth ? r.veth->host_ifname : "-", command});
  }
  std::vector<std::size_t> width(rows.front().size(), 0);
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    out += line + "\n";
  }
  return out;
}

std::string format_instance_json(const std::vector<InstanceRecord>& running) {
  nlohmann::json array = nlohmann::json::array();
  for (const auto& r : running) array.push_back(nlohmann::json::parse(record_to_json(r)));
  return array.dump(2) + "\n";
}

int ps_command(bool json) {
  try {
    const auto running = running_instances_of_caller();
    const std::string text = json ? format_instance_json(running)
                                  : format_instance_table(running, static_cast<std::int64_t>(std::time(nullptr)));
    std::fputs(text.c_str(), stdout);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "plan-exec: ps: %s\n", e.what());
    return 125;
  }
}

}  // namespace launcher
