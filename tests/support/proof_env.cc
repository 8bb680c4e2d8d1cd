// SPDX-License-Identifier: Apache-2.0
#include "tests/support/proof_env.h"

#include <dirent.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "tests/support/plan_exec_runner.h"
#include "tests/support/rootfs.h"

namespace fs = std::filesystem;

namespace proof {

void write_policy_variant(const std::string& source_pol, const std::string& out_pol,
                          const std::vector<std::pair<std::string, std::string>>& replacements) {
  std::string text = testsupport::read_text(source_pol);
  for (const auto& [from, to] : replacements) {
    std::size_t at = text.find(from);
    if (at == std::string::npos) {
      throw std::runtime_error(source_pol + " no longer contains \"" + from +
                               "\": update the proof test's replacement for it");
    }
    for (; at != std::string::npos; at = text.find(from, at + to.size())) text.replace(at, from.size(), to);
  }
  testsupport::write_text(out_pol, text);
}

void compile_policy_file(const std::string& pol, const std::string& plan) {
  const auto r = testsupport::run_process({POLICYC_BIN, pol, "-o", plan});
  if (r.exit_code != 0) throw std::runtime_error("policyc " + pol + " -o " + plan + " failed:\n" + r.summary());
}

std::string compile_hello_variant(const std::string& dir, const std::string& name, const std::string& rootfs,
                                  const std::string& subnet) {
  const std::string pol = dir + "/" + name + ".pol", plan = dir + "/" + name + ".plan";
  write_policy_variant(std::string(SOURCE_DIR) + "/policies/hello.pol", pol,
                       {{"\"/var/lib/policyc/hello\"", "\"" + rootfs + "\""},
                        {"host 10.200.0.1/24", "host " + subnet + ".1/24"},
                        {"container 10.200.0.2/24", "container " + subnet + ".2/24"}});
  compile_policy_file(pol, plan);
  return plan;
}

std::vector<pid_t> processes_with(const std::string& marker) {
  std::vector<pid_t> pids;
  DIR* proc = opendir("/proc");
  if (!proc) return pids;
  while (dirent* e = readdir(proc)) {
    const pid_t pid = atoi(e->d_name);
    if (pid <= 0) continue;
    std::ifstream in("/proc/" + std::string(e->d_name) + "/cmdline");
    std::string cmdline;
    try {
      cmdline.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    } catch (const std::exception&) {
      continue;  // the process ended while being read (ESRCH): it is not running any more
    }
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    if (cmdline.find(marker) != std::string::npos) pids.push_back(pid);
  }
  closedir(proc);
  return pids;
}

namespace {

// Depth-first walk of one cgroup hierarchy; cgroup trees are small (tens of directories here).
void walk_cgroups(const fs::path& dir, int depth, const std::string& suffix, std::vector<std::string>& found) {
  if (depth > 10) return;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::error_code type_ec;
    if (!entry.is_directory(type_ec) || entry.is_symlink(type_ec)) continue;
    const std::string name = entry.path().filename().string();
    const bool ours = name.starts_with("plan-exec") ||
                      (!suffix.empty() && name.size() > suffix.size() && name.ends_with(suffix));
    if (ours) found.push_back(entry.path().string());
    walk_cgroups(entry.path(), depth + 1, suffix, found);
  }
}

std::string read_first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

void add_network_leftovers(pid_t pid, const testsupport::HostState& before, const testsupport::HostState& now,
                           std::vector<std::string>& out) {
  const std::string host_end = "pe-" + std::to_string(pid), alias = "plan-exec:" + std::to_string(pid);
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/sys/class/net", ec)) {
    const std::string name = entry.path().filename().string();
    // The alias is "plan-exec:<pid>" or "plan-exec:<pid>:<start time>".
    const std::string ifalias = read_first_line(entry.path().string() + "/ifalias");
    if (name == host_end || ifalias == alias || ifalias.starts_with(alias + ":")) {
      out.push_back("veth " + name + " (ifalias \"" + ifalias + "\")");
    }
  }
  for (const auto& ns : testsupport::new_entries(before.netns, now.netns)) out.push_back("netns /run/netns/" + ns);
}

}  // namespace

std::vector<std::string> cgroup_dirs(const std::string& suffix) {
  std::vector<std::string> found;
  walk_cgroups("/sys/fs/cgroup", 0, suffix, found);
  return found;
}

Baseline baseline() { return Baseline{testsupport::snapshot_host(), cgroup_dirs()}; }

std::vector<std::string> leftovers(const InstanceTraces& traces, const Baseline& before) {
  std::vector<std::string> out;
  const auto now = testsupport::snapshot_host();
  if (traces.plan_exec_pid > 0) add_network_leftovers(traces.plan_exec_pid, before.host, now, out);
  const std::string leaf_suffix = traces.plan_exec_pid > 0 ? "-" + std::to_string(traces.plan_exec_pid) : "";
  for (const auto& dir : cgroup_dirs(leaf_suffix)) {
    const bool ours = !leaf_suffix.empty() && dir.ends_with(leaf_suffix);
    const auto& known = before.plan_exec_cgroups;
    const bool new_parent = std::find(known.begin(), known.end(), dir) == known.end();
    if (ours || new_parent) out.push_back("cgroup " + dir);
  }
  // Its rootfs and mounts (under the test's scratch dir), and the rootfs cache (/tmp/plan-exec-*).
  for (const std::string& needle : {traces.mount_needle, std::string("plan-exec")}) {
    if (needle.empty()) continue;
    for (const auto& m : testsupport::new_entries(before.host.mounts, now.mounts, needle)) {
      out.push_back("mount " + m);
    }
  }
  if (!traces.process_marker.empty()) {
    for (pid_t pid : processes_with(traces.process_marker)) out.push_back("process " + std::to_string(pid));
  }
  return out;
}

std::vector<std::string> wait_for_no_leftovers(const InstanceTraces& traces, const Baseline& before,
                                               std::chrono::milliseconds deadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    auto found = leftovers(traces, before);
    if (found.empty() || std::chrono::steady_clock::now() >= until) return found;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::string lines(const std::vector<std::string>& items) {
  if (items.empty()) return "(none)\n";
  std::string text;
  for (const auto& item : items) text += item + "\n";
  return text;
}

}  // namespace proof
