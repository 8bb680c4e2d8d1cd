// SPDX-License-Identifier: Apache-2.0
// policyc groups [NAME] [--markdown]
// Lists the built-in syscall groups (compiler/seccomp/groups.h) a policy can name: each with
// its purpose and members, members of the i386 ABI only marked (x86), those newer than this
// build's syscall table marked (skipped), and where that table comes from. --markdown prints
// docs/language.md's table, which a unit test keeps equal to it.
#include <iostream>
#include <memory>

#include "compiler/cli/commands.h"
#include "compiler/cli/output.h"
#include "compiler/diag/printable.h"
#include "compiler/diag/diagnostics.h"
#include "compiler/seccomp/groups.h"
#include "plan/syscall_table.h"

namespace policyc::cli {
namespace {

struct GroupsArgs {
  std::string name;
  bool markdown = false;
};

void print_group(const seccomp::BuiltinGroup& group) {
  std::cout << group.name << (group.dangerous ? "  (dangerous)" : "") << "\n  " << group.purpose << "\n ";
  for (std::string_view member : group.members) {
    const seccomp::MemberKind kind = seccomp::member_kind(member);
    std::cout << " " << member
              << (kind == seccomp::MemberKind::I386Only ? "(x86)" : kind == seccomp::MemberKind::Unknown ? "(skipped)" : "");
  }
  std::cout << "\n";
}

int run_groups(const GroupsArgs& args) {
  if (args.markdown) {
    std::cout << seccomp::builtin_groups_markdown();
    return kExitOk;
  }
  if (!args.name.empty()) {
    const seccomp::BuiltinGroup* group = seccomp::find_builtin_group(args.name);
    if (group == nullptr) {
      std::vector<std::string> names;
      for (const auto& g : seccomp::builtin_groups()) names.emplace_back(g.name);
      const std::string guess = did_you_mean(args.name, names);
      std::cerr << "policyc groups: no built-in group \"" << printable(args.name) << "\""
                << (guess.empty() ? "; `policyc groups` lists them" : "; did you mean \"" + guess + "\"?") << "\n";
      return kExitInputError;
    }
    print_group(*group);
    return kExitOk;
  }
  for (const auto& group : seccomp::builtin_groups()) print_group(group);
  std::cout << "\n(x86): applies only when the seccomp block allows `arch x86`; (skipped): newer than the "
               "syscall table of this build\nsyscall table: "
            << plan::syscall_table_source() << "\n";
  return kExitOk;
}

}  // namespace

std::vector<Command> add_groups_command(CLI::App& app) {
  auto args = std::make_shared<GroupsArgs>();
  CLI::App* groups = app.add_subcommand("groups", "list the built-in syscall groups (@default, @file-system, ...)");
  groups->add_option("name", args->name, "one group to show, e.g. @mount");
  groups->add_flag("--markdown", args->markdown, "print the table of docs/language.md");
  add_output_options(*groups, false);
  return {{groups, [args] { return run_groups(*args); }}};
}

}  // namespace policyc::cli
