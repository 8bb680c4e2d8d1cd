// SPDX-License-Identifier: Apache-2.0
// `dns "10.0.0.53"` / `dns host`: the container's /etc/resolv.conf, written into its private
// (overlay) layer before pivot_root; the rootfs tree on the host is never written.
#pragma once

#include <string>

#include "launcher/host/kernel.h"

namespace launcher {

// The file's text: "nameserver ADDRESS" for an address; for "host", the host's resolv.conf
// (`host_text`) without its loopback name servers (127.0.0.53 of systemd-resolved, ::1), which
// the container cannot reach. Throws StepError(step "network") when none is left.
std::string resolv_conf_text(const std::string& dns, const std::string& host_text);

// Replaces ROOT/etc/resolv.conf (resolved inside ROOT, /etc made when missing) with `text`.
void write_resolv_conf(Kernel& kernel, const std::string& root, const std::string& text);

}  // namespace launcher
