// The textual IR: the printer, a hand-written lexer and recursive-descent
// parser for the same text, and the binary weight sidecar (".weights").
//
// Attributes are printed and parsed generically by walking each attribute
// struct's fields(); nothing here knows an op's attributes by name. Only
// fields that differ from default_attrs(op) are printed, and the parser starts
// from default_attrs(op), so the two directions agree by construction.
#include "ir/text_format.h"

#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

namespace loom {

namespace {

// Tensors this small are written out in the text; larger ones go to the sidecar.
constexpr int64_t kMaxInlineElements = 8;

constexpr uint32_t kCanonicalNanF32 = 0x7fc00000u;
constexpr uint64_t kCanonicalNanF64 = 0x7ff8000000000000ull;

// ---- names ------------------------------------------------------------------

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
}

bool is_ident_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}

// After '%' any run of name characters is a name (ONNX names like "0" are common).
bool is_simple_value_name(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_name_char(c)) return false;
  return true;
}

bool is_simple_ident(std::string_view s) {
  return !s.empty() && is_ident_start(s[0]) && is_simple_value_name(s);
}

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7f) {
      out += fmt::format("\\x{:02x}", u);
    } else {
      out += c;  // printable ASCII and UTF-8 bytes stay readable
    }
  }
  return out + "\"";
}

std::string value_ref(std::string_view name) {
  return "%" + (is_simple_value_name(name) ? std::string(name) : quote(name));
}

// ---- numbers ----------------------------------------------------------------

// Shortest text that reads back to the same bits.
std::string format_float(float v) {
  if (std::isnan(v)) {
    uint32_t bits = std::bit_cast<uint32_t>(v);
    return bits == kCanonicalNanF32 ? "nan" : fmt::format("nan(0x{:08x})", bits);
  }
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return fmt::format("{}", v);
}

std::string format_double(double v) {
  if (std::isnan(v)) {
    uint64_t bits = std::bit_cast<uint64_t>(v);
    return bits == kCanonicalNanF64 ? "nan" : fmt::format("nan(0x{:016x})", bits);
  }
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return fmt::format("{}", v);
}

template <class T>
T load_element(const Tensor& t, int64_t i) {
  T v;
  std::memcpy(&v, t.raw() + static_cast<size_t>(i) * sizeof(T), sizeof(T));
  return v;
}

std::string format_element(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DType::f32:
      return format_float(load_element<float>(t, i));
    case DType::f64:
      return format_double(load_element<double>(t, i));
    case DType::f16:
    case DType::bf16:
      return fmt::format("0x{:04x}", load_element<uint16_t>(t, i));
    case DType::i8:
      return fmt::format("{}", load_element<int8_t>(t, i));
    case DType::u8:
      return fmt::format("{}", load_element<uint8_t>(t, i));
    case DType::i32:
      return fmt::format("{}", load_element<int32_t>(t, i));
    case DType::i64:
      return fmt::format("{}", load_element<int64_t>(t, i));
    case DType::boolean:
      return load_element<uint8_t>(t, i) ? "true" : "false";
  }
  return "?";
}

// ---- printer ----------------------------------------------------------------

bool is_inlined(const Tensor& t) {
  return t.numel() <= kMaxInlineElements;
}

std::string weight_ref(const Tensor& t) {
  if (!is_inlined(t)) return "@" + hash_hex(t.hash());
  std::string out = "[";
  for (int64_t i = 0; i < t.numel(); ++i) {
    if (i) out += ", ";
    out += format_element(t, i);
  }
  return out + "]";
}

// "min .. max .. mean .." for numeric tensors; deterministic (index order).
std::string weight_summary(const Tensor& t) {
  if (t.dtype() == DType::f16 || t.dtype() == DType::bf16 || t.numel() == 0)
    return fmt::format("{} elements", t.numel());
  double lo = std::numeric_limits<double>::infinity(), hi = -lo, sum = 0;
  int64_t nans = 0, counted = 0;
  for (int64_t i = 0; i < t.numel(); ++i) {
    double v = t.get_as_double(i);
    if (std::isnan(v)) {
      ++nans;
      continue;
    }
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    sum += v;
    ++counted;
  }
  std::string out;
  if (counted) out = fmt::format("min {:.4g} max {:.4g} mean {:.4g}", lo, hi, sum / counted);
  if (nans) out += fmt::format("{}nan {}", out.empty() ? "" : " ", nans);
  return out;
}

// Bitwise equality for floats so that -0 vs 0 and NaN payloads count as different.
template <class T>
bool field_equal(const T& a, const T& b) {
  if constexpr (std::is_same_v<T, float>) {
    return std::bit_cast<uint32_t>(a) == std::bit_cast<uint32_t>(b);
  } else if constexpr (std::is_same_v<T, std::vector<float>>) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
      if (!field_equal(a[i], b[i])) return false;
    return true;
  } else if constexpr (std::is_same_v<T, std::optional<float>>) {
    if (a.has_value() != b.has_value()) return false;
    return !a || field_equal(*a, *b);
  } else if constexpr (std::is_same_v<T, Tensor>) {
    return a.defined() == b.defined() && a.same_content(b);
  } else {
    return a == b;
  }
}

template <class T>
struct AlwaysFalse : std::false_type {};

