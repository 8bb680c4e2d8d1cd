// SPDX-License-Identifier: Apache-2.0
// The policy as plain structs with source locations. The parse tree stops at
// compiler/parse/: everything downstream (checks, lowering, exporters) sees only these types.
// Values are kept as written (names, "250M" already split into number + unit is the parser's
// job only where the grammar makes it a token); resolution to numbers happens in lowering.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "compiler/diag/diagnostics.h"

namespace policyc::ast {

// A word or literal exactly as written, with where it was written.
struct Word {
  std::string text;
  Location where;
};

// ---- seccomp ---------------------------------------------------------------------------

// An action as written: kind "allow", "errno", "kill_thread", "kill_process", "trap", "log",
// "trace", "notify"; `argument` is the parenthesised part of errno(EPERM)/trace(7)/trap(3), if any.
struct Action {
  Word kind;
  std::optional<Word> argument;
};

// A value on the right of a comparison or in a mask: a number ("8", "0x20000", "-1") or a
// named constant ("AF_INET"), or several OR-ed together ("O_RDONLY|O_CLOEXEC").
struct Value {
  std::vector<Word> terms;    // OR-ed; each term is a number literal or a constant name
  Location where;
};

// One comparison: `arg0 == AF_INET`, `(arg1 & PROT_EXEC) == 0`, `u32(arg0) == AT_FDCWD`.
struct Comparison {
  unsigned arg = 0;           // 0..5 (the parser rejects others with a diagnostic)
  bool low32 = false;         // written as u32(argN): compare the low 32 bits only
  std::optional<Value> mask;  // present for (argN & MASK) OP value
  std::string op;             // "==", "!=", "<", "<=", ">", ">="
  Value value;
  Location where;
};

struct Condition;
using ConditionPtr = std::shared_ptr<const Condition>;

// A boolean condition tree: comparison, !c, a && b, a || b.
struct Condition {
  enum class Kind { Compare, Not, And, Or } kind = Kind::Compare;
  Comparison compare;                 // Kind::Compare
  std::vector<ConditionPtr> operands; // Not: one; And/Or: two or more
  Location where;
};

// `allow read write @files if arg0 == 1`: one action applied to several names. Names starting
// with '@' are groups (defined with `group`, or built in); a decimal number is a syscall number.
struct Rule {
  Action action;
  std::vector<Word> names;
  ConditionPtr condition;             // null = unconditional
  std::string comment;                // a comment carried over by the Docker importer
  Location where;
};

// `group @net = socket connect bind`
struct Group {
  Word name;                          // with the leading '@'
  std::vector<Word> members;          // syscall names or other groups
};

// `include "file.pol"` or `include "profile.json"`: resolved by the parser, which splices the
// included block's statements in place (for .json through the Docker importer). Kept in the
// AST so messages can say where a rule came from.
struct Include {
  Word path;
};

// `expect errno(EPERM) socket(AF_NETLINK, ...)`: a test of the compiled filter, checked at
// compile time; it does not change the filter. `kill` (a plain word, as kill is a syscall name)
// stands for kill_thread or kill_process.
struct Expect {
  std::optional<Action> action;       // absent when the verdict is written `kill`
  Word verdict;                       // the verdict's first word as written ("errno", "kill")
  Word syscall;
  std::vector<Value> args;            // arg0, arg1, ... as written; the ones not written are free
  bool rest = false;                  // `...` written after the arguments (documents the free ones)
  Location where;
};

using SeccompStatement = std::variant<Rule, Group, Include, Expect>;

struct Seccomp {
  Action default_action;
  std::vector<Word> arches;           // `arch x86_64 x86 x32`; empty = native only
  std::vector<Word> arch_comments;    // `# ...` written on an arch line after the list: the reason
  std::vector<Action> bad_arch_actions;  // `arch ... otherwise ACTION`, in source order (one allowed)
  std::vector<SeccompStatement> statements;  // in source order, includes already spliced
  Location where;
  Location end;                       // the closing brace (plan-exec --learn writes before it)
};

// ---- the container ---------------------------------------------------------------------
// Sections beyond seccomp are the front end's to shape; these are the fields lowering and the
// OCI exporter rely on. Sizes and durations are kept as written ("250M", "50ms") with their
// location, and parsed in lowering, where errors can point at them.

struct RootfsDecl {
  Word path;
  bool archive = false;               // `rootfs archive "x.tar.gz"`
  bool readonly = false;
  bool chroot = false;                // `rootfs "/p" chroot`: chroot instead of pivot_root
  bool writethrough = false;          // `rootfs "/p" writethrough`: writes reach the host directory
  Location where;
};

struct MountDecl {
  Word kind;                          // proc, sysfs, tmpfs, bind, dev, mqueue, devpts
  std::optional<Word> source;         // bind only
  Word target;
  std::optional<Word> size;           // tmpfs
  std::optional<Word> mode;           // tmpfs, octal
  bool readonly = false;
  bool readwrite_explicit = false;
  Location where;
};

// `publish tcp 8080:80`: `spec` is the mapping re-joined from its tokens ("127.0.0.1:8080:80",
// "[::1]:8080:80", "5353"); `gap` is set when the mapping was written with spaces inside it.
struct PublishDecl {
  std::optional<Word> protocol;       // tcp (default) or udp
  Word spec;
  bool gap = false;
  Location where;
};

// The block of `network veth { ... }` and `network user { ... }` (which takes publish and
// outbound only; the checks say so).
struct VethDecl {
  std::optional<Word> host;           // "10.0.0.1/24"
  std::optional<Word> container;      // "10.0.0.2/24"
  std::optional<Word> gateway;        // "host" or an address
  std::optional<Word> mtu;
  std::optional<Word> host_name;
  std::optional<Word> container_name;
  std::vector<PublishDecl> publish;
  std::vector<Word> outbound;         // "outbound nat" (veth) or bare "outbound" (user): text "nat" or ""; once
  std::vector<Word> dns;              // "host" or an address; more than one is an error
  Location where;
};

struct NetworkDecl {
  Word mode;                          // none, loopback, veth, host, user, join
  std::optional<VethDecl> veth;       // the { ... } block of veth or user
  std::optional<Word> join_path;      // network join "/run/netns/NAME"
  std::optional<Word> join_pid;       // network join pid 1234
  Location where;
};

// One `key value` in the limits block: memory 250M, swap 0, memory_reservation 100M,
// cpu 0.5 (or cpu 50ms/100ms), cpu_weight 100, cpuset "0-1", cpuset_mems "0", pids 64,
// best_effort, parent "name".
struct LimitDecl {
  Word key;
  std::vector<Word> values;
  Location where;
};

struct RlimitDecl {
  Word resource;                      // nofile, nproc, ...
  Word soft;
  std::optional<Word> hard;           // default: same as soft
  Location where;
};

struct IdMapDecl {
  Word inside, outside, count;
  Location where;
};

struct UserDecl {
  Word uid;
  std::optional<Word> gid;
  std::vector<Word> groups;
  Location where;
};

struct EnvDecl {
  Word key;
  Word value;
  Location where;
};

// One line of `landlock { ... }`: a right or keyword and its values, as written:
// `read /usr /lib`, `bind tcp 8080`, `scope signals abstract_unix`, `best_effort`.
struct LandlockEntry {
  Word key;
  std::vector<Word> values;           // paths unquoted, numbers, tcp/udp, scope names
  Location where;
};

struct LandlockDecl {
  std::vector<LandlockEntry> entries;
  Location where;                     // the `landlock` keyword
};

struct Container {
  Word name;
  std::vector<Word> namespaces;
  std::optional<RootfsDecl> rootfs;
  std::vector<MountDecl> mounts;
  std::vector<Word> masked_paths;
  std::vector<Word> readonly_paths;
  std::vector<Word> devices;                           // `device /dev/fuse`: host nodes granted by name
  std::optional<Word> hostname;
  std::optional<NetworkDecl> network;
  std::vector<LimitDecl> limits;
  std::optional<Location> limits_where;
  std::optional<std::vector<Word>> capabilities_keep;  // absent = default set; empty = none
  std::vector<RlimitDecl> rlimits;
  std::optional<UserDecl> user;
  std::vector<IdMapDecl> uid_map;
  std::vector<IdMapDecl> gid_map;
  std::vector<EnvDecl> env;
  std::optional<Word> cwd;
  std::vector<Word> command;
  std::optional<Word> init;                            // `init minimal` | `init none`
  std::optional<LandlockDecl> landlock;  // the first `landlock { }`; a second is an error
  std::optional<Seccomp> seccomp;
  Location where;
  // Added by the front end: every section keyword as written, in source order, so the checks
  // can report a section given twice (the fields above keep the first occurrence).
  std::vector<Word> sections;
};

// A file is a container, or a bare seccomp block (a seccomp-only policy, which is what
// `policyc import-docker` writes and what `include "x.pol"` takes the rules from).
struct Policy {
  std::string file;
  std::optional<Container> container;
  std::optional<Seccomp> seccomp;     // set for a bare seccomp file; otherwise in container
  const Seccomp* seccomp_block() const {
    if (container && container->seccomp) return &*container->seccomp;
    return seccomp ? &*seccomp : nullptr;
  }
};

}  // namespace policyc::ast
