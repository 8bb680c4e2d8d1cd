// SPDX-License-Identifier: Apache-2.0
#include "compiler/lower/dnf.h"

#include <bit>
#include <charconv>
#include <limits>

#include "compiler/seccomp/constants.h"

namespace policyc::seccomp {
namespace {

constexpr std::uint64_t kLow32 = 0xffffffffULL;

// "123", "0x7f", "0755" (octal, as in C), "-1". nullopt when `text` is not a number.
std::optional<std::uint64_t> parse_number(const std::string& text, bool* out_of_range) {
  std::string_view digits = text;
  bool negative = !digits.empty() && digits.front() == '-';
  if (negative) digits.remove_prefix(1);
  if (digits.empty() || digits.front() < '0' || digits.front() > '9') return std::nullopt;
  int base = 10;
  if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
    base = 16;
    digits.remove_prefix(2);
  } else if (digits.size() > 1 && digits[0] == '0') {
    base = 8;
    digits.remove_prefix(1);
  }
  std::uint64_t magnitude = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude, base);
  if (end != digits.data() + digits.size()) return std::nullopt;
  constexpr std::uint64_t kMaxNegative = std::uint64_t{1} << 63;
  if (ec == std::errc::result_out_of_range || (negative && magnitude > kMaxNegative)) {
    *out_of_range = true;
    return std::nullopt;
  }
  return negative ? ~magnitude + 1 : magnitude;  // two's complement, without signed overflow
}

std::optional<std::uint64_t> resolve_term(const ast::Word& term, Diagnostics& diags) {
  bool out_of_range = false;
  if (auto number = parse_number(term.text, &out_of_range)) return number;
  if (out_of_range) {
    diags.error(term.where, "number \"" + term.text + "\" does not fit in 64 bits",
                "argument values are at most 0xffffffffffffffff (or -0x8000000000000000)");
    return std::nullopt;
  }
  if (auto constant = constant_value(term.text)) return constant;
  std::string guess = did_you_mean(term.text, all_constant_names());
  diags.error(term.where, "unknown constant \"" + term.text + "\"",
              guess.empty() ? "use a number, or a constant such as AF_INET, O_RDONLY, CLONE_NEWUSER"
                            : "did you mean \"" + guess + "\"?");
  return std::nullopt;
}

// For u32(argN): the value must be a 32-bit pattern, or a negative int sign-extended to 64 bits
// (-1, AT_FDCWD), which is truncated to the low word the syscall sees.
std::optional<std::uint64_t> to_low_word(std::uint64_t value, const ast::Value& written,
                                         unsigned arg, Diagnostics& diags) {
  bool fits = value <= kLow32 || (value >> 31) == 0x1ffffffffULL;
  if (!fits) {
    std::string text;
    for (const ast::Word& term : written.terms) text += (text.empty() ? "" : "|") + term.text;
    diags.error(written.where,
                "value " + text + " does not fit in 32 bits, but u32(arg" +
                    std::to_string(arg) + ") compares only the low 32 bits",
                "drop u32() to compare all 64 bits, or use a value below 2^32");
    return std::nullopt;
  }
  return value & kLow32;
}

std::optional<CmpOp> parse_op(const std::string& op) {
  if (op == "==") return CmpOp::Eq;
  if (op == "!=") return CmpOp::Ne;
  if (op == "<") return CmpOp::Lt;
  if (op == "<=") return CmpOp::Le;
  if (op == ">") return CmpOp::Gt;
  if (op == ">=") return CmpOp::Ge;
  return std::nullopt;
}

CmpOp negate(CmpOp op) {
  switch (op) {
    case CmpOp::Eq: return CmpOp::Ne;
    case CmpOp::Ne: return CmpOp::Eq;
    case CmpOp::Lt: return CmpOp::Ge;
    case CmpOp::Le: return CmpOp::Gt;
    case CmpOp::Gt: return CmpOp::Le;
    case CmpOp::Ge: return CmpOp::Lt;
  }
  return op;
}

// (arg & mask) != value: true exactly when some bit under the mask differs from value's bit.
Dnf masked_not_equal(const ArgCondition& base, const Location& where) {
  if ((base.value & ~base.mask) != 0) return Dnf{Conjunction{}};  // (arg & M) == V never holds
  Dnf alternatives;
  for (unsigned bit = 0; bit < 64; ++bit) {
    std::uint64_t b = std::uint64_t{1} << bit;
    if ((base.mask & b) == 0) continue;
    ArgCondition one = base;
    one.mask = b;
    one.value = ~base.value & b;
    alternatives.push_back(Conjunction{Literal{one, where}});
  }
  return alternatives;
}

// (argN & M) lies between 0 and M (and has no bit outside M): some masked comparisons are
// decided by the mask alone, which is almost always a mistake in the mask or the value.
void warn_if_constant(const ArgCondition& c, const Location& where, bool negated, Diagnostics& diags) {
  if (!is_masked(c)) return;
  const std::uint64_t top = c.mask & width_bits(c), v = c.value & width_bits(c);
  const bool outside = (v & ~top) != 0;
  bool never = false, always = false;
  switch (c.op) {
    case CmpOp::Eq: never = outside; break;
    case CmpOp::Ne: always = outside; break;
    case CmpOp::Lt: never = v == 0; always = v > top; break;
    case CmpOp::Le: always = v >= top; break;
    case CmpOp::Gt: never = v >= top; break;
    case CmpOp::Ge: always = v == 0; never = v > top; break;
  }
  if (!never && !always) return;
  const std::string after = negated ? " (after pushing a ! inwards: " + condition_text(c) + ")" : "";
  if (c.op == CmpOp::Eq || c.op == CmpOp::Ne) {
    diags.warning(where, std::string("this masked comparison ") + (never ? "can never hold" : "always holds") +
                             ": the value has bits outside the mask" + after,
                  "every bit of VALUE in (argN & MASK) == VALUE must also be in MASK");
    return;
  }
  ArgCondition bound = c;  // "(arg0 & 0xff)" as condition_text writes it, to name the range
  bound.op = CmpOp::Le;
  bound.value = top;
  const std::string text = condition_text(bound);
  diags.warning(where, std::string("this masked comparison ") + (never ? "can never hold" : "always holds") + ": " +
                           text.substr(0, text.rfind(" <=")) + " lies between 0 and " + text.substr(text.rfind(' ') + 1) +
                           after,
                "check the mask and the value");
}

