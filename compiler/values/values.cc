// SPDX-License-Identifier: Apache-2.0
#include "compiler/values/values.h"

#include <arpa/inet.h>
#include <sys/capability.h>
#include <sys/resource.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <utility>

namespace policyc::lower {
namespace {

std::string lower_case(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

// Splits "1.5G" into 1.5 and "G". The number part must be decimal digits with at most one '.'.
bool split_number_unit(const std::string& text, double& number, std::string& unit, std::string& why) {
  std::size_t i = 0;
  bool dot = false;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || (text[i] == '.' && !dot))) {
    dot = dot || text[i] == '.';
    ++i;
  }
  if (i == 0 || text[0] == '.' || text[i - 1] == '.') {
    why = "\"" + text + "\" is not a number";
    return false;
  }
  number = std::strtod(text.substr(0, i).c_str(), nullptr);
  unit = text.substr(i);
  return true;
}

const std::pair<const char*, int> kRlimits[] = {
    {"as", RLIMIT_AS},           {"core", RLIMIT_CORE},         {"cpu", RLIMIT_CPU},
    {"data", RLIMIT_DATA},       {"fsize", RLIMIT_FSIZE},       {"locks", RLIMIT_LOCKS},
    {"memlock", RLIMIT_MEMLOCK}, {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},
    {"nofile", RLIMIT_NOFILE},   {"nproc", RLIMIT_NPROC},       {"rss", RLIMIT_RSS},
    {"rtprio", RLIMIT_RTPRIO},   {"rttime", RLIMIT_RTTIME},     {"sigpending", RLIMIT_SIGPENDING},
    {"stack", RLIMIT_STACK}};

}  // namespace

std::optional<std::uint64_t> parse_size(const std::string& text, std::string& why) {
  double number = 0;
  std::string unit;
  if (!split_number_unit(text, number, unit, why)) return std::nullopt;
  std::string u = lower_case(unit);
  if (u.size() > 1 && u.back() == 'b') u.pop_back();            // "MB" -> "m", "B" stays "b"
  if (u.size() == 2 && u.back() == 'i') u.pop_back();           // "Mi" (from "MiB") -> "m"
  static const std::pair<const char*, double> kUnits[] = {
      {"", 1}, {"b", 1}, {"k", 1024.0}, {"m", 1024.0 * 1024}, {"g", 1024.0 * 1024 * 1024},
      {"t", 1024.0 * 1024 * 1024 * 1024}};
  for (const auto& [name, factor] : kUnits) {
    if (u != name) continue;
    double bytes = std::floor(number * factor);
    if (bytes >= 1.8e19) {
      why = "\"" + text + "\" is too large";
      return std::nullopt;
    }
    if (factor == 1 && number != std::floor(number)) {
      why = "\"" + text + "\" is a fraction of a byte";
      return std::nullopt;
    }
    return static_cast<std::uint64_t>(bytes);
  }
  why = "\"" + text + "\" has an unknown unit \"" + unit + "\" (use K, M, G or T)";
  return std::nullopt;
}

std::optional<std::uint64_t> parse_uint(const std::string& text, std::uint64_t max, std::string& why) {
  if (text.empty() || !std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); })) {
    why = "\"" + text + "\" is not a whole number";
    return std::nullopt;
  }
  std::uint64_t value = 0;
  for (char c : text) {
    std::uint64_t digit = static_cast<std::uint64_t>(c - '0');
    if (value > (max - digit) / 10) {
      why = "\"" + text + "\" is larger than " + std::to_string(max);
      return std::nullopt;
    }
    value = value * 10 + digit;
  }
  return value;
}

