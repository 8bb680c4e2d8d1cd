// SPDX-License-Identifier: Apache-2.0
#include "plan/strict_json.h"

#include <string>
#include <utility>
#include <vector>

#include "plan/plan_json.h"

namespace plan {
namespace {

using nlohmann::json;

// Builds the document as nlohmann's own DOM parser does (a stack of the open objects and arrays),
// and refuses a key already present in the object being built. The check is the insertion itself
// (one map look-up); the path of an error is worked out only when there is one. Plans are parsed
// on every launch, so this stays as cheap as json::parse: no callback per event, no key copies.
class StrictDomBuilder {
 public:
  explicit StrictDomBuilder(json& root) : root_(root) {}

  bool null() { add(nullptr); return true; }
  bool boolean(bool value) { add(value); return true; }
  bool number_integer(json::number_integer_t value) { add(value); return true; }
  bool number_unsigned(json::number_unsigned_t value) { add(value); return true; }
  bool number_float(json::number_float_t value, const json::string_t& /*text*/) { add(value); return true; }
  bool string(json::string_t& value) { add(value); return true; }
  bool binary(json::binary_t& value) { add(std::move(value)); return true; }

  bool start_object(std::size_t /*size*/) { open_.push_back(add(json::value_t::object)); return true; }
  bool start_array(std::size_t /*size*/) { open_.push_back(add(json::value_t::array)); return true; }
  bool end_object() { open_.pop_back(); return true; }
  bool end_array() { open_.pop_back(); return true; }

  bool key(json::string_t& name) {
    auto& members = open_.back()->get_ref<json::object_t&>();
    auto [slot, inserted] = members.emplace(name, nullptr);
    if (!inserted) throw PlanError(path_of_innermost() + "." + name + ": duplicate key");
    member_ = &slot->second;
    return true;
  }

  // Syntax errors reach the caller as nlohmann's own exception types (parse_error, out_of_range).
  template <class Exception>
  bool parse_error(std::size_t /*position*/, const std::string& /*token*/, const Exception& error) {
    throw error;
  }

 private:
  // Places a new value where the parser is (the root, the next array element, or the member
  // whose key came last) and returns where it lives.
  template <class Value>
  json* add(Value&& value) {
    if (open_.empty()) {
      root_ = json(std::forward<Value>(value));
      return &root_;
    }
    json& parent = *open_.back();
    if (parent.is_array()) {
      auto& elements = parent.get_ref<json::array_t&>();
      elements.emplace_back(std::forward<Value>(value));
      return &elements.back();
    }
    *member_ = json(std::forward<Value>(value));
    return member_;
  }

  // "plan" and, for each open object or array around the innermost one, where the next one sits
  // in it: ".mounts[2]".
  std::string path_of_innermost() const {
    std::string out = "plan";
    for (std::size_t i = 0; i + 1 < open_.size(); ++i) {
      const json& parent = *open_[i];
      const json* child = open_[i + 1];
      if (parent.is_array()) {
        const auto& elements = parent.get_ref<const json::array_t&>();
        out += "[" + std::to_string(static_cast<std::size_t>(child - elements.data())) + "]";
        continue;
      }
      for (const auto& [name, value] : parent.get_ref<const json::object_t&>()) {
        if (&value == child) { out += "." + name; break; }
      }
    }
    return out;
  }

  json& root_;
  std::vector<json*> open_;
  json* member_ = nullptr;
};

}  // namespace

json parse_refusing_duplicate_keys(std::string_view text) {
  json root;
  StrictDomBuilder builder(root);
  json::sax_parse(text.begin(), text.end(), &builder);
  return root;
}

}  // namespace plan
