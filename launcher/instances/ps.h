// SPDX-License-Identifier: Apache-2.0
// `plan-exec ps [--json]`: the caller's running instances.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "launcher/registry/instance_record.h"

namespace launcher {

// A table, one row per instance, columns NAME PID CONTAINER UPTIME ADDRESS VETH COMMAND:
//   NAME   PID   CONTAINER  UPTIME  ADDRESS        VETH     COMMAND
//   hello  4081  4082       3m12s   10.200.0.2/24  pe-4081  /home/hello-server
// `now` is the wall clock in seconds (records hold their start in the same unit).
std::string format_instance_table(const std::vector<InstanceRecord>& running, std::int64_t now);
// A JSON array of the records (docs/instances.md).
std::string format_instance_json(const std::vector<InstanceRecord>& running);
// "45s", "3m12s", "2h05m", "3d04h".
std::string format_uptime(std::int64_t seconds);

int ps_command(bool json);

}  // namespace launcher
