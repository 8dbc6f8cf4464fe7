// Schedule application, autoscheduler hooks, targets, and the kernel: the
// group's pipeline (built by Lowering, backends/halide/lowering.h) compiled
// ahead of time to a cached object and loaded into the process
// (halide_aot.h).
//
// Layout: a value of ONNX shape [s0, ..., s{r-1}] is a Halide Func whose
// pure vars are named d0..d{r-1} after the ONNX axes and passed innermost
// first (d{r-1} is Halide's dimension 0), so its dense storage is ONNX
// row-major and run-time tensors are passed without copies.
#include "backends/halide/halide_backend.h"

#include <Halide.h>

#include <cctype>
#include <mutex>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "backends/halide/halide_aot.h"
#include "backends/halide/halide_target.h"
#include "backends/halide/lowering.h"
#include "backends/halide/pipeline_info.h"
#include "ir/shape_inference.h"
#include "ir/text_format.h"
#include "runtime/compile_cache.h"

namespace loom {

namespace H = Halide;
using halide_detail::FuncInfo;
using halide_detail::Lowering;
using halide_detail::sanitize;

std::vector<Tensor> HalideKernel::operator()(const std::vector<Tensor>& inputs) const {
  std::vector<Tensor> outs;
  for (ValueId id : group().outputs)
    outs.emplace_back(group().type_of(id));
  std::vector<const Tensor*> in;
  for (const Tensor& t : inputs)
    in.push_back(&t);
  std::vector<Tensor*> out;
  for (Tensor& t : outs)
    out.push_back(&t);
  run(in, out);
  return outs;
}

namespace {

using halide_detail::resolve_target;
using TargetChoice = halide_detail::ResolvedTarget;

// ---- schedule application -------------------------------------------------------

H::TailStrategy tail_of(TailStrategy t) {
  switch (t) {
    case TailStrategy::GuardWithIf:
      return H::TailStrategy::GuardWithIf;
    case TailStrategy::ShiftInwards:
      return H::TailStrategy::ShiftInwards;
    case TailStrategy::RoundUp:
      return H::TailStrategy::RoundUp;
    default:
      return H::TailStrategy::Auto;
  }
}

class Applier {
 public:
  Applier(Lowering& l, const GroupSchedule& s) : l_(l), s_(s) {}

  void apply() {
    for (const FuncSchedule& fs : s_.funcs) {
      int fi = find(fs.func);
      H::Func f = l_.funcs_[static_cast<size_t>(fi)];
      level(f, fs.compute, fs.func, false);
      if (fs.store.kind != LoopLevel::Kind::Inline) level(f, fs.store, fs.func, true);
      if (!fs.storage_order.empty()) {
        std::vector<H::Var> vs;
        for (const std::string& v : fs.storage_order)
          vs.emplace_back(v);
        guard(fs.func, "storage_order", [&] { f.reorder_storage(vs); });
      }
      for (const StageSchedule& st : fs.stages) {
        if (st.update >= f.num_update_definitions())
          fail(fs.func, fmt::format("stage update({}) does not exist ({} update stages)", st.update,
                                    f.num_update_definitions()));
        H::Stage stage = st.update < 0 ? H::Stage(f) : f.update(st.update);
        for (const LoopDirective& d : st.directives)
          guard(fs.func, "directive", [&] { directive(fs.func, stage, d); });
      }
    }
    // Output extents are compile-time constants: bounding them lets Halide
    // drop tail clamps and prove the alignment of tiles (e.g. that a block
    // of 32 channels starts at a multiple of 32, so blocked weight indices
    // stay dense vector loads).
    for (size_t i = 0; i < l_.outputs_.size(); ++i) {
      H::Func& o = l_.outputs_[i];
      o.compute_root();
      const FuncInfo& fi = l_.info_.funcs[static_cast<size_t>(l_.output_index_[i])];
      for (size_t d = 0; d < fi.vars.size(); ++d)
        o.bound(H::Var(fi.vars[d]), 0, static_cast<int>(fi.extents[d]));
    }
  }

