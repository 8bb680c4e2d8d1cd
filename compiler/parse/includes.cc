// SPDX-License-Identifier: Apache-2.0
// parse_file / parse_text: reads files, parses them (parse.cc), and resolves `include`
// statements in seccomp blocks: another .pol file's seccomp rules, or a Docker seccomp profile
// turned into .pol text by the Docker importer. Included rules are spliced in right after
// their ast::Include entry and keep their own file locations, so diagnostics point into the
// included file. The including block alone decides the default action and the arches.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "compiler/diag/input_file.h"
#include "compiler/docker/import.h"
#include "compiler/parse/parse.h"
#include "compiler/parse/parse_internal.h"
#include "compiler/values/defaults.h"
#include "compiler/values/values.h"

namespace policyc {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxIncludeDepth = 16;

struct Frame {
  std::string identity;   // canonical path, to recognise a file however it was named
  std::string display;    // as shown in messages
};

std::optional<std::string> read_text(const std::string& path, std::string& error) {
  InputFile input = read_input_file(path);
  error = input.error;
  return input.text;
}

std::string identity_of(const std::string& path) {
  std::error_code ec;
  fs::path canonical = fs::weakly_canonical(path, ec);
  return ec ? fs::path(path).lexically_normal().string() : canonical.string();
}

bool ends_with_json(const std::string& path) {
  if (path.size() < 5) return false;
  std::string tail = path.substr(path.size() - 5);
  std::transform(tail.begin(), tail.end(), tail.begin(), [](unsigned char c) { return std::tolower(c); });
  return tail == ".json";
}

// "net_bind_service" / "CAP_NET_BIND_SERVICE" -> "CAP_NET_BIND_SERVICE", as Docker spells them.
std::string docker_cap_name(std::string name) {
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::toupper(c); });
  return name.rfind("CAP_", 0) == 0 ? name : "CAP_" + name;
}

class IncludeResolver {
 public:
  // `arches`: the including block's `arch` list, which decides for every included file.
  IncludeResolver(Diagnostics& diags, std::vector<std::string> docker_caps, std::size_t max_syntax_errors,
                  const ast::Seccomp& including)
      : diags_(diags), docker_caps_(std::move(docker_caps)), max_syntax_errors_(max_syntax_errors), arches_{"x86_64"} {
    for (const ast::Word& arch : including.arches) arches_.push_back(arch.text);
  }

  // After each Include in `block` (written in `from`), splices the included block's statements.
  void resolve(ast::Seccomp& block, const std::string& from, std::vector<Frame>& stack) {
    std::vector<ast::SeccompStatement> out;
    for (auto& statement : block.statements) {
      out.push_back(statement);
      if (auto* include = std::get_if<ast::Include>(&statement)) {
        auto included = load(*include, from, stack);
        if (included) out.insert(out.end(), included->begin(), included->end());
      }
    }
    block.statements = std::move(out);
  }

 private:
  std::optional<std::vector<ast::SeccompStatement>> load(const ast::Include& include, const std::string& from,
                                                         std::vector<Frame>& stack) {
    const ast::Word& path = include.path;
    if (path.text.empty()) {
      diags_.error(path.where, "include needs a file name", "write include \"other.pol\" or include \"profile.json\"");
      return std::nullopt;
    }
    fs::path target(path.text);
    std::string display =
        target.is_absolute() ? target.lexically_normal().string()
                             : (fs::path(from).parent_path() / target).lexically_normal().string();
    Frame frame{identity_of(display), display};
    if (auto cycle = find_cycle(frame, stack)) {
      diags_.error(path.where, "include cycle: " + *cycle,
                   "remove one of these includes; each file may appear once in an include chain");
      return std::nullopt;
    }
    if (stack.size() >= kMaxIncludeDepth) {
      diags_.error(path.where, "includes are nested more than " + std::to_string(kMaxIncludeDepth) + " deep",
                   "flatten the include chain");
      return std::nullopt;
    }
    std::string error;
    auto text = read_text(display, error);
    if (!text) {
      diags_.error(path.where, "cannot read included file \"" + display + "\": " + error,
                   "a relative include is resolved against the including file's directory");
      return std::nullopt;
    }
    return ends_with_json(display) ? load_docker(*text, display, path, stack, frame)
                                   : load_policy(*text, display, display, path, stack, frame);
  }

  std::optional<std::string> find_cycle(const Frame& frame, const std::vector<Frame>& stack) const {
    auto it = std::find_if(stack.begin(), stack.end(), [&](const Frame& f) { return f.identity == frame.identity; });
    if (it == stack.end()) return std::nullopt;
    std::string chain;
    for (; it != stack.end(); ++it) chain += it->display + " -> ";
    return chain + frame.display;
  }

