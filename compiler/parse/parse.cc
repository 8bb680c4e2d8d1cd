// SPDX-License-Identifier: Apache-2.0
// The only file that includes ANTLR headers: runs the generated lexer and parser on one text,
// turns syntax errors into readable diagnostics, and builds our own AST from the parse tree.
// Include resolution (other files, Docker profiles) lives in includes.cc.
#include <algorithm>
#include <map>
#include <set>

#include "antlr4-runtime.h"
#include "PolicyLexer.h"
#include "PolicyParser.h"

#include "compiler/diag/input_file.h"
#include "compiler/parse/parse_internal.h"

namespace policyc::parse_detail {
namespace {

using P = policygrammar::PolicyParser;
using antlr4::ParserRuleContext;
using antlr4::Token;
using antlr4::tree::ParseTree;
using antlr4::tree::TerminalNode;

constexpr unsigned kMaxNesting = 100;  // parentheses / `!` chains: the parser recurses on them

std::string in_quotes(const std::string& text) { return "\"" + text + "\""; }

Location token_location(const std::string& file, const Token* t) {
  Location where{file, 0, 0, 1};
  if (!t) return where;
  where.line = static_cast<unsigned>(t->getLine());
  where.column = static_cast<unsigned>(t->getCharPositionInLine()) + 1;
  if (t->getType() != Token::EOF && t->getStopIndex() >= t->getStartIndex()) {
    where.length = static_cast<unsigned>(t->getStopIndex() - t->getStartIndex() + 1);
  }
  return where;
}

// ---- tokens as the user should read them -----------------------------------------------

// Keywords that are ordinary names inside a syscall list (see `containerKeyword` in the grammar).
bool is_name_keyword(std::size_t type) {
  static const std::set<std::size_t> kNames = {
      P::CONTAINER, P::ROOTFS, P::ARCHIVE, P::READONLY, P::READWRITE, P::CHROOT, P::NAMESPACES,
      P::HOSTNAME, P::MOUNT, P::AT, P::SIZE, P::MODE, P::MASK, P::NETWORK, P::HOST, P::GATEWAY,
      P::MTU, P::HOST_NAME, P::CONTAINER_NAME, P::LIMITS, P::CAPABILITIES, P::KEEP, P::RLIMIT,
      P::USER, P::GROUPS, P::UIDMAP, P::GIDMAP, P::ENV, P::CWD, P::COMMAND, P::SECCOMP,
      P::DEFAULT, P::U32, P::PID, P::IPC, P::UTS, P::NET, P::CGROUP, P::TIME, P::DEVICE, P::WRITETHROUGH,
      P::OTHERWISE, P::INIT, P::PUBLISH, P::OUTBOUND, P::DNS, P::LANDLOCK, P::TCP, P::UDP, P::SIGNALS,
      P::ABSTRACT_UNIX};
  return kNames.count(type) > 0;
}

std::string describe_token_type(std::size_t type, const antlr4::dfa::Vocabulary& vocabulary) {
  switch (type) {
    case Token::EOF: return "end of file";
    case P::ID: return "a name";
    case P::STRING: return "a quoted string";
    case P::PATH: return "an absolute path";
    case P::RELPATH: return "a path";
    case P::NUMBER: return "a number";
    case P::HEX: return "a hex number";
    case P::QUANTITY: return "a size or fraction (64M, 0.5)";
    case P::RATIO: return "a quota/period (20ms/100ms)";
    case P::ADDRESS: return "an address (10.0.0.1/24)";
    case P::ADDRESS6: return "an IPv6 address (fd00::1/64)";
    case P::GROUP_NAME: return "a group name (@name)";
    case P::ARG: return "an argument (arg0 .. arg5)";
    default: break;
  }
  std::string literal = vocabulary.getLiteralName(type);
  if (literal.size() >= 2 && literal.front() == '\'') literal = literal.substr(1, literal.size() - 2);
  if (literal.empty()) return vocabulary.getDisplayName(type);
  bool is_word = std::isalpha(static_cast<unsigned char>(literal[0])) != 0;
  return is_word ? literal : in_quotes(literal);
}

std::string join_alternatives(const std::vector<std::string>& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += (i + 1 == items.size()) ? " or " : ", ";
    out += items[i];
  }
  return out;
}

std::string describe_expected(const antlr4::misc::IntervalSet& expected,
                              const antlr4::dfa::Vocabulary& vocabulary) {
  bool names_expected = expected.contains(static_cast<std::size_t>(P::ID));
  std::vector<std::string> items;
  for (ssize_t type : expected.toList()) {
    auto t = static_cast<std::size_t>(type);
    if (t == Token::EPSILON) continue;
    if (names_expected && is_name_keyword(t)) continue;      // already "a name"
    if (t == P::RELPATH && expected.contains(static_cast<std::size_t>(P::PATH))) continue;
    items.push_back(describe_token_type(type == -1 ? Token::EOF : t, vocabulary));
  }
  if (items.size() == 1) return items[0];
  return "one of " + join_alternatives(items);
}

std::vector<std::string> expected_keywords(const antlr4::misc::IntervalSet& expected,
                                           const antlr4::dfa::Vocabulary& vocabulary) {
  std::vector<std::string> words;
  for (ssize_t type : expected.toList()) {
    if (type < 0) continue;
    std::string literal = vocabulary.getLiteralName(static_cast<std::size_t>(type));
    if (literal.size() > 2 && std::isalpha(static_cast<unsigned char>(literal[1]))) {
      words.push_back(literal.substr(1, literal.size() - 2));
    }
  }
  return words;
}

// ---- syntax errors ----------------------------------------------------------------------

// Replaces ANTLR's messages ("mismatched input 'x' expecting {...}") with ours: where, what was
// expected in words, what was found, and a did-you-mean over the keywords that fit there.
class SyntaxErrorCollector : public antlr4::BaseErrorListener {
 public:
  SyntaxErrorCollector(std::string file, Diagnostics& diags, std::size_t max_errors)
      : file_(std::move(file)), diags_(diags), max_errors_(max_errors) {}