 private:
  [[noreturn]] void fail(const std::string& func, const std::string& what) const {
    throw UsageError(
        fmt::format("schedule of group '{}': function '{}': {}", s_.group, func, what));
  }
  template <class F>
  void guard(const std::string& func, const char* what, F&& f) {
    try {
      f();
    } catch (const H::Error& e) {
      fail(func, fmt::format("{} rejected by Halide: {}", what, e.what()));
    }
  }
  int find(const std::string& name) const {
    for (size_t i = 0; i < l_.info_.funcs.size(); ++i)
      if (l_.info_.funcs[i].name == name) return static_cast<int>(i);
    std::vector<std::string> names;
    for (const FuncInfo& f : l_.info_.funcs)
      names.push_back(f.name);
    throw UsageError(
        fmt::format("schedule of group '{}': function '{}' is not in the pipeline "
                    "(functions: {})",
                    s_.group, name, fmt::join(names, ", ")));
  }
  H::VarOrRVar var(const std::string& func, const std::string& name) {
    auto& m = l_.rvars_[func];
    auto it = m.find(name);
    if (it != m.end()) return it->second;
    return H::Var(name);
  }
  bool is_rvar(const std::string& func, const std::string& name) {
    return l_.rvars_[func].count(name) > 0;
  }
  void level(H::Func& f, const LoopLevel& lv, const std::string& fname, bool store) {
    switch (lv.kind) {
      case LoopLevel::Kind::Inline:
        return;
      case LoopLevel::Kind::Root:
        guard(fname, "compute_root", [&] { store ? f.store_root() : f.compute_root(); });
        return;
      case LoopLevel::Kind::At: {
        H::Func host = l_.funcs_[static_cast<size_t>(find(lv.func))];
        H::VarOrRVar v = var(lv.func, lv.var);
        guard(fname, "compute_at", [&] {
          H::LoopLevel ll = v.is_rvar ? H::LoopLevel(host, v.rvar) : H::LoopLevel(host, v.var);
          store ? f.store_at(ll) : f.compute_at(ll);
        });
        return;
      }
    }
  }
  void directive(const std::string& func, H::Stage& st, const LoopDirective& d) {
    using K = LoopDirective::Kind;
    switch (d.kind) {
      case K::Split: {
        const bool r = is_rvar(func, d.vars[0]);
        H::VarOrRVar old = var(func, d.vars[0]);
        H::VarOrRVar outer = r ? H::VarOrRVar(H::RVar(d.vars[1])) : H::VarOrRVar(H::Var(d.vars[1]));
        H::VarOrRVar inner = r ? H::VarOrRVar(H::RVar(d.vars[2])) : H::VarOrRVar(H::Var(d.vars[2]));
        if (r) {
          l_.rvars_[func].emplace(d.vars[1], outer.rvar);
          l_.rvars_[func].emplace(d.vars[2], inner.rvar);
        }
        st.split(old, outer, inner, static_cast<int>(d.factor), tail_of(d.tail));
        return;
      }
      case K::Fuse: {
        const bool r = is_rvar(func, d.vars[0]) || is_rvar(func, d.vars[1]);
        H::VarOrRVar fused = r ? H::VarOrRVar(H::RVar(d.vars[2])) : H::VarOrRVar(H::Var(d.vars[2]));
        if (r) l_.rvars_[func].emplace(d.vars[2], fused.rvar);
        st.fuse(var(func, d.vars[0]), var(func, d.vars[1]), fused);
        return;
      }
      case K::Reorder: {
        std::vector<H::VarOrRVar> vs;
        for (const std::string& v : d.vars)
          vs.push_back(var(func, v));
        st.reorder(vs);
        return;
      }
      case K::Vectorize:
        if (d.factor)
          st.vectorize(var(func, d.vars[0]), static_cast<int>(d.factor), tail_of(d.tail));
        else
          st.vectorize(var(func, d.vars[0]));
        return;
      case K::Parallel:
        if (d.factor)
          st.parallel(var(func, d.vars[0]), static_cast<int>(d.factor), tail_of(d.tail));
        else
          st.parallel(var(func, d.vars[0]));
        return;
      case K::Unroll:
        if (d.factor)
          st.unroll(var(func, d.vars[0]), static_cast<int>(d.factor), tail_of(d.tail));
        else
          st.unroll(var(func, d.vars[0]));
        return;
    }
  }

