// SPDX-License-Identifier: Apache-2.0
#include "compiler/diag/printable.h"

#include <cstdint>
#include <cstdio>

namespace policyc {
namespace {

std::string hex_byte(unsigned char c) {
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "\\x%02x", c);
  return buffer;
}

std::string code_point_escape(std::uint32_t cp) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "\\u{%04x}", cp);
  return buffer;
}

bool is_bidi_control(std::uint32_t cp) {
  return cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069);
}

std::string ascii_escape(unsigned char c, bool keep_tabs) {
  switch (c) {
    case '\t': return keep_tabs ? "\t" : "\\t";
    case '\n': return "\\n";
    case '\r': return "\\r";
    case 0x1b: return "\\e";
    default: return hex_byte(c);
  }
}

// Length of the UTF-8 sequence starting at text[i] and its code point; 0 when it is not one
// (bad lead byte, truncated, overlong, surrogate, above U+10FFFF).
std::size_t decode(std::string_view text, std::size_t i, std::uint32_t& cp) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char lead = byte(i);
  std::size_t length = 0;
  if (lead >= 0xC2 && lead <= 0xDF) length = 2;
  else if (lead >= 0xE0 && lead <= 0xEF) length = 3;
  else if (lead >= 0xF0 && lead <= 0xF4) length = 4;
  if (length == 0 || i + length > text.size()) return 0;
  cp = lead & (length == 2 ? 0x1Fu : length == 3 ? 0x0Fu : 0x07u);
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3Fu);
  }
  bool overlong = (length == 3 && cp < 0x800) || (length == 4 && cp < 0x10000);
  bool invalid = (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF;
  return overlong || invalid ? 0 : length;
}

// Calls emit(piece) once per character of `text` (an undecodable byte is a character of its own).
template <typename Emit>
void for_each_printed(std::string_view text, bool keep_tabs, Emit emit) {
  std::size_t i = 0;
  while (i < text.size()) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      emit(c < 0x20 || c == 0x7f ? ascii_escape(c, keep_tabs) : std::string(1, static_cast<char>(c)));
      ++i;
      continue;
    }
    std::uint32_t cp = 0;
    std::size_t length = decode(text, i, cp);
    if (length == 0) {
      emit(hex_byte(c));
      ++i;
      continue;
    }
    bool escape = (cp >= 0x80 && cp <= 0x9F) || is_bidi_control(cp);
    emit(escape ? code_point_escape(cp) : std::string(text.substr(i, length)));
    i += length;
  }
}

}  // namespace

std::string printable(std::string_view text, bool keep_tabs) {
  std::string out;
  out.reserve(text.size());
  for_each_printed(text, keep_tabs, [&](const std::string& piece) { out += piece; });
  return out;
}

std::vector<std::string> printable_characters(std::string_view line) {
  std::vector<std::string> pieces;
  for_each_printed(line, true, [&](const std::string& piece) { pieces.push_back(piece); });
  return pieces;
}

}  // namespace policyc