std::optional<Dnf> comparison_to_dnf(const ast::Comparison& cmp, bool negated, Diagnostics& diags) {
  std::optional<CmpOp> op = parse_op(cmp.op);
  if (!op) {
    diags.error(cmp.where, "unknown comparison operator \"" + cmp.op + "\"",
                "use one of == != < <= > >=");
    return std::nullopt;
  }
  if (cmp.arg > 5) {
    diags.error(cmp.where, "arg" + std::to_string(cmp.arg) + " does not exist",
                "syscalls have six arguments: arg0 .. arg5");
    return std::nullopt;
  }
  if (negated) op = negate(*op);
  std::optional<std::uint64_t> value = resolve_value(cmp.value, diags);
  std::optional<std::uint64_t> mask;
  if (cmp.mask) mask = resolve_value(*cmp.mask, diags);
  if (!value || (cmp.mask && !mask)) return std::nullopt;

  ArgCondition base{cmp.arg, *op, *value, kNoMask, cmp.low32 ? 32u : 64u};
  if (cmp.low32) {
    value = to_low_word(*value, cmp.value, cmp.arg, diags);
    if (mask) mask = to_low_word(*mask, *cmp.mask, cmp.arg, diags);
    if (!value || (cmp.mask && !mask)) return std::nullopt;
    base.value = *value;
  }
  if (!cmp.mask) return Dnf{Conjunction{Literal{base, cmp.where}}};

  base.mask = is_masked(ArgCondition{base.arg, base.op, base.value, *mask, base.width}) ? *mask : kNoMask;
  warn_if_constant(base, cmp.where, negated, diags);
  if (*op == CmpOp::Ne && is_masked(base)) {
    base.op = CmpOp::Eq;
    return masked_not_equal(base, cmp.where);
  }
  return Dnf{Conjunction{Literal{base, cmp.where}}};
}

bool too_big(std::size_t size, const Location& where, Diagnostics& diags) {
  if (size <= kMaxConjunctions) return false;
  diags.error(where,
              "this condition expands to " + std::to_string(size) + " alternatives (the limit is " +
                  std::to_string(kMaxConjunctions) + ")",
              "split the rule into several rules, or simplify the condition");
  return true;
}

std::optional<Dnf> to_dnf(const ast::Condition& c, bool negated, Diagnostics& diags);

std::optional<Dnf> product(const std::vector<ast::ConditionPtr>& operands, bool negated,
                           const Location& where, Diagnostics& diags) {
  Dnf result{Conjunction{}};
  for (const auto& operand : operands) {
    std::optional<Dnf> part = to_dnf(*operand, negated, diags);
    if (!part) return std::nullopt;
    if (too_big(result.size() * part->size(), where, diags)) return std::nullopt;
    Dnf next;
    for (const Conjunction& left : result) {
      for (const Conjunction& right : *part) {
        Conjunction both = left;
        both.insert(both.end(), right.begin(), right.end());
        next.push_back(std::move(both));
      }
    }
    result = std::move(next);
  }
  return result;
}

std::optional<Dnf> sum(const std::vector<ast::ConditionPtr>& operands, bool negated,
                       const Location& where, Diagnostics& diags) {
  Dnf result;
  for (const auto& operand : operands) {
    std::optional<Dnf> part = to_dnf(*operand, negated, diags);
    if (!part) return std::nullopt;
    result.insert(result.end(), part->begin(), part->end());
    if (too_big(result.size(), where, diags)) return std::nullopt;
  }
  return result;
}

std::optional<Dnf> to_dnf(const ast::Condition& c, bool negated, Diagnostics& diags) {
  switch (c.kind) {
    case ast::Condition::Kind::Compare:
      return comparison_to_dnf(c.compare, negated, diags);
    case ast::Condition::Kind::Not:
      if (c.operands.size() != 1 || !c.operands[0]) {
        diags.error(c.where, "internal: `!` needs exactly one operand");
        return std::nullopt;
      }
      return to_dnf(*c.operands[0], !negated, diags);
    case ast::Condition::Kind::And:  // !(a && b) == !a || !b
      return negated ? sum(c.operands, true, c.where, diags) : product(c.operands, false, c.where, diags);
    case ast::Condition::Kind::Or:   // !(a || b) == !a && !b
      return negated ? product(c.operands, true, c.where, diags) : sum(c.operands, false, c.where, diags);
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::uint64_t> resolve_value(const ast::Value& value, Diagnostics& diags) {
  if (value.terms.empty()) {
    diags.error(value.where, "missing value", "write a number or a constant name");
    return std::nullopt;
  }
  std::uint64_t result = 0;
  bool ok = true;
  for (const ast::Word& term : value.terms) {
    std::optional<std::uint64_t> one = resolve_term(term, diags);
    if (one) result |= *one;
    else ok = false;
  }
  if (!ok) return std::nullopt;
  return result;
}

std::optional<Dnf> condition_to_dnf(const ast::Condition& condition, Diagnostics& diags) {
  return to_dnf(condition, false, diags);
}

}  // namespace policyc::seccomp
