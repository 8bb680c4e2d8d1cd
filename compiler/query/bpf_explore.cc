#include "compiler/query/bpf_explore.h"

#include <algorithm>
#include <cstring>
#include <set>
#include <string>

namespace policyc::query {
namespace {

// What the accumulator, X or a scratch word holds on one abstract path.
struct Value {
  enum Kind : std::uint8_t { Const, Word, Computed } kind = Const;
  std::uint32_t constant = 0;  // Const
  std::uint8_t word = 0;       // Word: (word of seccomp_data) & mask
  std::uint32_t mask = 0;
};

struct State {
  std::size_t pc = 0;
  Value a, x;
  std::array<Value, BPF_MEMWORDS> mem{};
  std::string key() const {
    std::string out(reinterpret_cast<const char*>(&pc), sizeof pc);
    auto add = [&](const Value& v) {
      out.push_back(static_cast<char>(v.kind));
      out.append(reinterpret_cast<const char*>(&v.constant), sizeof v.constant);
      out.push_back(static_cast<char>(v.word));
      out.append(reinterpret_cast<const char*>(&v.mask), sizeof v.mask);
    };
    add(a);
    add(x);
    for (const Value& m : mem) add(m);
    return out;
  }
};

Value constant(std::uint32_t c) { return {Value::Const, c, 0, 0}; }

std::optional<std::uint32_t> alu(std::uint16_t op, std::uint32_t a, std::uint32_t operand) {
  switch (op) {
    case BPF_ADD: return a + operand;
    case BPF_SUB: return a - operand;
    case BPF_MUL: return a * operand;
    case BPF_DIV: if (operand == 0) return std::nullopt; return a / operand;
    case BPF_MOD: if (operand == 0) return std::nullopt; return a % operand;
    case BPF_AND: return a & operand;
    case BPF_OR: return a | operand;
    case BPF_XOR: return a ^ operand;
    case BPF_LSH: return operand >= 32 ? 0 : a << operand;
    case BPF_RSH: return operand >= 32 ? 0 : a >> operand;
    case BPF_NEG: return -a;
    default: return std::nullopt;
  }
}

bool jump_taken(std::uint16_t op, std::uint32_t a, std::uint32_t operand) {
  switch (op) {
    case BPF_JEQ: return a == operand;
    case BPF_JGT: return a > operand;
    case BPF_JGE: return a >= operand;
    case BPF_JSET: return (a & operand) != 0;
    default: return false;
  }
}

Test test_of(std::uint16_t op, std::uint32_t mask, std::uint32_t k) {
  switch (op) {
    case BPF_JEQ: return {mask, Cmp::Eq, k};
    case BPF_JGT: return {mask, Cmp::Gt, k};
    case BPF_JGE: return {mask, Cmp::Ge, k};
    default: return {mask & k, Cmp::Ne, 0};  // JSET
  }
}

[[noreturn]] void refuse(std::size_t pc, const std::string& what) {
  throw QueryError{"instruction " + std::to_string(pc) + " " + what +
                   ": query/diff follow only filters that compare (masked) seccomp_data words with constants, "
                   "as policyc, libseccomp and Docker generate them"};
}

class Walker {
 public:
  Walker(const std::vector<sock_filter>& program, const Words& known) : program_(program), known_(known) {}

  std::vector<WordTest> run() {
    push(State{});
    while (!stack_.empty()) {
      State s = stack_.back();
      stack_.pop_back();
      step_until_branch(s);
    }
    return found_;
  }

 private:
  void push(const State& s) {
    if (s.pc >= program_.size()) return;  // the interpreter reports this path as an error
    if (!seen_.insert(s.key()).second) return;
    if (seen_.size() > 2000000) throw QueryError{"the filter has too many paths to follow"};
    stack_.push_back(s);
  }

  Value load(std::uint32_t offset) const {
    if (offset % 4 != 0 || offset + 4 > 64) return {Value::Computed, 0, 0, 0};
    const unsigned word = offset / 4;
    if (known_[word]) return constant(*known_[word]);
    return {Value::Word, 0, static_cast<std::uint8_t>(word), 0xffffffffU};
  }

  void record(const Value& a, std::uint16_t op, std::uint32_t k) {
    const WordTest t{a.word, test_of(op, a.mask, k)};
    const bool known = std::any_of(found_.begin(), found_.end(), [&](const WordTest& f) { return f.word == t.word && f.test == t.test; });
    if (!known) found_.push_back(t);
  }

  // Runs straight-line code; at a jump on an unknown word, queues both successors.
  void step_until_branch(State s) {
    while (s.pc < program_.size()) {
      const sock_filter& insn = program_[s.pc];
      const std::uint16_t cls = BPF_CLASS(insn.code);
      if (cls == BPF_RET) return;
      if (cls == BPF_JMP) {
        jump(s, insn);
        return;
      }
      if (!straight(s, insn)) return;
      ++s.pc;
    }
  }

