// SPDX-License-Identifier: Apache-2.0
#include "launcher/supervisor/learn.h"

#include <linux/seccomp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "launcher/supervisor/call_format.h"
#include "launcher/supervisor/syscall_names.h"
#include "plan/bpf_interp.h"
#include "plan/source_map.h"

namespace launcher {

namespace {

constexpr const char* kBegin = "# learned by plan-exec --learn (";
constexpr const char* kEnd = "# end of learned lines";

std::string policy_hex(std::uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(value));
  return text;
}

// The condition --learn writes for the argument rules usually test, with a label naming the
// value; {"", ""} for a syscall allowed whatever its arguments.
std::pair<std::string, std::string> learned_condition(int nr, const Args& args) {
  const char* name = syscall_name(nr);
  const std::string call = name ? name : "";
  if (call == "socket") return {"u32(arg0) == " + std::to_string(args[0] & 0xffffffffULL), socket_family_text(args[0] & 0xffffffffULL)};
  if (call == "ioctl") return {"u32(arg1) == " + policy_hex(args[1] & 0xffffffffULL), ioctl_request_text(args[1] & 0xffffffffULL)};
  if (call == "prctl") return {"u32(arg0) == " + std::to_string(args[0] & 0xffffffffULL), prctl_option_text(args[0] & 0xffffffffULL)};
  if (call == "clone") return {"arg0 == " + policy_hex(args[0]), clone_flags_text(args[0])};
  return {"", ""};
}

std::string shortened(const std::string& text, std::size_t max = 120) {
  return text.size() <= max ? text : text.substr(0, max) + "...";
}

std::string trimmed(const std::string& line) {
  const std::size_t a = line.find_first_not_of(" \t\r");
  if (a == std::string::npos) return "";
  return line.substr(a, line.find_last_not_of(" \t\r") - a + 1);
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (std::size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
    lines.push_back(text.substr(start, end - start));
  }
  if (start < text.size()) lines.push_back(text.substr(start));
  return lines;
}

// The byte offset of 1-based column `column` (counted in code points, as the parser counts).
std::size_t byte_of_column(const std::string& line, unsigned column) {
  std::size_t byte = 0;
  for (unsigned c = 1; c < column && byte < line.size(); ++c) {
    ++byte;
    while (byte < line.size() && (static_cast<unsigned char>(line[byte]) & 0xc0) == 0x80) ++byte;
  }
  return byte;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("--learn: cannot read the policy " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

void Learner::observe(const ObservedCall& call) {
  ++calls_;
  const bool native = call.arch == plan::bpf::kAuditArchX86_64 && call.nr >= 0 && call.nr < plan::bpf::kX32SyscallBit;
  auto count = [&](Seen& seen) {
    if (seen.count++ == 0) seen.first = shortened(call.call);
  };
  if (!native) return count(foreign_[call.call]);
  if (seccomp_.source) {
    const plan::SeccompRuleSource* rule = plan::deciding_rule(*seccomp_.source, call.nr, call.args);
    if (rule && rule->ret == call.ret) return count(explicit_denies_[plan::describe_rule(*rule)]);
  }
  const auto [condition, label] = learned_condition(call.nr, call.args);
  Seen& seen = allow_[{call.nr, condition}];
  seen.label = label;
  count(seen);
}

std::vector<std::string> Learner::lines() const {
  std::vector<std::string> out;
  for (const auto& [key, seen] : allow_) {
    const auto& [nr, condition] = key;
    const char* name = syscall_name(nr);
    if (!name) continue;  // in notes()
    std::string line = std::string("allow ") + name + (condition.empty() ? "" : " if " + condition);
    line += "  # " + (seen.label.empty() ? "" : seen.label + ": ") + std::to_string(seen.count) + (seen.count == 1 ? " call" : " calls") + ", first: " + seen.first;
    out.push_back(line);
  }
  return out;
}

std::vector<std::string> Learner::notes() const {
  std::vector<std::string> out;
  for (const auto& [key, seen] : allow_) {
    if (!syscall_name(std::get<0>(key))) {
      out.push_back("syscall " + std::to_string(std::get<0>(key)) + " (" + std::to_string(seen.count) +
                    " calls) has no name in this plan-exec's table: allow it by hand");
    }
  }
  for (const auto& [rule, seen] : explicit_denies_) {
    out.push_back(std::to_string(seen.count) + " calls denied by an explicit rule, not overridden: [" + rule +
                  "], first: " + seen.first + "; change that line if the program needs them");
  }
  for (const auto& [call, seen] : foreign_) {
    out.push_back(std::to_string(seen.count) + " calls of another arch (" + call +
                  "): add the arch to the policy's `arch` line if the program needs them");
  }
  return out;
}

std::string add_learned_lines(const std::string& text, unsigned end_line, unsigned end_column,
                              const std::vector<std::string>& lines) {
  std::vector<std::string> file = split_lines(text);
  if (end_line == 0 || end_line > file.size()) {
    throw std::runtime_error("line " + std::to_string(end_line) + " (the seccomp block's closing brace) is not in the file");
  }
  std::string& brace_line = file[end_line - 1];
  const std::size_t brace = byte_of_column(brace_line, end_column);
  if (brace >= brace_line.size() || brace_line[brace] != '}') {
    throw std::runtime_error("line " + std::to_string(end_line) + ":" + std::to_string(end_column) +
                             " is not the seccomp block's closing brace");
  }
  std::string indent = brace_line.substr(0, brace_line.find_first_not_of(" \t"));
  if (trimmed(brace_line.substr(0, brace)).empty()) {
    indent = brace_line.substr(0, brace);
  } else {  // `allow read }`: the brace moves to a line of its own
    const std::string head = brace_line.substr(0, brace), tail = brace_line.substr(brace);
    brace_line = head;
    file.insert(file.begin() + end_line, indent + tail);
    ++end_line;
  }
  const std::string inner = indent + "  ";
  std::size_t at = end_line - 1;  // insert before the brace line
  // An earlier learned block right before the brace: extend it.
  std::size_t last = at;
  while (last > 0 && trimmed(file[last - 1]).empty()) --last;
  if (last > 0 && trimmed(file[last - 1]) == kEnd) {
    std::size_t begin = last - 1;
    while (begin > 0 && trimmed(file[begin - 1]).rfind(kBegin, 0) != 0) --begin;
    if (begin > 0) {
      std::string& header = file[begin - 1];
      const std::size_t number_at = header.find(kBegin) + std::string(kBegin).size();
      const unsigned runs = static_cast<unsigned>(std::strtoul(header.c_str() + number_at, nullptr, 10)) + 1;
      header = header.substr(0, header.find(kBegin)) + kBegin + std::to_string(runs) +
               " runs); review before trusting it";
      std::vector<std::string> added;
      for (const auto& l : lines) added.push_back(inner + l);
      file.insert(file.begin() + static_cast<std::ptrdiff_t>(last - 1), added.begin(), added.end());
      std::string out;
      for (const auto& l : file) out += l + "\n";
      return out;
    }
  }
  std::vector<std::string> block = {inner + kBegin + "1 run); review before trusting it"};
  for (const auto& l : lines) block.push_back(inner + l);
  block.push_back(inner + kEnd);
  file.insert(file.begin() + static_cast<std::ptrdiff_t>(at), block.begin(), block.end());
  std::string out;
  for (const auto& l : file) out += l + "\n";
  return out;
}

void check_learn_target(const std::string& policy_file, const plan::Seccomp& seccomp) {
  if (!seccomp.source) {
    throw std::runtime_error("--learn: the plan carries no source map (plan version 1); recompile " + policy_file +
                             " with this version's policyc");
  }
  try {
    add_learned_lines(read_file(policy_file), seccomp.source->end_line, seccomp.source->end_column, {});
  } catch (const std::runtime_error& e) {
    throw std::runtime_error("--learn: " + policy_file + ": " + e.what() + "; is it the policy the plan was compiled from (" +
                             seccomp.source->file + "), unchanged since? Recompile the plan");
  }
  if (::access(policy_file.c_str(), W_OK) != 0) throw std::runtime_error("--learn: cannot write the policy " + policy_file);
}

void write_learned_lines(const std::string& policy_file, const plan::SeccompSource& source,
                         const std::vector<std::string>& lines) {
  const std::string text = add_learned_lines(read_file(policy_file), source.end_line, source.end_column, lines);
  // A new file renamed over the old: a crash leaves the old policy whole.
  const std::string temporary = policy_file + ".learn-tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) throw std::runtime_error("--learn: cannot write " + temporary);
  }
  struct stat st {};
  if (::stat(policy_file.c_str(), &st) == 0) {
    ::chmod(temporary.c_str(), st.st_mode & 07777);
    if (::chown(temporary.c_str(), st.st_uid, st.st_gid) != 0) {
      // as the file's owner already: nothing to change
    }
  }
  if (std::rename(temporary.c_str(), policy_file.c_str()) != 0) {
    std::remove(temporary.c_str());
    throw std::runtime_error("--learn: cannot replace " + policy_file);
  }
}

}  // namespace launcher
