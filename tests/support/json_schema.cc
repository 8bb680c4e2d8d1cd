// SPDX-License-Identifier: Apache-2.0
#include "tests/support/json_schema.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <regex>
#include <set>

namespace testsupport {
namespace {

using nlohmann::json;

// Keywords that only document (description, default) or that the checks below read.
const std::set<std::string>& schema_keywords() {
  static const std::set<std::string> words = {
      "description", "default", "type", "properties", "required", "enum", "minimum", "maximum", "minItems",
      "maxItems", "minLength", "maxLength", "pattern", "format", "items", "x-kubernetes-list-type"};
  return words;
}

std::string schema_type_of(const json& value) {
  if (value.is_object()) return "object";
  if (value.is_array()) return "array";
  if (value.is_string()) return "string";
  if (value.is_boolean()) return "boolean";
  if (value.is_number_integer()) return "integer";
  if (value.is_number()) return "number";
  return "null";
}

bool schema_type_matches(const std::string& type, const json& value) {
  if (type == "number") return value.is_number();
  return schema_type_of(value) == type;
}

// Integers of either sign compare exactly (a 64-bit unsigned value and a signed bound).
__int128 schema_integer(const json& value) {
  return value.is_number_unsigned() ? static_cast<__int128>(value.get<std::uint64_t>())
                                    : static_cast<__int128>(value.get<std::int64_t>());
}

// Integer formats: the value must fit the Go type the operator decodes it into.
bool fits_format(const std::string& format, const json& value) {
  if (!value.is_number_integer()) return true;
  const __int128 v = schema_integer(value);
  if (format == "int64") return v >= std::numeric_limits<std::int64_t>::min() && v <= std::numeric_limits<std::int64_t>::max();
  if (format == "int32") return v >= std::numeric_limits<std::int32_t>::min() && v <= std::numeric_limits<std::int32_t>::max();
  return true;
}

// value < bound, for integers and doubles.
bool schema_less(const json& value, const json& bound) {
  if (value.is_number_integer() && bound.is_number_integer()) return schema_integer(value) < schema_integer(bound);
  return value.get<double>() < bound.get<double>();
}

class SchemaWalk {
 public:
  std::vector<std::string> errors;

  void check(const json& schema, const json& value, const std::string& path) {
    for (auto it = schema.begin(); it != schema.end(); ++it) {
      if (!schema_keywords().count(it.key())) fail(path, "the schema uses `" + it.key() + "`, which this validator does not know");
    }
    if (schema.contains("type") && !schema_type_matches(schema["type"].get<std::string>(), value)) {
      fail(path, "expected " + schema["type"].get<std::string>() + ", found " + schema_type_of(value));
      return;
    }
    if (schema.contains("enum") && std::find(schema["enum"].begin(), schema["enum"].end(), value) == schema["enum"].end()) {
      fail(path, value.dump() + " is not one of " + schema["enum"].dump());
    }
    if (value.is_number()) check_number(schema, value, path);
    if (value.is_string()) check_string(schema, value.get<std::string>(), path);
    if (value.is_object()) check_object(schema, value, path);
    if (value.is_array()) check_array(schema, value, path);
  }

 private:
  void fail(const std::string& path, const std::string& what) { errors.push_back((path.empty() ? "(document)" : path) + ": " + what); }

  void check_number(const json& schema, const json& value, const std::string& path) {
    if (schema.contains("minimum") && schema_less(value, schema["minimum"])) fail(path, value.dump() + " is below the minimum " + schema["minimum"].dump());
    if (schema.contains("maximum") && schema_less(schema["maximum"], value)) fail(path, value.dump() + " is above the maximum " + schema["maximum"].dump());
    if (schema.contains("format") && !fits_format(schema["format"].get<std::string>(), value)) {
      fail(path, value.dump() + " does not fit format " + schema["format"].get<std::string>());
    }
  }

  void check_string(const json& schema, const std::string& text, const std::string& path) {
    if (schema.contains("minLength") && text.size() < schema["minLength"].get<std::size_t>()) fail(path, "shorter than minLength");
    if (schema.contains("maxLength") && text.size() > schema["maxLength"].get<std::size_t>()) fail(path, "longer than maxLength");
    if (schema.contains("pattern") && !std::regex_search(text, std::regex(schema["pattern"].get<std::string>()))) {
      fail(path, json(text).dump() + " does not match " + schema["pattern"].get<std::string>());
    }
  }

  void check_object(const json& schema, const json& value, const std::string& path) {
    if (schema.contains("required")) {
      for (const auto& key : schema["required"]) {
        if (!value.contains(key.get<std::string>())) fail(path, "required field " + key.get<std::string>() + " is missing");
      }
    }
    if (!schema.contains("properties")) return;
    for (const auto& [key, child] : value.items()) {
      const std::string child_path = path.empty() ? key : path + "." + key;
      if (!schema["properties"].contains(key)) {
        fail(child_path, "unknown field (the schema has no such property)");
        continue;
      }
      check(schema["properties"][key], child, child_path);
    }
  }

  void check_array(const json& schema, const json& value, const std::string& path) {
    if (schema.contains("minItems") && value.size() < schema["minItems"].get<std::size_t>()) fail(path, "fewer items than minItems " + schema["minItems"].dump());
    if (schema.contains("maxItems") && value.size() > schema["maxItems"].get<std::size_t>()) fail(path, "more items than maxItems " + schema["maxItems"].dump());
    const std::string list_type = schema.value("x-kubernetes-list-type", "");
    if (list_type == "map") fail(path, "x-kubernetes-list-type map is not supported by this validator");
    if (list_type == "set") {
      for (std::size_t i = 0; i < value.size(); ++i) {
        for (std::size_t j = 0; j < i; ++j) {
          if (value[i] == value[j]) fail(path + "[" + std::to_string(i) + "]", "repeats item " + std::to_string(j) + " of a set");
        }
      }
    }
    if (!schema.contains("items")) return;
    for (std::size_t i = 0; i < value.size(); ++i) check(schema["items"], value[i], path + "[" + std::to_string(i) + "]");
  }
};

}  // namespace

std::vector<std::string> schema_errors(const json& schema, const json& document) {
  SchemaWalk walk;
  walk.check(schema, document, "");
  return walk.errors;
}

}  // namespace testsupport