class AttrPrinter {
 public:
  explicit AttrPrinter(std::vector<std::string>& comments, bool summaries)
      : comments_(comments), summaries_(summaries) {}

  template <class T>
  std::string format(std::string_view name, const T& v) {
    if constexpr (std::is_same_v<T, int64_t>) {
      return fmt::format("{}", v);
    } else if constexpr (std::is_same_v<T, float>) {
      return format_float(v);
    } else if constexpr (std::is_same_v<T, bool>) {
      return v ? "true" : "false";
    } else if constexpr (std::is_same_v<T, std::string>) {
      return quote(v);
    } else if constexpr (std::is_same_v<T, std::vector<int64_t>>) {
      return fmt::format("[{}]", fmt::join(v, ","));
    } else if constexpr (std::is_same_v<T, std::vector<float>>) {
      std::string out = "[";
      for (size_t i = 0; i < v.size(); ++i)
        out += (i ? "," : "") + format_float(v[i]);
      return out + "]";
    } else if constexpr (std::is_same_v<T, std::vector<Activation>>) {
      std::string out = "[";
      for (size_t i = 0; i < v.size(); ++i)
        out += (i ? "," : "") + std::string(enum_name(v[i]));
      return out + "]";
    } else if constexpr (std::is_same_v<T, std::optional<float>>) {
      return v ? format_float(*v) : "none";
    } else if constexpr (is_named_enum_v<T>) {
      return std::string(enum_name(v));
    } else if constexpr (std::is_same_v<T, Tensor>) {
      if (!v.defined()) return "none";
      if (summaries_ && !is_inlined(v))
        comments_.push_back(fmt::format("{}: {}", name, weight_summary(v)));
      return type_str(v.type()) + " " + weight_ref(v);
    } else {
      static_assert(AlwaysFalse<T>::value, "text format: unhandled attribute field type");
    }
  }

 private:
  std::vector<std::string>& comments_;
  bool summaries_;
};

std::string format_attrs(const Node& n, std::vector<std::string>& comments, bool summaries) {
  AttrPrinter printer(comments, summaries);
  std::vector<std::string> parts;
  const Attrs defaults = default_attrs(n.op);
  std::visit(
      [&](const auto& a) {
        using A = std::decay_t<decltype(a)>;
        const A fallback{};
        const A* def = std::get_if<A>(&defaults);
        if (!def) def = &fallback;
        A::fields(a, [&](std::string_view name, const auto& field) {
          using F = std::decay_t<decltype(field)>;
          bool same = false;
          A::fields(*def, [&](std::string_view dname, const auto& dfield) {
            if constexpr (std::is_same_v<std::decay_t<decltype(dfield)>, F>)
              if (dname == name) same = field_equal(field, dfield);
          });
          if (!same) parts.push_back(fmt::format("{}={}", name, printer.format(name, field)));
        });
      },
      n.attrs);
  return fmt::format("{}", fmt::join(parts, ", "));
}

// The node name the parser assumes when none is written.
std::string implied_node_name(const Graph& g, const Node& n) {
  for (ValueId out : n.outputs)
    if (out != kNoValue) return g.value(out).name;
  return {};
}

// ---- lexer ------------------------------------------------------------------

enum class Tok { End, Ident, Value, Number, String, Hash, Punct, Arrow };

struct Token {
  Tok kind = Tok::End;
  std::string text;  // Value/String: the decoded name; Hash: the hex digits
  int line = 1;
  int col = 1;
};

std::string describe(const Token& t) {
  auto clip = [](const std::string& s) { return s.size() > 40 ? s.substr(0, 40) + "..." : s; };
  switch (t.kind) {
    case Tok::End:
      return "end of input";
    case Tok::Ident:
    case Tok::Number:
    case Tok::Punct:
      return "'" + clip(t.text) + "'";
    case Tok::Value:
      return "'" + clip(value_ref(t.text)) + "'";
    case Tok::String:
      return "string " + clip(quote(t.text));
    case Tok::Hash:
      return "'@" + clip(t.text) + "'";
    case Tok::Arrow:
      return "'->'";
  }
  return "?";
}

class Lexer {
 public:
  Lexer(std::string_view text, const std::string& source) : text_(text), source_(source) {}