  Lowering& l_;
  const GroupSchedule& s_;
};

// ---- autoschedulers -------------------------------------------------------------

std::string autoscheduler_name(const std::string& source) {
  if (source == "mullapudi2016") return "Mullapudi2016";
  if (source == "adams2019") return "Adams2019";
  if (source == "li2018") return "Li2018";
  return "";
}

void load_autoscheduler(const std::string& name) {
  static std::mutex mu;
  static std::set<std::string> loaded;
  std::lock_guard<std::mutex> lock(mu);
  if (loaded.count(name)) return;
  std::string lower = name;
  for (char& c : lower)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::string path = "/usr/lib/x86_64-linux-gnu/halide14/libautoschedule_" + lower + ".so";
  try {
    H::load_plugin(path);
  } catch (const H::Error& e) {
    throw UsageError(
        fmt::format("cannot load Halide autoscheduler {} from {}: {}", name, path, e.what()));
  }
  loaded.insert(name);
}

H::Region region_of(const Shape& s) {
  H::Region r;
  for (auto it = s.rbegin(); it != s.rend(); ++it)
    r.emplace_back(0, static_cast<int>(*it));
  return r;
}

std::string run_autoscheduler(Lowering& l, const Graph& g, const std::string& name,
                              const H::Target& target, int threads) {
  load_autoscheduler(name);
  for (size_t i = 0; i < l.params_.size(); ++i)
    l.params_[i].set_estimates(region_of(g.type_of(g.inputs[i]).shape));
  for (size_t i = 0; i < l.outputs_.size(); ++i)
    l.outputs_[i].set_estimates(region_of(g.type_of(g.outputs[i]).shape));
  H::Pipeline p(l.outputs_);
  try {
    H::AutoSchedulerResults res =
        p.auto_schedule(name, target, H::MachineParams(threads, 32 * 1024 * 1024, 40));
    return res.schedule_source;
  } catch (const H::Error& e) {
    throw UsageError(
        fmt::format("group '{}': Halide autoscheduler {} failed: {}", g.name, name, e.what()));
  }
}

// ---- the kernel -----------------------------------------------------------------

// The group's code, loaded from an object (backends/halide/halide_aot.h):
// run_raw wraps the caller's memory in halide_buffer_t descriptors and calls
// the pipeline's _argv entry point, which is reentrant, so no lock is held.
class HalideKernelImpl : public HalideKernel {
 public:
  HalideKernelImpl(Graph g, GroupSchedule s, std::shared_ptr<halide_aot::LoadedObject> code,
                   const std::string& fn_name, bool from_cache, const std::vector<int>& in_blocks,
                   const std::vector<int>& out_blocks)
      : graph_(std::move(g)),
        schedule_(std::move(s)),
        code_(std::move(code)),
        fn_(code_->argv_function(fn_name)),
        from_cache_(from_cache) {
    for (size_t k = 0; k < graph_.inputs.size(); ++k) {
      dims_.push_back(dense_dims(graph_.type_of(graph_.inputs[k]).shape, block(in_blocks, k)));
      types_.push_back(halide_detail::buffer_type(graph_.type_of(graph_.inputs[k]).dtype));
    }
    for (size_t k = 0; k < graph_.outputs.size(); ++k) {
      dims_.push_back(dense_dims(graph_.type_of(graph_.outputs[k]).shape, block(out_blocks, k)));
      types_.push_back(halide_detail::buffer_type(graph_.type_of(graph_.outputs[k]).dtype));
    }
  }