std::optional<std::uint64_t> parse_duration_us(const std::string& text, std::string& why) {
  double number = 0;
  std::string unit;
  if (!split_number_unit(text, number, unit, why)) return std::nullopt;
  double factor = unit.empty() || unit == "us" ? 1 : unit == "ms" ? 1000 : unit == "s" ? 1000000 : 0;
  if (factor == 0) {
    why = "\"" + text + "\" has an unknown unit \"" + unit + "\" (use us, ms or s)";
    return std::nullopt;
  }
  double us = number * factor;
  if (us > 1e12 || us != std::floor(us)) {
    why = "\"" + text + "\" is not a whole number of microseconds up to 1e12";
    return std::nullopt;
  }
  return static_cast<std::uint64_t>(us);
}

std::optional<CpuQuota> parse_cpu(const std::string& text, std::string& why) {
  auto slash = text.find('/');
  if (slash != std::string::npos) {
    auto quota = parse_duration_us(text.substr(0, slash), why);
    auto period = quota ? parse_duration_us(text.substr(slash + 1), why) : std::nullopt;
    if (!quota || !period) return std::nullopt;
    return CpuQuota{*quota, *period};
  }
  double cpus = 0;
  std::string unit;
  if (!split_number_unit(text, cpus, unit, why)) return std::nullopt;
  if (!unit.empty()) {
    why = "\"" + text + "\" is neither a number of CPUs (0.5) nor quota/period (20ms/100ms)";
    return std::nullopt;
  }
  if (cpus > 1e6) {
    why = "\"" + text + "\" CPUs is too many";
    return std::nullopt;
  }
  return CpuQuota{static_cast<std::uint64_t>(std::llround(cpus * kDefaultCpuPeriodUs)), kDefaultCpuPeriodUs};
}

std::uint64_t cpu_weight_to_shares(std::uint64_t weight) { return 2 + ((weight - 1) * 262142) / 9999; }

std::optional<int> capability_number(const std::string& name) {
  std::string normal = lower_case(name);
  if (normal.rfind("cap_", 0) != 0) normal = "cap_" + normal;
  cap_value_t value = 0;
  if (cap_from_name(normal.c_str(), &value) != 0) return std::nullopt;
  if (value < 0 || value > CAP_LAST_CAP) return std::nullopt;   // "all" and numbers are not names
  return static_cast<int>(value);
}

std::string capability_name(int number) {
  char* text = cap_to_name(static_cast<cap_value_t>(number));
  std::string name = text ? text : std::to_string(number);
  cap_free(text);
  return name.rfind("cap_", 0) == 0 ? name.substr(4) : name;
}

std::vector<std::string> capability_names() {
  std::vector<std::string> names;
  for (int cap = 0; cap <= CAP_LAST_CAP; ++cap) names.push_back(capability_name(cap));
  return names;
}

std::optional<int> rlimit_number(const std::string& name) {
  for (const auto& [text, number] : kRlimits) {
    if (name == text) return number;
  }
  return std::nullopt;
}

std::vector<std::string> rlimit_names() {
  std::vector<std::string> names;
  for (const auto& entry : kRlimits) names.push_back(entry.first);
  return names;
}

std::optional<std::uint64_t> parse_rlimit_value(const std::string& text, std::string& why) {
  if (text == "unlimited" || text == "infinity") return static_cast<std::uint64_t>(RLIM_INFINITY);
  return parse_size(text, why);
}

std::vector<std::string> namespace_names() {
  return {"mount", "pid", "ipc", "uts", "net", "user", "cgroup", "time"};
}

std::vector<std::string> mount_kind_names() {
  return {"proc", "sysfs", "tmpfs", "bind", "dev", "mqueue", "devpts"};
}

std::optional<Cidr> parse_cidr(const std::string& text, std::string& why) {
  Cidr cidr;
  auto slash = text.find('/');
  cidr.address = text.substr(0, slash);
  unsigned char buffer[16];
  if (inet_pton(AF_INET, cidr.address.c_str(), buffer) == 1) {
    cidr.ipv6 = false;
  } else if (inet_pton(AF_INET6, cidr.address.c_str(), buffer) == 1) {
    cidr.ipv6 = true;
  } else {
    why = "\"" + cidr.address + "\" is not an IPv4 or IPv6 address";
    return std::nullopt;
  }
  unsigned max = cidr.ipv6 ? 128 : 32;
  cidr.prefix = cidr.ipv6 ? 64 : 24;
  if (slash != std::string::npos) {
    auto prefix = parse_uint(text.substr(slash + 1), max, why);
    if (!prefix) {
      why = "prefix \"/" + text.substr(slash + 1) + "\" must be a number from 0 to " + std::to_string(max);
      return std::nullopt;
    }
    cidr.prefix = static_cast<unsigned>(*prefix);
  }
  return cidr;
}

