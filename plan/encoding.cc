// SPDX-License-Identifier: Apache-2.0
#include "plan/encoding.h"

#include <nettle/base64.h>
#include <nettle/sha2.h>

namespace plan {

std::string base64_encode(const std::vector<std::uint8_t>& bytes) {
  std::string out(BASE64_ENCODE_RAW_LENGTH(bytes.size()), '\0');
  base64_encode_raw(out.data(), bytes.size(), bytes.data());
  return out;
}

std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text) {
  // nettle's decoder skips whitespace; a plan's blob never has any, so refuse it outright.
  if (text.size() % 4 != 0 || text.find_first_of(" \t\r\n") != std::string_view::npos) {
    return std::nullopt;
  }
  std::vector<std::uint8_t> out(BASE64_DECODE_LENGTH(text.size()));
  base64_decode_ctx ctx;
  base64_decode_init(&ctx);
  std::size_t written = out.size();
  if (!base64_decode_update(&ctx, &written, out.data(), text.size(), text.data()) ||
      !base64_decode_final(&ctx)) {
    return std::nullopt;
  }
  out.resize(written);
  return out;
}

std::string sha256_hex(const void* data, std::size_t size) {
  sha256_ctx ctx;
  sha256_init(&ctx);
  sha256_update(&ctx, size, static_cast<const std::uint8_t*>(data));
  std::uint8_t digest[SHA256_DIGEST_SIZE];
  sha256_digest(&ctx, sizeof digest, digest);
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * sizeof digest);
  for (std::uint8_t byte : digest) {
    hex.push_back(kHex[byte >> 4]);
    hex.push_back(kHex[byte & 0xf]);
  }
  return hex;
}

}  // namespace plan