  bool straight(State& s, const sock_filter& insn) {
    switch (BPF_CLASS(insn.code)) {
      case BPF_LD:
      case BPF_LDX: {
        Value v;
        const std::uint16_t mode = BPF_MODE(insn.code);
        if (mode == BPF_ABS) v = load(insn.k);
        else if (mode == BPF_IMM) v = constant(insn.k);
        else if (mode == BPF_MEM && insn.k < BPF_MEMWORDS) v = s.mem[insn.k];
        else if (mode == BPF_LEN) v = constant(64);
        else return false;
        (BPF_CLASS(insn.code) == BPF_LD ? s.a : s.x) = v;
        return true;
      }
      case BPF_ST: case BPF_STX:
        if (insn.k >= BPF_MEMWORDS) return false;
        s.mem[insn.k] = BPF_CLASS(insn.code) == BPF_ST ? s.a : s.x;
        return true;
      case BPF_ALU: return alu_step(s, insn);
      case BPF_MISC:
        if (BPF_MISCOP(insn.code) == BPF_TAX) s.x = s.a;
        else s.a = s.x;
        return true;
      default: return false;
    }
  }

  bool alu_step(State& s, const sock_filter& insn) {
    const Value operand = BPF_SRC(insn.code) == BPF_X ? s.x : constant(insn.k);
    const std::uint16_t op = BPF_OP(insn.code);
    if (s.a.kind == Value::Const && operand.kind == Value::Const) {
      const auto result = alu(op, s.a.constant, operand.constant);
      if (!result) return false;
      s.a = constant(*result);
    } else if (s.a.kind == Value::Word && op == BPF_AND && operand.kind == Value::Const) {
      s.a.mask &= operand.constant;
    } else {
      s.a = {Value::Computed, 0, 0, 0};  // refused only if a jump ever compares it
    }
    return true;
  }

  void jump(State& s, const sock_filter& insn) {
    const std::uint16_t op = BPF_OP(insn.code);
    const std::size_t next = s.pc + 1;
    if (op == BPF_JA) {
      s.pc = next + insn.k;
      push(s);
      return;
    }
    const Value operand = BPF_SRC(insn.code) == BPF_X ? s.x : constant(insn.k);
    if (operand.kind != Value::Const) refuse(s.pc, "compares with a value loaded from seccomp_data");
    if (s.a.kind == Value::Computed) refuse(s.pc, "compares a value computed from seccomp_data");
    if (s.a.kind == Value::Const) {
      s.pc = next + (jump_taken(op, s.a.constant, operand.constant) ? insn.jt : insn.jf);
      push(s);
      return;
    }
    record(s.a, op, operand.constant);
    State other = s;
    s.pc = next + insn.jt;
    other.pc = next + insn.jf;
    push(s);
    push(other);
  }

  const std::vector<sock_filter>& program_;
  const Words& known_;
  std::vector<State> stack_;
  std::set<std::string> seen_;
  std::vector<WordTest> found_;
};

constexpr unsigned kWordOrder[] = {kWordArch, kWordNr, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14, 3, 2};

class BpfExplorer {
 public:
  BpfExplorer(const std::vector<const std::vector<sock_filter>*>& programs, const KeepCase& keep, std::size_t budget)
      : programs_(programs), keep_(keep), budget_(budget) {}

  std::vector<Case> explore(const Words& known) {
    std::vector<WordTest> tests;
    for (const auto* program : programs_) {
      for (const WordTest& t : reachable_tests(*program, known)) tests.push_back(t);
    }
    if (tests.empty()) return leaf(known);
    const unsigned var = *std::find_if(std::begin(kWordOrder), std::end(kWordOrder), [&](unsigned w) {
      return std::any_of(tests.begin(), tests.end(), [&](const WordTest& t) { return t.word == w; });
    });
    std::vector<Test> on_var;
    for (const WordTest& t : tests) {
      if (t.word == var) on_var.push_back(t.test);
    }
    const Partition split = partition(std::move(on_var), 0xffffffffULL);
    if (split.classes.size() > budget_) throw QueryError{"more cases than the limit; the filter is too large to compare"};
    budget_ -= split.classes.size();
    std::vector<std::vector<Case>> children;
    for (const ValueClass& cls : split.classes) {
      Words fixed = known;
      fixed[var] = static_cast<std::uint32_t>(cls.witness);
      children.push_back(explore(fixed));
    }
    return merge_split(var, split, children);
  }

 private:
  std::vector<Case> leaf(const Words& known) const {
    Case out;
    const bpf::SeccompData call = call_of(known);
    for (const auto* program : programs_) {
      std::string error;
      const auto verdict = bpf::run(*program, call, &error);
      if (!verdict) throw QueryError{"the filter fails on a call: " + error};
      out.outcomes.push_back({verdict->ret, nullptr});
    }
    if (!keep_(out.outcomes)) return {};
    return {out};
  }

  const std::vector<const std::vector<sock_filter>*>& programs_;
  const KeepCase& keep_;
  std::size_t budget_;
};

}  // namespace

std::vector<WordTest> reachable_tests(const std::vector<sock_filter>& program, const Words& known) {
  return Walker(program, known).run();
}

bpf::SeccompData call_of(const Words& known) {
  std::uint32_t words[16];
  for (unsigned i = 0; i < 16; ++i) words[i] = known[i].value_or(0);
  bpf::SeccompData data;
  std::memcpy(&data.nr, &words[0], 4);
  std::memcpy(&data.arch, &words[1], 4);
  std::memcpy(&data.instruction_pointer, &words[2], 8);
  std::memcpy(data.args.data(), &words[4], 48);
  return data;
}

std::vector<Case> explore_bpf(const std::vector<const std::vector<sock_filter>*>& programs, const Words& known,
                              const KeepCase& keep, std::size_t budget) {
  BpfExplorer explorer(programs, keep, budget);
  return explorer.explore(known);
}

}  // namespace policyc::query
