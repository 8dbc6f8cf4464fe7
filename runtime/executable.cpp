// Executable: buffer planning (liveness-based arena reuse, aliases as views)
// and the run loop.
#include "runtime/executable.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include <fmt/format.h>

namespace loom {

namespace {

constexpr int64_t kAlign = 64;

int64_t round_up(int64_t n) {
  return (n + kAlign - 1) / kAlign * kAlign;
}

// First-fit-by-size allocator over a growing arena, used only while planning.
class ArenaPlanner {
 public:
  int64_t allocate(int64_t bytes) {
    bytes = std::max<int64_t>(round_up(bytes), kAlign);
    // Best fit among free blocks.
    int best = -1;
    for (size_t i = 0; i < blocks_.size(); ++i)
      if (blocks_[i].free && blocks_[i].size >= bytes &&
          (best < 0 || blocks_[i].size < blocks_[static_cast<size_t>(best)].size))
        best = static_cast<int>(i);
    if (best >= 0) {
      Block& b = blocks_[static_cast<size_t>(best)];
      if (b.size > bytes) {
        Block rest{b.offset + bytes, b.size - bytes, true};
        b.size = bytes;
        blocks_.insert(blocks_.begin() + best + 1, rest);
      }
      blocks_[static_cast<size_t>(best)].free = false;
      return blocks_[static_cast<size_t>(best)].offset;
    }
    // Grow a free block at the end of the arena rather than leave it unused.
    if (!blocks_.empty() && blocks_.back().free) {
      Block& b = blocks_.back();
      b.size = bytes;
      b.free = false;
      return b.offset;
    }
    int64_t offset = blocks_.empty() ? 0 : blocks_.back().offset + blocks_.back().size;
    blocks_.push_back({offset, bytes, false});
    return offset;
  }
  void release(int64_t offset) {
    for (size_t i = 0; i < blocks_.size(); ++i)
      if (blocks_[i].offset == offset) {
        blocks_[i].free = true;
        // Merge with free neighbours.
        if (i + 1 < blocks_.size() && blocks_[i + 1].free) {
          blocks_[i].size += blocks_[i + 1].size;
          blocks_.erase(blocks_.begin() + static_cast<long>(i) + 1);
        }
        if (i > 0 && blocks_[i - 1].free) {
          blocks_[i - 1].size += blocks_[i].size;
          blocks_.erase(blocks_.begin() + static_cast<long>(i));
        }
        return;
      }
  }
  int64_t total() const {
    return blocks_.empty() ? 0 : blocks_.back().offset + blocks_.back().size;
  }

