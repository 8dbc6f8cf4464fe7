// JSON reader and writer for ir/json.h (schedule files and other small
// configuration data; no external dependency so ir/ stays fmt-only).
#include "ir/json.h"

#include <cmath>
#include <cstdio>

#include <fmt/format.h>

#include "ir/error.h"

namespace loom {

void Json::set(const std::string& key, Json v) {
  for (auto& [k, value] : members_) {
    if (k == key) {
      value = std::move(v);
      return;
    }
  }
  members_.emplace_back(key, std::move(v));
}

const Json* Json::find(const std::string& key) const {
  for (const auto& [k, value] : members_)
    if (k == key) return &value;
  return nullptr;
}

namespace {

void escape_to(std::string& out, const std::string& s) {
  out += '"';
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20)
          out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
        else
          out += c;
    }
  }
  out += '"';
}

// Arrays of scalars print on one line: split factors and var lists stay readable.
bool all_scalars(const std::vector<Json>& items) {
  for (const Json& j : items)
    if (j.is_array() || j.is_object()) return false;
  return true;
}

class Parser {
 public:
  explicit Parser(const std::string& text) : s_(text) {}

  Json parse_document() {
    Json v = parse_value(0);
    skip_ws();
    if (pos_ != s_.size()) fail("unexpected text after the JSON value");
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    size_t line = 1, col = 1;
    for (size_t i = 0; i < pos_ && i < s_.size(); ++i) {
      if (s_[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    throw ParseError(fmt::format("JSON at line {}, column {}: {}", line, col, what));
  }
  void skip_ws() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\t' || s_[pos_] == '\r'))
      ++pos_;
  }
  bool consume(const char* word) {
    size_t n = std::char_traits<char>::length(word);
    if (s_.compare(pos_, n, word) == 0) {
      pos_ += n;
      return true;
    }
    return false;
  }
  Json parse_value(int depth) {
    // Deep nesting would only come from a hostile file; refuse it before the stack does.
    if (depth > 200) fail("nesting deeper than 200 levels");
    skip_ws();
    if (pos_ >= s_.size()) fail("unexpected end of text, expected a value");
    char c = s_[pos_];
    if (c == '{') return parse_object(depth);
    if (c == '[') return parse_array(depth);
    if (c == '"') return Json(parse_string());
    if (consume("true")) return Json(true);
    if (consume("false")) return Json(false);
    if (consume("null")) return Json();
    if (c == '-' || (c >= '0' && c <= '9')) return parse_number();
    fail(fmt::format("unexpected character '{}', expected a value", c));
  }
  Json parse_number() {
    size_t start = pos_;
    if (s_[pos_] == '-') ++pos_;
    auto digits = [&] {
      size_t d = pos_;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9')
        ++pos_;
      return pos_ > d;
    };
    if (!digits()) fail("malformed number");
    if (pos_ < s_.size() && s_[pos_] == '.') {
      ++pos_;
      if (!digits()) fail("malformed number");
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (!digits()) fail("malformed number");
    }
    return Json(std::strtod(s_.substr(start, pos_ - start).c_str(), nullptr));
  }
  std::string parse_string() {
    ++pos_;  // opening quote
    std::string out;
    while (true) {
      if (pos_ >= s_.size()) fail("unterminated string");
      char c = s_[pos_++];
      if (c == '"') return out;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= s_.size()) fail("unterminated escape");
      char e = s_[pos_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out += e;
          break;
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'u': {
          if (pos_ + 4 > s_.size()) fail("truncated \\u escape");
          unsigned code = 0;
          for (int i = 0; i < 4; ++i) {
            char h = s_[pos_++];
            code <<= 4;
            if (h >= '0' && h <= '9')
              code |= static_cast<unsigned>(h - '0');
            else if (h >= 'a' && h <= 'f')
              code |= static_cast<unsigned>(h - 'a' + 10);
            else if (h >= 'A' && h <= 'F')
              code |= static_cast<unsigned>(h - 'A' + 10);
            else
              fail("bad hex digit in \\u escape");
          }
          // UTF-8 encode (surrogate pairs are not needed for schedule files).
          if (code < 0x80) {
            out += static_cast<char>(code);
          } else if (code < 0x800) {
            out += static_cast<char>(0xC0 | (code >> 6));
            out += static_cast<char>(0x80 | (code & 0x3F));
          } else {
            out += static_cast<char>(0xE0 | (code >> 12));
            out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (code & 0x3F));
          }
          break;
        }
        default:
          fail(fmt::format("unknown escape '\\{}'", e));
      }
    }
  }
  Json parse_array(int depth) {
    ++pos_;
    Json a = Json::array();
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == ']') {
      ++pos_;
      return a;
    }
    while (true) {
      a.push_back(parse_value(depth + 1));
      skip_ws();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == ']') {
        ++pos_;
        return a;
      }
      fail("expected ',' or ']' in an array");
    }
  }
  Json parse_object(int depth) {
    ++pos_;
    Json o = Json::object();
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == '}') {
      ++pos_;
      return o;
    }
    while (true) {
      skip_ws();
      if (pos_ >= s_.size() || s_[pos_] != '"') fail("expected a string key in an object");
      std::string key = parse_string();
      skip_ws();
      if (pos_ >= s_.size() || s_[pos_] != ':') fail("expected ':' after an object key");
      ++pos_;
      o.set(key, parse_value(depth + 1));
      skip_ws();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == '}') {
        ++pos_;
        return o;
      }
      fail("expected ',' or '}' in an object");
    }
  }

  const std::string& s_;
  size_t pos_ = 0;
};

}  // namespace

void Json::dump_to(std::string& out, int indent, int depth) const {
  const std::string pad(static_cast<size_t>(indent * (depth + 1)), ' ');
  const std::string close_pad(static_cast<size_t>(indent * depth), ' ');
  switch (kind_) {
    case Kind::Null:
      out += "null";
      break;
    case Kind::Bool:
      out += bool_ ? "true" : "false";
      break;
    case Kind::Number:
      if (std::isfinite(number_) && number_ == std::floor(number_) && std::fabs(number_) < 1e15)
        out += fmt::format("{}", static_cast<int64_t>(number_));
      else if (std::isfinite(number_))
        out += fmt::format("{}", number_);
      else
        out += "null";  // JSON has no infinities; schedules never hold them
      break;
    case Kind::String:
      escape_to(out, string_);
      break;
    case Kind::Array:
      if (items_.empty()) {
        out += "[]";
      } else if (all_scalars(items_)) {
        out += '[';
        for (size_t i = 0; i < items_.size(); ++i) {
          if (i) out += ", ";
          items_[i].dump_to(out, indent, depth + 1);
        }
        out += ']';
      } else {
        out += "[\n";
        for (size_t i = 0; i < items_.size(); ++i) {
          out += pad;
          items_[i].dump_to(out, indent, depth + 1);
          out += i + 1 < items_.size() ? ",\n" : "\n";
        }
        out += close_pad + "]";
      }
      break;
    case Kind::Object:
      if (members_.empty()) {
        out += "{}";
      } else {
        out += "{\n";
        for (size_t i = 0; i < members_.size(); ++i) {
          out += pad;
          escape_to(out, members_[i].first);
          out += ": ";
          members_[i].second.dump_to(out, indent, depth + 1);
          out += i + 1 < members_.size() ? ",\n" : "\n";
        }
        out += close_pad + "}";
      }
      break;
  }
}

std::string Json::dump(int indent) const {
  std::string out;
  dump_to(out, indent, 0);
  out += '\n';
  return out;
}

Json Json::parse(const std::string& text) {
  return Parser(text).parse_document();
}

}  // namespace loom
