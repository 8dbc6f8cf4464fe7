// loomc check CASE_DIR...: runs ONNX backend-test cases (model.onnx plus
// test_data_set_*/input_N.pb and output_N.pb) through an engine and compares
// the outputs with the expected ones. All cases run in this one process; a
// failing case is reported and the run goes on. The reference engine is the
// interpreter; the compiled engine is compile() + Executable.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "compiler/compile.h"
#include "compiler/frontend/onnx/onnx_importer.h"
#include "compiler/frontend/onnx/tensor_io.h"
#include "ir/interpreter.h"
#include "tools/loomc/cli.h"

namespace loomc {

namespace {

namespace fs = std::filesystem;

struct Tolerance {
  double rtol = 1e-3;
  double atol = 1e-5;
};

enum class Outcome { Pass, Fail, Unsupported };

// How a case's model is run: `compiled` empty means the reference interpreter.
struct EngineChoice {
  std::optional<loom::CompileOptions> compiled;
};

// One imported model, ready to run with the chosen engine.
class Runner {
 public:
  Runner(loom::Graph graph, const EngineChoice& engine) : interp_(std::move(graph)) {
    if (engine.compiled) exe_.emplace(loom::compile(interp_.graph(), *engine.compiled));
  }
  const loom::Graph& graph() const { return interp_.graph(); }
  std::vector<loom::Tensor> run(const std::vector<loom::Tensor>& inputs) {
    return exe_ ? exe_->run(inputs) : interp_.run(inputs);
  }