  // The file ended where a `}` was still expected.
  bool unclosed_at_eof() const { return unclosed_at_eof_; }

  void syntaxError(antlr4::Recognizer* recognizer, Token* offending, size_t line, size_t column,
                   const std::string& antlr_message, std::exception_ptr error) override {
    Location where = offending ? token_location(file_, offending)
                               : Location{file_, static_cast<unsigned>(line),
                                          static_cast<unsigned>(column) + 1, 1};
    if (++count_ > max_errors_ && max_errors_ != 0) {
      if (count_ == max_errors_ + 1) {
        diags_.note(where, "too many syntax errors; stopping here", "fix the errors above first");
      }
      return;
    }
    if (reported_.count({where.line, where.column})) return;  // one message per spot
    reported_.insert({where.line, where.column});

    auto* parser = dynamic_cast<antlr4::Parser*>(recognizer);
    if (!parser || !offending) {
      diags_.error(where, "cannot read the policy here: " + antlr_message);
      return;
    }
    report(parser, offending, where, error);
  }

 private:
  void report(antlr4::Parser* parser, Token* offending, const Location& where, std::exception_ptr error) {
    const auto& vocabulary = parser->getVocabulary();
    std::string text = offending->getText();
    if (offending->getType() == P::UNKNOWN_CHAR) {
      std::string hint = text == "\"" ? "a quoted string must end with \" on the same line"
                                      : "quote paths and values that contain unusual characters";
      diags_.error(where, "unexpected character " + in_quotes(text), hint);
      return;
    }

    antlr4::misc::IntervalSet expected;
    bool lookahead_failed = false;
    try {
      if (error) std::rethrow_exception(error);
      expected = parser->getExpectedTokens();
    } catch (const antlr4::NoViableAltException& e) {
      expected = e.getExpectedTokens();
      lookahead_failed = e.getStartToken() != offending;
    } catch (const antlr4::RecognitionException& e) {
      expected = e.getExpectedTokens();
    } catch (...) {
    }

    if (offending->getType() == Token::EOF && expected.contains(static_cast<std::size_t>(P::RBRACE))) {
      unclosed_at_eof_ = true;   // parse_single names the brace that was left open
      return;
    }
    std::string found = offending->getType() == Token::EOF ? "end of file"
                        : offending->getType() == P::STRING ? "the string " + text
                                                             : in_quotes(text);
    if (lookahead_failed || expected.isEmpty()) {
      diags_.error(where, "unexpected " + found + " here", "check the statement this belongs to");
      return;
    }
    // After a section keyword that is also a namespace name (`user`), the section decides.
    std::string hint = section_hint(parser, offending);
    std::string context = hint.empty() ? list_context(parser, offending) : std::string();
    std::string message = "expected " + context + describe_expected(expected, vocabulary) + ", found " + found;
    if (hint.empty()) hint = hint_for(text, expected, vocabulary, !context.empty());
    diags_.error(where, message, hint);
  }

  // A word right after a namespace list could have been meant as one more namespace.
  static std::string list_context(antlr4::Parser* parser, Token* offending) {
    static const std::set<std::size_t> kNamespaceList = {P::NAMESPACES, P::MOUNT, P::PID, P::IPC, P::UTS,
                                                          P::NET,        P::USER,  P::CGROUP, P::TIME};
    std::size_t index = offending->getTokenIndex();
    if (index == 0 || offending->getType() != P::ID) return "";
    Token* previous = parser->getTokenStream()->get(index - 1);
    if (!kNamespaceList.count(previous->getType())) return "";
    return "a namespace (mount, pid, ipc, uts, net, user, cgroup, time) or ";
  }

  // What a section takes, when the word after its keyword is not it: a keyword suggestion
  // there would come from the wrong set (`capabilities add` is not a typo of a namespace).
  static std::string section_hint(antlr4::Parser* parser, Token* offending) {
    std::size_t index = offending->getTokenIndex();
    if (index == 0 || offending->getType() == Token::EOF) return "";
    switch (parser->getTokenStream()->get(index - 1)->getType()) {
      case P::CAPABILITIES:
        return "write `capabilities keep NAME ...` (the capabilities the container keeps, every other one is "
               "dropped) or `capabilities keep none`";
      case P::USER:
        return "user takes numeric ids: `user UID[:GID] [groups GID ...]`, e.g. `user 0:0` for root (names are not "
               "looked up in the rootfs)";
      case P::GROUPS:
        return "groups takes numeric group ids: `groups 10 20`";
      default:
        return "";
    }
  }

