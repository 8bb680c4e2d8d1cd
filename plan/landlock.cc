// SPDX-License-Identifier: Apache-2.0
#include "plan/landlock.h"

#include <cstdio>
#include <utility>

namespace plan {
namespace {

// include/uapi/linux/landlock.h: LANDLOCK_ACCESS_FS_*, LANDLOCK_ACCESS_NET_*, LANDLOCK_SCOPE_*.
const std::vector<LandlockRight> kRights = {
    {"execute", LandlockClass::Fs, 1ULL << 0, 1},
    {"write_file", LandlockClass::Fs, 1ULL << 1, 1},
    {"read_file", LandlockClass::Fs, 1ULL << 2, 1},
    {"read_dir", LandlockClass::Fs, 1ULL << 3, 1},
    {"remove_dir", LandlockClass::Fs, 1ULL << 4, 1},
    {"remove_file", LandlockClass::Fs, 1ULL << 5, 1},
    {"make_char", LandlockClass::Fs, 1ULL << 6, 1},
    {"make_dir", LandlockClass::Fs, 1ULL << 7, 1},
    {"make_reg", LandlockClass::Fs, 1ULL << 8, 1},
    {"make_sock", LandlockClass::Fs, 1ULL << 9, 1},
    {"make_fifo", LandlockClass::Fs, 1ULL << 10, 1},
    {"make_block", LandlockClass::Fs, 1ULL << 11, 1},
    {"make_sym", LandlockClass::Fs, 1ULL << 12, 1},
    {"refer", LandlockClass::Fs, 1ULL << 13, 2},
    {"truncate", LandlockClass::Fs, 1ULL << 14, 3},
    {"ioctl_dev", LandlockClass::Fs, 1ULL << 15, 5},
    {"bind_tcp", LandlockClass::Net, kLandlockNetBindTcp, 4},
    {"connect_tcp", LandlockClass::Net, kLandlockNetConnectTcp, 4},
    {"abstract_unix", LandlockClass::Scope, kLandlockScopeAbstractUnix, 6},
    {"signals", LandlockClass::Scope, kLandlockScopeSignal, 6},
};

std::uint64_t bits_named(std::initializer_list<const char*> names) {
  std::uint64_t bits = 0;
  for (const char* name : names) bits |= find_landlock_right(name)->bit;
  return bits;
}

// The keywords of the language; each single filesystem right is a keyword too.
const std::vector<std::pair<std::string, std::uint64_t>>& fs_keywords() {
  static const std::vector<std::pair<std::string, std::uint64_t>> keywords = [] {
    std::vector<std::pair<std::string, std::uint64_t>> out = {
        {"read", bits_named({"read_file", "read_dir"})},
        {"write", bits_named({"write_file", "remove_dir", "remove_file", "make_char", "make_dir", "make_reg",
                              "make_sock", "make_fifo", "make_block", "make_sym", "refer", "truncate"})},
    };
    for (const auto& right : kRights) {
      if (right.klass == LandlockClass::Fs) out.emplace_back(right.name, right.bit);
    }
    return out;
  }();
  return keywords;
}

}  // namespace

const std::vector<LandlockRight>& landlock_rights() { return kRights; }

const LandlockRight* find_landlock_right(const std::string& name) {
  for (const auto& right : kRights) {
    if (name == right.name) return &right;
  }
  return nullptr;
}

std::uint64_t landlock_rights_up_to(LandlockClass klass, int abi) {
  std::uint64_t bits = 0;
  for (const auto& right : kRights) {
    if (right.klass == klass && right.abi <= abi) bits |= right.bit;
  }
  return bits;
}

int landlock_abi_of(LandlockClass klass, std::uint64_t mask) {
  int abi = 1;
  for (const auto& right : kRights) {
    if (right.klass == klass && (mask & right.bit) && right.abi > abi) abi = right.abi;
  }
  return abi;
}

std::string landlock_right_names(LandlockClass klass, std::uint64_t mask) {
  std::string out;
  for (const auto& right : kRights) {
    if (right.klass != klass || !(mask & right.bit)) continue;
    out += (out.empty() ? "" : ", ") + std::string(right.name);
    mask &= ~right.bit;
  }
  if (mask != 0) {
    char hex[32];
    std::snprintf(hex, sizeof hex, "0x%llx", static_cast<unsigned long long>(mask));
    out += (out.empty() ? "unknown bits " : ", unknown bits ") + std::string(hex);
  }
  return out;
}

std::uint64_t landlock_unknown_bits(LandlockClass klass, std::uint64_t mask) {
  return mask & ~landlock_rights_up_to(klass, kLandlockNewestRightsAbi);
}

std::optional<std::uint64_t> landlock_fs_keyword(const std::string& keyword) {
  for (const auto& [name, bits] : fs_keywords()) {
    if (name == keyword) return bits;
  }
  return std::nullopt;
}

std::vector<std::string> landlock_fs_keywords() {
  std::vector<std::string> out;
  for (const auto& entry : fs_keywords()) out.push_back(entry.first);
  return out;
}

}  // namespace plan
