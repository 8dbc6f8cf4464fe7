// Typed errors. Every failure a user can cause (a bad file, an unsupported op,
// a wrong input shape, an unknown target) is raised as a loom::Error whose
// message names the model element involved: node, op, tensor, and the
// expected versus actual values. Callers catch loom::Error (or one kind) and
// never see an abort for anything they fed in.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

namespace loom {

enum class ErrorKind {
  Parse,        // a file or text that cannot be read as what it claims to be
  Verify,       // a graph that breaks a structural rule (arity, definition, dtype)
  Shape,        // shapes or attribute values that do not fit together
  Unsupported,  // a valid model that uses something Loom does not implement
  Input,        // run-time inputs that do not match the model
  IO,           // files that cannot be opened or written
  Usage,        // command-line or API misuse (unknown flag, unknown target)
  Internal,     // a bug in Loom itself; reported, never aborts
};

std::string_view error_kind_name(ErrorKind k);

// Where in a model an error happened. Any field may be empty.
struct ErrorSite {
  std::string node;    // node name
  std::string op;      // op type, e.g. "Conv"
  std::string tensor;  // value / tensor name
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message, ErrorSite site = {});
  ErrorKind kind() const { return kind_; }
  const ErrorSite& site() const { return site_; }
  // The message without the "<kind> error" prefix and site.
  const std::string& detail() const { return detail_; }

 private:
  ErrorKind kind_;
  ErrorSite site_;
  std::string detail_;
};

#define LOOM_DEFINE_ERROR(Name, Kind)                              \
  class Name : public Error {                                      \
   public:                                                         \
    explicit Name(const std::string& message, ErrorSite site = {}) \
        : Error(ErrorKind::Kind, message, std::move(site)) {}      \
  };

LOOM_DEFINE_ERROR(ParseError, Parse)
LOOM_DEFINE_ERROR(VerifyError, Verify)
LOOM_DEFINE_ERROR(ShapeError, Shape)
LOOM_DEFINE_ERROR(UnsupportedError, Unsupported)
LOOM_DEFINE_ERROR(InputError, Input)
LOOM_DEFINE_ERROR(IOError, IO)
LOOM_DEFINE_ERROR(UsageError, Usage)
LOOM_DEFINE_ERROR(InternalError, Internal)

#undef LOOM_DEFINE_ERROR

// One model element Loom cannot handle, and why.
struct Problem {
  ErrorSite site;
  std::string detail;
};
// One UnsupportedError for every problem at once, so a user learns all that
// a model needs in one run: the problem itself when there is one, else
// "the model has N nodes <what>:" and a line per node.
[[noreturn]] void throw_unsupported(const std::vector<Problem>& problems, std::string_view what);

}  // namespace loom
