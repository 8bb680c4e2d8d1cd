// SPDX-License-Identifier: Apache-2.0
#include "plan/strict_json.h"

#include <set>
#include <string>
#include <vector>

#include "plan/plan_json.h"

namespace plan {
namespace {

using nlohmann::json;

// Where the parser is: one frame per open object or array. An object remembers its keys so far
// and the current one; an array how many elements it has completed (the current index).
struct Frame {
  bool array = false;
  std::set<std::string> keys;
  std::string key;
  std::size_t index = 0;
};

class KeyTracker {
 public:
  bool operator()(int /*depth*/, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start: frames_.push_back({false, {}, {}, 0}); break;
      case json::parse_event_t::array_start: frames_.push_back({true, {}, {}, 0}); break;
      case json::parse_event_t::key: on_key(parsed.get<std::string>()); break;
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        frames_.pop_back();
        element_done();
        break;
      case json::parse_event_t::value: element_done(); break;
    }
    return true;
  }

 private:
  void on_key(const std::string& key) {
    Frame& top = frames_.back();
    if (!top.keys.insert(key).second) throw PlanError(path() + "." + key + ": duplicate key");
    top.key = key;
  }
  void element_done() {
    if (!frames_.empty() && frames_.back().array) ++frames_.back().index;
  }
  // The path of the innermost open object or array: each enclosing frame's current position.
  std::string path() const {
    std::string out = "plan";
    for (std::size_t i = 0; i + 1 < frames_.size(); ++i) {
      out += frames_[i].array ? "[" + std::to_string(frames_[i].index) + "]" : "." + frames_[i].key;
    }
    return out;
  }

  std::vector<Frame> frames_;
};

}  // namespace

json parse_refusing_duplicate_keys(std::string_view text) {
  KeyTracker tracker;
  return json::parse(text.begin(), text.end(),
                     [&tracker](int depth, json::parse_event_t event, json& parsed) {
                       return tracker(depth, event, parsed);
                     });
}

}  // namespace plan
