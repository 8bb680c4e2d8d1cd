// SPDX-License-Identifier: Apache-2.0
#include "launcher/network/nft.h"

#include <nftables/libnftables.h>

#include <string>

#include "launcher/host/error.h"
#include "launcher/host/shared_library.h"

namespace launcher {

namespace {

// The few functions of libnftables plan-exec calls, resolved once by dlsym.
struct Libnftables {
  decltype(&nft_ctx_new) ctx_new = nullptr;
  decltype(&nft_ctx_free) ctx_free = nullptr;
  decltype(&nft_ctx_buffer_output) buffer_output = nullptr;
  decltype(&nft_ctx_buffer_error) buffer_error = nullptr;
  decltype(&nft_ctx_get_output_buffer) get_output_buffer = nullptr;
  decltype(&nft_ctx_get_error_buffer) get_error_buffer = nullptr;
  decltype(&nft_ctx_output_set_flags) output_set_flags = nullptr;
  decltype(&nft_run_cmd_from_buffer) run_cmd_from_buffer = nullptr;
};

const Libnftables& libnftables() {
  static const Libnftables api = [] {
    constexpr LibraryNeed kNeed{"libnftables.so.1", "network", "apply published ports and outbound NAT",
                                "the Debian package libnftables1"};
    void* handle = open_library(kNeed);
    Libnftables a;
    resolve_symbol(handle, kNeed, "nft_ctx_new", a.ctx_new);
    resolve_symbol(handle, kNeed, "nft_ctx_free", a.ctx_free);
    resolve_symbol(handle, kNeed, "nft_ctx_buffer_output", a.buffer_output);
    resolve_symbol(handle, kNeed, "nft_ctx_buffer_error", a.buffer_error);
    resolve_symbol(handle, kNeed, "nft_ctx_get_output_buffer", a.get_output_buffer);
    resolve_symbol(handle, kNeed, "nft_ctx_get_error_buffer", a.get_error_buffer);
    resolve_symbol(handle, kNeed, "nft_ctx_output_set_flags", a.output_set_flags);
    resolve_symbol(handle, kNeed, "nft_run_cmd_from_buffer", a.run_cmd_from_buffer);
    return a;
  }();
  return api;
}

// One context per call: it binds its netlink socket to the calling thread's net namespace.
class Context {
 public:
  explicit Context(bool json_output) : api_(libnftables()), ctx_(api_.ctx_new(NFT_CTX_DEFAULT)) {
    if (!ctx_) throw StepError("network", "create an nftables context (out of memory?)");
    api_.buffer_output(ctx_);
    api_.buffer_error(ctx_);
    if (json_output) api_.output_set_flags(ctx_, NFT_CTX_OUTPUT_JSON);
  }
  ~Context() { api_.ctx_free(ctx_); }
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  std::string run(const std::string& commands, const std::string& what) {
    if (api_.run_cmd_from_buffer(ctx_, commands.c_str()) != 0) {
      const char* error = api_.get_error_buffer(ctx_);
      throw StepError("network", what + ": nftables said: " + (error ? error : "(nothing)") + "commands were:\n" + commands);
    }
    const char* output = api_.get_output_buffer(ctx_);
    return output ? output : "";
  }

 private:
  const Libnftables& api_;
  nft_ctx* ctx_;
};

class LibnftablesOps final : public NftOps {
 public:
  void run(const std::string& commands) override { Context(false).run(commands, "apply nftables rules"); }
  std::string list_json(const std::string& command) override { return Context(true).run(command, command); }
};

}  // namespace

std::unique_ptr<NftOps> make_nft_ops() { return std::make_unique<LibnftablesOps>(); }

}  // namespace launcher
