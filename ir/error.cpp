#include "ir/error.h"

namespace loom {

std::string_view error_kind_name(ErrorKind k) {
  switch (k) {
    case ErrorKind::Parse:
      return "parse error";
    case ErrorKind::Verify:
      return "verification error";
    case ErrorKind::Shape:
      return "shape error";
    case ErrorKind::Unsupported:
      return "unsupported";
    case ErrorKind::Input:
      return "input error";
    case ErrorKind::IO:
      return "I/O error";
    case ErrorKind::Usage:
      return "usage error";
    case ErrorKind::Internal:
      return "internal error";
  }
  return "error";
}

static std::string format_error(ErrorKind kind, const std::string& message, const ErrorSite& site) {
  std::string out(error_kind_name(kind));
  std::string where;
  if (!site.node.empty() || !site.op.empty()) {
    where += fmt::format("node '{}'", site.node);
    if (!site.op.empty()) where += fmt::format(" ({})", site.op);
  }
  if (!site.tensor.empty()) {
    if (!where.empty()) where += ", ";
    where += fmt::format("tensor '{}'", site.tensor);
  }
  if (!where.empty()) out += " at " + where;
  out += ": " + message;
  return out;
}

Error::Error(ErrorKind kind, const std::string& message, ErrorSite site)
    : std::runtime_error(format_error(kind, message, site)),
      kind_(kind),
      site_(std::move(site)),
      detail_(message) {}

void throw_unsupported(const std::vector<Problem>& problems, std::string_view what) {
  if (problems.size() == 1) throw UnsupportedError(problems[0].detail, problems[0].site);
  std::string list;
  for (const Problem& p : problems)
    list += fmt::format("\n  node '{}' ({}): {}", p.site.node, p.site.op, p.detail);
  throw UnsupportedError(fmt::format("the model has {} nodes {}:{}", problems.size(), what, list));
}

}  // namespace loom