  std::vector<Token> run() {
    std::vector<Token> out;
    for (;;) {
      skip_space();
      Token t;
      t.line = line_;
      t.col = col_;
      if (pos_ >= text_.size()) {
        out.push_back(t);
        return out;
      }
      char c = text_[pos_];
      char next = pos_ + 1 < text_.size() ? text_[pos_ + 1] : '\0';
      if (c == '%') {
        advance();
        t.kind = Tok::Value;
        if (pos_ < text_.size() && text_[pos_] == '"') {
          t.text = string_body(t);
        } else {
          while (pos_ < text_.size() && is_name_char(text_[pos_]))
            t.text += advance();
          if (t.text.empty()) fail(t, "expected a value name after '%'");
        }
      } else if (c == '"') {
        t.kind = Tok::String;
        t.text = string_body(t);
      } else if (c == '@') {
        advance();
        t.kind = Tok::Hash;
        while (pos_ < text_.size() && std::isxdigit(static_cast<unsigned char>(text_[pos_])))
          t.text += advance();
        if (t.text.empty()) fail(t, "expected hex digits of a weight hash after '@'");
      } else if (c == '-' && next == '>') {
        advance();
        advance();
        t.kind = Tok::Arrow;
        t.text = "->";
      } else if (std::isdigit(static_cast<unsigned char>(c)) ||
                 (c == '-' && (std::isdigit(static_cast<unsigned char>(next)) || next == 'i'))) {
        t.kind = Tok::Number;
        t.text += advance();
        while (pos_ < text_.size()) {
          char d = text_[pos_];
          char prev = t.text.back();
          bool exponent_sign = (d == '+' || d == '-') && (prev == 'e' || prev == 'E');
          if (!std::isalnum(static_cast<unsigned char>(d)) && d != '.' && !exponent_sign) break;
          t.text += advance();
        }
      } else if (is_ident_start(c)) {
        t.kind = Tok::Ident;
        while (pos_ < text_.size() && is_name_char(text_[pos_]))
          t.text += advance();
      } else if (std::string_view("(){}[],:=").find(c) != std::string_view::npos) {
        t.kind = Tok::Punct;
        t.text = std::string(1, advance());
      } else {
        auto u = static_cast<unsigned char>(c);
        fail(t, u >= 0x21 && u < 0x7f ? fmt::format("unexpected character '{}'", c)
                                      : fmt::format("unexpected byte 0x{:02x}", u));
      }
      out.push_back(std::move(t));
    }
  }

 private:
  char advance() {
    char c = text_[pos_++];
    if (c == '\n') {
      ++line_;
      col_ = 1;
    } else {
      ++col_;
    }
    return c;
  }

  void skip_space() {
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == '#') {
        while (pos_ < text_.size() && text_[pos_] != '\n')
          advance();
      } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        advance();
      } else {
        return;
      }
    }
  }

  static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  // At the opening quote; returns the decoded contents.
  std::string string_body(const Token& start) {
    advance();
    std::string out;
    for (;;) {
      if (pos_ >= text_.size() || text_[pos_] == '\n') fail(start, "unterminated string");
      char c = advance();
      if (c == '"') return out;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= text_.size()) fail(start, "unterminated string");
      Token at{Tok::End, {}, line_, col_};
      char e = advance();
      switch (e) {
        case '"':
        case '\\':
          out += e;
          break;
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'x': {
          int hi = pos_ < text_.size() ? hex_digit(text_[pos_]) : -1;
          int lo = pos_ + 1 < text_.size() ? hex_digit(text_[pos_ + 1]) : -1;
          if (hi < 0 || lo < 0) fail(at, "expected two hex digits after '\\x'");
          advance();
          advance();
          out += static_cast<char>(hi * 16 + lo);
          break;
        }
        default:
          fail(at, fmt::format("unknown escape '\\{}' in string", e));
      }
    }
  }

  [[noreturn]] void fail(const Token& at, const std::string& msg) const {
    throw ParseError(fmt::format("{}:{}:{}: {}", source_, at.line, at.col, msg));
  }

  std::string_view text_;
  const std::string& source_;
  size_t pos_ = 0;
  int line_ = 1;
  int col_ = 1;
};

// ---- parser -----------------------------------------------------------------

class Parser {
 public:
  Parser(std::string_view text, const WeightStore& weights, const std::string& source)
      : weights_(weights), source_(source) {
    toks_ = Lexer(text, source_).run();
  }

  Graph run() {
    expect_keyword("graph");
    if (peek().kind == Tok::String || peek().kind == Tok::Ident) {
      graph_.name = next().text;
    } else {
      expected("a graph name");
    }
    expect_punct('(', "'(' to open the graph inputs");
    if (!accept_punct(')')) {
      do
        parse_input();
      while (accept_punct(','));
      expect_punct(')', "',' or ')' after a graph input");
    }
    if (peek().kind != Tok::Arrow) expected("'->' before the graph outputs");
    next();
    expect_punct('(', "'(' to open the graph outputs");
    std::vector<Token> outputs;
    if (!accept_punct(')')) {
      do {
        if (peek().kind != Tok::Value && !is_ident(peek(), "_")) expected("a graph output '%name'");
        outputs.push_back(next());
      } while (accept_punct(','));
      expect_punct(')', "',' or ')' after a graph output");
    }
    expect_punct('{', "'{' to open the graph body");
    while (!is_punct(peek(), '}')) {
      if (peek().kind == Tok::End) expected("a statement or '}'");
      parse_statement();
    }
    next();
    if (peek().kind != Tok::End) expected("end of input after the graph's closing '}'");
    for (const Token& t : outputs)
      graph_.outputs.push_back(t.kind == Tok::Value ? use(t) : kNoValue);
    return std::move(graph_);
  }

