// SPDX-License-Identifier: Apache-2.0
#include "tests/support/yaml_json.h"

#include <yaml.h>

#include <limits>
#include <memory>
#include <regex>
#include <set>
#include <stdexcept>

namespace testsupport {
namespace {

using nlohmann::json;

struct YamlParser {
  yaml_parser_t parser;
  explicit YamlParser(const std::string& text) {
    if (!yaml_parser_initialize(&parser)) throw std::runtime_error("yaml: cannot initialise libyaml");
    yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  }
  ~YamlParser() { yaml_parser_delete(&parser); }
  YamlParser(const YamlParser&) = delete;
  YamlParser& operator=(const YamlParser&) = delete;
};

struct YamlEvent {
  yaml_event_t event;
  explicit YamlEvent(YamlParser& p) {
    if (!yaml_parser_parse(&p.parser, &event)) {
      throw std::runtime_error("yaml: " + std::string(p.parser.problem ? p.parser.problem : "syntax error") + " at line " +
                               std::to_string(p.parser.problem_mark.line + 1) + ", column " +
                               std::to_string(p.parser.problem_mark.column + 1));
    }
  }
  ~YamlEvent() { yaml_event_delete(&event); }
  YamlEvent(const YamlEvent&) = delete;
  YamlEvent& operator=(const YamlEvent&) = delete;
  yaml_event_type_t type() const { return event.type; }
  std::string where() const {
    return "line " + std::to_string(event.start_mark.line + 1) + ", column " + std::to_string(event.start_mark.column + 1);
  }
};

json yaml_scalar_value(const yaml_event_t& event) {
  const std::string text(reinterpret_cast<const char*>(event.data.scalar.value), event.data.scalar.length);
  if (event.data.scalar.style != YAML_PLAIN_SCALAR_STYLE) return text;
  return yaml_plain_scalar(text);
}

void refuse_anchor_and_tag(const yaml_char_t* anchor, const yaml_char_t* tag, const YamlEvent& e) {
  if (anchor) throw std::runtime_error("yaml: anchor at " + e.where() + " (not supported)");
  if (tag) throw std::runtime_error("yaml: tag at " + e.where() + " (not supported)");
}

// The node whose first event is `first`; the parser stands after it.
json yaml_node(YamlParser& p, const YamlEvent& first) {
  switch (first.type()) {
    case YAML_SCALAR_EVENT:
      refuse_anchor_and_tag(first.event.data.scalar.anchor, first.event.data.scalar.tag, first);
      return yaml_scalar_value(first.event);
    case YAML_SEQUENCE_START_EVENT: {
      refuse_anchor_and_tag(first.event.data.sequence_start.anchor, first.event.data.sequence_start.tag, first);
      json list = json::array();
      while (true) {
        YamlEvent next(p);
        if (next.type() == YAML_SEQUENCE_END_EVENT) return list;
        list.push_back(yaml_node(p, next));
      }
    }
    case YAML_MAPPING_START_EVENT: {
      refuse_anchor_and_tag(first.event.data.mapping_start.anchor, first.event.data.mapping_start.tag, first);
      json object = json::object();
      while (true) {
        YamlEvent key(p);
        if (key.type() == YAML_MAPPING_END_EVENT) return object;
        const json key_value = yaml_node(p, key);
        if (!key_value.is_string()) throw std::runtime_error("yaml: a key that is no string at " + key.where());
        if (object.contains(key_value.get<std::string>())) {
          throw std::runtime_error("yaml: key " + key_value.dump() + " repeated at " + key.where());
        }
        YamlEvent value(p);
        object[key_value.get<std::string>()] = yaml_node(p, value);
      }
    }
    case YAML_ALIAS_EVENT:
      throw std::runtime_error("yaml: alias at " + first.where() + " (not supported)");
    default:
      throw std::runtime_error("yaml: unexpected event at " + first.where());
  }
}

}  // namespace

json yaml_plain_scalar(const std::string& text) {
  static const std::set<std::string> kNull = {"", "~", "null", "Null", "NULL"};
  static const std::set<std::string> kTrue = {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"};
  static const std::set<std::string> kFalse = {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"};
  if (kNull.count(text)) return nullptr;
  if (kTrue.count(text)) return true;
  if (kFalse.count(text)) return false;
  static const std::regex kDecimal("[-+]?(0|[1-9][0-9_]*)");
  static const std::regex kHex("[-+]?0x[0-9a-fA-F_]+");
  static const std::regex kOctal("[-+]?0[0-7_]+");
  static const std::regex kFloat("[-+]?([0-9][0-9_]*)?\\.[0-9.]*([eE][-+][0-9]+)?|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN)");
  std::string digits;
  for (char c : text) if (c != '_') digits += c;
  const bool negative = !digits.empty() && digits[0] == '-';
  const std::string body = !digits.empty() && (digits[0] == '-' || digits[0] == '+') ? digits.substr(1) : digits;
  auto integer = [&](int base, std::size_t skip) -> json {
    const unsigned long long magnitude = std::stoull(body.substr(skip), nullptr, base);
    if (!negative) return magnitude;
    constexpr unsigned long long kMostNegative = 1ULL << 63;   // -2^63 is the last int64
    if (magnitude > kMostNegative) return -static_cast<double>(magnitude);
    if (magnitude == kMostNegative) return std::numeric_limits<long long>::min();
    return -static_cast<long long>(magnitude);
  };
  if (std::regex_match(text, kDecimal)) return integer(10, 0);
  if (std::regex_match(text, kHex)) return integer(16, 2);
  if (std::regex_match(text, kOctal)) return integer(8, 1);
  if (std::regex_match(text, kFloat)) {
    if (body.find("inf") != std::string::npos || body.find("Inf") != std::string::npos || body.find("INF") != std::string::npos) {
      return negative ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
    }
    if (body.find('n') != std::string::npos || body.find('N') != std::string::npos) return std::numeric_limits<double>::quiet_NaN();
    return std::stod(digits);
  }
  return text;
}

std::vector<json> yaml_documents(const std::string& text) {
  YamlParser p(text);
  std::vector<json> documents;
  while (true) {
    YamlEvent e(p);
    if (e.type() == YAML_STREAM_END_EVENT) return documents;
    if (e.type() != YAML_DOCUMENT_START_EVENT) continue;  // stream start
    YamlEvent root(p);
    if (root.type() == YAML_DOCUMENT_END_EVENT) {
      documents.push_back(nullptr);
      continue;
    }
    documents.push_back(yaml_node(p, root));
    YamlEvent end(p);
    if (end.type() != YAML_DOCUMENT_END_EVENT) throw std::runtime_error("yaml: more than one node in a document at " + end.where());
  }
}

}  // namespace testsupport
