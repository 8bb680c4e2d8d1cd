// SPDX-License-Identifier: Apache-2.0
// Host-side observations for network tests: fetch a page over TCP, look at /sys/class/net.
// Only ever pointed at loopback or at addresses inside namespaces the test made.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace test_support {

// One HTTP/1.0 GET of `path` from address:port (IPv4 or IPv6 literal), sent only through the
// interface `device` (SO_BINDTODEVICE; e.g. the container's host-side veth end): when that
// interface does not exist the request fails instead of leaving the host by its default route
// (on CI hosts a transparent proxy may answer ANY address). Empty `device`: loopback tests only.
// Returns the whole response (head and body), or nullopt when the connection fails or times out.
std::optional<std::string> http_get(const std::string& address, int port, const std::string& device,
                                    const std::string& path = "/",
                                    std::chrono::milliseconds timeout = std::chrono::milliseconds(1000));

// Retries http_get until it answers or `deadline` passes (a server that is still starting, an
// interface not yet made).
std::optional<std::string> wait_for_http(const std::string& address, int port, const std::string& device,
                                         std::chrono::milliseconds deadline);

// The body of an HTTP response ("" when there is no blank line).
std::string http_body(const std::string& response);

bool interface_exists(const std::string& ifname);
// Polls until the interface is gone; the kernel removes the veth of a dead namespace
// asynchronously, so a test must wait rather than look once.
bool wait_until_interface_gone(const std::string& ifname, std::chrono::milliseconds deadline);
std::string read_sys_net(const std::string& ifname, const std::string& attribute);  // "" if unreadable

}  // namespace test_support