 private:
  // -- token helpers --
  const Token& peek(size_t ahead = 0) const {
    return toks_[std::min(pos_ + ahead, toks_.size() - 1)];
  }
  Token next() {
    Token t = peek();
    if (pos_ < toks_.size() - 1) ++pos_;
    return t;
  }
  static bool is_punct(const Token& t, char c) {
    return t.kind == Tok::Punct && t.text.size() == 1 && t.text[0] == c;
  }
  static bool is_ident(const Token& t, std::string_view s) {
    return t.kind == Tok::Ident && t.text == s;
  }
  bool accept_punct(char c) {
    if (!is_punct(peek(), c)) return false;
    next();
    return true;
  }
  void expect_punct(char c, const std::string& what) {
    if (!accept_punct(c)) expected(what);
  }
  void expect_keyword(std::string_view kw) {
    if (!is_ident(peek(), kw)) expected(fmt::format("'{}'", kw));
    next();
  }
  [[noreturn]] void fail_at(const Token& t, const std::string& msg) const {
    throw ParseError(fmt::format("{}:{}:{}: {}", source_, t.line, t.col, msg));
  }
  [[noreturn]] void expected(const std::string& what) const {
    fail_at(peek(), fmt::format("expected {}, found {}", what, describe(peek())));
  }

  // -- values --
  ValueId define(const Token& t, std::optional<TensorType> type, std::optional<Tensor> constant) {
    auto [it, fresh] = defined_.try_emplace(t.text, static_cast<ValueId>(graph_.values.size()));
    if (!fresh)
      fail_at(t, fmt::format("value '{}' is already defined (line {})", value_ref(t.text),
                             def_line_[static_cast<size_t>(it->second)]));
    graph_.values.push_back(Value{t.text, std::move(type), std::move(constant)});
    def_line_.push_back(t.line);
    return it->second;
  }
  ValueId use(const Token& t) const {
    auto it = defined_.find(t.text);
    if (it == defined_.end()) fail_at(t, fmt::format("undefined value '{}'", value_ref(t.text)));
    return it->second;
  }

  // -- numbers --
  int64_t parse_int(const std::string& what) {
    const Token& t = peek();
    int64_t v = 0;
    if (t.kind != Tok::Number || !parse_int_text(t.text, v))
      expected(fmt::format("an integer for {}", what));
    next();
    return v;
  }
  static bool parse_int_text(const std::string& s, int64_t& v) {
    auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    return r.ec == std::errc() && r.ptr == s.data() + s.size();
  }
  static bool parse_hex_text(const std::string& s, uint64_t& v) {
    if (s.size() < 3 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) return false;
    auto r = std::from_chars(s.data() + 2, s.data() + s.size(), v, 16);
    return r.ec == std::errc() && r.ptr == s.data() + s.size();
  }

  // float or double: "1.5", "-inf", "inf", "nan", "nan(0x7fc00001)".
  template <class T>
  T parse_real(const std::string& what) {
    using Bits = std::conditional_t<std::is_same_v<T, float>, uint32_t, uint64_t>;
    const Token& t = peek();
    if (is_ident(t, "inf")) {
      next();
      return std::numeric_limits<T>::infinity();
    }
    if (is_ident(t, "nan")) {
      next();
      if (!accept_punct('('))
        return std::bit_cast<T>(
            static_cast<Bits>(std::is_same_v<T, float> ? kCanonicalNanF32 : kCanonicalNanF64));
      uint64_t bits = 0;
      const Token& b = peek();
      if (b.kind != Tok::Number || !parse_hex_text(b.text, bits) ||
          bits > std::numeric_limits<Bits>::max() ||
          !std::isnan(std::bit_cast<T>(static_cast<Bits>(bits))))
        expected(fmt::format("the hex bits of a NaN for {}", what));
      next();
      expect_punct(')', "')' after the NaN bits");
      return std::bit_cast<T>(static_cast<Bits>(bits));
    }
    T v{};
    if (t.kind == Tok::Number) {
      if (t.text == "-inf") {
        next();
        return -std::numeric_limits<T>::infinity();
      }
      auto r = std::from_chars(t.text.data(), t.text.data() + t.text.size(), v);
      if (r.ec == std::errc::result_out_of_range)
        fail_at(t, fmt::format("number '{}' is out of range for {}", t.text, what));
      if (r.ec == std::errc() && r.ptr == t.text.data() + t.text.size()) {
        next();
        return v;
      }
    }
    expected(fmt::format("a number for {}", what));
  }

  // -- types and weights --
  TensorType parse_type(const std::string& what, bool concrete) {
    const Token& t = peek();
    if (t.kind != Tok::Ident) expected(fmt::format("a type like f32[1,3] for {}", what));
    auto dtype = parse_dtype(t.text);
    if (!dtype) fail_at(t, fmt::format("unknown dtype '{}' for {}", t.text, what));
    next();
    TensorType type{*dtype, {}};
    expect_punct('[', "'[' to open the shape");
    if (!accept_punct(']')) {
      do {
        const Token& at = peek();
        int64_t d = parse_int("a dimension of " + what);
        if (concrete && d < 0) fail_at(at, fmt::format("dimension {} of {} is negative", d, what));
        type.shape.push_back(d);
      } while (accept_punct(','));
      expect_punct(']', "',' or ']' in the shape");
    }
    return type;
  }

