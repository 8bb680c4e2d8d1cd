// SPDX-License-Identifier: Apache-2.0
// NetlinkOps through libnl-route-3. Each call opens its own socket (see network_netlink.h: a
// socket is bound to the net namespace it was created in), frees every libnl object through
// RAII holders, and turns libnl error codes into StepError messages that say what was tried.
#include "launcher/network/network_netlink.h"

#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "launcher/host/error.h"

namespace launcher {

namespace {

template <typename T, void (*Free)(T*)>
struct Freer {
  void operator()(T* p) const { if (p) Free(p); }
};
using Socket = std::unique_ptr<nl_sock, Freer<nl_sock, nl_socket_free>>;
using Cache = std::unique_ptr<nl_cache, Freer<nl_cache, nl_cache_free>>;
using Link = std::unique_ptr<rtnl_link, Freer<rtnl_link, rtnl_link_put>>;
using Veth = std::unique_ptr<rtnl_link, Freer<rtnl_link, rtnl_link_veth_release>>;
using Addr = std::unique_ptr<rtnl_addr, Freer<rtnl_addr, rtnl_addr_put>>;
using NlAddr = std::unique_ptr<nl_addr, Freer<nl_addr, nl_addr_put>>;
using Route = std::unique_ptr<rtnl_route, Freer<rtnl_route, rtnl_route_put>>;

// libnl returns -NLE_*; the text names the libnl error, since errno is not kept.
[[noreturn]] void fail(const std::string& what, int nl_error) {
  throw StepError("network", what + ": " + nl_geterror(nl_error));
}

Socket connect_route_socket() {
  Socket sock(nl_socket_alloc());
  if (!sock) throw StepError("network", "allocate a netlink socket: out of memory", ENOMEM);
  if (int err = nl_connect(sock.get(), NETLINK_ROUTE); err < 0) fail("connect a NETLINK_ROUTE socket", err);
  return sock;
}

// Brings `ifname` up with one RTM_NEWLINK request (by name, IFF_UP in ifi_change) and its ack:
// the start path of every `network loopback` run, so no libnl look-up round trip, object
// parsing or socket options (4 syscalls instead of about 12).
void set_link_up_by_name(const std::string& ifname) {
  const std::string what = "bring interface " + ifname + " up";
  if (ifname.empty() || ifname.size() >= IFNAMSIZ) throw StepError("network", what + ": invalid interface name", EINVAL);
  struct Request {
    nlmsghdr header;
    ifinfomsg info;
    char attributes[RTA_SPACE(IFNAMSIZ)];
  } request{};
  rtattr* name = reinterpret_cast<rtattr*>(request.attributes);
  name->rta_type = IFLA_IFNAME;
  name->rta_len = static_cast<unsigned short>(RTA_LENGTH(ifname.size() + 1));
  std::memcpy(RTA_DATA(name), ifname.c_str(), ifname.size() + 1);
  request.header.nlmsg_len = static_cast<__u32>(NLMSG_LENGTH(sizeof(ifinfomsg)) + RTA_ALIGN(name->rta_len));
  request.header.nlmsg_type = RTM_NEWLINK;
  request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  request.header.nlmsg_seq = 1;
  request.info.ifi_family = AF_UNSPEC;
  request.info.ifi_flags = IFF_UP;
  request.info.ifi_change = IFF_UP;

  const int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) throw StepError("network", what + ": open a NETLINK_ROUTE socket", errno);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  int err = 0;
  if (::sendto(fd, &request, request.header.nlmsg_len, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0) {
    err = errno;
  } else {
    alignas(nlmsghdr) char reply[1024];
    ssize_t n;
    do {
      n = ::recv(fd, reply, sizeof reply, 0);
    } while (n < 0 && errno == EINTR);
    const auto* header = reinterpret_cast<const nlmsghdr*>(reply);
    if (n < 0) {
      err = errno;
    } else if (!NLMSG_OK(header, static_cast<unsigned>(n)) || header->nlmsg_type != NLMSG_ERROR ||
               header->nlmsg_len < NLMSG_LENGTH(sizeof(nlmsgerr))) {
      err = EPROTO;  // not the ack we asked for
    } else {
      // NLMSG_DATA, without its C cast.
      err = -reinterpret_cast<const nlmsgerr*>(reinterpret_cast<const char*>(header) + NLMSG_HDRLEN)->error;  // 0: done
    }
  }
  ::close(fd);
  if (err != 0) throw StepError("network", what, err);
}

NlAddr to_nl_addr(const IpAddress& address, int prefix) {
  const std::size_t length = address.family == AF_INET ? 4 : 16;
  NlAddr out(nl_addr_build(address.family, address.bytes.data(), length));
  if (!out) throw StepError("network", "build a netlink address for " + address.to_string() + ": out of memory", ENOMEM);
  nl_addr_set_prefixlen(out.get(), prefix);
  return out;
}

int ifindex_of(nl_sock* sock, const std::string& ifname, const std::string& purpose) {
  rtnl_link* raw = nullptr;
  if (int err = rtnl_link_get_kernel(sock, 0, ifname.c_str(), &raw); err < 0) {
    fail("find interface " + ifname + " to " + purpose, err);
  }
  Link link(raw);
  return rtnl_link_get_ifindex(link.get());
}

// The kernel would create the "container" end in our own namespace if the child shared it,
// clashing with the host's interfaces: refuse instead, with the reason.
void require_own_net_namespace(pid_t child) {
  struct stat ours {}, theirs {};
  const std::string path = "/proc/" + std::to_string(child) + "/ns/net";
  if (stat("/proc/self/ns/net", &ours) != 0) throw StepError("network", "stat /proc/self/ns/net", errno);
  if (stat(path.c_str(), &theirs) != 0) throw StepError("network", "stat " + path + " (is the container process alive?)", errno);
  if (ours.st_ino == theirs.st_ino && ours.st_dev == theirs.st_dev) {
    throw StepError("network", "process " + std::to_string(child) +
                                   " shares the host's net namespace: the plan must list the net namespace for a veth");
  }
}

std::vector<IpAddress> addresses_of(nl_cache* addrs, int ifindex) {
  std::vector<IpAddress> out;
  for (nl_object* o = nl_cache_get_first(addrs); o; o = nl_cache_get_next(o)) {
    auto* addr = reinterpret_cast<rtnl_addr*>(o);
    if (rtnl_addr_get_ifindex(addr) != ifindex) continue;
    const nl_addr* local = rtnl_addr_get_local(addr);
    if (!local) continue;
    const int family = nl_addr_get_family(local);
    if (family != AF_INET && family != AF_INET6) continue;
    IpAddress ip;
    ip.family = family;
    const unsigned length = std::min<unsigned>(nl_addr_get_len(local), ip.bytes.size());
    std::memcpy(ip.bytes.data(), nl_addr_get_binary_addr(local), length);
    out.push_back(ip);
  }
  return out;
}

class LibnlOps final : public NetlinkOps {
 public:
  std::vector<HostInterface> interfaces() override {
    Socket sock = connect_route_socket();
    nl_cache* raw_links = nullptr;
    nl_cache* raw_addrs = nullptr;
    if (int err = rtnl_link_alloc_cache(sock.get(), AF_UNSPEC, &raw_links); err < 0) fail("list network interfaces", err);
    Cache links(raw_links);
    if (int err = rtnl_addr_alloc_cache(sock.get(), &raw_addrs); err < 0) fail("list interface addresses", err);
    Cache addrs(raw_addrs);
    std::vector<HostInterface> out;
    for (nl_object* o = nl_cache_get_first(links.get()); o; o = nl_cache_get_next(o)) {
      auto* link = reinterpret_cast<rtnl_link*>(o);
      HostInterface iface;
      iface.name = rtnl_link_get_name(link) ? rtnl_link_get_name(link) : "";
      iface.kind = rtnl_link_get_type(link) ? rtnl_link_get_type(link) : "";
      iface.alias = rtnl_link_get_ifalias(link) ? rtnl_link_get_ifalias(link) : "";
      iface.addresses = addresses_of(addrs.get(), rtnl_link_get_ifindex(link));
      out.push_back(std::move(iface));
    }
    return out;
  }