  // `whole_language`: the word ended a list early (`namespaces mount pdi`), so it may be meant
  // for the list or for any section; otherwise only the keywords that fit here are suggested.
  static std::string hint_for(const std::string& text, const antlr4::misc::IntervalSet& expected,
                              const antlr4::dfa::Vocabulary& vocabulary, bool whole_language) {
    if (text == "kill" && expected.contains(static_cast<std::size_t>(P::KILL_PROCESS))) {
      return "\"kill\" is a syscall name; the actions are kill_process and kill_thread";
    }
    bool is_word = !text.empty() && std::isalpha(static_cast<unsigned char>(text[0]));
    if (!is_word) return {};
    std::string suggestion = did_you_mean(text, expected_keywords(expected, vocabulary));
    // A word that ended a list early (`namespaces mount pdi`) fits the list, not what follows.
    if (suggestion.empty() && whole_language) suggestion = did_you_mean(text, keywords());
    return suggestion.empty() ? std::string() : "did you mean " + in_quotes(suggestion) + "?";
  }

  std::string file_;
  Diagnostics& diags_;
  std::size_t max_errors_;   // 0: no limit
  std::size_t count_ = 0;
  std::set<std::pair<unsigned, unsigned>> reported_;
  bool unclosed_at_eof_ = false;
};

// ANTLR's default strategy gives up on a whole rule when the first token of a `( ... )*` loop
// is wrong, so one typo in a block would end the block (and the errors after it would be lost
// or garbled). Here the bad tokens are reported and skipped until something that fits the loop
// or an enclosing rule, exactly as ANTLR already does for the later iterations of a loop.
class LoopRecoveringStrategy : public antlr4::DefaultErrorStrategy {
 public:
  void sync(antlr4::Parser* recognizer) override {
    try {
      DefaultErrorStrategy::sync(recognizer);
    } catch (const antlr4::InputMismatchException&) {
      reportUnwantedToken(recognizer);
      antlr4::misc::IntervalSet expecting = recognizer->getExpectedTokens();
      consumeUntil(recognizer, expecting.Or(getErrorRecoverySet(recognizer)));
    }
  }
};

// ---- parse tree -> AST ------------------------------------------------------------------

std::string unquote(const std::string& text) {
  if (text.size() < 2 || text.front() != '"') return text;
  std::string out;
  for (std::size_t i = 1; i + 1 < text.size(); ++i) {
    char c = text[i];
    if (c == '\\' && i + 2 < text.size()) {
      char next = text[++i];
      out += next == 'n' ? '\n' : next == 't' ? '\t' : next;
    } else {
      out += c;
    }
  }
  return out;
}

class AstBuilder {
 public:
  // With `quiet`, the builder's own checks stay silent: after a syntax error they would only
  // describe the parser's guesses.
  AstBuilder(std::string file, Diagnostics& diags, bool quiet)
      : file_(std::move(file)), diags_(diags), quiet_(quiet) {}

  ast::Policy build(P::PolicyFileContext* tree) {
    ast::Policy policy;
    policy.file = file_;
    if (auto* c = tree->container()) policy.container = container(c);
    if (auto* s = tree->seccompBlock()) policy.seccomp = seccomp(s);
    return policy;
  }

 private:
  // -- locations and words --

  Location at(const Token* t) const { return token_location(file_, t); }

  // The whole context when it fits on its first line, else its first token.
  Location span(ParserRuleContext* c) const {
    if (!c) return Location{file_, 0, 0, 1};
    Location where = at(c->getStart());
    const Token* start = c->getStart();
    const Token* stop = c->getStop();
    if (start && stop && stop->getType() != Token::EOF && stop->getLine() == start->getLine() &&
        stop->getStopIndex() >= start->getStartIndex()) {
      where.length = static_cast<unsigned>(stop->getStopIndex() - start->getStartIndex() + 1);
    }
    return where;
  }

  ast::Word word(const Token* t) const {
    if (!t) return {"", Location{file_, 0, 0, 1}};
    return {unquote(t->getText()), at(t)};
  }
  ast::Word word(TerminalNode* node) const { return word(node ? node->getSymbol() : nullptr); }
  ast::Word word(ParseTree* tree) const {
    if (!tree) return word(static_cast<const Token*>(nullptr));
    if (auto* node = dynamic_cast<TerminalNode*>(tree)) return word(node);
    auto* c = dynamic_cast<ParserRuleContext*>(tree);
    return {unquote(c->getText()), span(c)};
  }

  // -- container --

  ast::Container container(P::ContainerContext* c) {
    ast::Container out;
    out.name = word(c->containerName());
    out.where = at(c->getStart());
    for (auto* statement : c->containerStatement()) {
      if (!statement || !statement->getStart()) continue;
      out.sections.push_back(word(statement->getStart()));
      container_statement(statement, out);
    }
    return out;
  }

