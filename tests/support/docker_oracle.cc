#include "tests/support/docker_oracle.h"

#include <seccomp.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <sstream>

namespace testsupport {
namespace {

using nlohmann::json;

const std::vector<std::string> kDockerDefaultCaps = {
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
    "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
    "CAP_AUDIT_WRITE"};
const char* const kGoArch = "amd64";  // what Docker compares includes/excludes.arches with

bool has(const json& list, const std::string& item) {
  if (!list.is_array()) return false;
  for (const auto& x : list) if (x.is_string() && x.get<std::string>() == item) return true;
  return false;
}

std::vector<int> version(const std::string& text) {
  std::vector<int> out;
  std::istringstream in(text);
  int n = 0;
  char dot = 0;
  while (in >> n) {
    out.push_back(n);
    if (!(in >> dot) || dot != '.') break;
  }
  return out;
}

bool at_least(const std::string& have, const std::string& want) {
  auto h = version(have), w = version(want);
  h.resize(3, 0);
  w.resize(3, 0);
  return h >= w;
}

// moby profiles/seccomp/seccomp_linux.go: excludes first, then includes.
bool selected(const json& call, const std::vector<std::string>& caps, const std::string& kernel) {
  auto holds = [&](const std::string& cap) { return std::find(caps.begin(), caps.end(), cap) != caps.end(); };
  if (call.contains("excludes") && call["excludes"].is_object()) {
    const json& ex = call["excludes"];
    if (has(ex.value("arches", json::array()), kGoArch)) return false;
    if (ex.contains("caps") && ex["caps"].is_array()) for (const auto& c : ex["caps"]) if (holds(c)) return false;
    if (ex.contains("minKernel") && ex["minKernel"].is_string() && at_least(kernel, ex["minKernel"])) return false;
  }
  if (call.contains("includes") && call["includes"].is_object()) {
    const json& in = call["includes"];
    if (in.contains("arches") && in["arches"].is_array() && !in["arches"].empty() && !has(in["arches"], kGoArch)) return false;
    if (in.contains("caps") && in["caps"].is_array()) for (const auto& c : in["caps"]) if (!holds(c)) return false;
    if (in.contains("minKernel") && in["minKernel"].is_string() && !at_least(kernel, in["minKernel"])) return false;
  }
  return true;
}

// runc's getAction: ERRNO/TRACE without errnoRet mean EPERM.
std::optional<std::uint32_t> action_of(const std::string& name, const json& errno_ret) {
  std::uint32_t data = errno_ret.is_number() ? errno_ret.get<std::uint32_t>() : EPERM;
  if (name == "SCMP_ACT_ALLOW") return SCMP_ACT_ALLOW;
  if (name == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(data);
  if (name == "SCMP_ACT_KILL" || name == "SCMP_ACT_KILL_THREAD") return SCMP_ACT_KILL_THREAD;
  if (name == "SCMP_ACT_KILL_PROCESS") return SCMP_ACT_KILL_PROCESS;
  if (name == "SCMP_ACT_TRAP") return SCMP_ACT_TRAP;
  if (name == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE(data);
  if (name == "SCMP_ACT_LOG") return SCMP_ACT_LOG;
  if (name == "SCMP_ACT_NOTIFY") return SCMP_ACT_NOTIFY;
  return std::nullopt;
}

std::optional<scmp_compare> op_of(const std::string& name) {
  if (name == "SCMP_CMP_EQ") return SCMP_CMP_EQ;
  if (name == "SCMP_CMP_NE") return SCMP_CMP_NE;
  if (name == "SCMP_CMP_LT") return SCMP_CMP_LT;
  if (name == "SCMP_CMP_LE") return SCMP_CMP_LE;
  if (name == "SCMP_CMP_GT") return SCMP_CMP_GT;
  if (name == "SCMP_CMP_GE") return SCMP_CMP_GE;
  if (name == "SCMP_CMP_MASKED_EQ") return SCMP_CMP_MASKED_EQ;
  return std::nullopt;
}

// errnoRet, or the containers/common symbolic errno.
json errno_field(const json& object, const char* number_key, const char* name_key) {
  if (object.contains(number_key) && object[number_key].is_number()) return object[number_key];
  if (object.contains(name_key) && object[name_key].is_string()) {
    std::string name = object[name_key];
    for (int e = 1; e < 200; ++e) {
      const char* known = strerrorname_np(e);
      if (known && name == known) return e;
    }
  }
  return nullptr;
}

std::optional<std::vector<sock_filter>> export_bpf(scmp_filter_ctx ctx, std::string* error) {
  int fd = memfd_create("oracle-bpf", MFD_CLOEXEC);
  if (fd < 0 || seccomp_export_bpf(ctx, fd) != 0) {
    if (fd >= 0) close(fd);
    *error = "seccomp_export_bpf failed";
    return std::nullopt;
  }
  off_t size = lseek(fd, 0, SEEK_END);
  std::vector<sock_filter> program(static_cast<std::size_t>(size) / sizeof(sock_filter));
  ssize_t got = pread(fd, program.data(), static_cast<std::size_t>(size), 0);
  close(fd);
  if (got != size) { *error = "short read of the exported BPF"; return std::nullopt; }
  return program;
}

}  // namespace

std::optional<std::vector<sock_filter>> compile_docker_profile(const std::string& json_text,
                                                               const DockerOracleOptions& options,
                                                               std::string* error) {
  json profile = json::parse(json_text);
  std::vector<std::string> caps = options.caps.empty() ? kDockerDefaultCaps : options.caps;
  std::string kernel = options.kernel;
  if (kernel.empty()) { utsname u{}; uname(&u); kernel = u.release; }

  auto default_action = action_of(profile.value("defaultAction", ""), errno_field(profile, "defaultErrnoRet", "defaultErrno"));
  if (!default_action) { *error = "bad defaultAction"; return std::nullopt; }
  std::unique_ptr<void, void (*)(scmp_filter_ctx)> ctx(seccomp_init(*default_action), seccomp_release);

  std::vector<std::string> arches;
  if (profile.contains("archMap") && profile["archMap"].is_array()) {
    for (const auto& entry : profile["archMap"]) {
      if (entry.value("architecture", "") != "SCMP_ARCH_X86_64") continue;
      arches.push_back(entry["architecture"]);
      for (const auto& sub : entry.value("subArchitectures", json::array())) arches.push_back(sub);
    }
  }
  for (const auto& a : profile.value("architectures", json::array())) arches.push_back(a);
  for (const auto& a : arches) {
    std::uint32_t token = a == "SCMP_ARCH_X86" ? SCMP_ARCH_X86 : a == "SCMP_ARCH_X32" ? SCMP_ARCH_X32 : 0;
    if (token != 0 && seccomp_arch_add(ctx.get(), token) != 0) { *error = "seccomp_arch_add " + a; return std::nullopt; }
  }

  for (const auto& call : profile.value("syscalls", json::array())) {
    if (!selected(call, caps, kernel)) continue;
    auto action = action_of(call.value("action", ""), errno_field(call, "errnoRet", "errno"));
    if (!action) { *error = "bad action " + call.dump(); return std::nullopt; }
    if (*action == *default_action) continue;  // runc: libseccomp refuses these
    std::vector<scmp_arg_cmp> conditions;
    if (call.contains("args") && call["args"].is_array()) {
      for (const auto& arg : call["args"]) {
        auto op = op_of(arg.value("op", ""));
        if (!op) { *error = "bad op " + arg.dump(); return std::nullopt; }
        conditions.push_back({arg.value("index", 0u), *op, arg.value("value", std::uint64_t{0}),
                              arg.value("valueTwo", std::uint64_t{0})});
      }
    }
    std::vector<std::string> names;
    if (call.contains("name") && call["name"].is_string()) names.push_back(call["name"]);
    for (const auto& n : call.value("names", json::array())) names.push_back(n);
    for (const auto& name : names) {
      int nr = seccomp_syscall_resolve_name(name.c_str());
      if (nr == __NR_SCMP_ERROR) continue;  // runc: unknown to libseccomp, ignored
      int rc = seccomp_rule_add_array(ctx.get(), *action, nr, static_cast<unsigned>(conditions.size()),
                                      conditions.empty() ? nullptr : conditions.data());
      if (rc != 0) {
        *error = "seccomp_rule_add(" + name + "): " + std::strerror(-rc);
        return std::nullopt;
      }
    }
  }
  return export_bpf(ctx.get(), error);
}

}  // namespace testsupport
