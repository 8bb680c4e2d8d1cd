// SPDX-License-Identifier: Apache-2.0
#include "launcher/instances/commands.h"

#include <cstdio>
#include <cstring>
#include <string>

#include "launcher/instances/exec.h"
#include "launcher/instances/ps.h"
#include "launcher/instances/stop.h"

namespace launcher {

namespace {

int usage_error(const std::string& text) {
  std::fprintf(stderr, "plan-exec: %s\n%s", text.c_str(), instance_usage_text());
  return 125;
}

int ps(int argc, const char* const* argv) {
  bool json = false;
  for (int i = 2; i < argc; ++i) {
    if (std::strcmp(argv[i], "--json") == 0) json = true;
    else return usage_error(std::string("ps: unknown argument \"") + argv[i] + "\"");
  }
  return ps_command(json);
}

int stop(int argc, const char* const* argv) {
  if (argc != 3 || argv[2][0] == '-') return usage_error("stop takes one container: its name or pid (plan-exec ps lists them)");
  return stop_command(argv[2]);
}

int exec(int argc, const char* const* argv) {
  ExecRequest request;
  int i = 2;
  for (; i < argc && std::strcmp(argv[i], "--") != 0; ++i) {
    const char* a = argv[i];
    if (std::strcmp(a, "-t") == 0 || std::strcmp(a, "--tty") == 0) request.terminal = true;
    else if (a[0] == '-') return usage_error(std::string("exec: unknown option ") + a);
    else if (request.target.empty()) request.target = a;
    else return usage_error(std::string("exec: unexpected \"") + a + "\": put the command after `--`, e.g. plan-exec exec " +
                            request.target + " -- " + a);
  }
  if (request.target.empty()) return usage_error("exec: which container? give its name or pid (plan-exec ps lists them)");
  for (++i; i < argc; ++i) request.command.emplace_back(argv[i]);
  if (request.command.empty()) {
    return usage_error("exec: no command: give it after `--`, e.g. plan-exec exec " + request.target + " -- /bin/sh");
  }
  return exec_in_instance(request);
}

}  // namespace

bool is_instance_command(const char* word) {
  return std::strcmp(word, "ps") == 0 || std::strcmp(word, "exec") == 0 || std::strcmp(word, "stop") == 0;
}

int run_instance_command(int argc, const char* const* argv) {
  const std::string command = argv[1];
  if (command == "ps") return ps(argc, argv);
  if (command == "stop") return stop(argc, argv);
  return exec(argc, argv);
}

const char* instance_usage_text() {
  return "usage: plan-exec ps [--json]                          list your running containers\n"
         "       plan-exec exec NAME|PID [-t] -- COMMAND ARGS... run COMMAND inside a running container\n"
         "       plan-exec stop NAME|PID                         stop it as Ctrl-C would (SIGTERM to its plan-exec)\n";
}

}  // namespace launcher