  void container_statement(P::ContainerStatementContext* s, ast::Container& out) {
    if (auto* r = s->rootfsStmt()) rootfs(r, out);
    else if (auto* n = s->namespacesStmt()) for (auto* name : n->namespaceName()) out.namespaces.push_back(word(name));
    else if (auto* h = s->hostnameStmt()) set_once(out.hostname, word(h->STRING() ? static_cast<ParseTree*>(h->STRING()) : h->word()));
    else if (auto* m = s->mountStmt()) out.mounts.push_back(mount(m));
    else if (auto* k = s->maskStmt()) for (auto* p : k->path()) out.masked_paths.push_back(word(p));
    else if (auto* ro = s->readonlyStmt()) for (auto* p : ro->path()) out.readonly_paths.push_back(word(p));
    else if (auto* d = s->deviceStmt()) for (auto* p : d->path()) out.devices.push_back(word(p));
    else if (auto* net = s->networkStmt()) { if (!out.network) out.network = network(net); }
    else if (auto* l = s->limitsStmt()) limits(l, out);
    else if (auto* cap = s->capabilitiesStmt()) capabilities(cap, out);
    else if (auto* rl = s->rlimitStmt()) out.rlimits.push_back(rlimit(rl));
    else if (auto* u = s->userStmt()) { if (!out.user) out.user = user(u); }
    else if (auto* um = s->uidmapStmt()) out.uid_map.push_back(id_mapping(um->idMapping()));
    else if (auto* gm = s->gidmapStmt()) out.gid_map.push_back(id_mapping(gm->idMapping()));
    else if (auto* e = s->envStmt()) for (auto* pair : e->envPair()) out.env.push_back(env_pair(pair));
    else if (auto* cwd = s->cwdStmt()) set_once(out.cwd, word(cwd->path()));
    else if (auto* cmd = s->commandStmt()) { if (out.command.empty()) out.command = command(cmd); }
    else if (auto* init = s->initStmt()) set_once(out.init, word(init->word()));
    else if (auto* ll = s->landlockStmt()) { if (!out.landlock) out.landlock = landlock(ll); }
    else if (auto* sc = s->seccompBlock()) { if (!out.seccomp) out.seccomp = seccomp(sc); }
  }

  ast::LandlockDecl landlock(P::LandlockStmtContext* l) {
    ast::LandlockDecl decl;
    decl.where = at(l->getStart());
    for (auto* entry : l->landlockEntry()) {
      ast::LandlockEntry e;
      e.key = word(entry->key);
      for (auto* value : entry->landlockValue()) e.values.push_back(word(value));
      e.where = span(entry);
      decl.entries.push_back(std::move(e));
    }
    return decl;
  }

  // A section given twice keeps its first value; the checks report the second one.
  template <typename T>
  static void set_once(std::optional<T>& field, T value) {
    if (!field) field = std::move(value);
  }

  void rootfs(P::RootfsStmtContext* r, ast::Container& out) {
    if (out.rootfs) return;
    ast::RootfsDecl decl;
    decl.path = word(r->path());
    decl.archive = r->ARCHIVE() != nullptr;
    for (auto* option : r->rootfsOption()) {
      if (option->READONLY()) decl.readonly = true;
      if (option->CHROOT()) decl.chroot = true;
      if (option->WRITETHROUGH()) decl.writethrough = true;
    }
    decl.where = span(r);
    out.rootfs = decl;
  }

  ast::MountDecl mount(P::MountStmtContext* m) {
    ast::MountDecl decl;
    decl.kind = word(m->mountKind);
    if (m->source) decl.source = word(m->source);
    decl.target = word(m->target);
    for (auto* option : m->mountOption()) {
      if (auto* size = dynamic_cast<P::MountSizeContext*>(option)) decl.size = word(size->sizeValue());
      else if (auto* mode = dynamic_cast<P::MountModeContext*>(option)) decl.mode = word(mode->NUMBER());
      else if (dynamic_cast<P::MountReadonlyContext*>(option)) decl.readonly = true;
      else if (dynamic_cast<P::MountReadwriteContext*>(option)) decl.readwrite_explicit = true;
    }
    decl.where = span(m);
    return decl;
  }

  ast::NetworkDecl network(P::NetworkStmtContext* n) {
    ast::NetworkDecl decl;
    decl.mode = word(n->netMode);
    decl.where = span(n);
    if (auto* block = n->vethBlock()) decl.veth = veth(block);
    if (auto* pid = dynamic_cast<P::JoinPidContext*>(n->joinTarget())) decl.join_pid = word(pid->NUMBER());
    if (auto* path = dynamic_cast<P::JoinPathContext*>(n->joinTarget())) decl.join_path = word(path->path());
    return decl;
  }

  // The pieces of one mapping joined back into the text the user wrote; a space between two
  // pieces (`publish tcp 8080 :80`, or two mappings in one publish) is reported by the checks.
  ast::PublishDecl publish(P::VethPublishContext* p) {
    ast::PublishDecl decl;
    if (p->proto) decl.protocol = word(p->proto);
    decl.where = span(p);
    const auto pieces = p->portPiece();
    decl.spec.where = span(pieces.front());
    if (pieces.size() > 1) {
      decl.spec.where.length = static_cast<unsigned>(pieces.back()->getStop()->getStopIndex() -
                                                     pieces.front()->getStart()->getStartIndex() + 1);
    }
    const Token* previous = nullptr;
    for (auto* piece : pieces) {
      const Token* t = piece->getStart();
      if (previous && t->getStartIndex() != previous->getStopIndex() + 1) decl.gap = true;
      decl.spec.text += unquote(t->getText());
      previous = t;
    }
    return decl;
  }