  std::optional<std::vector<ast::SeccompStatement>> load_docker(const std::string& json, const std::string& display,
                                                                const ast::Word& path, std::vector<Frame>& stack,
                                                                const Frame& frame) {
    docker::ImportOptions options;
    options.caps = docker_caps_;
    options.including_arches = arches_;
    std::size_t errors_before = diags_.error_count();
    auto pol = docker::import_to_pol(json, display, options, diags_);
    if (!pol) {
      if (diags_.error_count() == errors_before) {
        diags_.error(path.where, "cannot import Docker profile \"" + display + "\"");
      }
      diags_.note(path.where, "included here");
      return std::nullopt;
    }
    return load_policy(*pol, display + " (imported)", display, path, stack, frame);
  }

  std::optional<std::vector<ast::SeccompStatement>> load_policy(const std::string& text, const std::string& name,
                                                                const std::string& display, const ast::Word& path,
                                                                std::vector<Frame>& stack, const Frame& frame) {
    diags_.add_source(name, text);
    auto policy = parse_detail::parse_single(text, name, diags_, max_syntax_errors_);
    if (!policy) return std::nullopt;
    ast::Seccomp* block = policy->container && policy->container->seccomp ? &*policy->container->seccomp
                          : policy->seccomp                               ? &*policy->seccomp
                                                                          : nullptr;
    if (!block) {
      diags_.error(path.where, "included file \"" + display + "\" has no seccomp block",
                   "an included file must be a `seccomp default ACTION { ... }` block or a container with one");
      return std::nullopt;
    }
    stack.push_back(frame);
    resolve(*block, display, stack);
    stack.pop_back();
    return block->statements;
  }

  Diagnostics& diags_;
  std::vector<std::string> docker_caps_;
  std::size_t max_syntax_errors_;
  std::vector<std::string> arches_;  // the including block's `arch` list (x86_64 always)
};

std::vector<std::string> caps_for_docker(const ast::Policy& policy, const ParseOptions& options) {
  // A bare seccomp block is a profile of its own: Docker's default set, as Docker reads it.
  if (!policy.container || (!policy.container->capabilities_keep && !options.docker_caps.empty())) {
    return options.docker_caps;
  }
  if (!policy.container->capabilities_keep) {
    // No `capabilities` section: the container keeps policyc's default set (Docker's without
    // mknod), and the profile's includes/excludes follow what it really holds.
    std::vector<std::string> caps;
    for (int cap : lower::default_capabilities()) caps.push_back(docker_cap_name(lower::capability_name(cap)));
    return caps;
  }
  // `capabilities keep none`: the importer spells "no capabilities" as {"none"}, because an
  // empty list means Docker's default set.
  if (policy.container->capabilities_keep->empty()) return {"none"};
  std::vector<std::string> caps;
  for (const auto& name : *policy.container->capabilities_keep) caps.push_back(docker_cap_name(name.text));
  return caps;
}

void resolve_includes(ast::Policy& policy, const std::string& file_name, Diagnostics& diags,
                      const ParseOptions& options) {
  ast::Seccomp* block = policy.container && policy.container->seccomp ? &*policy.container->seccomp
                        : policy.seccomp                               ? &*policy.seccomp
                                                                       : nullptr;
  if (!block) return;
  IncludeResolver resolver(diags, caps_for_docker(policy, options), options.max_syntax_errors, *block);
  std::vector<Frame> stack{{identity_of(file_name), file_name}};
  resolver.resolve(*block, file_name, stack);
}

}  // namespace

std::optional<ast::Policy> parse_text(const std::string& text, const std::string& file_name, Diagnostics& diags,
                                      const ParseOptions& options) {
  diags.add_source(file_name, text);
  auto policy = parse_detail::parse_single(text, file_name, diags, options.max_syntax_errors);
  if (policy) resolve_includes(*policy, file_name, diags, options);
  return policy;
}

std::optional<ast::Policy> parse_file(const std::string& path, Diagnostics& diags, const ParseOptions& options) {
  InputFile input = read_input_file(path);
  if (!input.text) {
    diags.error({path}, "cannot read policy file: " + input.error,
                input.too_large ? "" : "check the path and its permissions");
    return std::nullopt;
  }
  std::optional<std::string> text = std::move(input.text);
  return parse_text(*text, path, diags, options);
}

}  // namespace policyc
