// SPDX-License-Identifier: Apache-2.0
#include "tests/support/crafted_tar.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace testsupport {

namespace {

constexpr std::size_t kBlock = 512;

void put_octal(char* field, std::size_t width, unsigned long long value) {
  std::snprintf(field, width, "%0*llo", static_cast<int>(width - 1), value);
}

void put_text(char* field, std::size_t width, const std::string& text) {
  if (text.size() > width) throw std::runtime_error("crafted tar: \"" + text + "\" is too long for a ustar field");
  std::memcpy(field, text.data(), text.size());
}

char type_flag(TarMember::Kind kind) {
  switch (kind) {
    case TarMember::Kind::File: return '0';
    case TarMember::Kind::Hardlink: return '1';
    case TarMember::Kind::Symlink: return '2';
    case TarMember::Kind::CharDevice: return '3';
    case TarMember::Kind::Directory: return '5';
  }
  return '0';
}

std::string header(const TarMember& m) {
  std::string h(kBlock, '\0');
  char* b = h.data();
  put_text(b, 100, m.name);
  put_octal(b + 100, 8, m.mode);
  put_octal(b + 108, 8, m.uid);
  put_octal(b + 116, 8, m.gid);
  put_octal(b + 124, 12, m.data.size());
  put_octal(b + 136, 12, 1700000000);
  b[156] = type_flag(m.kind);
  put_text(b + 157, 100, m.link);
  std::memcpy(b + 257, "ustar", 6);
  std::memcpy(b + 263, "00", 2);
  put_text(b + 265, 32, "root");
  put_text(b + 297, 32, "root");
  put_octal(b + 329, 8, m.major);
  put_octal(b + 337, 8, m.minor);
  std::memset(b + 148, ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  std::snprintf(b + 148, 8, "%06o", sum);  // six digits, NUL, then the space already there
  return h;
}

}  // namespace

void write_crafted_tar(const std::string& path, const std::vector<TarMember>& members) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error("crafted tar: cannot create " + path);
  for (const auto& m : members) {
    if (!m.data.empty() && m.kind != TarMember::Kind::File) throw std::runtime_error("crafted tar: only files carry data");
    out << header(m) << m.data << std::string((kBlock - m.data.size() % kBlock) % kBlock, '\0');
  }
  out << std::string(2 * kBlock, '\0');
  if (!out.flush()) throw std::runtime_error("crafted tar: cannot write " + path);
}

}  // namespace testsupport
