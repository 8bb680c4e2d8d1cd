// SPDX-License-Identifier: Apache-2.0
#include "tests/support/network_probe.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <thread>

namespace test_support {

namespace {

using Clock = std::chrono::steady_clock;

struct Fd {
  int fd = -1;
  ~Fd() { if (fd >= 0) close(fd); }
};

bool wait_fd(int fd, short events, Clock::time_point until) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
  if (left <= 0) return false;
  pollfd p{fd, events, 0};
  return poll(&p, 1, static_cast<int>(left)) == 1;
}

// Non-blocking connect bounded by `until`; false on refusal or timeout.
bool connect_before(int fd, const sockaddr* addr, socklen_t length, Clock::time_point until) {
  if (connect(fd, addr, length) == 0) return true;
  if (errno != EINPROGRESS) return false;
  if (!wait_fd(fd, POLLOUT, until)) return false;
  int error = 0;
  socklen_t size = sizeof error;
  return getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) == 0 && error == 0;
}

}  // namespace

std::optional<std::string> http_get(const std::string& address, int port, const std::string& device,
                                    const std::string& path, std::chrono::milliseconds timeout) {
  const auto until = Clock::now() + timeout;
  sockaddr_storage storage{};
  socklen_t length = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
  if (inet_pton(AF_INET, address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    length = sizeof *v4;
  } else if (inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    length = sizeof *v6;
  } else {
    return std::nullopt;
  }
  Fd sock{socket(storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)};
  if (sock.fd < 0) return std::nullopt;
  if (!device.empty() &&
      setsockopt(sock.fd, SOL_SOCKET, SO_BINDTODEVICE, device.c_str(), static_cast<socklen_t>(device.size())) != 0) {
    return std::nullopt;  // no such interface (yet, or any more): never fall back to the default route
  }
  if (!connect_before(sock.fd, reinterpret_cast<sockaddr*>(&storage), length, until)) return std::nullopt;
  const std::string request = "GET " + path + " HTTP/1.0\r\nHost: " + address + "\r\n\r\n";
  if (send(sock.fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) return std::nullopt;
  std::string response;
  char buffer[4096];
  while (wait_fd(sock.fd, POLLIN, until)) {
    const ssize_t n = recv(sock.fd, buffer, sizeof buffer, 0);
    if (n == 0) return response;  // the server closed: the whole response is here
    if (n < 0) return std::nullopt;
    response.append(buffer, static_cast<std::size_t>(n));
  }
  return std::nullopt;
}

std::optional<std::string> wait_for_http(const std::string& address, int port, const std::string& device,
                                         std::chrono::milliseconds deadline) {
  const auto until = Clock::now() + deadline;
  while (Clock::now() < until) {
    if (auto response = http_get(address, port, device, "/", std::chrono::milliseconds(200))) return response;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return std::nullopt;
}

std::string http_body(const std::string& response) {
  const auto end = response.find("\r\n\r\n");
  return end == std::string::npos ? "" : response.substr(end + 4);
}

bool interface_exists(const std::string& ifname) {
  return access(("/sys/class/net/" + ifname).c_str(), F_OK) == 0;
}

bool wait_until_interface_gone(const std::string& ifname, std::chrono::milliseconds deadline) {
  const auto until = Clock::now() + deadline;
  while (interface_exists(ifname)) {
    if (Clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

std::string read_sys_net(const std::string& ifname, const std::string& attribute) {
  std::ifstream file("/sys/class/net/" + ifname + "/" + attribute);
  std::string value;
  std::getline(file, value);
  return value;
}

}  // namespace test_support
