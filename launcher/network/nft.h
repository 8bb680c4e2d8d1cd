// SPDX-License-Identifier: Apache-2.0
// nftables through libnftables (the library nft(8) itself uses), never the `nft` command.
// Behind an interface so the rules plan-exec writes are unit-tested with a recording fake.
#pragma once

#include <memory>
#include <string>

namespace launcher {

class NftOps {
 public:
  virtual ~NftOps() = default;
  // Runs commands of the nft language (one per line) as one transaction: all or nothing.
  // Throws StepError(step "network") with nft's own message and the commands.
  virtual void run(const std::string& commands) = 0;
  // The JSON output (nft -j) of one list command, e.g. "list tables".
  virtual std::string list_json(const std::string& command) = 0;
};

// libnftables.so.1, loaded at first use (the static plan-exec cannot link it: Debian ships no
// libnftables.a, and it is needed only by plans that publish ports or NAT). Throws
// StepError(step "network") naming the package when it is missing.
std::unique_ptr<NftOps> make_nft_ops();

}  // namespace launcher
