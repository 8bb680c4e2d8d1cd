// SPDX-License-Identifier: Apache-2.0
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
#include <set>
#include <sstream>

#include "plan/syscall_table.h"

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

// ---- what libseccomp 2.5.4 cannot say, added the way runc patches its filters ----------------
// Docker with a libseccomp that knows the kernel headers' names (mseal, listmount...) places
// them like any other; and runc answers numbers newer than the syscall table with ENOSYS when
// the default action refuses. Both as checks in front of libseccomp's program, one self-contained
// block per number or range (slow, and simple enough to be obviously right).

constexpr std::uint32_t kX32Bit = 0x40000000U;
constexpr std::uint32_t kEnosysRet = SCMP_ACT_ERRNO(ENOSYS);

struct Extra {
  std::uint32_t arch;  // AUDIT_ARCH_*
  std::uint32_t lo, hi;
  std::uint32_t ret;
};

std::uint32_t highest(plan::SyscallAbi abi, std::uint32_t token, std::uint32_t lo, std::uint32_t hi) {
  std::uint32_t top = lo;
  for (const plan::SyscallEntry& e : plan::syscall_table(abi)) {
    if (e.nr >= lo && e.nr <= hi) top = std::max(top, e.nr);
  }
  for (std::uint32_t nr = lo; nr <= std::min(hi, lo + 1023); ++nr) {
    char* name = seccomp_syscall_resolve_num_arch(token, static_cast<int>(nr));
    if (name) top = std::max(top, nr);
    std::free(name);
  }
  return top;
}

void add_enosys_ranges(bool x32, bool i386, std::vector<Extra>& out) {
  out.push_back({SCMP_ARCH_X86_64, highest(plan::SyscallAbi::X86_64, SCMP_ARCH_X86_64, 0, kX32Bit - 1) + 1, kX32Bit - 1,
                 kEnosysRet});
  if (x32) {  // new calls join the block x86_64 and x32 share, below x32's own 512..547
    out.push_back({SCMP_ARCH_X86_64, highest(plan::SyscallAbi::X32, SCMP_ARCH_X32, kX32Bit, kX32Bit + 511) + 1,
                   kX32Bit + 511, kEnosysRet});
    out.push_back({SCMP_ARCH_X86_64, highest(plan::SyscallAbi::X32, SCMP_ARCH_X32, kX32Bit, 0xfffffffeU) + 1,
                   0xfffffffeU, kEnosysRet});
  }
  if (i386) {
    out.push_back({SCMP_ARCH_X86, highest(plan::SyscallAbi::I386, SCMP_ARCH_X86, 0, 0xfffffffeU) + 1, 0xfffffffeU,
                   kEnosysRet});
  }
}

// Profiles name syscalls by name, so every placed number is at most the table's highest: the
// ENOSYS ranges never hold one.
std::vector<sock_filter> extra_checks(const std::vector<Extra>& extras) {
  std::vector<sock_filter> out;
  auto add = [&](std::uint16_t code, std::uint32_t k, std::uint8_t jt = 0, std::uint8_t jf = 0) {
    out.push_back({code, jt, jf, k});
  };
  for (const Extra& e : extras) {
    add(BPF_LD | BPF_W | BPF_ABS, 4);  // arch
    add(BPF_JMP | BPF_JEQ | BPF_K, e.arch, 0, 4);
    add(BPF_LD | BPF_W | BPF_ABS, 0);  // nr
    add(BPF_JMP | BPF_JGE | BPF_K, e.lo, 0, 2);
    add(BPF_JMP | BPF_JGT | BPF_K, e.hi, 1, 0);
    add(BPF_RET | BPF_K, e.ret);
  }
  return out;
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
  const bool x32 = std::find(arches.begin(), arches.end(), "SCMP_ARCH_X32") != arches.end();
  const bool i386 = std::find(arches.begin(), arches.end(), "SCMP_ARCH_X86") != arches.end();
  std::vector<Extra> extras;
  std::set<std::uint64_t> named;  // (audit arch << 32) | nr of every syscall placed in `extras`
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
      if (nr == __NR_SCMP_ERROR) {  // newer than libseccomp: placed as a newer libseccomp would
        const auto table_nr = plan::syscall_number(plan::SyscallAbi::X86_64, name);
        if (!table_nr) continue;  // runc: unknown to libseccomp, ignored
        if (!conditions.empty()) { *error = "a condition on " + name + ", which libseccomp does not know"; return std::nullopt; }
        const std::pair<plan::SyscallAbi, std::uint32_t> abis[] = {
            {plan::SyscallAbi::X86_64, SCMP_ARCH_X86_64}, {plan::SyscallAbi::X32, x32 ? SCMP_ARCH_X86_64 : 0},
            {plan::SyscallAbi::I386, i386 ? SCMP_ARCH_X86 : 0}};
        for (const auto& [abi, arch] : abis) {
          const auto abi_nr = plan::syscall_number(abi, name);
          if (arch == 0 || !abi_nr || named.count((std::uint64_t{arch} << 32) | *abi_nr)) continue;
          extras.push_back({arch, *abi_nr, *abi_nr, *action});
          named.insert((std::uint64_t{arch} << 32) | *abi_nr);
        }
        continue;
      }
      int rc = seccomp_rule_add_array(ctx.get(), *action, nr, static_cast<unsigned>(conditions.size()),
                                      conditions.empty() ? nullptr : conditions.data());
      if (rc != 0) {
        *error = "seccomp_rule_add(" + name + "): " + std::strerror(-rc);
        return std::nullopt;
      }
    }
  }
  std::optional<std::vector<sock_filter>> program = export_bpf(ctx.get(), error);
  if (!program) return std::nullopt;
  if (*default_action != SCMP_ACT_ALLOW && *default_action != SCMP_ACT_LOG) add_enosys_ranges(x32, i386, extras);
  std::vector<sock_filter> checks = extra_checks(extras);
  program->insert(program->begin(), checks.begin(), checks.end());
  return program;
}

}  // namespace testsupport