  Tensor parse_weight(const TensorType& type, const std::string& what) {
    const Token& t = peek();
    if (t.kind == Tok::Hash) {
      uint64_t h = 0;
      auto r = std::from_chars(t.text.data(), t.text.data() + t.text.size(), h, 16);
      if (r.ec != std::errc() || t.text.size() > 16)
        fail_at(t, fmt::format("'@{}' is not a 16-digit weight hash ({})", t.text, what));
      const Tensor* w = weights_.find(h);
      if (!w)
        fail_at(t, fmt::format("{}: weight @{} not found (missing or incomplete .weights file)",
                               what, t.text));
      if (w->type() != type)
        fail_at(t, fmt::format("{}: weight @{} is {} but the text declares {}", what, t.text,
                               type_str(w->type()), type_str(type)));
      next();
      return *w;
    }
    if (!is_punct(t, '[')) expected(fmt::format("'@hash' or '[values]' for {}", what));
    const Token open = next();
    std::vector<Token> elems;
    if (!is_punct(peek(), ']')) {
      do {
        elems.push_back(next());
        // nan(0x...) spans four tokens; keep them together.
        if (is_ident(elems.back(), "nan") && is_punct(peek(), '(')) {
          for (int i = 0; i < 3 && peek().kind != Tok::End; ++i)
            elems.push_back(next());
        }
      } while (accept_punct(','));
    }
    expect_punct(']', fmt::format("',' or ']' in the values of {}", what));
    // Count elements (a nan(...) group is one) before allocating anything.
    int64_t count = 0;
    for (size_t i = 0; i < elems.size(); ++i, ++count)
      if (is_ident(elems[i], "nan") && i + 1 < elems.size() && is_punct(elems[i + 1], '(')) i += 3;
    int64_t numel = 1;
    for (int64_t d : type.shape) {
      if (d < 0)
        fail_at(open, fmt::format("{}: type {} has a negative dimension", what, type_str(type)));
      if (__builtin_mul_overflow(numel, d, &numel)) numel = -1;
    }
    if (numel != count)
      fail_at(open, fmt::format(
                        "{}: type {} has {} elements but {} values are given", what, type_str(type),
                        numel < 0 ? std::string("too many") : std::to_string(numel), count));
    Tensor out(type);
    Parser sub(*this, std::move(elems));
    for (int64_t i = 0; i < numel; ++i)
      sub.parse_element(out, i, what);
    return out;
  }

  // A parser over a slice of tokens (the elements of a literal).
  Parser(const Parser& parent, std::vector<Token> toks)
      : toks_(std::move(toks)), weights_(parent.weights_), source_(parent.source_) {
    Token end;
    if (!toks_.empty()) end = toks_.back();
    end.kind = Tok::End;
    end.text.clear();
    toks_.push_back(end);
  }

  void parse_element(Tensor& t, int64_t i, const std::string& what) {
    std::byte* p = t.raw() + static_cast<size_t>(i) * dtype_size(t.dtype());
    auto store = [&](auto v) { std::memcpy(p, &v, sizeof v); };
    auto ranged = [&](int64_t lo, int64_t hi) {
      const Token& at = peek();
      int64_t v = parse_int("an element of " + what);
      if (v < lo || v > hi)
        fail_at(at, fmt::format("{} is out of range for {} ({}..{})", v, dtype_name(t.dtype()), lo,
                                hi));
      return v;
    };
    switch (t.dtype()) {
      case DType::f32:
        store(parse_real<float>("an element of " + what));
        break;
      case DType::f64:
        store(parse_real<double>("an element of " + what));
        break;
      case DType::f16:
      case DType::bf16: {
        uint64_t bits = 0;
        if (peek().kind != Tok::Number || !parse_hex_text(peek().text, bits) || bits > 0xffff)
          expected(fmt::format("16 bits in hex (0x3c00) for an element of {}", what));
        next();
        store(static_cast<uint16_t>(bits));
        break;
      }
      case DType::i8:
        store(static_cast<int8_t>(ranged(-128, 127)));
        break;
      case DType::u8:
        store(static_cast<uint8_t>(ranged(0, 255)));
        break;
      case DType::i32:
        store(static_cast<int32_t>(
            ranged(std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max())));
        break;
      case DType::i64:
        store(parse_int("an element of " + what));
        break;
      case DType::boolean:
        if (is_ident(peek(), "true") || is_ident(peek(), "false")) {
          store(static_cast<uint8_t>(next().text == "true"));
        } else {
          expected(fmt::format("true or false for an element of {}", what));
        }
        break;
    }
  }

  // -- statements --
  void parse_input() {
    if (peek().kind != Tok::Value) expected("a graph input '%name'");
    Token name = next();
    std::optional<TensorType> type;
    std::optional<Tensor> constant;
    const std::string what = fmt::format("input '{}'", value_ref(name.text));
    if (accept_punct(':')) type = parse_type(what, false);
    if (is_punct(peek(), '=')) {
      if (!type) expected("':' and a type before an input's weights");
      next();
      constant = parse_weight(*type, what);
    }
    graph_.inputs.push_back(define(name, type, constant));
  }

