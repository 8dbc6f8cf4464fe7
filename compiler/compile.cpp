// The compile driver: passes, partition, backends, executable.
#include "compiler/compile.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "compiler/backend_registry.h"
#include "ir/shape_inference.h"
#include "runtime/compile_cache.h"
#include "runtime/kernel.h"
#include "runtime/thread_team.h"

namespace loom {

void check_target(const std::string& target) {
  static const char* kTargets[] = {"host", "x86-64-avx512", "x86-64-avx2", "x86-64"};
  for (const char* t : kTargets)
    if (target == t) return;
  throw UsageError(
      fmt::format("unknown target '{}' (expected host, x86-64-avx512, x86-64-avx2 "
                  "or x86-64)",
                  target));
}

void check_schedule(const std::string& schedule) {
  static const char* kNames[] = {"default", "mullapudi2016", "adams2019", "li2018"};
  for (const char* n : kNames)
    if (schedule == n) return;
  const std::string ext = ".json";
  if (schedule.size() > ext.size() && schedule.ends_with(ext)) return;
  throw UsageError(
      fmt::format("unknown schedule '{}' (expected default, mullapudi2016, adams2019, li2018 "
                  "or a FILE.json saved by --dump-schedule)",
                  schedule));
}

namespace {

// A no-op step standing for a Concat whose inputs were written in place.
class InPlaceConcat final : public Kernel {
 public:
  explicit InPlaceConcat(std::string name) : name_(std::move(name)) {}
  std::string name() const override { return name_; }
  void run(std::span<const TensorRef>, std::span<const TensorRef>) override {}