  void run(const std::vector<const Tensor*>& inputs,
           const std::vector<Tensor*>& outputs) const override {
    if (inputs.size() != graph_.inputs.size())
      throw InputError(fmt::format("group '{}' takes {} inputs, got {}", graph_.name,
                                   graph_.inputs.size(), inputs.size()));
    if (outputs.size() != graph_.outputs.size())
      throw InputError(fmt::format("group '{}' has {} outputs, got {} output tensors", graph_.name,
                                   graph_.outputs.size(), outputs.size()));
    std::vector<const void*> in;
    for (size_t i = 0; i < inputs.size(); ++i) {
      const TensorType& want = graph_.type_of(graph_.inputs[i]);
      if (!inputs[i] || inputs[i]->type() != want)
        throw InputError(fmt::format("group '{}' input '{}': expected {}, got {}", graph_.name,
                                     graph_.value(graph_.inputs[i]).name, type_str(want),
                                     inputs[i] ? type_str(inputs[i]->type()) : "null"),
                         graph_.site(graph_.inputs[i]));
      in.push_back(inputs[i]->raw());
    }
    std::vector<void*> out;
    for (size_t i = 0; i < outputs.size(); ++i) {
      const TensorType& want = graph_.type_of(graph_.outputs[i]);
      if (!outputs[i] || outputs[i]->type() != want)
        throw InputError(fmt::format("group '{}' output '{}': expected {}, got {}", graph_.name,
                                     graph_.value(graph_.outputs[i]).name, type_str(want),
                                     outputs[i] ? type_str(outputs[i]->type()) : "null"),
                         graph_.site(graph_.outputs[i]));
      out.push_back(outputs[i]->raw());
    }
    run_raw(in, out);
  }
  void run_raw(const std::vector<const void*>& inputs,
               const std::vector<void*>& outputs) const override {
    if (inputs.size() != graph_.inputs.size() || outputs.size() != graph_.outputs.size())
      throw InternalError(fmt::format("group '{}' takes {} inputs and {} outputs, got {} and {}",
                                      graph_.name, graph_.inputs.size(), graph_.outputs.size(),
                                      inputs.size(), outputs.size()));
    const size_t n = dims_.size();
    // Descriptors on the stack for the usual small counts: no allocation per run.
    constexpr size_t kInline = 8;
    halide_buffer_t inline_bufs[kInline];
    void* inline_argv[kInline];
    std::vector<halide_buffer_t> heap_bufs;
    std::vector<void*> heap_argv;
    halide_buffer_t* bufs = inline_bufs;
    void** argv = inline_argv;
    if (n > kInline) {
      heap_bufs.resize(n);
      heap_argv.resize(n);
      bufs = heap_bufs.data();
      argv = heap_argv.data();
    }
    for (size_t i = 0; i < n; ++i) {
      const void* host = i < inputs.size() ? static_cast<const void*>(inputs[i])
                                           : static_cast<const void*>(outputs[i - inputs.size()]);
      halide_buffer_t& b = bufs[i];
      b = halide_buffer_t{};
      b.host = static_cast<uint8_t*>(const_cast<void*>(host));
      b.type = types_[i];
      b.dimensions = static_cast<int32_t>(dims_[i].size());
      // Pipelines only read the shape of buffers that have a host pointer.
      b.dim = const_cast<halide_dimension_t*>(dims_[i].data());
      argv[i] = &b;
    }
    code_->call(fn_, argv);
  }
  const GroupSchedule& schedule() const override { return schedule_; }
  const Graph& group() const override { return graph_; }
  std::string loop_nest() const override {
    // Halide prints loop nests to stdout only; describe the schedule instead.
    return to_string(schedule_);
  }
  bool from_cache() const override { return from_cache_; }

 private:
  // Halide dimension 0 is the innermost ONNX axis (see the layout note above).
  // Channel-blocked (cb > 0, rank 4): the 5-D (c % cb, w, h, c / cb, n).
  static std::vector<halide_dimension_t> dense_dims(const Shape& onnx, int cb) {
    Shape s = onnx;
    if (cb > 0) s = {onnx[0], onnx[1] / cb, onnx[2], onnx[3], cb};
    std::vector<halide_dimension_t> d;
    int32_t stride = 1;
    for (auto it = s.rbegin(); it != s.rend(); ++it) {
      d.emplace_back(0, static_cast<int32_t>(*it), stride);
      stride *= static_cast<int32_t>(*it);
    }
    return d;
  }