  void create_veth(const VethRequest& request) override {
    require_own_net_namespace(request.container_pid);
    Socket sock = connect_route_socket();
    Veth link(rtnl_link_veth_alloc());
    if (!link) throw StepError("network", "allocate a veth link: out of memory", ENOMEM);
    Link peer_ref(rtnl_link_veth_get_peer(link.get()));  // get_peer takes a reference
    rtnl_link* peer = peer_ref.get();
    rtnl_link_set_name(link.get(), request.host_ifname.c_str());
    rtnl_link_set_name(peer, request.container_ifname.c_str());
    // The peer is born in the container's namespace: it never exists on the host under its
    // container name, so "eth0" inside cannot clash with the host's eth0.
    rtnl_link_set_ns_pid(peer, request.container_pid);
    if (request.mtu != 0) {
      rtnl_link_set_mtu(link.get(), request.mtu);
      rtnl_link_set_mtu(peer, request.mtu);
    }
    if (int err = rtnl_link_add(sock.get(), link.get(), NLM_F_CREATE | NLM_F_EXCL); err < 0) {
      fail("create veth pair " + request.host_ifname + " <-> " + request.container_ifname +
               " (in the net namespace of pid " + std::to_string(request.container_pid) + ")",
           err);
    }
  }

  void set_up(const std::string& ifname, const std::string& alias) override {
    if (alias.empty()) return set_link_up_by_name(ifname);
    Socket sock = connect_route_socket();
    rtnl_link* raw = nullptr;
    if (int err = rtnl_link_get_kernel(sock.get(), 0, ifname.c_str(), &raw); err < 0) {
      fail("find interface " + ifname + " to bring it up", err);
    }
    Link current(raw);
    Link change(rtnl_link_alloc());
    rtnl_link_set_flags(change.get(), IFF_UP);
    if (!alias.empty()) rtnl_link_set_ifalias(change.get(), alias.c_str());
    if (int err = rtnl_link_change(sock.get(), current.get(), change.get(), 0); err < 0) {
      fail("bring interface " + ifname + " up", err);
    }
  }

