// SPDX-License-Identifier: Apache-2.0
#include "launcher/network/network_dns.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <sstream>

#include "launcher/host/error.h"
#include "launcher/host/safe_path.h"
#include "launcher/network/network_address.h"

namespace launcher {

namespace {

bool loopback_server(const std::string& address) {
  const auto ip = parse_ip(address);
  if (!ip) return false;
  return ip->family == AF_INET ? ip->bytes[0] == 127 : address == "::1";
}

}  // namespace

std::string resolv_conf_text(const std::string& dns, const std::string& host_text) {
  if (dns != "host") return "nameserver " + dns + "\n";
  std::istringstream lines(host_text);
  std::string out;
  bool any_server = false;
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string key, value;
    words >> key >> value;
    if (key == "nameserver") {
      if (loopback_server(value)) continue;
      any_server = true;
    }
    out += line + "\n";
  }
  if (!any_server) {
    throw StepError("network", "dns host: the host's /etc/resolv.conf names no name server the container can reach "
                               "(loopback ones such as systemd-resolved's 127.0.0.53 are not reachable from it); "
                               "give one in the policy, e.g. dns \"192.0.2.53\"");
  }
  return "# the host's /etc/resolv.conf (plan-exec: dns host), loopback servers left out\n" + out;
}

void write_resolv_conf(Kernel& kernel, const std::string& root, const std::string& text) {
  Fd file = make_in_root(kernel, root, "/etc/resolv.conf", false, "dns");
  const std::string where = join_root(root, "/etc/resolv.conf");
  const int fd = ::open(fd_path(file).c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) throw StepError("dns", "open " + where + " to write the container's name servers", errno);
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const int err = errno;
  ::close(fd);
  if (!written) throw StepError("dns", "write " + where, err);
}

}  // namespace launcher
