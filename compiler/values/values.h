// SPDX-License-Identifier: Apache-2.0
// Parsers for the values a policy writes as text: sizes, durations, CPU shares, addresses,
// capability, rlimit and namespace names. The checks use them to report bad values (with the
// reason in `why`); lowering uses them to produce the plan's numbers, so both agree.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace policyc::lower {

// "250M", "64K", "1G", "1.5G", "4096" (bytes). Units are binary: K=1024, M, G, T; "KB",
// "KiB" and a trailing "B" are accepted too. nullopt with `why` set on a bad value.
std::optional<std::uint64_t> parse_size(const std::string& text, std::string& why);

// A plain non-negative decimal integer no larger than `max`.
std::optional<std::uint64_t> parse_uint(const std::string& text, std::uint64_t max, std::string& why);

// "20ms", "100000us", "1s", or a bare number of microseconds -> microseconds.
std::optional<std::uint64_t> parse_duration_us(const std::string& text, std::string& why);

struct CpuQuota {
  std::uint64_t quota_us = 0;
  std::uint64_t period_us = 100000;
};
inline constexpr std::uint64_t kDefaultCpuPeriodUs = 100000;
// `cpu 0.5` (CPUs, with the default 100 ms period) or `cpu 20ms/100ms` (quota/period).
std::optional<CpuQuota> parse_cpu(const std::string& text, std::string& why);

// cgroup v1 cpu.shares for a v2 cpu.weight (1..10000), the conversion runc and crun use.
std::uint64_t cpu_weight_to_shares(std::uint64_t weight);

// "net_bind_service", "cap_net_bind_service" or "CAP_NET_BIND_SERVICE" -> CAP_* number (libcap).
std::optional<int> capability_number(const std::string& name);
std::vector<std::string> capability_names();   // "chown", "net_bind_service", ...
std::string capability_name(int number);        // "net_bind_service"

// "nofile" -> RLIMIT_NOFILE; the names are prlimit(1)'s.
std::optional<int> rlimit_number(const std::string& name);
std::vector<std::string> rlimit_names();
// "1024", "64M" (for the byte-valued limits), "unlimited"/"infinity" -> RLIM_INFINITY.
std::optional<std::uint64_t> parse_rlimit_value(const std::string& text, std::string& why);

std::vector<std::string> namespace_names();     // "mount", "pid", ...
std::vector<std::string> mount_kind_names();    // "proc", "sysfs", ...

// "10.0.0.1/24" or "fd00::1/64"; a missing prefix gives /24 for IPv4 and /64 for IPv6.
struct Cidr {
  std::string address;   // as written, without the prefix
  unsigned prefix = 24;
  bool ipv6 = false;
};
std::optional<Cidr> parse_cidr(const std::string& text, std::string& why);
// Whether `address` (no prefix) lies in `network`'s subnet. False for mixed families.
bool in_subnet(const Cidr& network, const std::string& address);

// A published port as written after `publish [tcp|udp]`: "80" (host and container port alike),
// "8080:80", "127.0.0.1:8080:80", "[::1]:8080:80". Ports 1..65535; the address without prefix.
struct PortMapping {
  std::string host_address;  // empty = every host address
  bool ipv6 = false;         // of host_address
  unsigned host_port = 0;
  unsigned container_port = 0;
};
std::optional<PortMapping> parse_port_mapping(const std::string& text, std::string& why);

// An interface name the kernel accepts: 1..15 bytes, no '/', ':' or whitespace.
bool valid_ifname(const std::string& name, std::string& why);

}  // namespace policyc::lower