  ast::VethDecl veth(P::VethBlockContext* block) {
    ast::VethDecl decl;
    decl.where = at(block->getStart());
    auto string_or_word = [&](TerminalNode* string, P::WordContext* w) {
      return string ? word(string) : word(w);
    };
    for (auto* entry : block->vethEntry()) {
      if (auto* h = dynamic_cast<P::VethHostContext*>(entry)) decl.host = word(h->address());
      else if (auto* c = dynamic_cast<P::VethContainerContext*>(entry)) decl.container = word(c->address());
      else if (auto* g = dynamic_cast<P::VethGatewayContext*>(entry))
        decl.gateway = g->HOST() ? word(g->HOST()) : word(g->address());
      else if (auto* mtu = dynamic_cast<P::VethMtuContext*>(entry)) decl.mtu = word(mtu->NUMBER());
      else if (auto* hn = dynamic_cast<P::VethHostNameContext*>(entry))
        decl.host_name = string_or_word(hn->STRING(), hn->word());
      else if (auto* cn = dynamic_cast<P::VethContainerNameContext*>(entry))
        decl.container_name = string_or_word(cn->STRING(), cn->word());
      else if (auto* pub = dynamic_cast<P::VethPublishContext*>(entry)) decl.publish.push_back(publish(pub));
      else if (auto* out = dynamic_cast<P::VethOutboundContext*>(entry))
        decl.outbound.push_back({out->how ? out->how->getText() : "", span(out)});
      else if (auto* dns = dynamic_cast<P::VethDnsContext*>(entry))
        decl.dns.push_back(dns->HOST() ? word(dns->HOST()) : word(dns->address()));
    }
    return decl;
  }

  void limits(P::LimitsStmtContext* l, ast::Container& out) {
    if (!out.limits_where) out.limits_where = at(l->getStart());
    else return;  // a second limits block: reported by the checks
    for (auto* entry : l->limitEntry()) {
      ast::LimitDecl decl;
      decl.key = word(entry->key);
      for (auto* value : entry->limitValue()) decl.values.push_back(word(value));
      decl.where = span(entry);
      out.limits.push_back(std::move(decl));
    }
  }

  void capabilities(P::CapabilitiesStmtContext* c, ast::Container& out) {
    if (out.capabilities_keep) return;
    std::vector<ast::Word> names;
    for (auto* id : c->ID()) names.push_back(word(id));
    bool only_none = names.size() == 1 && names[0].text == "none";
    if (!only_none) {
      for (const auto& name : names) {
        if (name.text == "none") {
          error(name.where, "\"none\" cannot be combined with capability names",
                       "write `capabilities keep none` alone to drop every capability");
        }
      }
    }
    out.capabilities_keep = only_none ? std::vector<ast::Word>{} : names;
  }

  ast::RlimitDecl rlimit(P::RlimitStmtContext* r) {
    ast::RlimitDecl decl;
    decl.resource = word(r->resource);
    decl.soft = word(r->soft);
    if (r->hard) decl.hard = word(r->hard);
    decl.where = span(r);
    return decl;
  }

  ast::UserDecl user(P::UserStmtContext* u) {
    ast::UserDecl decl;
    decl.uid = word(u->uid);
    if (u->gid) decl.gid = word(u->gid);
    for (auto* number : u->NUMBER()) {
      const Token* t = number->getSymbol();
      if (t != u->uid && t != u->gid) decl.groups.push_back(word(number));
    }
    decl.where = span(u);
    return decl;
  }

  ast::IdMapDecl id_mapping(P::IdMappingContext* m) {
    ast::IdMapDecl decl;
    if (!m) return decl;
    decl.inside = word(m->inside);
    decl.outside = word(m->outside);
    decl.count = word(m->count);
    decl.where = span(m);
    return decl;
  }

  ast::EnvDecl env_pair(P::EnvPairContext* pair) {
    ast::EnvDecl decl;
    decl.key = word(pair->key);
    decl.value = pair->children.size() >= 3 ? word(pair->children[2]) : ast::Word{"", at(pair->getStart())};
    decl.where = span(pair);
    return decl;
  }

  std::vector<ast::Word> command(P::CommandStmtContext* c) {
    std::vector<ast::Word> argv;
    for (std::size_t i = 1; i < c->children.size(); ++i) argv.push_back(word(c->children[i]));
    return argv;
  }

  // -- seccomp --

  ast::Seccomp seccomp(P::SeccompBlockContext* s) {
    ast::Seccomp block;
    block.where = at(s->getStart());
    if (s->action()) {
      block.default_action = action(s->action());
      Location end = span(s->action());
      if (end.line == block.where.line && end.column >= block.where.column) {
        block.where.length = end.column + end.length - block.where.column;
      }
    }
    for (auto* statement : s->seccompStatement()) seccomp_statement(statement, block);
    if (auto* close = s->RBRACE()) block.end = at(close->getSymbol());
    return block;
  }

