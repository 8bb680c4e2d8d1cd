// SPDX-License-Identifier: Apache-2.0
// libseccomp_compile PROFILE.json [OUT.bpf]: the baseline of the "policyc compile time" row in
// bench/run. Does what runc does with a Docker seccomp profile, with libseccomp alone: reads the
// JSON, keeps the rules Docker's default capabilities and amd64 select (includes/excludes by caps
// and arch), adds them for x86_64, x86 and x32 (Docker's arches on amd64), and exports the BPF
// (optimize=2, the binary tree runc asks for). policyc's row does the same work from the same
// JSON (parse, check, lower, generate, write a plan), so the ratio is policyc's whole-process
// cost against libseccomp's.
#include <seccomp.h>

#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

using nlohmann::json;

const std::set<std::string> kDockerCaps = {"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER",
                                           "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID",
                                           "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
                                           "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"};

bool any_in(const json& filter, const char* key, const std::set<std::string>& have) {
  if (!filter.contains(key)) return false;
  for (const auto& item : filter[key]) {
    if (have.count(item.get<std::string>())) return true;
  }
  return false;
}

bool all_in(const json& filter, const char* key, const std::set<std::string>& have) {
  if (!filter.contains(key)) return true;
  for (const auto& item : filter[key]) {
    if (!have.count(item.get<std::string>())) return false;
  }
  return true;
}

bool selected(const json& rule) {
  const std::set<std::string> arches = {"amd64", "x86_64", "SCMP_ARCH_X86_64"};
  if (rule.contains("includes")) {
    const json& in = rule["includes"];
    if (!all_in(in, "caps", kDockerCaps)) return false;
    if (in.contains("arches") && !any_in(in, "arches", arches)) return false;
  }
  if (rule.contains("excludes")) {
    const json& ex = rule["excludes"];
    if (any_in(ex, "caps", kDockerCaps) || any_in(ex, "arches", arches)) return false;
  }
  return true;
}

std::uint32_t action_of(const json& rule) {
  const std::string name = rule["action"];
  const unsigned errno_ret = rule.contains("errnoRet") ? rule["errnoRet"].get<unsigned>() : 1;
  if (name == "SCMP_ACT_ALLOW") return SCMP_ACT_ALLOW;
  if (name == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(errno_ret);
  if (name == "SCMP_ACT_KILL" || name == "SCMP_ACT_KILL_THREAD") return SCMP_ACT_KILL;
  if (name == "SCMP_ACT_KILL_PROCESS") return SCMP_ACT_KILL_PROCESS;
  if (name == "SCMP_ACT_TRAP") return SCMP_ACT_TRAP;
  if (name == "SCMP_ACT_LOG") return SCMP_ACT_LOG;
  return SCMP_ACT_ERRNO(errno_ret);
}

scmp_compare op_of(const std::string& op) {
  if (op == "SCMP_CMP_NE") return SCMP_CMP_NE;
  if (op == "SCMP_CMP_LT") return SCMP_CMP_LT;
  if (op == "SCMP_CMP_LE") return SCMP_CMP_LE;
  if (op == "SCMP_CMP_GT") return SCMP_CMP_GT;
  if (op == "SCMP_CMP_GE") return SCMP_CMP_GE;
  if (op == "SCMP_CMP_MASKED_EQ") return SCMP_CMP_MASKED_EQ;
  return SCMP_CMP_EQ;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: libseccomp_compile PROFILE.json [OUT.bpf]\n");
    return 2;
  }
  std::ifstream in(argv[1]);
  std::stringstream text;
  text << in.rdbuf();
  const json profile = json::parse(text.str());
  const unsigned default_errno = profile.contains("defaultErrnoRet") ? profile["defaultErrnoRet"].get<unsigned>() : 1;
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(default_errno));
  if (!ctx) return 1;
  seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
  seccomp_arch_add(ctx, SCMP_ARCH_X86);
  seccomp_arch_add(ctx, SCMP_ARCH_X32);
  for (const json& rule : profile["syscalls"]) {
    if (!selected(rule)) continue;
    std::vector<scmp_arg_cmp> args;
    if (rule.contains("args") && rule["args"].is_array()) {
      for (const json& a : rule["args"]) {
        args.push_back({a["index"].get<unsigned>(), op_of(a["op"]), a.value("value", std::uint64_t{0}),
                        a.value("valueTwo", std::uint64_t{0})});
      }
    }
    for (const json& name : rule["names"]) {
      const int nr = seccomp_syscall_resolve_name(name.get<std::string>().c_str());
      if (nr == __NR_SCMP_ERROR) continue;
      seccomp_rule_add_array(ctx, action_of(rule), nr, static_cast<unsigned>(args.size()), args.data());
    }
  }
  const int fd = open(argc > 2 ? argv[2] : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  const int rc = seccomp_export_bpf(ctx, fd);
  close(fd);
  seccomp_release(ctx);
  return rc == 0 ? 0 : 1;
}