 private:
  loom::Interpreter interp_;  // also holds the verified, shape-inferred graph
  std::optional<loom::Executable> exe_;
};

struct CaseResult {
  Outcome outcome = Outcome::Pass;
  std::string message;
  // The model itself could not be read or imported (as opposed to its test
  // data disagreeing with it).
  bool bad_model = false;
};

double parse_tolerance(const std::optional<std::string>& text, double fallback, const char* flag) {
  if (!text) return fallback;
  try {
    size_t used = 0;
    double v = std::stod(*text, &used);
    if (used != text->size() || !(v >= 0) || !std::isfinite(v)) throw std::invalid_argument(*text);
    return v;
  } catch (const std::exception&) {
    throw loom::UsageError(fmt::format("{} '{}': expected a non-negative number", flag, *text));
  }
}

std::string case_name(const std::string& dir) {
  fs::path p = fs::path(dir).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  std::string name = p.filename().string();
  return name.empty() || name == "." ? dir : name;
}

// test_data_set_* folders in numeric order (test_data_set_10 after _9).
std::vector<fs::path> data_sets(const fs::path& dir) {
  const std::string prefix = "test_data_set_";
  std::vector<std::pair<long long, fs::path>> found;
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::string name = entry.path().filename().string();
    if (!entry.is_directory() || name.rfind(prefix, 0) != 0) continue;
    long long index = -1;
    try {
      index = std::stoll(name.substr(prefix.size()));
    } catch (const std::exception&) {
    }
    found.emplace_back(index, entry.path());
  }
  std::sort(found.begin(), found.end());
  std::vector<fs::path> out;
  for (auto& f : found)
    out.push_back(f.second);
  return out;
}

// input_0.pb, input_1.pb, ... up to the first gap.
std::vector<fs::path> numbered(const fs::path& dir, const char* stem) {
  std::vector<fs::path> files;
  for (int i = 0;; ++i) {
    fs::path p = dir / fmt::format("{}_{}.pb", stem, i);
    if (!fs::exists(p)) break;
    files.push_back(p);
  }
  return files;
}

std::string declared_str(const loom::OnnxInputInfo& info) {
  std::string dims;
  for (size_t i = 0; i < info.dims.size(); ++i) {
    if (i) dims += ',';
    dims += info.dims[i] ? std::to_string(*info.dims[i]) : std::string("?");
  }
  std::string dtype = info.dtype ? std::string(loom::dtype_name(*info.dtype)) : "?";
  return info.has_shape ? fmt::format("{}[{}]", dtype, dims) : dtype + "[any]";
}

// Empty when the test tensor fits the model's declaration.
std::string input_mismatch(const loom::OnnxInputInfo& info, const loom::Tensor& t) {
  bool ok = info.dtype == t.dtype();
  if (info.has_shape) {
    ok = ok && info.dims.size() == t.shape().size();
    for (size_t i = 0; ok && i < info.dims.size(); ++i)
      ok = !info.dims[i] || *info.dims[i] == t.shape()[i];
  }
  if (ok) return {};
  return fmt::format("input '{}': the model expects {}, the test data has {}", info.name,
                     declared_str(info), loom::type_str(t.type()));
}

// Empty when `actual` matches `expected` within the tolerance.
std::string compare(const std::string& name, const loom::Tensor& actual,
                    const loom::Tensor& expected, Tolerance tol) {
  if (actual.type() != expected.type())
    return fmt::format("output '{}' is {}, expected {}", name, loom::type_str(actual.type()),
                       loom::type_str(expected.type()));
  const loom::DType dt = expected.dtype();
  if (dt != loom::DType::f32 && dt != loom::DType::f64) {
    // Integers, booleans (and 16-bit floats, which Loom only stores) match bit for bit.
    if (actual.nbytes() == 0 || std::memcmp(actual.raw(), expected.raw(), expected.nbytes()) == 0)
      return {};
    int64_t bad = 0, first = -1;
    const size_t es = loom::dtype_size(dt);
    for (int64_t i = 0; i < expected.numel(); ++i)
      if (std::memcmp(actual.raw() + i * es, expected.raw() + i * es, es) != 0) {
        if (first < 0) first = i;
        ++bad;
      }
    return fmt::format("output '{}' differs in {} of {} elements (first at flat index {})", name,
                       bad, expected.numel(), first);
  }
  double max_abs = 0, max_rel = 0;
  bool fail = false;
  for (int64_t i = 0; i < expected.numel(); ++i) {
    double a = actual.get_as_double(i), e = expected.get_as_double(i);
    if (std::isnan(a) && std::isnan(e)) continue;
    if (a == e) continue;  // covers equal infinities
    double abs_err = std::fabs(a - e);
    if (std::isnan(abs_err)) abs_err = std::numeric_limits<double>::infinity();
    double rel_err = e != 0 ? abs_err / std::fabs(e) : std::numeric_limits<double>::infinity();
    max_abs = std::max(max_abs, abs_err);
    max_rel = std::max(max_rel, rel_err);
    if (!(abs_err <= tol.atol + tol.rtol * std::fabs(e))) fail = true;
  }
  if (!fail) return {};
  return fmt::format("output '{}' max abs err {:.3g}, max rel err {:.3g}", name, max_abs, max_rel);
}

// Names of graph inputs read as W, R, B or P by a recurrent node.
std::set<std::string> recurrent_weight_inputs(const loom::Graph& g) {
  std::set<std::string> names;
  for (const loom::Node& n : g.nodes) {
    if (n.op != loom::OpKind::RNN && n.op != loom::OpKind::GRU && n.op != loom::OpKind::LSTM)
      continue;
    for (size_t k : {size_t{1}, size_t{2}, size_t{3}, size_t{7}})
      if (n.has_input(k))
        for (loom::ValueId in : g.inputs)
          if (in == n.inputs[k]) names.insert(g.value(in).name);
  }
  return names;
}

CaseResult run_case(const fs::path& dir, Tolerance tol, const EngineChoice& engine) {
  std::optional<loom::OnnxModel> model;
  try {
    if (!fs::is_directory(dir))
      throw loom::IOError(fmt::format("'{}' is not a directory", dir.string()));
    model.emplace(loom::OnnxModel::load_file((dir / "model.onnx").string()));
  } catch (const loom::Error& e) {
    return {Outcome::Fail, e.what(), true};
  }
  const auto& inputs = model->inputs();
  for (const auto& in : inputs)
    if (!in.unsupported.empty()) return {Outcome::Unsupported, in.unsupported};
  bool needs_pins = false;
  for (const auto& in : inputs)
    needs_pins |= in.needs_value || !in.is_static();

  // The compiled engine specializes recurrent layers on their weights: graph
  // inputs feeding W, R, B or P of an RNN/GRU/LSTM (as in the ONNX node
  // tests) are pinned from each data set like a Reshape shape.
  std::set<std::string> weight_pins;
  if (engine.compiled && !needs_pins) {
    try {
      weight_pins = recurrent_weight_inputs(model->import());
    } catch (const loom::Error&) {
      // The import below reports it.
    }
    needs_pins = !weight_pins.empty();
  }

  // One import serves every data set when nothing depends on the data.
  std::optional<Runner> shared;
  if (!needs_pins) {
    try {
      shared.emplace(model->import(), engine);
    } catch (const loom::UnsupportedError& e) {
      return {Outcome::Unsupported, e.what()};
    } catch (const loom::Error& e) {
      return {Outcome::Fail, e.what(), true};
    }
  }

  auto sets = data_sets(dir);
  if (sets.empty()) return {Outcome::Fail, "no test_data_set_* folders"};
  for (const fs::path& set : sets) {
    std::string where = sets.size() > 1 ? fmt::format(" ({})", set.filename().string()) : "";
    auto fail = [&](const std::string& m) { return CaseResult{Outcome::Fail, m + where}; };
    auto in_files = numbered(set, "input");
    auto out_files = numbered(set, "output");
    if (in_files.size() != inputs.size())
      return fail(fmt::format("the test data has {} input files, the model has {} inputs",
                              in_files.size(), inputs.size()));
    loom::ImportOptions pins;
    std::map<std::string, loom::Tensor> feeds;
    for (size_t i = 0; i < inputs.size(); ++i) {
      loom::Tensor t = loom::read_tensor_pb(in_files[i].string()).tensor;
      if (std::string m = input_mismatch(inputs[i], t); !m.empty())
        return fail(fmt::format("{} ({})", m, in_files[i].filename().string()));
      if (inputs[i].needs_value || weight_pins.count(inputs[i].name)) {
        pins.known_input_values[inputs[i].name] = t;
      } else {
        if (!inputs[i].is_static()) pins.input_shapes[inputs[i].name] = t.shape();
        feeds[inputs[i].name] = t;
      }
    }
    std::optional<Runner> own;
    if (!shared) {
      try {
        own.emplace(model->import(pins), engine);
      } catch (const loom::UnsupportedError& e) {
        return {Outcome::Unsupported, e.what()};
      }
    }
    Runner& interp = shared ? *shared : *own;
    const loom::Graph& g = interp.graph();
    std::vector<loom::Tensor> args;
    for (loom::ValueId id : g.inputs)
      args.push_back(feeds.at(g.value(id).name));
    if (out_files.size() != g.outputs.size())
      return fail(fmt::format("the test data has {} output files, the model has {} outputs",
                              out_files.size(), g.outputs.size()));
    std::vector<loom::Tensor> results;
    try {
      results = interp.run(args);
    } catch (const loom::UnsupportedError& e) {
      return {Outcome::Unsupported, e.what()};
    }
    for (size_t i = 0; i < out_files.size(); ++i) {
      loom::Tensor expected = loom::read_tensor_pb(out_files[i].string()).tensor;
      std::string m = compare(g.value(g.outputs[i]).name, results[i], expected, tol);
      if (!m.empty()) return fail(m);
    }
  }
  return {};
}

// Error messages may list several nodes on separate lines; a case gets one line.
std::string one_line(std::string s) {
  const char* sep = " ";
  size_t pos;
  while ((pos = s.find("\n  ")) != std::string::npos) {
    s.replace(pos, 3, sep);
    sep = "; ";
  }
  std::replace(s.begin(), s.end(), '\n', ' ');
  return s;
}

int run_check(Args& args) {
  std::string engine = args.take("--engine").value_or("reference");
  Tolerance tol;
  tol.rtol = parse_tolerance(args.take("--rtol"), tol.rtol, "--rtol");
  tol.atol = parse_tolerance(args.take("--atol"), tol.atol, "--atol");
  EngineChoice choice;
  std::optional<ScheduleDump> dump;
  if (engine == "compiled") {
    choice.compiled = compile_options(args);
    dump.emplace(args, *choice.compiled);
  }
  auto dirs = args.positional();
  if (engine != "reference" && engine != "compiled")
    throw loom::UsageError(
        fmt::format("--engine '{}': expected 'reference' or 'compiled'", engine));
  if (dirs.empty()) throw loom::UsageError("loomc check needs at least one case directory");

  int passed = 0, failed = 0, skipped = 0;
  bool bad_model = false;
  for (const std::string& dir : dirs) {
    const std::string name = case_name(dir);
    CaseResult r;
    try {
      r = run_case(dir, tol, choice);
    } catch (const loom::UnsupportedError& e) {
      r = {Outcome::Unsupported, e.what()};
    } catch (const loom::Error& e) {
      r = {Outcome::Fail, e.what()};
    } catch (const std::bad_alloc&) {
      r = {Outcome::Fail, "out of memory"};
    } catch (const std::exception& e) {
      r = {Outcome::Fail, fmt::format("internal error: {}", e.what())};
    }
    switch (r.outcome) {
      case Outcome::Pass:
        ++passed;
        fmt::print("PASS {}\n", name);
        break;
      case Outcome::Fail:
        ++failed;
        bad_model |= r.bad_model;
        fmt::print("FAIL {}: {}\n", name, one_line(r.message));
        break;
      case Outcome::Unsupported:
        ++skipped;
        fmt::print("UNSUPPORTED {}: {}\n", name, one_line(r.message));
        break;
    }
    std::fflush(stdout);
  }
  if (dump) dump->save();
  fmt::print("{} passed, {} failed{}\n", passed, failed,
             skipped ? fmt::format(", {} skipped", skipped) : "");
  // A single case whose model cannot be read is bad input, as for `loomc ir`.
  if (dirs.size() == 1 && bad_model) return 2;
  return failed ? 1 : 0;
}

}  // namespace