  void seccomp_statement(P::SeccompStatementContext* s, ast::Seccomp& block) {
    if (auto* arch = dynamic_cast<P::ArchStmtContext*>(s)) {
      for (auto* id : arch->ID()) block.arches.push_back(word(id));
      if (auto comment = comment_after(arch)) block.arch_comments.push_back(*comment);
      if (arch->action()) block.bad_arch_actions.push_back(action(arch->action()));
    } else if (auto* include = dynamic_cast<P::IncludeStmtContext*>(s)) {
      block.statements.push_back(ast::Include{word(include->STRING())});
    } else if (auto* group = dynamic_cast<P::GroupStmtContext*>(s)) {
      ast::Group g;
      g.name = word(group->GROUP_NAME());
      for (auto* member : group->syscallName()) g.members.push_back(word(member));
      block.statements.push_back(std::move(g));
    } else if (auto* rule = dynamic_cast<P::RuleStmtContext*>(s)) {
      block.statements.push_back(rule_of(rule));
    } else if (auto* expect = dynamic_cast<P::ExpectStmtContext*>(s)) {
      block.statements.push_back(expect_of(expect));
    }
  }

  // The `# comment` right after a statement on its line (the lexer drops comments, so it is
  // read from the text): the reason written for an `arch` list.
  std::optional<ast::Word> comment_after(ParserRuleContext* c) const {
    const Token* stop = c->getStop();
    if (!stop || stop->getType() == Token::EOF || !stop->getInputStream()) return std::nullopt;
    antlr4::CharStream* input = stop->getInputStream();
    std::size_t i = stop->getStopIndex() + 1;
    const std::size_t size = input->size();
    unsigned column = static_cast<unsigned>(stop->getCharPositionInLine()) + static_cast<unsigned>(stop->getText().size()) + 1;
    auto char_at = [&](std::size_t at) { return input->getText(antlr4::misc::Interval(at, at)); };
    while (i < size && (char_at(i) == " " || char_at(i) == "\t")) ++i, ++column;
    if (i >= size || char_at(i) != "#") return std::nullopt;
    std::string text;
    for (std::size_t j = i + 1; j < size && char_at(j) != "\n" && char_at(j) != "\r"; ++j) text += char_at(j);
    const auto first = text.find_first_not_of(" \t");
    if (first == std::string::npos) return std::nullopt;   // an empty comment gives no reason
    return ast::Word{text.substr(first), Location{file_, static_cast<unsigned>(stop->getLine()), column, 1}};
  }

  ast::Expect expect_of(P::ExpectStmtContext* e) {
    ast::Expect out;
    out.where = span(e);
    if (auto* verdict = e->expectVerdict()) {
      out.verdict = word(verdict->getStart());
      if (verdict->action()) out.action = action(verdict->action());
    }
    out.syscall = word(e->syscallName());
    if (auto* args = e->expectArgs()) {
      for (auto* v : args->value()) out.args.push_back(value(v));
      out.rest = args->ELLIPSIS() != nullptr;
    }
    return out;
  }

  ast::Rule rule_of(P::RuleStmtContext* r) {
    ast::Rule rule;
    if (r->action()) rule.action = action(r->action());
    for (auto* name : r->syscallName()) rule.names.push_back(word(name));
    if (r->condition()) rule.condition = condition(r->condition());
    rule.where = span(r);
    return rule;
  }

  ast::Action action(P::ActionContext* a) {
    ast::Action out;
    out.kind = word(a->getStart());
    if (auto* e = dynamic_cast<P::ActErrnoContext*>(a)) {
      out.argument = word(e->ID() ? e->ID() : e->NUMBER());
    } else if (auto* t = dynamic_cast<P::ActTraceContext*>(a)) {
      out.argument = word(t->NUMBER());
    } else if (auto* trap = dynamic_cast<P::ActTrapContext*>(a); trap && trap->NUMBER()) {
      out.argument = word(trap->NUMBER());
    }
    return out;
  }

  ast::ConditionPtr condition(P::ConditionContext* c) {
    if (!c) return nullptr;
    auto out = std::make_shared<ast::Condition>();
    out->where = span(c);
    if (auto* n = dynamic_cast<P::NotCondContext*>(c)) {
      out->kind = ast::Condition::Kind::Not;
      add_operand(*out, condition(n->condition()));
    } else if (auto* a = dynamic_cast<P::AndCondContext*>(c)) {
      out->kind = ast::Condition::Kind::And;
      for (auto* side : a->condition()) add_operand(*out, condition(side));
    } else if (auto* o = dynamic_cast<P::OrCondContext*>(c)) {
      out->kind = ast::Condition::Kind::Or;
      for (auto* side : o->condition()) add_operand(*out, condition(side));
    } else if (auto* p = dynamic_cast<P::ParenCondContext*>(c)) {
      return condition(p->condition());
    } else if (auto* cmp = dynamic_cast<P::CmpCondContext*>(c)) {
      out->kind = ast::Condition::Kind::Compare;
      out->compare = comparison(cmp->comparison());
    }
    return out;
  }

  // a && (b && c) becomes one And with three operands: the lowering's DNF stays small.
  static void add_operand(ast::Condition& parent, ast::ConditionPtr child) {
    if (!child) return;
    if (child->kind == parent.kind && parent.kind != ast::Condition::Kind::Not &&
        parent.kind != ast::Condition::Kind::Compare) {
      parent.operands.insert(parent.operands.end(), child->operands.begin(), child->operands.end());
    } else {
      parent.operands.push_back(std::move(child));
    }
  }