  static int block(const std::vector<int>& b, size_t k) { return k < b.size() ? b[k] : 0; }

  Graph graph_;
  GroupSchedule schedule_;
  std::shared_ptr<halide_aot::LoadedObject> code_;
  halide_aot::LoadedObject::ArgvFn fn_;
  bool from_cache_;
  std::vector<std::vector<halide_dimension_t>> dims_;
  std::vector<halide_type_t> types_;  // per input, then per output
};

void prepare_group(Graph& g) {
  infer_shapes(g);
  for (const Node& n : g.nodes)
    if (n.op == OpKind::RNN || n.op == OpKind::LSTM || n.op == OpKind::GRU)
      throw UnsupportedError(
          fmt::format("op {} is not implemented by the Halide backend (recurrent layers go to "
                      "the LLVM backend)",
                      op_name(n.op)),
          g.site(n));
}

}  // namespace

int halide_target_vector_lanes(const std::string& target) {
  return resolve_target(target).lanes;
}

std::vector<Problem> halide_group_problems(const Graph& group) {
  std::vector<Problem> out;
  for (const Node& n : group.nodes)
    if (auto p = halide_detail::halide_node_problem(group, n)) out.push_back({group.site(n), *p});
  return out;
}

GroupSchedule default_halide_schedule(const Graph& group, const HalideGroupOptions& options) {
  TargetChoice t = resolve_target(options.target);
  Graph g = group;
  prepare_group(g);
  Lowering l(g, options.input_blocks, options.output_blocks);
  l.lower();
  return halide_detail::make_default_schedule(l.info_, t.lanes, std::max(1, options.threads),
                                              options.target);
}

namespace {

// What a group's compiled object depends on besides the Loom build and the
// Halide target (which halide_aot::cached_object adds): the graph with its
// weights by content hash, the schedule requested and the thread count.
std::string group_cache_key(const Graph& g, const HalideGroupOptions& options, int threads) {
  PrintOptions po;
  po.weight_summaries = false;
  std::string key = fmt::format("loom halide group v1\nhalide 14\ntarget {}\nthreads {}\n",
                                options.target, threads);
  if (options.target == "host") key += "host " + compile_cache_host_id() + "\n";
  if (options.schedule)
    key += "schedule json\n" + save_schedule_json(*options.schedule) + "\n";
  else
    key += "schedule source " + options.schedule_source + "\n";
  const auto blocked = [](const std::vector<int>& b) {
    return std::any_of(b.begin(), b.end(), [](int c) { return c != 0; });
  };
  if (blocked(options.input_blocks) || blocked(options.output_blocks))
    key += fmt::format("input blocks {}\noutput blocks {}\n", fmt::join(options.input_blocks, " "),
                       fmt::join(options.output_blocks, " "));
  return key + print_graph(g, po);
}

// A cache entry holds the schedule applied (needed for --dump-schedule
// without re-running an autoscheduler) and the object:
// "loom-halide-group 1\n" <json bytes> "\n" json object.
constexpr std::string_view kEntryMagic = "loom-halide-group 1\n";

std::string pack_entry(const GroupSchedule& s, const std::string& object) {
  const std::string json = save_schedule_json(s);
  return fmt::format("{}{}\n{}{}", kEntryMagic, json.size(), json, object);
}

// Nullopt when the entry is not in this format (then it is recompiled).
std::optional<std::pair<GroupSchedule, std::string_view>> unpack_entry(std::string_view e) {
  if (!e.starts_with(kEntryMagic)) return std::nullopt;
  e.remove_prefix(kEntryMagic.size());
  const size_t nl = e.find('\n');
  if (nl == std::string_view::npos || nl == 0 || nl > 12) return std::nullopt;
  size_t len = 0;
  for (char c : e.substr(0, nl)) {
    if (c < '0' || c > '9') return std::nullopt;
    len = len * 10 + static_cast<size_t>(c - '0');
  }
  e.remove_prefix(nl + 1);
  if (len > e.size()) return std::nullopt;
  try {
    return std::pair{load_schedule_json(std::string(e.substr(0, len))), e.substr(len)};
  } catch (const Error&) {
    return std::nullopt;
  }
}

// Lowers, schedules and compiles the group: the slow path, skipped on a hit.
std::string build_group(const Graph& g, const HalideGroupOptions& options, const TargetChoice& t,
                        int threads, const std::string& fn_name) {
  Lowering l(g, options.input_blocks, options.output_blocks);
  try {
    l.lower();
  } catch (const H::Error& e) {
    throw InternalError(fmt::format("group '{}': Halide lowering failed: {}", g.name, e.what()));
  }
  GroupSchedule sched;
  std::string as_name;
  if (options.schedule) {
    sched = *options.schedule;
    as_name = sched.autoscheduler;
  } else if (options.schedule_source == "default") {
    sched = halide_detail::make_default_schedule(l.info_, t.lanes, threads, options.target);
  } else {
    as_name = autoscheduler_name(options.schedule_source);
    if (as_name.empty())
      throw UsageError(
          fmt::format("unknown schedule source '{}', expected default, "
                      "mullapudi2016, adams2019 or li2018",
                      options.schedule_source));
  }
  sched.group = g.name;
  if (!as_name.empty()) {
    // The autoscheduler plugins keep global state: one search at a time.
    static std::mutex autoscheduler_mu;
    std::string src;
    {
      std::lock_guard lock(autoscheduler_mu);
      src = run_autoscheduler(l, g, as_name, t.target, threads);
    }
    if (!options.schedule) {
      sched.producer = as_name;
      sched.target = options.target;
      sched.autoscheduler = as_name;
      sched.autoscheduler_source = src;
    }
  } else {
    Applier(l, sched).apply();
  }
  std::vector<H::Argument> args;
  for (const H::ImageParam& p : l.params_)
    args.emplace_back(p);
  const std::string object =
      halide_aot::compile_pipeline_object(H::Pipeline(l.outputs_), args, fn_name, t.target);
  return pack_entry(sched, object);
}

}  // namespace

std::unique_ptr<HalideKernel> compile_halide_group(const Graph& group,
                                                   const HalideGroupOptions& options) {
  TargetChoice t = resolve_target(options.target);
  const int threads = std::max(1, options.threads);
  if (!options.schedule && options.schedule_source != "default" &&
      autoscheduler_name(options.schedule_source).empty())
    throw UsageError(fmt::format(
        "unknown schedule source '{}', expected default, mullapudi2016, adams2019 or li2018",
        options.schedule_source));
  Graph g = group;
  prepare_group(g);
  const std::string fn_name = "loom_" + sanitize(g.name);
  halide_aot::prepare_runtime(t.target, options.cache);
  auto build = [&] { return build_group(g, options, t, threads, fn_name); };
  halide_aot::CachedObject entry;
  std::optional<std::pair<GroupSchedule, std::string_view>> parts;
  if (options.cache) {
    entry = halide_aot::cached_object(options.cache, group_cache_key(g, options, threads), t.target,
                                      build);
    parts = unpack_entry(entry.object);
  }
  if (!parts) {
    entry = {build(), false};
    parts = unpack_entry(entry.object);
    if (!parts) throw InternalError(fmt::format("group '{}': bad compiled entry", g.name));
  }
  auto code = halide_aot::load_object(halide_aot::runtime_for(t.target, threads, options.cache),
                                      parts->second, fmt::format("Halide group '{}'", g.name));
  return std::make_unique<HalideKernelImpl>(std::move(g), std::move(parts->first), std::move(code),
                                            fn_name, entry.from_cache, options.input_blocks,
                                            options.output_blocks);
}

}  // namespace loom
