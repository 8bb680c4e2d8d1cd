// SPDX-License-Identifier: Apache-2.0
// Words for `plan-exec --dry-run`: one line per step with its parameters. The order comes from
// sequence.cc (which calls these only in dry-run mode), never from here.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "launcher/process/process_steps.h"
#include "plan/plan.h"

namespace launcher {

void print_step(std::FILE* out, int depth, const char* name, const std::string& text);

std::string describe_clone_flags(unsigned long long flags);
// The flags plan-exec uses (nodev enforced); for the minimal /dev, also the granted `devices`.
std::string describe_mount(const plan::Mount& m, const std::vector<std::string>& devices = {});
std::string describe_id_maps(const IdMaps& maps);
std::string describe_user(const plan::User& user, bool setgroups_allowed);
std::string describe_capabilities(const std::vector<int>& keep);
std::string describe_rlimits(const std::vector<plan::Rlimit>& rlimits);
std::string describe_seccomp(const plan::Seccomp& seccomp);
std::string describe_exec(const std::string& path, const std::vector<std::string>& argv,
                          const std::vector<std::string>& env, const std::string& cwd);
std::string join(const std::vector<std::string>& items, const char* separator);

}  // namespace launcher