  ast::Comparison comparison(P::ComparisonContext* c) {
    ast::Comparison out;
    if (!c) return out;
    out.where = span(c);
    if (auto* plain = dynamic_cast<P::PlainCmpContext*>(c)) {
      arg_ref(plain->argRef(), out);
      out.op = plain->cmpOp() ? plain->cmpOp()->getText() : "==";
      out.value = value(plain->value());
    } else if (auto* masked = dynamic_cast<P::MaskedCmpContext*>(c)) {
      arg_ref(masked->argRef(), out);
      out.mask = value(masked->mask);
      out.op = masked->cmpOp() ? masked->cmpOp()->getText() : "==";
      auto values = masked->value();
      out.value = value(values.size() > 1 ? values[1] : nullptr);
    }
    return out;
  }

  void arg_ref(P::ArgRefContext* ref, ast::Comparison& out) {
    if (!ref) return;
    TerminalNode* arg = nullptr;
    if (auto* plain = dynamic_cast<P::ArgPlainContext*>(ref)) arg = plain->ARG();
    if (auto* low = dynamic_cast<P::ArgLow32Context*>(ref)) {
      arg = low->ARG();
      out.low32 = true;
    }
    if (!arg) return;
    std::string digits = arg->getText().substr(3);
    if (digits.size() > 1 || digits[0] > '5') {
      error(at(arg->getSymbol()), "argument " + in_quotes(arg->getText()) + " does not exist",
                   "a syscall has six arguments: arg0 .. arg5");
      return;
    }
    out.arg = static_cast<unsigned>(digits[0] - '0');
  }

  ast::Value value(P::ValueContext* v) {
    ast::Value out;
    if (!v) return out;
    out.where = span(v);
    for (auto* term : v->term()) out.terms.push_back({term->getText(), span(term)});
    return out;
  }

  void error(const Location& where, std::string message, std::string hint) {
    if (!quiet_) diags_.error(where, std::move(message), std::move(hint));
  }

  std::string file_;
  Diagnostics& diags_;
  bool quiet_;
};

// The parser recurses on `(` and `!`; refuse absurd nesting before it can exhaust the stack.
bool nesting_is_sane(antlr4::CommonTokenStream& tokens, const std::string& file, Diagnostics& diags) {
  tokens.fill();
  unsigned depth = 0, nots = 0;
  for (Token* t : tokens.getTokens()) {
    if (t->getType() == P::LPAREN) ++depth;
    if (t->getType() == P::RPAREN && depth > 0) --depth;
    nots = t->getType() == P::NOT ? nots + 1 : 0;
    if (depth > kMaxNesting || nots > kMaxNesting) {
      diags.error(token_location(file, t),
                  "conditions are nested more than " + std::to_string(kMaxNesting) + " levels deep",
                  "simplify the condition");
      return false;
    }
  }
  return true;
}

// ---- an unclosed `{` -----------------------------------------------------------------------

// The column of the first token on each line, from the token stream.
std::map<std::size_t, std::size_t> line_indents(const std::vector<Token*>& tokens) {
  std::map<std::size_t, std::size_t> indents;
  for (const Token* t : tokens) {
    if (t->getType() != Token::EOF) indents.emplace(t->getLine(), t->getCharPositionInLine());
  }
  return indents;
}

// The `{` the user most likely forgot to close. Braces pair up as the parser would pair them;
// when a `}` that starts its line sits left of the line of the `{` it closes, that `{` is the
// culprit (the `}` was meant for an outer block: indentation shows intent; `closer` is that `}`).
// Otherwise the innermost `{` still open at the end of the file (`closer` null).
struct UnclosedBrace {
  const Token* opener = nullptr;   // null: every `{` is closed
  const Token* closer = nullptr;
};

UnclosedBrace unclosed_brace(const std::vector<Token*>& tokens) {
  std::vector<const Token*> open;
  std::map<std::size_t, std::size_t> indents = line_indents(tokens);
  UnclosedBrace misindented;
  for (const Token* t : tokens) {
    if (t->getType() == P::LBRACE) open.push_back(t);
    if (t->getType() != P::RBRACE || open.empty()) continue;
    const Token* opener = open.back();
    open.pop_back();
    bool starts_line = indents[t->getLine()] == t->getCharPositionInLine();
    if (!misindented.opener && starts_line && t->getLine() != opener->getLine() &&
        t->getCharPositionInLine() < indents[opener->getLine()]) {
      misindented = {opener, t};
    }
  }
  if (open.empty()) return {};
  return misindented.opener ? misindented : UnclosedBrace{open.back(), nullptr};
}

// The words before a `{` on its line: "container hello", "limits", "seccomp default errno(EPERM)".
std::string block_name(const std::vector<Token*>& tokens, const Token* brace) {
  std::string name;
  for (const Token* t : tokens) {
    if (t == brace) break;
    if (t->getLine() != brace->getLine() || t->getType() == P::LBRACE || t->getType() == P::RBRACE) continue;
    name += (name.empty() || t->getText() == "(" || t->getText() == ")" || name.back() == '(' ? "" : " ") + t->getText();
  }
  return name;
}

void report_unclosed_brace(const std::vector<Token*>& tokens, const std::string& file, Diagnostics& diags) {
  const Token* eof = tokens.empty() ? nullptr : tokens.back();
  const UnclosedBrace brace = unclosed_brace(tokens);
  if (!brace.opener) {
    diags.error(token_location(file, eof), "the file ends inside a block", "add the missing `}`");
    return;
  }
  std::string name = block_name(tokens, brace.opener);
  std::string hint = brace.closer ? "add `}` where this block ends; the `}` on line " +
                                        std::to_string(brace.closer->getLine()) +
                                        ", indented as an outer block's, closed it instead"
                                  : "add `}` where this block ends (the file ends at line " +
                                        (eof ? std::to_string(eof->getLine()) : std::string("?")) + ")";
  diags.error(token_location(file, brace.opener),
              "this `{`" + (name.empty() ? std::string() : " of `" + name + "`") + " is never closed", hint);
}

// The offset of the first byte that is not part of valid UTF-8 (RFC 3629: no overlong forms,
// no surrogates, nothing above U+10FFFF), or npos. ANTLR's input stream throws on such bytes; a
// policy with them gets a diagnostic instead.
std::size_t first_invalid_utf8(const std::string& text) {
  auto at = [&](std::size_t i) { return i < text.size() ? static_cast<unsigned char>(text[i]) : 0u; };
  auto in = [](unsigned b, unsigned lo, unsigned hi) { return b >= lo && b <= hi; };
  std::size_t i = 0;
  while (i < text.size()) {
    const unsigned b = at(i);
    std::size_t length = 0;
    unsigned lo = 0x80, hi = 0xbf;  // the allowed range of the second byte
    if (b < 0x80) length = 1;
    else if (in(b, 0xc2, 0xdf)) length = 2;
    else if (in(b, 0xe0, 0xef)) { length = 3; lo = b == 0xe0 ? 0xa0 : 0x80; hi = b == 0xed ? 0x9f : 0xbf; }
    else if (in(b, 0xf0, 0xf4)) { length = 4; lo = b == 0xf0 ? 0x90 : 0x80; hi = b == 0xf4 ? 0x8f : 0xbf; }
    else return i;
    if (length > 1 && !in(at(i + 1), lo, hi)) return i;
    for (std::size_t k = 2; k < length; ++k) {
      if (!in(at(i + k), 0x80, 0xbf)) return i;
    }
    i += length;
  }
  return std::string::npos;
}

Location location_of_offset(const std::string& file, const std::string& text, std::size_t offset) {
  Location where{file, 1, 1, 1};
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++where.line;
      where.column = 1;
    } else {
      ++where.column;
    }
  }
  return where;
}

}  // namespace