  void parse_statement() {
    if (is_ident(peek(), "const")) {
      next();
      if (peek().kind != Tok::Value) expected("a constant name '%name'");
      Token name = next();
      const std::string what = fmt::format("constant '{}'", value_ref(name.text));
      expect_punct(':', "':' and the type of " + what);
      TensorType type = parse_type(what, true);
      expect_punct('=', "'=' and the weights of " + what);
      Tensor w = parse_weight(type, what);
      define(name, type, w);
      return;
    }
    // Outputs: "%a: f32[2], _, %c =" (none at all for a node without outputs).
    std::vector<std::pair<Token, std::optional<TensorType>>> outs;
    bool has_outputs = peek().kind == Tok::Value || is_ident(peek(), "_");
    if (has_outputs) {
      do {
        if (is_ident(peek(), "_")) {
          outs.emplace_back(next(), std::nullopt);
          continue;
        }
        if (peek().kind != Tok::Value) expected("a node output '%name' or '_'");
        Token name = next();
        std::optional<TensorType> type;
        if (accept_punct(':')) type = parse_type(fmt::format("'{}'", value_ref(name.text)), false);
        outs.emplace_back(std::move(name), std::move(type));
      } while (accept_punct(','));
      expect_punct('=', "',' or '=' after the node outputs");
    }
    if (peek().kind != Tok::Ident) expected("an op name");
    const Token op_tok = next();
    auto op = parse_op(op_tok.text);
    if (!op) fail_at(op_tok, fmt::format("unknown op '{}'", op_tok.text));
    Node node;
    node.op = *op;
    node.attrs = default_attrs(*op);
    expect_punct('(', fmt::format("'(' after '{}'", op_tok.text));
    if (!accept_punct(')')) {
      do {
        if (is_ident(peek(), "_")) {
          next();
          node.inputs.push_back(kNoValue);
        } else if (peek().kind == Tok::Value) {
          node.inputs.push_back(use(next()));
        } else {
          expected(fmt::format("an input '%name' or '_' of {}", op_tok.text));
        }
      } while (accept_punct(','));
      expect_punct(')', fmt::format("',' or ')' after an input of {}", op_tok.text));
    }
    if (accept_punct('{')) {
      std::unordered_set<std::string> seen;
      do {
        if (peek().kind != Tok::Ident)
          expected(fmt::format("an attribute name of {}", op_tok.text));
        const Token attr = next();
        if (!seen.insert(attr.text).second)
          fail_at(attr, fmt::format("attribute '{}' of {} given twice", attr.text, op_tok.text));
        expect_punct('=', fmt::format("'=' after attribute '{}'", attr.text));
        parse_attr(node.attrs, attr, op_tok.text);
      } while (accept_punct(','));
      expect_punct('}', fmt::format("',' or '}}' after an attribute of {}", op_tok.text));
    }
    bool named = peek().kind == Tok::String;
    if (named) node.name = next().text;
    bool has_implied_name = false;
    for (auto& [tok, type] : outs) {
      if (tok.kind != Tok::Value) {
        node.outputs.push_back(kNoValue);
        continue;
      }
      // Unnamed nodes take the name of their first present output (see implied_node_name).
      if (!named && !has_implied_name) node.name = tok.text;
      has_implied_name = true;
      node.outputs.push_back(define(tok, std::move(type), std::nullopt));
    }
    graph_.nodes.push_back(std::move(node));
  }

  void parse_attr(Attrs& attrs, const Token& name, const std::string& op) {
    bool found = false;
    std::visit(
        [&](auto& a) {
          using A = std::decay_t<decltype(a)>;
          A::fields(a, [&](std::string_view field_name, auto& field) {
            if (found || field_name != name.text) return;
            found = true;
            parse_field(field, fmt::format("attribute '{}' of {}", name.text, op));
          });
        },
        attrs);
    if (!found) fail_at(name, fmt::format("op {} has no attribute '{}'", op, name.text));
  }

  bool parse_bool(const std::string& what) {
    if (is_ident(peek(), "true") || is_ident(peek(), "false")) return next().text == "true";
    expected(fmt::format("true or false for {}", what));
  }

  template <class E>
  E parse_enum_value(const std::string& what) {
    if (peek().kind == Tok::Ident)
      if (auto e = parse_enum<E>(peek().text)) {
        next();
        return *e;
      }
    expected(fmt::format("a name like {} for {}", enum_name(E{}), what));
  }

  template <class T, class F>
  std::vector<T> parse_list(const std::string& what, F&& element) {
    expect_punct('[', fmt::format("'[' to open the list of {}", what));
    std::vector<T> out;
    if (accept_punct(']')) return out;
    do
      out.push_back(element());
    while (accept_punct(','));
    expect_punct(']', fmt::format("',' or ']' in the list of {}", what));
    return out;
  }

  template <class T>
  void parse_field(T& field, const std::string& what) {
    if constexpr (std::is_same_v<T, int64_t>) {
      field = parse_int(what);
    } else if constexpr (std::is_same_v<T, float>) {
      field = parse_real<float>(what);
    } else if constexpr (std::is_same_v<T, bool>) {
      field = parse_bool(what);
    } else if constexpr (std::is_same_v<T, std::string>) {
      if (peek().kind != Tok::String) expected(fmt::format("a quoted string for {}", what));
      field = next().text;
    } else if constexpr (std::is_same_v<T, std::vector<int64_t>>) {
      field = parse_list<int64_t>(what, [&] { return parse_int(what); });
    } else if constexpr (std::is_same_v<T, std::vector<float>>) {
      field = parse_list<float>(what, [&] { return parse_real<float>(what); });
    } else if constexpr (std::is_same_v<T, std::vector<Activation>>) {
      field = parse_list<Activation>(what, [&] { return parse_enum_value<Activation>(what); });
    } else if constexpr (std::is_same_v<T, std::optional<float>>) {
      if (is_ident(peek(), "none")) {
        next();
        field.reset();
      } else {
        field = parse_real<float>(what);
      }
    } else if constexpr (is_named_enum_v<T>) {
      field = parse_enum_value<T>(what);
    } else if constexpr (std::is_same_v<T, Tensor>) {
      if (is_ident(peek(), "none")) {
        next();
        field = Tensor{};
      } else {
        TensorType type = parse_type(what, true);
        field = parse_weight(type, what);
      }
    } else {
      static_assert(AlwaysFalse<T>::value, "text format: unhandled attribute field type");
    }
  }

