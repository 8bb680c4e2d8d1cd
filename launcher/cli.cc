// SPDX-License-Identifier: Apache-2.0
#include "launcher/cli.h"

#include <cstring>

#include "launcher/cgroup/cgroup_reaper.h"

namespace launcher {

const char* usage_text() {
  return "usage: plan-exec [-q|-v] [--dry-run] [--stats] [--init | --no-init] [--stop-timeout S] [-t] [--instance K]\n"
         "                 [--denials=MODE] [--learn POLICY] PLAN [-- COMMAND ARGS...]\n"
         "       plan-exec ps [--json] | exec NAME|PID [-t] -- COMMAND ARGS... | stop NAME|PID\n"
         "       plan-exec --cleanup | --prune-cache | --list-steps | --help | --version\n"
         "\n"
         "Runs COMMAND (default: the plan's command) in the isolation PLAN describes (made by policyc).\n"
         "  -q, --quiet   no notes, warnings or unpack progress of plan-exec's own (errors, kills and\n"
         "                --denials stay)\n"
         "  -v, --verbose each step on stderr as it ends, with what it did and its time\n"
         "  --dry-run     print the steps in order with their parameters; do nothing\n"
         "  --stats       after the command, print what its cgroup measured\n"
         "  --init        a minimal pid 1 that forwards signals and reaps zombies, the command\n"
         "                its child (the default, unless the policy says `init none`)\n"
         "  --no-init     the command itself is pid 1 (it then ignores every signal it has no\n"
         "                handler for, SIGTERM and SIGINT included)\n"
         "  --stop-timeout S  after a forwarded SIGTERM or SIGINT (Ctrl-C), the container gets S\n"
         "                seconds (default 10, 0 to 86400, fractions allowed) to exit, then\n"
         "                everything in it is killed; a second Ctrl-C kills at once\n"
         "  -t, --tty     give the command a pseudo-terminal of its own (interactive use, like\n"
         "                docker run -t); needs a terminal on stdin. Without it the command has\n"
         "                no controlling terminal at all\n"
         "  -q, --quiet   no start-up line (with a veth: \"NAME: 10.200.0.2 via pe-4081\" on stderr)\n"
         "  --instance K  the K-th copy of this plan, named NAME-K: its veth addresses move K subnets up\n"
         "                (10.200.0.2/24 -> 10.200.K.2) and a pinned host_name gets \"-K\", so copies\n"
         "                of one plan run side by side\n"
         "  --denials=MODE  report each call the seccomp filter denies (repeats counted, a summary at\n"
         "                exit): stderr (default when stderr is a terminal), off (default otherwise;\n"
         "                a kill by the filter is still reported), json (JSON lines on stderr),\n"
         "                FILE (text appended to FILE), json:FILE (JSON lines appended to FILE)\n"
         "  --learn POLICY  let through every call the filter would deny, record it, and add allow\n"
         "                lines for them to POLICY (the .pol the plan was compiled from), inside its\n"
         "                seccomp block; several runs extend one learned block. Recompile the\n"
         "                policy with policyc afterwards\n"
         "  --cleanup     remove veths, cgroups and registry records left by plan-exec instances that died\n"
         "  --prune-cache remove unpacked archive rootfs trees that no archive points at any more\n"
         "                (archive gone or changed); trees in use by a running container stay\n"
         "  --list-steps  print the parent steps (for PLAN_EXEC_FAULT_AFTER in tests)\n"
         "Running containers (each registers in /run/plan-exec, rootless: $XDG_RUNTIME_DIR/plan-exec):\n"
         "  ps [--json]   list them: name, pids, uptime, address, veth, command\n"
         "  exec NAME|PID [-t] -- COMMAND ARGS...  run COMMAND inside one, with the plan's user,\n"
         "                capabilities, rlimits, no_new_privs, seccomp filter, cwd and environment\n"
         "  stop NAME|PID stop one as Ctrl-C would (SIGTERM to its plan-exec) and wait for it\n"
         "Exit status: the command's, 128+N if killed by signal N, 125 plan-exec failed,\n"
         "126 command not executable, 127 command not found, 137 out of memory.\n";
}

static CliArgs error(std::string text) {
  CliArgs args;
  args.mode = CliMode::Error;
  args.error = std::move(text);
  return args;
}

static bool parse_instance(const char* text, unsigned* out) {
  unsigned value = 0;
  if (*text == '\0') return false;
  for (const char* c = text; *c; ++c) {
    if (*c < '0' || *c > '9' || value > 6553) return false;
    value = value * 10 + static_cast<unsigned>(*c - '0');
  }
  if (value > 65535) return false;
  *out = value;
  return true;
}

// Seconds, as `10`, `0` or `2.5`: digits with at most one point, nothing else (no sign,
// exponent or hex that strtod would take).
static bool parse_seconds(const char* text, double* out) {
  double value = 0, scale = 0;
  bool digits = false;
  for (const char* c = text; *c; ++c) {
    if (*c == '.' && scale == 0) {
      scale = 1;
    } else if (*c >= '0' && *c <= '9') {
      digits = true;
      const double digit = *c - '0';
      if (scale == 0) {
        value = value * 10 + digit;
      } else {
        scale /= 10;
        value += digit * scale;
      }
      if (value > kMaxStopTimeoutSeconds) return false;
    } else {
      return false;
    }
  }
  if (!digits) return false;
  *out = value;
  return true;
}

static bool parse_denials(const char* value, RunOptions* run) {
  const std::string text = value;
  if (text.empty()) return false;
  if (text == "off") run->denials = DenialMode::Off;
  else if (text == "stderr") run->denials = DenialMode::Stderr;
  else if (text == "json") run->denials = DenialMode::Json;
  else if (text.rfind("json:", 0) == 0 && text.size() > 5) {
    run->denials = DenialMode::Json;
    run->denials_file = text.substr(5);
  } else {
    run->denials = DenialMode::Stderr;
    run->denials_file = text;
  }
  return true;
}

static bool only_option(int argc, int i) { return argc == 2 && i == 1; }

// Internal: the cgroup watcher's cleanup (cgroup_reaper.h). Absolute directories only.
static CliArgs parse_reap(int argc, const char* const* argv) {
  CliArgs args;
  args.mode = CliMode::ReapCgroups;
  bool parents = false;
  for (int i = 2; i < argc; ++i) {
    if (std::strcmp(argv[i], "--") == 0 && !parents) {
      parents = true;
    } else if (argv[i][0] != '/') {
      return error(std::string(kReapOption) + " takes absolute cgroup directories, not \"" + argv[i] + "\"");
    } else {
      (parents ? args.reap_parents : args.reap_leaves).emplace_back(argv[i]);
    }
  }
  return args;
}

CliArgs parse_cli(int argc, const char* const* argv) {
  if (argc >= 2 && std::strcmp(argv[1], kReapOption) == 0) return parse_reap(argc, argv);
  CliArgs args;
  int i = 1;
  for (; i < argc; ++i) {
    const char* a = argv[i];
    if (std::strcmp(a, "--") == 0) break;
    if (std::strcmp(a, "--dry-run") == 0) {
      args.run.dry_run = true;
    } else if (std::strcmp(a, "-q") == 0 || std::strcmp(a, "--quiet") == 0) {
      args.run.quiet = true;
    } else if (std::strcmp(a, "-v") == 0 || std::strcmp(a, "--verbose") == 0) {
      args.run.verbose = true;
    } else if (std::strcmp(a, "--stats") == 0) {
      args.run.stats = true;
    } else if (std::strcmp(a, "--init") == 0 || std::strcmp(a, "--no-init") == 0) {
      const InitMode mode = a[2] == 'i' ? InitMode::Always : InitMode::Never;
      if (args.run.init != InitMode::Plan && args.run.init != mode) {
        return error("--init and --no-init contradict each other: give one (--init: plan-exec's minimal init is pid 1; "
                     "--no-init: the command is)");
      }
      args.run.init = mode;
    } else if (std::strcmp(a, "--stop-timeout") == 0) {
      if (i + 1 >= argc || !parse_seconds(argv[i + 1], &args.run.stop_timeout_seconds)) {
        return error(std::string("--stop-timeout takes the seconds the container gets after SIGTERM or Ctrl-C before "
                                 "everything in it is killed, from 0 to 86400 (e.g. --stop-timeout 30)") +
                     (i + 1 < argc ? ", not \"" + std::string(argv[i + 1]) + "\"" : ""));
      }
      ++i;
    } else if (std::strcmp(a, "-t") == 0 || std::strcmp(a, "--tty") == 0) {
      args.run.terminal = true;
    } else if (std::strcmp(a, "--instance") == 0) {
      if (i + 1 >= argc || !parse_instance(argv[i + 1], &args.run.instance)) {
        return error("--instance takes a number from 0 to 65535 (the copy of the plan to run)");
      }
      ++i;
    } else if (std::strcmp(a, "--learn") == 0) {
      if (i + 1 >= argc || argv[i + 1][0] == '-') {
        return error("--learn takes the policy file to add allow lines to, e.g. plan-exec --learn app.pol app.plan -- cmd");
      }
      args.run.learn = true;
      args.run.learn_policy = argv[++i];
    } else if (std::strncmp(a, "--denials=", 10) == 0) {
      if (!parse_denials(a + 10, &args.run)) {
        return error("--denials takes off, stderr, json, a file name or json:FILE, not \"" + std::string(a + 10) + "\"");
      }
    } else if (std::strcmp(a, "--help") == 0 || std::strcmp(a, "-h") == 0) {
      args.mode = CliMode::Help;
      return args;
    } else if (std::strcmp(a, "--version") == 0) {
      args.mode = CliMode::Version;
      return args;
    } else if (std::strcmp(a, "--prune-cache") == 0) {
      if (!only_option(argc, i)) return error("--prune-cache takes no other arguments");
      args.mode = CliMode::PruneCache;
      return args;
    } else if (std::strcmp(a, "--cleanup") == 0 || std::strcmp(a, "--list-steps") == 0) {
      if (!only_option(argc, i)) return error(std::string(a) + " takes no other arguments");
      args.mode = a[2] == 'c' ? CliMode::Cleanup : CliMode::ListSteps;
      return args;
    } else if (a[0] == '-' && a[1] != '\0') {
      return error(std::string("unknown option ") + a + " (see plan-exec --help)");
    } else if (args.run.plan_path.empty()) {
      args.run.plan_path = a;
    } else {
      return error(std::string("unexpected argument \"") + a + "\": put the command after `--`, e.g. plan-exec " +
                   args.run.plan_path + " -- " + a);
    }
  }
  if (args.run.quiet && args.run.verbose) return error("-q and -v contradict each other: give one");
  if (args.run.plan_path.empty()) return error("no plan given (see plan-exec --help)");
  if (i < argc) {  // after "--"
    for (++i; i < argc; ++i) args.run.command.emplace_back(argv[i]);
    if (args.run.command.empty()) return error("nothing after `--`: give the command to run, or leave out `--`");
  }
  return args;
}

}  // namespace launcher