Command check_command() {
  return {"check", "run ONNX backend-test cases and compare outputs",
          "usage: loomc check CASE_DIR... [--engine reference|compiled] [--rtol R] [--atol A]\n"
          "                   [compile options, with --engine compiled]\n\n"
          "Each CASE_DIR holds model.onnx and test_data_set_*/input_N.pb, output_N.pb\n"
          "(the ONNX backend-test layout). input_N binds to the N-th graph input of the\n"
          "model; inputs Loom needs as constants (a Reshape shape, Slice bounds, ...) are\n"
          "pinned from each data set. Outputs match when |actual - expected| <= atol +\n"
          "rtol * |expected| (defaults: rtol 1e-3, atol 1e-5; NaN matches NaN; integer and\n"
          "boolean outputs must be equal). Prints PASS, FAIL or UNSUPPORTED per case and a\n"
          "summary. Exit status: 0 all passed or skipped, 1 a case failed, 2 usage errors\n"
          "(or a single case whose model cannot be read).\n\n"
          "The compiled engine runs the pass pipeline, partitions the graph and builds one\n"
          "kernel per group; a model with a group no backend can generate yet is reported\n"
          "UNSUPPORTED. Compile options:\n" +
              compile_options_help(),
          run_check};
}

}  // namespace loomc