  std::vector<Token> toks_;
  size_t pos_ = 0;
  const WeightStore& weights_;
  const std::string& source_;
  Graph graph_;
  std::unordered_map<std::string, ValueId> defined_;
  std::vector<int> def_line_;  // by ValueId
};

// ---- weight sidecar -----------------------------------------------------------
// Layout (little-endian): "LOOMWGTS", u32 version, u64 count, then per tensor:
// u64 hash, u32 dtype, u32 rank, i64 dims[rank], u64 byte count, raw bytes.

constexpr char kWeightsMagic[8] = {'L', 'O', 'O', 'M', 'W', 'G', 'T', 'S'};
constexpr uint32_t kWeightsVersion = 1;
constexpr uint32_t kMaxRank = 64;

static_assert(std::endian::native == std::endian::little,
              "the weights file is written in host order, which must be little-endian");

class ByteReader {
 public:
  ByteReader(const std::string& data, const std::string& path) : data_(data), path_(path) {}

  template <class T>
  T get(const char* what) {
    T v;
    std::memcpy(&v, need(sizeof v, what), sizeof v);
    return v;
  }
  const char* need(size_t n, const std::string& what) {
    if (n > data_.size() - pos_)
      fail(fmt::format("truncated: {} needs {} bytes at offset {}, file has {}", what, n, pos_,
                       data_.size()));
    const char* p = data_.data() + pos_;
    pos_ += n;
    return p;
  }
  size_t remaining() const { return data_.size() - pos_; }
  [[noreturn]] void fail(const std::string& msg) const {
    throw ParseError(fmt::format("weights file '{}': {}", path_, msg));
  }

 private:
  const std::string& data_;
  const std::string& path_;
  size_t pos_ = 0;
};

std::string read_file(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IOError(fmt::format("cannot open {} '{}'", what, path));
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw IOError(fmt::format("cannot read {} '{}'", what, path));
  return data;
}

}  // namespace

// ---- public API ---------------------------------------------------------------

void WeightStore::add_all(const Graph& g) {
  for (const Value& v : g.values)
    if (v.constant && v.constant->defined()) add(*v.constant);
  for (const Node& n : g.nodes)
    if (auto* c = std::get_if<ConstantAttrs>(&n.attrs))
      if (c->value.defined()) add(c->value);
}

const Tensor* WeightStore::find(uint64_t hash) const {
  auto it = by_hash_.find(hash);
  return it == by_hash_.end() ? nullptr : &it->second;
}

std::string print_graph(const Graph& g, const PrintOptions& options) {
  std::string out = "graph ";
  out += is_simple_ident(g.name) ? g.name : quote(g.name);
  out += "(";
  std::unordered_set<ValueId> is_input;
  for (size_t i = 0; i < g.inputs.size(); ++i) {
    ValueId id = g.inputs[i];
    is_input.insert(id);
    const Value& v = g.value(id);
    if (i) out += ", ";
    out += value_ref(v.name);
    if (v.constant) {
      out += ": " + type_str(v.constant->type()) + " = " + weight_ref(*v.constant);
    } else if (v.type) {
      out += ": " + type_str(*v.type);
    }
  }
  out += ") -> (";
  for (size_t i = 0; i < g.outputs.size(); ++i) {
    if (i) out += ", ";
    out += g.outputs[i] == kNoValue ? std::string("_") : value_ref(g.value(g.outputs[i]).name);
  }
  out += ") {\n";

  for (size_t i = 0; i < g.values.size(); ++i) {
    const Value& v = g.values[i];
    if (!v.constant || is_input.count(static_cast<ValueId>(i))) continue;
    const Tensor& t = *v.constant;
    out += fmt::format("  const {}: {} = {}", value_ref(v.name), type_str(t.type()), weight_ref(t));
    if (options.weight_summaries && !is_inlined(t)) {
      std::string summary = weight_summary(t);
      if (!summary.empty()) out += "  # " + summary;
    }
    out += "\n";
  }

  for (const Node& n : g.nodes) {
    std::string line = "  ";
    for (size_t i = 0; i < n.outputs.size(); ++i) {
      if (i) line += ", ";
      if (n.outputs[i] == kNoValue) {
        line += "_";
        continue;
      }
      const Value& v = g.value(n.outputs[i]);
      line += value_ref(v.name);
      if (options.types && v.type) line += ": " + type_str(*v.type);
    }
    if (!n.outputs.empty()) line += " = ";
    line += op_name(n.op);
    line += "(";
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      if (i) line += ", ";
      line += n.inputs[i] == kNoValue ? std::string("_") : value_ref(g.value(n.inputs[i]).name);
    }
    line += ")";
    std::vector<std::string> comments;
    std::string attrs = format_attrs(n, comments, options.weight_summaries);
    if (!attrs.empty()) line += " {" + attrs + "}";
    if (n.name != implied_node_name(g, n)) line += " " + quote(n.name);
    if (!comments.empty()) line += fmt::format("  # {}", fmt::join(comments, "; "));
    out += line + "\n";
  }
  out += "}\n";
  return out;
}