  void add_address(const std::string& ifname, const IpAddress& address, unsigned prefix) override {
    Socket sock = connect_route_socket();
    const int ifindex = ifindex_of(sock.get(), ifname, "add address " + address.to_string());
    Addr addr(rtnl_addr_alloc());
    NlAddr local = to_nl_addr(address, static_cast<int>(prefix));
    rtnl_addr_set_ifindex(addr.get(), ifindex);
    rtnl_addr_set_family(addr.get(), address.family);
    rtnl_addr_set_prefixlen(addr.get(), static_cast<int>(prefix));
    rtnl_addr_set_local(addr.get(), local.get());
    // IPv6 duplicate address detection keeps the address "tentative" (unusable) for about a
    // second; the link is a private point-to-point pair, so there is nothing to detect.
    if (address.family == AF_INET6) rtnl_addr_set_flags(addr.get(), IFA_F_NODAD);
    if (int err = rtnl_addr_add(sock.get(), addr.get(), NLM_F_CREATE | NLM_F_EXCL); err < 0) {
      fail("add address " + address.to_string() + "/" + std::to_string(prefix) + " to " + ifname, err);
    }
  }

  void add_default_route(const std::string& ifname, const IpAddress& gateway) override {
    Socket sock = connect_route_socket();
    const int ifindex = ifindex_of(sock.get(), ifname, "add the default route");
    Route route(rtnl_route_alloc());
    IpAddress any;
    any.family = gateway.family;
    NlAddr dst = to_nl_addr(any, 0);
    NlAddr via = to_nl_addr(gateway, gateway.family == AF_INET ? 32 : 128);
    rtnl_route_set_family(route.get(), static_cast<std::uint8_t>(gateway.family));
    rtnl_route_set_dst(route.get(), dst.get());
    rtnl_route_set_table(route.get(), RT_TABLE_MAIN);
    rtnl_route_set_protocol(route.get(), RTPROT_BOOT);
    rtnl_route_set_scope(route.get(), RT_SCOPE_UNIVERSE);
    rtnl_route_set_type(route.get(), RTN_UNICAST);
    rtnl_nexthop* hop = rtnl_route_nh_alloc();  // owned by the route once added
    rtnl_route_nh_set_ifindex(hop, ifindex);
    rtnl_route_nh_set_gateway(hop, via.get());
    rtnl_route_add_nexthop(route.get(), hop);
    if (int err = rtnl_route_add(sock.get(), route.get(), NLM_F_CREATE | NLM_F_EXCL); err < 0) {
      fail("add default route via " + gateway.to_string() + " dev " + ifname, err);
    }
  }

  void disable_ipv4_forwarding(const std::string& ifname) override {
    const std::string path = "/proc/sys/net/ipv4/conf/" + ifname + "/forwarding";
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) throw StepError("network", "open " + path + " to turn forwarding off on the host end", errno);
    const bool written = ::write(fd, "0\n", 2) == 2;
    const int err = errno;
    ::close(fd);
    if (!written) throw StepError("network", "write 0 to " + path, err);
  }

  bool delete_link(const std::string& ifname) override {
    Socket sock = connect_route_socket();
    Link link(rtnl_link_alloc());
    rtnl_link_set_name(link.get(), ifname.c_str());
    const int err = rtnl_link_delete(sock.get(), link.get());
    if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV) return false;
    if (err < 0) fail("delete interface " + ifname, err);
    return true;
  }
};

}  // namespace

std::unique_ptr<NetlinkOps> make_netlink_ops() { return std::make_unique<LibnlOps>(); }

}  // namespace launcher