std::optional<ast::Policy> parse_single(const std::string& text, const std::string& file_name,
                                        Diagnostics& diags, std::size_t max_syntax_errors) {
  if (text.size() > kMaxInputBytes) {
    diags.error({file_name}, "the policy holds " + describe_size(text.size()) + ", over policyc's input limit of " +
                                 describe_size(kMaxInputBytes),
                "split the policy; real policies are a few KiB");
    return std::nullopt;
  }
  if (std::size_t bad = first_invalid_utf8(text); bad != std::string::npos) {
    diags.error(location_of_offset(file_name, text, bad), "the policy is not valid UTF-8 here",
                "save the file as UTF-8 (policies are text)");
    return std::nullopt;
  }
  antlr4::ANTLRInputStream input(text);
  policygrammar::PolicyLexer lexer(&input);
  SyntaxErrorCollector errors(file_name, diags, max_syntax_errors);
  lexer.removeErrorListeners();
  lexer.addErrorListener(&errors);
  antlr4::CommonTokenStream tokens(&lexer);
  if (!nesting_is_sane(tokens, file_name, diags)) return std::nullopt;

  policygrammar::PolicyParser parser(&tokens);
  parser.removeErrorListeners();
  parser.addErrorListener(&errors);
  parser.setErrorHandler(std::make_shared<LoopRecoveringStrategy>());
  P::PolicyFileContext* tree = parser.policyFile();
  // A missing `}` shows as the end of the file where `}` was expected, or (when ANTLR's
  // recovery paired the braces differently) as a syntax error somewhere plus more `{` than `}`.
  if (errors.unclosed_at_eof() ||
      (parser.getNumberOfSyntaxErrors() > 0 && unclosed_brace(tokens.getTokens()).opener != nullptr)) {
    report_unclosed_brace(tokens.getTokens(), file_name, diags);
  }
  if (!tree || (!tree->container() && !tree->seccompBlock())) {
    if (!diags.has_errors()) {
      diags.error({file_name, 1, 1, 1}, "the file holds no policy",
                  "write `container NAME { ... }` or `seccomp default ACTION { ... }`");
    }
    return std::nullopt;
  }
  bool syntax_errors = parser.getNumberOfSyntaxErrors() > 0;
  return AstBuilder(file_name, diags, syntax_errors).build(tree);
}

const std::vector<std::string>& keywords() {
  static const std::vector<std::string> words = [] {
    std::vector<std::string> out;
    antlr4::ANTLRInputStream empty(std::string{});
    policygrammar::PolicyLexer lexer(&empty);
    const auto& vocabulary = lexer.getVocabulary();
    for (std::size_t type = 1; type <= vocabulary.getMaxTokenType(); ++type) {
      std::string literal = vocabulary.getLiteralName(type);
      if (literal.size() > 2 && std::isalpha(static_cast<unsigned char>(literal[1]))) {
        out.push_back(literal.substr(1, literal.size() - 2));
      }
    }
    return out;
  }();
  return words;
}

}  // namespace policyc::parse_detail