Graph parse_graph(std::string_view text, const WeightStore& weights,
                  const std::string& source_name) {
  return Parser(text, weights, source_name).run();
}

void save_weights(const WeightStore& weights, const std::string& path) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw IOError(fmt::format("cannot write weights file '{}'", path));
  auto put = [&](const auto& v) { out.write(reinterpret_cast<const char*>(&v), sizeof v); };
  out.write(kWeightsMagic, sizeof kWeightsMagic);
  put(kWeightsVersion);
  put(static_cast<uint64_t>(weights.size()));
  for (const auto& [hash, t] : weights.all()) {
    put(hash);
    put(static_cast<uint32_t>(t.dtype()));
    put(static_cast<uint32_t>(t.rank()));
    for (int64_t d : t.shape())
      put(d);
    put(static_cast<uint64_t>(t.nbytes()));
    if (t.nbytes())
      out.write(reinterpret_cast<const char*>(t.raw()), static_cast<std::streamsize>(t.nbytes()));
  }
  out.flush();
  if (!out) throw IOError(fmt::format("error while writing weights file '{}'", path));
}

WeightStore load_weights(const std::string& path) {
  const std::string data = read_file(path, "weights file");
  ByteReader r(data, path);
  const char* magic = r.need(sizeof kWeightsMagic, "the magic number");
  if (std::memcmp(magic, kWeightsMagic, sizeof kWeightsMagic) != 0)
    r.fail("not a Loom weights file (bad magic number)");
  uint32_t version = r.get<uint32_t>("the version");
  if (version != kWeightsVersion)
    r.fail(fmt::format("version {} is not supported (expected {})", version, kWeightsVersion));
  uint64_t count = r.get<uint64_t>("the tensor count");
  WeightStore store;
  for (uint64_t i = 0; i < count; ++i) {
    const std::string what = fmt::format("tensor {}", i);
    uint64_t hash = r.get<uint64_t>("a tensor hash");
    uint32_t dt = r.get<uint32_t>("a tensor dtype");
    if (dt >= std::size(kAllDTypes)) r.fail(fmt::format("{}: invalid dtype code {}", what, dt));
    DType dtype = static_cast<DType>(dt);
    uint32_t rank = r.get<uint32_t>("a tensor rank");
    if (rank > kMaxRank) r.fail(fmt::format("{}: rank {} is larger than {}", what, rank, kMaxRank));
    Shape shape;
    uint64_t numel = 1;
    for (uint32_t d = 0; d < rank; ++d) {
      int64_t dim = r.get<int64_t>("a tensor dimension");
      if (dim < 0) r.fail(fmt::format("{}: negative dimension {}", what, dim));
      if (__builtin_mul_overflow(numel, static_cast<uint64_t>(dim), &numel))
        r.fail(fmt::format("{}: shape overflows", what));
      shape.push_back(dim);
    }
    uint64_t nbytes = r.get<uint64_t>("a tensor byte count");
    uint64_t expect = 0;
    if (__builtin_mul_overflow(numel, static_cast<uint64_t>(dtype_size(dtype)), &expect) ||
        nbytes != expect)
      r.fail(fmt::format("{}: {} bytes stored for {}{}", what, nbytes, dtype_name(dtype),
                         shape_str(shape)));
    if (nbytes > r.remaining())
      r.fail(fmt::format("truncated: {} needs {} bytes, {} left", what, nbytes, r.remaining()));
    const char* bytes = r.need(static_cast<size_t>(nbytes), what);
    Tensor t = Tensor::from_bytes(dtype, shape, bytes, static_cast<size_t>(nbytes));
    if (t.hash() != hash)
      r.fail(fmt::format("{}: content hash {} does not match the stored hash {} (corrupted file)",
                         what, hash_hex(t.hash()), hash_hex(hash)));
    store.add(t);
  }
  if (r.remaining())
    r.fail(fmt::format("{} unexpected bytes after the last tensor", r.remaining()));
  return store;
}

void save_text(const Graph& graph, const std::string& path) {
  const std::string text = print_graph(graph);
  WeightStore sidecar;
  WeightStore all;
  all.add_all(graph);
  for (const auto& [hash, t] : all.all())
    if (!is_inlined(t)) sidecar.add(t);
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) throw IOError(fmt::format("cannot write IR file '{}'", path));
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.flush();
    if (!out) throw IOError(fmt::format("error while writing IR file '{}'", path));
  }
  save_weights(sidecar, path + ".weights");
}

Graph load_text(const std::string& path) {
  const std::string text = read_file(path, "IR file");
  WeightStore weights;
  const std::string sidecar = path + ".weights";
  std::error_code ec;
  if (std::filesystem::exists(sidecar, ec)) weights = load_weights(sidecar);
  return parse_graph(text, weights, path);
}

}  // namespace loom
