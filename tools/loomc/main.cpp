// loomc: the Loom command line. Exit status: 0 success, 1 a check found
// differences, 2 bad input or usage (a typed loom::Error), 3 an internal error.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "ir/error.h"
#include "tools/loomc/cli.h"

namespace loomc {

const std::vector<Command>& commands() {
  static const std::vector<Command> all = {ir_command(), check_command(), run_command(),
                                           bench_command()};
  return all;
}

Args::Args(std::string command, std::vector<std::string> raw)
    : command_(std::move(command)), raw_(std::move(raw)) {}

std::optional<std::string> Args::take(const std::string& name) {
  std::optional<std::string> value;
  for (size_t i = 0; i < raw_.size();) {
    const std::string& a = raw_[i];
    if (a == name) {
      if (i + 1 >= raw_.size()) throw loom::UsageError(fmt::format("{} needs a value", name));
      value = raw_[i + 1];
      raw_.erase(raw_.begin() + static_cast<long>(i), raw_.begin() + static_cast<long>(i) + 2);
    } else if (a.rfind(name + "=", 0) == 0) {
      value = a.substr(name.size() + 1);
      raw_.erase(raw_.begin() + static_cast<long>(i));
    } else {
      ++i;
    }
  }
  return value;
}

std::vector<std::string> Args::take_all(const std::string& name) {
  std::vector<std::string> values;
  for (size_t i = 0; i < raw_.size();) {
    const std::string& a = raw_[i];
    if (a == name) {
      if (i + 1 >= raw_.size()) throw loom::UsageError(fmt::format("{} needs a value", name));
      values.push_back(raw_[i + 1]);
      raw_.erase(raw_.begin() + static_cast<long>(i), raw_.begin() + static_cast<long>(i) + 2);
    } else if (a.rfind(name + "=", 0) == 0) {
      values.push_back(a.substr(name.size() + 1));
      raw_.erase(raw_.begin() + static_cast<long>(i));
    } else {
      ++i;
    }
  }
  return values;
}

bool Args::flag(const std::string& name) {
  bool found = false;
  for (size_t i = 0; i < raw_.size();) {
    if (raw_[i] == name) {
      found = true;
      raw_.erase(raw_.begin() + static_cast<long>(i));
    } else {
      ++i;
    }
  }
  return found;
}

std::vector<std::string> Args::positional() {
  std::vector<std::string> pos;
  for (const std::string& a : raw_) {
    if (a.size() > 1 && a[0] == '-' && a != "-")
      throw loom::UsageError(
          fmt::format("loomc {}: unknown option '{}' (see loomc help {})", command_, a, command_));
    pos.push_back(a);
  }
  return pos;
}

}  // namespace loomc

namespace {

void print_help() {
  fmt::print(
      "loomc: the Loom neural-network compiler\n\n"
      "usage: loomc COMMAND [ARGS...]\n"
      "       loomc help COMMAND    details of one command\n"
      "       loomc --version\n\n"
      "commands:\n");
  for (const auto& c : loomc::commands())
    fmt::print("  {:<10} {}\n", c.name, c.synopsis);
}

void print_version() {
  fmt::print("loomc {} (LLVM {}, Halide {})\n", LOOM_VERSION, LOOM_LLVM_VERSION,
             LOOM_HALIDE_VERSION);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    print_help();
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "--version" || args[0] == "version") {
    print_version();
    return 0;
  }
  if (args[0] == "help") {
    if (args.size() < 2) {
      print_help();
      return 0;
    }
    for (const auto& c : loomc::commands())
      if (c.name == args[1]) {
        fmt::print("{}", c.help);
        return 0;
      }
    fmt::print(stderr, "loomc: unknown command '{}'\n", args[1]);
    return 2;
  }
  for (const auto& c : loomc::commands()) {
    if (c.name != args[0]) continue;
    std::vector<std::string> rest(args.begin() + 1, args.end());
    for (const std::string& a : rest)
      if (a == "--help" || a == "-h") {
        fmt::print("{}", c.help);
        return 0;
      }
    try {
      loomc::Args a(c.name, rest);
      return c.run(a);
    } catch (const loom::InternalError& e) {
      fmt::print(stderr, "loomc {}: {}\n", c.name, e.what());
      return 3;
    } catch (const loom::Error& e) {
      fmt::print(stderr, "loomc {}: {}\n", c.name, e.what());
      return 2;
    } catch (const std::bad_alloc&) {
      fmt::print(stderr, "loomc {}: out of memory\n", c.name);
      return 3;
    } catch (const std::exception& e) {
      fmt::print(stderr, "loomc {}: internal error: {}\n", c.name, e.what());
      return 3;
    }
  }
  fmt::print(stderr, "loomc: unknown command '{}' (try loomc --help)\n", args[0]);
  return 2;
}
