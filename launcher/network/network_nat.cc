// SPDX-License-Identifier: Apache-2.0
#include "launcher/network/network_nat.h"

#include <sys/socket.h>

#include <charconv>
#include <nlohmann/json.hpp>
#include <sstream>

#include "launcher/host/error.h"

namespace launcher {

namespace {

using nlohmann::json;

std::optional<std::uint64_t> whole_number(std::string_view digits) {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return value;
}

std::string quoted_set(const std::set<std::string>& names) {
  std::string text;
  for (const auto& name : names) text += (text.empty() ? "" : ", ") + ("\"" + name + "\"");
  return text;
}

// `dnat to 10.200.0.2:80` or `dnat to [fd00::2]:80`.
std::string dnat_target(const IpAddress& container, unsigned port) {
  const std::string address = container.family == AF_INET6 ? "[" + container.to_string() + "]" : container.to_string();
  return "dnat to " + address + ":" + std::to_string(port);
}

// The match of the host side of a published port: a given address, or any local one.
std::string host_match(const plan::PublishedPort& port, const std::string& family) {
  const std::string address = port.host_address.empty() ? "fib daddr type local"
                                                        : (family == "ip6" ? "ip6" : "ip") + std::string(" daddr ") + port.host_address;
  return address + " " + port.protocol + " dport " + std::to_string(port.host_port);
}

std::set<std::string> string_elements(const json& set) {
  std::set<std::string> out;
  if (!set.contains("elem")) return out;
  for (const auto& e : set["elem"]) {
    if (e.is_string()) out.insert(e.get<std::string>());
  }
  return out;
}

std::optional<unsigned> port_of(const json& value) {
  if (value.is_number_unsigned()) return value.get<unsigned>();
  if (value.is_string()) {
    if (auto n = whole_number(value.get<std::string>())) return static_cast<unsigned>(*n);
  }
  return std::nullopt;
}

}  // namespace

std::string nat_table_name(const InstanceId& instance) {
  std::string name = kNatTablePrefix + std::to_string(instance.pid);
  if (instance.start_time) name += "_" + std::to_string(*instance.start_time);
  return name;
}

std::optional<InstanceId> instance_of_nat_table(const std::string& name) {
  if (!name.starts_with(kNatTablePrefix)) return std::nullopt;
  const std::string_view rest = std::string_view(name).substr(sizeof kNatTablePrefix - 1);
  const auto underscore = rest.find('_');
  const auto pid = whole_number(rest.substr(0, underscore));
  if (!pid || *pid == 0 || *pid > 0x7fffffff) return std::nullopt;
  InstanceId id{static_cast<pid_t>(*pid), std::nullopt};
  if (underscore != std::string_view::npos) {
    id.start_time = whole_number(rest.substr(underscore + 1));
    if (!id.start_time) return std::nullopt;
  }
  return id;
}

std::string nat_family(const IpAddress& container) { return container.family == AF_INET6 ? "ip6" : "ip"; }

std::string delete_table_command(const std::string& family, const std::string& name) {
  return "delete table " + family + " " + name + "\n";
}

std::string nat_table_commands(const NatRequest& r) {
  const std::string family = nat_family(r.container_address);
  const std::string t = family + " " + nat_table_name(r.instance);
  const std::string ip = family == "ip6" ? "ip6" : "ip";
  std::ostringstream c;
  c << "add table " << t << "\n";
  // State for other runs and for --cleanup (see the header).
  c << "add set " << t << " published { type inet_proto . inet_service; }\n";
  for (const auto& port : r.publish) c << "add element " << t << " published { " << port.protocol << " . " << port.host_port << " }\n";
  c << "add set " << t << " forwarding { type ifname; }\n";
  if (!r.forwarding.empty()) c << "add element " << t << " forwarding { " << quoted_set(r.forwarding) << " }\n";
  c << "add set " << t << " forwarding_restore { type ifname; }\n";
  if (!r.forwarding_restore.empty()) c << "add element " << t << " forwarding_restore { " << quoted_set(r.forwarding_restore) << " }\n";
  c << "add chain " << t << " prerouting { type nat hook prerouting priority dstnat; policy accept; }\n";
  c << "add chain " << t << " output { type nat hook output priority -100; policy accept; }\n";  // -100: dstnat
  c << "add chain " << t << " postrouting { type nat hook postrouting priority srcnat; policy accept; }\n";
  for (const auto& port : r.publish) {
    // prerouting: connections from other hosts and namespaces; output: from this host itself,
    // loopback included (locally made packets never pass prerouting).
    const std::string rule = host_match(port, family) + " " + dnat_target(r.container_address, port.container_port);
    c << "add rule " << t << " prerouting " << rule << "\n";
    c << "add rule " << t << " output " << rule << "\n";
  }
  if (!r.publish.empty()) {
    // What was redirected to the container leaves with the host end's address as its source, as
    // docker does for loopback: the container can always answer it (same subnet, no gateway
    // needed), and a 127.0.0.1 source could never leave the host (the host end's route_localnet,
    // set by the veth step, lets the rerouted loopback packet out at all).
    c << "add rule " << t << " postrouting oifname \"" << r.host_ifname << "\" ct status dnat masquerade\n";
  }
  if (r.outbound_nat) {
    // The container's own connections leave with the address of whichever host interface they
    // go out of (the default route's, for the world), as `docker run` does.
    c << "add rule " << t << " postrouting " << ip << " saddr " << subnet_text(r.container_address, r.container_prefix)
      << " oifname != \"" << r.host_ifname << "\" masquerade\n";
  }
  return c.str();
}

std::vector<NatTableState> parse_nat_tables(const std::string& ruleset_json) {
  json document;
  try {
    document = json::parse(ruleset_json);
  } catch (const json::exception& e) {
    throw StepError("network", std::string("read the nftables ruleset: not JSON: ") + e.what());
  }
  std::vector<NatTableState> tables;
  if (!document.contains("nftables") || !document["nftables"].is_array()) return tables;
  auto table_named = [&](const std::string& family, const std::string& name) -> NatTableState* {
    for (auto& t : tables) if (t.family == family && t.name == name) return &t;
    return nullptr;
  };
  for (const auto& item : document["nftables"]) {
    if (!item.contains("table")) continue;
    const auto& t = item["table"];
    const std::string name = t.value("name", "");
    const auto instance = instance_of_nat_table(name);
    if (instance) tables.push_back({t.value("family", ""), name, *instance, {}, {}, {}});
  }
  for (const auto& item : document["nftables"]) {
    if (!item.contains("set")) continue;
    const auto& s = item["set"];
    NatTableState* table = table_named(s.value("family", ""), s.value("table", ""));
    if (!table) continue;
    const std::string set = s.value("name", "");
    if (set == "forwarding") table->forwarding = string_elements(s);
    if (set == "forwarding_restore") table->forwarding_restore = string_elements(s);
    if (set == "published" && s.contains("elem")) {
      for (const auto& e : s["elem"]) {
        if (!e.contains("concat") || e["concat"].size() != 2 || !e["concat"][0].is_string()) continue;
        if (auto port = port_of(e["concat"][1])) table->published.emplace_back(e["concat"][0].get<std::string>(), *port);
      }
    }
  }
  return tables;
}

std::set<std::pair<std::string, unsigned>> bound_ports(const std::string& text, const std::string& protocol) {
  // "  sl  local_address rem_address   st ...": local "0100007F:1F90" (hex port), st 0A = LISTEN.
  std::set<std::pair<std::string, unsigned>> out;
  std::istringstream lines(text);
  std::string line;
  std::getline(lines, line);  // the header
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state;
    if (!(fields >> slot >> local >> remote >> state)) continue;
    const auto colon = local.rfind(':');
    if (colon == std::string::npos) continue;
    unsigned port = 0;
    const std::string hex = local.substr(colon + 1);
    if (std::from_chars(hex.data(), hex.data() + hex.size(), port, 16).ec != std::errc() || port == 0) continue;
    if (protocol == "tcp" && state != "0A") continue;
    out.emplace(protocol, port);
  }
  return out;
}

std::set<std::string> default_route_interfaces(const std::string& text) {
  // "Iface Destination Gateway Flags ... Mask": the default route has destination and mask 0.
  std::set<std::string> out;
  std::istringstream lines(text);
  std::string line;
  std::getline(lines, line);
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string iface, destination, gateway, flags, refcnt, use, metric, mask;
    if (!(fields >> iface >> destination >> gateway >> flags >> refcnt >> use >> metric >> mask)) continue;
    if (destination == "00000000" && mask == "00000000") out.insert(iface);
  }
  return out;
}

std::set<std::string> default_route_interfaces6(const std::string& text) {
  // "dest dest_len src src_len next_hop metric refcnt use flags iface"; ::/0 through a gateway.
  std::set<std::string> out;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string dest, dest_len, src, src_len, next_hop, metric, refcnt, use, flags, iface;
    if (!(fields >> dest >> dest_len >> src >> src_len >> next_hop >> metric >> refcnt >> use >> flags >> iface)) continue;
    if (dest == std::string(32, '0') && dest_len == "00" && iface != "lo") out.insert(iface);
  }
  return out;
}

}  // namespace launcher
