// SPDX-License-Identifier: Apache-2.0
// Encodings the plan uses for its filter: base64 and sha256 (nettle, the library libarchive
// already uses, so the launcher gains no new dependency for it).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace plan {

std::string base64_encode(const std::vector<std::uint8_t>& bytes);
// nullopt when `text` is not valid base64.
std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text);

std::string sha256_hex(const void* data, std::size_t size);
inline std::string sha256_hex(const std::vector<std::uint8_t>& bytes) {
  return sha256_hex(bytes.data(), bytes.size());
}

}  // namespace plan
