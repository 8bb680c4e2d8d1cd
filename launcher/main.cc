// SPDX-License-Identifier: Apache-2.0
// plan-exec: runs one command in the isolation a plan describes. See launcher/README.md.
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <exception>

#include "launcher/caller.h"
#include "launcher/cgroup/cgroup_reaper.h"
#include "launcher/cli.h"
#include "launcher/host/error.h"
#include "launcher/host/signals.h"
#include "launcher/instances/commands.h"
#include "launcher/rootfs/rootfs_cache.h"
#include "launcher/sequence.h"
#include "launcher/validate.h"

#ifndef PLAN_EXEC_VERSION
#define PLAN_EXEC_VERSION "0.1.0"
#endif

// plan-exec --prune-cache: the cache of the caller (root's, or the rootless user's).
static int prune_cache() {
  try {
    for (const auto& line : launcher::prune_rootfs_cache(::geteuid() != 0)) std::puts(line.c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "plan-exec: prune the rootfs cache: %s\n", e.what());
    return 125;
  }
}

// plan-exec ps | exec | stop (launcher/instances/commands.h). exec hands our stdin/stdout/stderr
// to a command inside a container, as a run does: the same caller checks come first.
static int instance_command(int argc, char** argv) {
  if (std::strcmp(argv[1], "exec") == 0) {
    try {
      launcher::refuse_setuid(::getuid(), ::geteuid(), ::getgid(), ::getegid());
      launcher::check_caller();
    } catch (const launcher::StepError& e) {
      std::fprintf(stderr, "plan-exec: exec: %s\n", e.describe().c_str());
      return 125;
    }
  }
  return launcher::run_instance_command(argc, argv);
}

int main(int argc, char** argv) {
  launcher::keep_hangup_ignored();
  launcher::set_reap_program("/proc/self/exe");  // the cgroup watcher's cleanup is plan-exec --reap-cgroups
  if (argc >= 2 && launcher::is_instance_command(argv[1])) return instance_command(argc, argv);
  const launcher::CliArgs args = launcher::parse_cli(argc, argv);
  switch (args.mode) {
    case launcher::CliMode::Help:
      std::fputs(launcher::usage_text(), stdout);
      return 0;
    case launcher::CliMode::Version:
      std::puts("plan-exec " PLAN_EXEC_VERSION);
      return 0;
    case launcher::CliMode::ListSteps:
      for (const auto& step : launcher::parent_step_names()) std::puts(step.c_str());
      return 0;
    case launcher::CliMode::Cleanup:
      return launcher::cleanup_leftovers();
    case launcher::CliMode::PruneCache:
      return prune_cache();
    case launcher::CliMode::ReapCgroups:
      return launcher::reap_cgroups_command(args.reap_leaves, args.reap_parents);
    case launcher::CliMode::Error:
      std::fprintf(stderr, "plan-exec: %s\n", args.error.c_str());
      return 125;
    case launcher::CliMode::Run:
      break;
  }
  return launcher::run_plan(args.run);
}