 private:
  std::string name_;
};

// Where each input of a Concat group would sit inside its output, as byte
// offsets, when the concat can cost nothing: its axis is the outermost one
// that is not 1 (so each input is one contiguous run of the output), the
// values are row-major intermediates (not graph inputs, outputs or
// constants) that no other concat placed, each listed once, and each
// produced by a kernel or by another in-place concat. Other readers of an
// input read it where it was placed. Empty otherwise.
//
// DenseNet concatenates every earlier feature again in each layer
// ([x0, f1], [x0, f1, f2], ...): each feature can sit in one place only, so a
// concat whose first inputs are exactly an earlier in-place concat's places
// that concat's output (already holding them) as its own prefix instead.
// The block's features then all live in its last concat's buffer and every
// concat of the block is free (densenet121, one core: 3.8 ms of copies in
// 49 ms).
using ConcatChildren = std::map<ValueId, std::vector<ValueId>>;

std::vector<std::pair<ValueId, int64_t>> concat_placement(const Graph& g, const KernelGroup& gr,
                                                          const std::vector<bool>& boundary,
                                                          const std::vector<int>& producer_group,
                                                          const Partition& part,
                                                          const std::vector<bool>& placed,
                                                          const ConcatChildren& in_place) {
  if (gr.backend != GroupBackend::Movement || gr.nodes.size() != 1) return {};
  const Node& n = g.nodes[gr.nodes.front()];
  if (n.op != OpKind::Concat || !n.has_output(0)) return {};
  const ValueId out = n.outputs[0];
  if (boundary[static_cast<size_t>(out)]) return {};
  for (int b : gr.input_blocks)
    if (b) return {};
  for (int b : gr.output_blocks)
    if (b) return {};
  const TensorType& ot = g.type_of(out);
  const int64_t rank = static_cast<int64_t>(ot.rank());
  int64_t axis = n.attr<AxisAttrs>().axis;
  if (axis < 0) axis += rank;
  for (int64_t d = 0; d < axis; ++d)
    if (ot.shape[static_cast<size_t>(d)] != 1) return {};
  int64_t inner = static_cast<int64_t>(dtype_size(ot.dtype));
  for (int64_t d = axis + 1; d < rank; ++d)
    inner *= ot.shape[static_cast<size_t>(d)];
  std::vector<std::pair<ValueId, int64_t>> where;
  int64_t offset = 0;
  size_t first = 0;
  for (const auto& [prefix_out, children] : in_place) {
    const TensorType& pt = g.type_of(prefix_out);
    if (placed[static_cast<size_t>(prefix_out)] || children.size() <= first ||
        children.size() > n.inputs.size() || pt.dtype != ot.dtype || pt.rank() != ot.rank() ||
        !std::equal(children.begin(), children.end(), n.inputs.begin()))
      continue;
    bool same_frame = true;
    for (int64_t d = 0; d < rank; ++d)
      same_frame &=
          d == axis || pt.shape[static_cast<size_t>(d)] == ot.shape[static_cast<size_t>(d)];
    if (!same_frame) continue;
    where = {{prefix_out, 0}};
    first = children.size();
    offset = pt.shape[static_cast<size_t>(axis)] * inner;
  }
  for (size_t k = first; k < n.inputs.size(); ++k) {
    const ValueId v = n.inputs[k];
    const size_t vi = static_cast<size_t>(v);
    if (g.is_constant(v) || boundary[vi] || placed[vi]) return {};
    for (const auto& [seen, unused] : where)
      if (seen == v) return {};
    if (std::find(n.inputs.begin(), n.inputs.begin() + static_cast<long>(first), v) !=
        n.inputs.begin() + static_cast<long>(first))
      return {};
    const int pg = producer_group[vi];
    if (pg < 0) return {};
    const KernelGroup& producer = part.groups[static_cast<size_t>(pg)];
    if (producer.backend == GroupBackend::Alias) return {};
    for (size_t k = 0; k < producer.outputs.size(); ++k)
      if (producer.outputs[k] == v && k < producer.output_blocks.size() &&
          producer.output_blocks[k])
        return {};
    where.push_back({v, offset});
    offset += g.type_of(v).shape[static_cast<size_t>(axis)] * inner;
  }
  return where;
}

// The graph through every pass of default_pipeline(), partition and layout
// included.
CompileState run_all_passes(const Graph& graph, const PassOptions& passes, LayoutOptions layout,
                            const std::function<void(const Pass&)>& before = {}) {
  check_pass_names(passes.print_after);
  CompileState state{graph, std::nullopt, std::move(layout)};
  infer_shapes(state.graph);
  run_passes(state, default_pipeline(), passes, before);
  return state;
}

// What choose_layout may do for these options and schedule file.
LayoutOptions layout_options(const CompileOptions& options,
                             const std::shared_ptr<const ModelSchedule>& schedule_file,
                             const std::string& model_name) {
  LayoutOptions layout;
  // Blocked layouts are known to the default schedule (and to schedule
  // files it saved), not to the autoschedulers.
  const bool autoscheduler = options.schedule != "default" && !schedule_file;
  const char* env_layout = std::getenv("LOOM_BLOCKED_LAYOUT");
  layout.blocked = options.blocked_layout && !autoscheduler &&
                   !(env_layout && std::string_view(env_layout) == "0");
  layout.target = options.target;
  // A schedule file saved from a row-major compile names the row-major
  // output loops of its groups, which then keep row-major outputs; one
  // saved with blocked outputs names d1l (the channel lane loop of a block).
  layout.may_block = [schedule_file, model_name](const KernelGroup& k) {
    if (!schedule_file) return true;
    auto it = schedule_file->find(fmt::format("{}_group{}", model_name, k.id));
    if (it == schedule_file->end()) return true;
    for (const FuncSchedule& f : it->second.funcs)
      for (const StageSchedule& st : f.stages)
        for (const LoopDirective& d : st.directives)
          if (std::find(d.vars.begin(), d.vars.end(), "d1l") != d.vars.end()) return true;
    return false;
  };
  return layout;
}

}  // namespace

Graph run_pipeline(const Graph& graph, const CompileOptions& options) {
  return std::move(run_all_passes(graph, options.passes, {}).graph);
}

Executable compile(const Graph& graph, const CompileOptions& options) {
  register_builtin_backends();
  check_target(options.target);
  check_schedule(options.schedule);
  // Read before the (slow) passes and kernels so a bad file fails fast.
  std::shared_ptr<const ModelSchedule> schedule_file;
  if (options.schedule.ends_with(".json"))
    schedule_file = std::make_shared<ModelSchedule>(load_model_schedule_file(options.schedule));
  auto report = [&](CompileProgress p) {
    if (options.progress) options.progress(p);
  };
  report({"passes", 0, 0, ""});
  CompileState state =
      run_all_passes(graph, options.passes, layout_options(options, schedule_file, graph.name),
                     [&](const Pass& p) {
                       if (p.name == "partition") report({"partition", 0, 0, ""});
                     });
  const Graph& g = state.graph;
  const Partition& part = *state.partition;

  // Every group must have a code generator before any is built (building is slow).
  std::map<GroupBackend, std::shared_ptr<const KernelFactory>> factories;
  int total = 0;
  for (const KernelGroup& gr : part.groups) {
    if (gr.backend == GroupBackend::Alias) continue;
    ++total;
    auto& f = factories[gr.backend];
    if (!f) f = find_kernel_factory(gr.backend);
    if (!f) {
      const Node& first = g.nodes[gr.nodes.front()];
      throw UnsupportedError(
          fmt::format("no {} backend is registered to compile kernel group {}: {}",
                      group_backend_name(gr.backend), gr.id, gr.describe(g)),
          g.site(first));
    }
  }

  // What the built-in Halide backend cannot compute, every node of every
  // group at once (a user learns all of a model's gaps in one run).
  if (auto it = factories.find(GroupBackend::Halide); it != factories.end()) {
    using FactoryFn = std::unique_ptr<Kernel> (*)(const Graph&, const BackendOptions&);
    const FactoryFn* fn = it->second->target<FactoryFn>();
    if (fn && *fn == &make_halide_kernel) {
      std::vector<Problem> problems;
      for (const KernelGroup& gr : part.groups)
        if (gr.backend == GroupBackend::Halide)
          for (Problem& p : halide_group_problems(gr.extract(g)))
            problems.push_back(std::move(p));
      if (!problems.empty()) throw_unsupported(problems, "the compiled engine cannot compute");
    }
  }

  ExecutablePlan plan;
  BackendOptions bo;
  bo.target = options.target;
  bo.threads = options.threads;
  bo.schedule = options.schedule;
  bo.schedule_file = schedule_file;
  bo.schedules_used = options.schedules_used;
  bo.warning = options.warning ? options.warning : [](const std::string& m) {
    std::cerr << "loom: warning: " << m << "\n";
  };
  bo.dump_dir = options.dump_llvm_dir;
  bo.cache = options.cache;
  if (!bo.dump_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(bo.dump_dir, ec);
    if (ec)
      throw IOError(
          fmt::format("cannot create the dump directory '{}': {}", bo.dump_dir, ec.message()));
  }
  if (options.threads != 1) {
    // One pinned team shared by every kernel, instead of one per kernel.
    auto team = std::make_shared<ThreadTeam>(options.threads);
    bo.team = team.get();
    plan.resources.push_back(team);
  }

  std::vector<int> slot_of(g.values.size(), -1);
  auto slot = [&](ValueId v) {
    int& s = slot_of[static_cast<size_t>(v)];
    if (s < 0) {
      const Value& val = g.value(v);
      s = static_cast<int>(plan.slots.size());
      plan.slots.push_back({val.name, g.type_of(v), val.constant ? *val.constant : Tensor{}});
    }
    return s;
  };
  for (ValueId v : g.inputs)
    plan.inputs.push_back(slot(v));
  for (ValueId v : g.outputs)
    plan.outputs.push_back(slot(v));

  // Steps in group order; kernels are built afterwards, possibly in parallel.
  struct Job {
    size_t step;
    const KernelGroup* group;
    std::string what;
    std::unique_ptr<Kernel> kernel;
    ModelSchedule schedules;  // this job's share of options.schedules_used
    std::exception_ptr error;
  };
  std::vector<Job> jobs;
  std::vector<bool> boundary(g.values.size(), false), placed(g.values.size(), false);
  ConcatChildren in_place;  // in-place concat output -> its inputs
  for (ValueId v : g.inputs)
    boundary[static_cast<size_t>(v)] = true;
  for (ValueId v : g.outputs)
    boundary[static_cast<size_t>(v)] = true;
  std::vector<int> producer_group(g.values.size(), -1);
  for (const KernelGroup& gr : part.groups)
    for (ValueId v : gr.outputs)
      producer_group[static_cast<size_t>(v)] = gr.id;
  for (const KernelGroup& gr : part.groups) {
    ExecutablePlan::Step step;
    if (auto where = concat_placement(g, gr, boundary, producer_group, part, placed, in_place);
        !where.empty()) {
      const Node& cat = g.nodes[gr.nodes.front()];
      const ValueId out = cat.outputs[0];
      for (const auto& [v, byte_offset] : where) {
        plan.placements.push_back({slot(v), slot(out), byte_offset});
        placed[static_cast<size_t>(v)] = true;
      }
      in_place[out] = cat.inputs;
      step.kernel = std::make_unique<InPlaceConcat>(gr.describe(g) + " (in place)");
      plan.steps.push_back(std::move(step));
      continue;
    }
    if (gr.backend == GroupBackend::Alias) {
      const Node& n = g.nodes[gr.nodes.front()];
      step.inputs.push_back(slot(n.inputs[0]));
      step.outputs.push_back(slot(n.outputs[0]));
      plan.steps.push_back(std::move(step));
      continue;
    }
    for (ValueId v : gr.inputs)
      step.inputs.push_back(slot(v));
    for (ValueId v : gr.outputs)
      step.outputs.push_back(slot(v));
    jobs.push_back({plan.steps.size(), &gr, gr.describe(g), nullptr, {}, nullptr});
    plan.steps.push_back(std::move(step));
  }

  total = static_cast<int>(jobs.size());  // in-place concats compile nothing

  // Factories run concurrently on different groups (each backend compiles
  // one group with state of its own: Halide and LLVM both support that);
  // what they share (warnings, progress) is serialized here.
  std::mutex mu;
  int done = 0;
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  BackendOptions shared = bo;
  shared.warning = [&mu, w = bo.warning](const std::string& m) {
    std::lock_guard lock(mu);
    w(m);
  };
  auto worker = [&] {
    while (!failed) {
      const size_t i = next++;
      if (i >= jobs.size()) return;
      Job& job = jobs[i];
      {
        std::lock_guard lock(mu);
        report({"kernel", done, total, job.what});
      }
      try {
        BackendOptions jb = shared;
        jb.input_blocks = job.group->input_blocks;
        jb.output_blocks = job.group->output_blocks;
        if (bo.schedules_used) jb.schedules_used = &job.schedules;
        const Graph sub = job.group->extract(g);
        job.kernel = (*factories.at(job.group->backend))(sub, jb);
      } catch (...) {
        job.error = std::current_exception();
        failed = true;
      }
      std::lock_guard lock(mu);
      ++done;
    }
  };
  // A few threads, never more than the groups; with one core or one group
  // everything runs on this thread.
  const size_t want = options.compile_threads > 0
                          ? static_cast<size_t>(options.compile_threads)
                          : std::min(8u, std::max(1u, std::thread::hardware_concurrency()));
  const size_t n_threads = std::min(jobs.size(), want);
  std::vector<std::thread> pool;
  for (size_t i = 1; i < n_threads; ++i)
    pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool)
    t.join();
  // Jobs start in order and stop starting after a failure, so the first
  // failed job is the first group that cannot be compiled: the same error
  // whatever the timing.
  for (Job& job : jobs)
    if (job.error) std::rethrow_exception(job.error);
  for (Job& job : jobs) {
    plan.steps[job.step].kernel = std::move(job.kernel);
    if (bo.schedules_used)
      for (auto& [name, sched] : job.schedules)
        (*bo.schedules_used)[name] = std::move(sched);
  }
  report({"done", done, total, ""});
  return Executable(std::move(plan));
}

}  // namespace loom