namespace {

std::optional<unsigned> parse_port(const std::string& text, const std::string& which, std::string& why) {
  std::string ignored;
  const auto port = parse_uint(text, 65535, ignored);
  if (!port || *port == 0 || text.empty() || text.find_first_not_of("0123456789") != std::string::npos) {
    why = which + " port \"" + text + "\" is not a number from 1 to 65535";
    return std::nullopt;
  }
  return static_cast<unsigned>(*port);
}

}  // namespace

std::optional<PortMapping> parse_port_mapping(const std::string& text, std::string& why) {
  PortMapping out;
  std::string ports = text;
  if (text.starts_with('[')) {  // [IPv6]:host:container
    const auto close = text.find(']');
    if (close == std::string::npos || text.compare(close, 2, "]:") != 0) {
      why = "\"" + text + "\" has an IPv6 address without \"]:\" after it; write [::1]:8080:80";
      return std::nullopt;
    }
    out.host_address = text.substr(1, close - 1);
    ports = text.substr(close + 2);
  } else if (std::count(text.begin(), text.end(), ':') == 2) {  // IPv4:host:container
    const auto colon = text.find(':');
    out.host_address = text.substr(0, colon);
    ports = text.substr(colon + 1);
  } else if (std::count(text.begin(), text.end(), ':') > 2) {
    why = "\"" + text + "\": an IPv6 host address goes in brackets, e.g. [::1]:8080:80";
    return std::nullopt;
  }
  if (!out.host_address.empty()) {
    unsigned char buffer[16];
    if (inet_pton(AF_INET, out.host_address.c_str(), buffer) == 1) {
      out.ipv6 = false;
    } else if (inet_pton(AF_INET6, out.host_address.c_str(), buffer) == 1) {
      out.ipv6 = true;
    } else {
      why = "host address \"" + out.host_address + "\" is not an IPv4 or IPv6 address";
      return std::nullopt;
    }
  }
  const auto colon = ports.find(':');
  const auto host = parse_port(ports.substr(0, colon), "host", why);
  if (!host) return std::nullopt;
  const auto container = colon == std::string::npos ? host : parse_port(ports.substr(colon + 1), "container", why);
  if (!container) return std::nullopt;
  out.host_port = *host;
  out.container_port = *container;
  return out;
}

bool in_subnet(const Cidr& network, const std::string& address) {
  int family = network.ipv6 ? AF_INET6 : AF_INET;
  unsigned char a[16] = {}, b[16] = {};
  if (inet_pton(family, network.address.c_str(), a) != 1) return false;
  if (inet_pton(family, address.c_str(), b) != 1) return false;
  for (unsigned bit = 0; bit < network.prefix; ++bit) {
    unsigned mask = 0x80u >> (bit % 8);
    if ((a[bit / 8] & mask) != (b[bit / 8] & mask)) return false;
  }
  return true;
}

bool valid_ifname(const std::string& name, std::string& why) {
  if (name.empty() || name.size() > 15) {
    why = "interface name \"" + name + "\" must be 1 to 15 characters long (IFNAMSIZ)";
    return false;
  }
  for (const char ch : name) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '/' || c == ':' || std::isspace(c) || !std::isprint(c)) {
      why = "interface name \"" + name + "\" contains a character the kernel refuses";
      return false;
    }
  }
  if (name == "." || name == "..") {
    why = "interface name \"" + name + "\" is reserved";
    return false;
  }
  return true;
}

}  // namespace policyc::lower