 private:
  struct Block {
    int64_t offset, size;
    bool free;
  };
  std::vector<Block> blocks_;
};

}  // namespace

Executable::Executable(ExecutablePlan plan) : plan_(std::move(plan)) {
  const int nslots = static_cast<int>(plan_.slots.size());
  auto check_slot = [&](int s) {
    if (s < 0 || s >= nslots)
      throw InternalError(fmt::format("executable plan: slot {} out of range", s));
  };
  enum class Kind { Intermediate, Input, Constant, Output };
  std::vector<Kind> kind(static_cast<size_t>(nslots), Kind::Intermediate);
  for (int s = 0; s < nslots; ++s)
    if (plan_.slots[static_cast<size_t>(s)].constant.defined())
      kind[static_cast<size_t>(s)] = Kind::Constant;
  for (int s : plan_.inputs) {
    check_slot(s);
    kind[static_cast<size_t>(s)] = Kind::Input;
  }
  for (int s : plan_.outputs) {
    check_slot(s);
    if (kind[static_cast<size_t>(s)] == Kind::Intermediate)
      kind[static_cast<size_t>(s)] = Kind::Output;
  }

  // Alias roots: a view shares its input's memory unless it is itself a
  // graph output (outputs are fresh tensors the caller owns, so it is copied);
  // a placed slot lives inside its parent at a byte offset. Each slot links
  // to at most one other; following the links gives its root and offset.
  std::vector<int> link(static_cast<size_t>(nslots), -1);
  std::vector<int64_t> link_offset(static_cast<size_t>(nslots), 0);
  for (const auto& step : plan_.steps) {
    for (int s : step.inputs)
      if (s >= 0) check_slot(s);
    for (int s : step.outputs) {
      check_slot(s);
      if (kind[static_cast<size_t>(s)] == Kind::Input ||
          kind[static_cast<size_t>(s)] == Kind::Constant)
        throw InternalError(fmt::format("executable plan: step writes input or constant '{}'",
                                        plan_.slots[static_cast<size_t>(s)].name));
    }
    if (!step.kernel) {
      if (step.inputs.size() != 1 || step.outputs.size() != 1 || step.inputs[0] < 0)
        throw InternalError("executable plan: an alias step has one input and one output");
      const int in = step.inputs[0], out = step.outputs[0];
      if (plan_.slots[static_cast<size_t>(in)].type.numel() !=
          plan_.slots[static_cast<size_t>(out)].type.numel())
        throw InternalError(fmt::format("executable plan: alias '{}' changes the element count",
                                        plan_.slots[static_cast<size_t>(out)].name));
      if (kind[static_cast<size_t>(out)] != Kind::Output) link[static_cast<size_t>(out)] = in;
    }
  }
  auto bytes_of = [&](int s) {
    return static_cast<int64_t>(
        TensorRef{plan_.slots[static_cast<size_t>(s)].type, nullptr}.nbytes());
  };
  for (const auto& pl : plan_.placements) {
    check_slot(pl.slot);
    check_slot(pl.parent);
    const size_t c = static_cast<size_t>(pl.slot);
    if (kind[c] != Kind::Intermediate ||
        kind[static_cast<size_t>(pl.parent)] != Kind::Intermediate || link[c] >= 0 ||
        pl.byte_offset < 0 || pl.byte_offset + bytes_of(pl.slot) > bytes_of(pl.parent))
      throw InternalError(fmt::format(
          "executable plan: '{}' cannot be placed in '{}' at byte {}", plan_.slots[c].name,
          plan_.slots[static_cast<size_t>(pl.parent)].name, pl.byte_offset));
    link[c] = pl.parent;
    link_offset[c] = pl.byte_offset;
  }
  alias_root_.resize(static_cast<size_t>(nslots));
  std::vector<int64_t> root_offset(static_cast<size_t>(nslots), 0);
  for (int s = 0; s < nslots; ++s) {
    int r = s, hops = 0;
    int64_t off = 0;
    while (link[static_cast<size_t>(r)] >= 0) {
      if (++hops > nslots) throw InternalError("executable plan: slots alias in a cycle");
      off += link_offset[static_cast<size_t>(r)];
      r = link[static_cast<size_t>(r)];
    }
    alias_root_[static_cast<size_t>(s)] = r;
    root_offset[static_cast<size_t>(s)] = off;
  }

  // Liveness of each arena root: defined at its first writing step, alive
  // through the last step reading it or any view of it.
  const int nsteps = static_cast<int>(plan_.steps.size());
  std::vector<int> def(static_cast<size_t>(nslots), -1), last(static_cast<size_t>(nslots), -1);
  for (int i = 0; i < nsteps; ++i) {
    const auto& step = plan_.steps[static_cast<size_t>(i)];
    for (int s : step.outputs) {
      int r = alias_root_[static_cast<size_t>(s)];
      if (def[static_cast<size_t>(r)] < 0) def[static_cast<size_t>(r)] = i;
      last[static_cast<size_t>(r)] = std::max(last[static_cast<size_t>(r)], i);
    }
    for (int s : step.inputs)
      if (s >= 0) {
        int r = alias_root_[static_cast<size_t>(s)];
        last[static_cast<size_t>(r)] = std::max(last[static_cast<size_t>(r)], i);
      }
  }
  offsets_.assign(static_cast<size_t>(nslots), -1);
  ArenaPlanner planner;
  for (int i = 0; i < nsteps; ++i) {
    for (int s : plan_.steps[static_cast<size_t>(i)].outputs) {
      int r = alias_root_[static_cast<size_t>(s)];
      // The root is allocated at the first step writing it or any part
      // of it (a placed slot).
      if (kind[static_cast<size_t>(r)] != Kind::Intermediate || def[static_cast<size_t>(r)] != i ||
          offsets_[static_cast<size_t>(r)] >= 0)
        continue;
      const int64_t bytes = static_cast<int64_t>(
          TensorRef{plan_.slots[static_cast<size_t>(r)].type, nullptr}.nbytes());
      offsets_[static_cast<size_t>(r)] = planner.allocate(bytes);
      ++stats_.intermediate_values;
      stats_.unshared_bytes += round_up(std::max<int64_t>(bytes, 1));
    }
    for (int r = 0; r < nslots; ++r)
      if (offsets_[static_cast<size_t>(r)] >= 0 && last[static_cast<size_t>(r)] == i)
        planner.release(offsets_[static_cast<size_t>(r)]);
  }
  stats_.arena_bytes = planner.total();
  arena_ =
      std::make_shared<Buffer>(static_cast<size_t>(std::max<int64_t>(stats_.arena_bytes, kAlign)));
  for (int s = 0; s < nslots; ++s) {
    int r = alias_root_[static_cast<size_t>(s)];
    if (r != s && offsets_[static_cast<size_t>(r)] >= 0)
      offsets_[static_cast<size_t>(s)] =
          offsets_[static_cast<size_t>(r)] + root_offset[static_cast<size_t>(s)];
  }
  for (int s : plan_.inputs)
    input_names_.push_back(plan_.slots[static_cast<size_t>(s)].name);
  for (int s : plan_.outputs)
    output_names_.push_back(plan_.slots[static_cast<size_t>(s)].name);
}

Executable::~Executable() = default;
Executable::Executable(Executable&&) noexcept = default;
Executable& Executable::operator=(Executable&&) noexcept = default;

std::vector<TensorType> Executable::input_types() const {
  std::vector<TensorType> t;
  for (int s : plan_.inputs)
    t.push_back(plan_.slots[static_cast<size_t>(s)].type);
  return t;
}

std::vector<TensorType> Executable::output_types() const {
  std::vector<TensorType> t;
  for (int s : plan_.outputs)
    t.push_back(plan_.slots[static_cast<size_t>(s)].type);
  return t;
}

std::vector<std::string> Executable::step_names() const {
  std::vector<std::string> names;
  for (const auto& step : plan_.steps)
    names.push_back(step.kernel ? step.kernel->name() : "alias");
  return names;
}

std::vector<Tensor> Executable::run(const std::vector<Tensor>& inputs) {
  return run_impl(inputs, nullptr);
}

namespace {

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace

RunProfile Executable::profile(const std::vector<Tensor>& inputs, int iters) {
  if (iters < 1) throw InputError(fmt::format("profile: iters must be at least 1, got {}", iters));
  using clock = std::chrono::steady_clock;
  const size_t nsteps = plan_.steps.size();
  std::vector<std::vector<double>> per_step(nsteps);
  std::vector<double> whole, step_ms(nsteps);
  for (int i = 0; i < iters; ++i) {
    const auto a = clock::now();
    run_impl(inputs, step_ms.data());
    whole.push_back(std::chrono::duration<double, std::milli>(clock::now() - a).count());
    for (size_t s = 0; s < nsteps; ++s)
      per_step[s].push_back(step_ms[s]);
  }
  RunProfile p;
  p.iters = iters;
  const std::vector<std::string> names = step_names();
  for (size_t s = 0; s < nsteps; ++s)
    p.steps.push_back({names[s], median_of(per_step[s]),
                       *std::min_element(per_step[s].begin(), per_step[s].end())});
  p.median_ms = median_of(whole);
  p.min_ms = *std::min_element(whole.begin(), whole.end());
  return p;
}

std::vector<Tensor> Executable::run_impl(const std::vector<Tensor>& inputs, double* step_ms) {
  if (inputs.size() != plan_.inputs.size())
    throw InputError(fmt::format("the model has {} inputs ({}), {} were given", plan_.inputs.size(),
                                 fmt::join(input_names_, ", "), inputs.size()));
  const size_t nslots = plan_.slots.size();
  std::vector<TensorRef> view(nslots);
  for (size_t s = 0; s < nslots; ++s) {
    const auto& slot = plan_.slots[s];
    view[s].type = slot.type;
    if (slot.constant.defined())
      view[s].data = const_cast<std::byte*>(slot.constant.raw());
    else if (offsets_[s] >= 0)
      view[s].data = arena_->data() + offsets_[s];
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    const int s = plan_.inputs[i];
    const auto& slot = plan_.slots[static_cast<size_t>(s)];
    if (!inputs[i].defined() || inputs[i].type() != slot.type)
      throw InputError(
          fmt::format("input '{}' (#{}) expects {}, got {}", slot.name, i, type_str(slot.type),
                      inputs[i].defined() ? type_str(inputs[i].type()) : "no tensor"),
          ErrorSite{{}, {}, slot.name});
    // Kernels never write their inputs; the view is const in spirit.
    view[static_cast<size_t>(s)].data = const_cast<std::byte*>(inputs[i].raw());
  }
  // Fresh output tensors, one per distinct output slot that a step writes.
  std::vector<Tensor> fresh(nslots);
  for (int s : plan_.outputs) {
    auto& slot = plan_.slots[static_cast<size_t>(s)];
    if (fresh[static_cast<size_t>(s)].defined() || view[static_cast<size_t>(s)].data) continue;
    fresh[static_cast<size_t>(s)] = Tensor(slot.type);
    view[static_cast<size_t>(s)].data = fresh[static_cast<size_t>(s)].raw();
  }

  using clock = std::chrono::steady_clock;
  std::vector<TensorRef> ins, outs;
  for (size_t si = 0; si < plan_.steps.size(); ++si) {
    auto& step = plan_.steps[si];
    clock::time_point t0;
    if (step_ms) t0 = clock::now();
    if (!step.kernel) {
      const size_t in = static_cast<size_t>(step.inputs[0]);
      const size_t out = static_cast<size_t>(step.outputs[0]);
      if (alias_root_[out] == static_cast<int>(out)) {
        if (view[in].nbytes()) std::memcpy(view[out].data, view[in].data, view[in].nbytes());
      } else {
        view[out].data = view[in].data;
      }
      if (step_ms)
        step_ms[si] = std::chrono::duration<double, std::milli>(clock::now() - t0).count();
      continue;
    }
    ins.clear();
    outs.clear();
    for (int s : step.inputs)
      ins.push_back(s >= 0 ? view[static_cast<size_t>(s)] : TensorRef{});
    for (int s : step.outputs)
      outs.push_back(view[static_cast<size_t>(s)]);
    step.kernel->run(ins, outs);
    if (step_ms) step_ms[si] = std::chrono::duration<double, std::milli>(clock::now() - t0).count();
  }

  std::vector<Tensor> results;
  for (int s : plan_.outputs) {
    const size_t si = static_cast<size_t>(s);
    if (fresh[si].defined()) {
      results.push_back(fresh[si]);
    } else {
      // A graph input or constant returned as an output: the caller gets a copy.
      const TensorRef& v = view[si];
      results.push_back(Tensor::from_bytes(v.type.dtype, v.type.shape, v.data, v.nbytes()));
    }
  }
  return results;
}

}  // namespace loom
