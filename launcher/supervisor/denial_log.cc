// SPDX-License-Identifier: Apache-2.0
#include "launcher/supervisor/denial_log.h"

#include <algorithm>

#include "launcher/host/fault.h"

namespace launcher {

std::string json_string(const std::string& text) {
  // Control bytes escaped: a newline from the container must not start a line of its own in a
  // JSON-lines log. Test switch: "report-escaping" (with quoted_c_string's, call_format.h).
  const bool escape = !defence_disabled("report-escaping");
  std::string out = "\"";
  for (const char ch : text) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (!escape) {
      out += ch;
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      char esc[8];
      std::snprintf(esc, sizeof esc, "\\u%04x", c);
      out += esc;
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

std::string DenialLog::text_line(const Denial& d) {
  std::string line = "plan-exec: denied " + d.call + " = " + d.verdict + "  pid " + std::to_string(d.pid);
  if (!d.program.empty()) line += " " + d.program;
  if (!d.rule.empty()) line += "  [" + d.rule + "]";
  return line;
}

std::string DenialLog::json_line(const Denial& d) {
  return "{\"denied\":" + json_string(d.syscall) + ",\"nr\":" + std::to_string(d.nr) + ",\"call\":" + json_string(d.call) +
         ",\"verdict\":" + json_string(d.verdict) + ",\"pid\":" + std::to_string(d.pid) +
         ",\"program\":" + json_string(d.program) + ",\"rule\":" + json_string(d.rule) + "}";
}

void DenialLog::record(const Denial& denial) {
  ++total_;
  Seen& seen = seen_[{denial.syscall, denial.verdict, denial.rule}];
  if (seen.count++ == 0) {
    seen.first = denial;
    seen.order = seen_.size();
  }
  // A kill is printed each time: it ends a process, and the last lines before an exit are read.
  if (!(seen.count == 1 && each_) && !denial.kill) return;
  const std::string line = format_ == DenialFormat::Json ? json_line(denial) : text_line(denial);
  std::fprintf(out_, "%s\n", line.c_str());
  std::fflush(out_);
}

void DenialLog::print_summary() const {
  if (total_ == 0 || !each_) return;
  std::vector<const Seen*> ordered;
  for (const auto& [key, seen] : seen_) ordered.push_back(&seen);
  std::sort(ordered.begin(), ordered.end(), [](const Seen* a, const Seen* b) { return a->order < b->order; });
  if (format_ == DenialFormat::Json) {
    std::string line = "{\"summary\":[";
    for (std::size_t i = 0; i < ordered.size(); ++i) {
      const Denial& d = ordered[i]->first;
      line += (i ? "," : "") + std::string("{\"denied\":") + json_string(d.syscall) + ",\"verdict\":" + json_string(d.verdict) +
              ",\"rule\":" + json_string(d.rule) + ",\"count\":" + std::to_string(ordered[i]->count) + "}";
    }
    line += "],\"total\":" + std::to_string(total_) + "}";
    std::fprintf(out_, "%s\n", line.c_str());
  } else {
    std::fprintf(out_, "plan-exec: %zu call%s denied (%zu different):\n", total_, total_ == 1 ? "" : "s", ordered.size());
    for (const Seen* seen : ordered) {
      const Denial& d = seen->first;
      std::fprintf(out_, "plan-exec: %8zu  %s = %s%s%s\n", seen->count, d.syscall.c_str(), d.verdict.c_str(),
                   d.rule.empty() ? "" : "  ", d.rule.empty() ? "" : ("[" + d.rule + "]").c_str());
    }
  }
  std::fflush(out_);
}

}  // namespace launcher
