// The default heuristic scheduler for x86: reads a pipeline description
// (pipeline_info.h) and produces a GroupSchedule value, which the backend
// applies exactly like one loaded from JSON.
//
// Rules, in short:
// - Input wrappers, padding wrappers of pools and elementwise/view functions
//   are inlined into their consumers; anything a conv/dense accumulation
//   reads repeatedly (a padded input, an elementwise result) is computed at
//   the root so the hot loop reads plain memory.
// - A conv/dense accumulation is register-blocked inside a tile of its "host":
//   the group output it flows into through elementwise ops only (the epilogue
//   is then fused: computed inline at the tile), or else its own value
//   function. Two tile shapes:
//     at least one vector of output channels: vectors of output channels
//       x a few pixels (whatever the map size), parallel over
//       output-channel blocks (a 7x7 map has too few rows to share);
//     fewer output channels than lanes on a wide map: vectors of output
//       pixels x a block of output channels, parallel over rows.
//   The reduction (input channels innermost, then kernel taps) runs inside
//   the register block.
// - Vectors are sized to the target (16 f32 lanes for AVX-512, 8 AVX2, 4 SSE).
// - threads == 1 emits no parallel loop.
#include <algorithm>

#include "backends/halide/pipeline_info.h"

namespace loom::halide_detail {

namespace {

LoopDirective split(const std::string& v, const std::string& outer, const std::string& inner,
                    int64_t factor, int64_t extent) {
  LoopDirective d{LoopDirective::Kind::Split, {v, outer, inner}, factor, TailStrategy::Auto};
  // ShiftInwards (Auto on a pure stage) keeps every tile full, so the
  // accumulations computed inside have constant extents and unroll; it
  // recomputes a few outputs at the edge instead of guarding them.
  d.tail = factor <= extent ? TailStrategy::Auto : TailStrategy::GuardWithIf;
  return d;
}
LoopDirective guarded_split(const std::string& v, const std::string& outer,
                            const std::string& inner, int64_t factor) {
  return {LoopDirective::Kind::Split, {v, outer, inner}, factor, TailStrategy::GuardWithIf};
}
LoopDirective one(LoopDirective::Kind k, const std::string& v) {
  return {k, {v}, 0, TailStrategy::Auto};
}
LoopDirective reorder(std::vector<std::string> vars) {
  return {LoopDirective::Kind::Reorder, std::move(vars), 0, TailStrategy::Auto};
}

int64_t ceil_div(int64_t a, int64_t b) {
  return (a + b - 1) / b;
}

// Loops outside a tile, innermost first, with extents.
struct OuterLoop {
  std::string var;
  int64_t extent;
};

// Picks the loop to run in parallel and moves it outermost. Returns the new
// order (innermost first).
std::vector<OuterLoop> parallel_outer(std::vector<OuterLoop> loops, int threads,
                                      std::vector<LoopDirective>& ds, bool* moved) {
  *moved = false;
  if (threads <= 1 || loops.empty()) return loops;
  int pick = -1;
  // Prefer the outermost loop with enough iterations to share; else the largest.
  for (int i = static_cast<int>(loops.size()) - 1; i >= 0 && pick < 0; --i)
    if (loops[static_cast<size_t>(i)].extent >= 2 * threads) pick = i;
  if (pick < 0) {
    int64_t best = 1;
    for (size_t i = 0; i < loops.size(); ++i)
      if (loops[i].extent > best) {
        best = loops[i].extent;
        pick = static_cast<int>(i);
      }
  }
  if (pick < 0) return loops;
  OuterLoop p = loops[static_cast<size_t>(pick)];
  if (pick != static_cast<int>(loops.size()) - 1) {
    loops.erase(loops.begin() + pick);
    loops.push_back(p);
    *moved = true;
  }
  ds.push_back(one(LoopDirective::Kind::Parallel, p.var));
  return loops;
}

StageSchedule generic_loops(const FuncInfo& f, int lanes, int threads) {
  StageSchedule st;
  if (f.vars.empty()) return st;
  std::vector<OuterLoop> outer;
  size_t first_outer = 0;
  if (f.extents[0] >= lanes) {
    const std::string& v = f.vars[0];
    st.directives.push_back(split(v, v + "o", v + "v", lanes, f.extents[0]));
    st.directives.push_back(one(LoopDirective::Kind::Vectorize, v + "v"));
    outer.push_back({v + "o", ceil_div(f.extents[0], lanes)});
    first_outer = 1;
  }
  for (size_t i = first_outer; i < f.vars.size(); ++i)
    outer.push_back({f.vars[i], f.extents[i]});
  std::vector<LoopDirective> par;
  bool moved = false;
  outer = parallel_outer(outer, threads, par, &moved);
  if (moved) {
    std::vector<std::string> order;
    if (first_outer) order.push_back(f.vars[0] + "v");
    for (const OuterLoop& l : outer)
      order.push_back(l.var);
    if (order.size() >= 2) st.directives.push_back(reorder(order));
  }
  st.directives.insert(st.directives.end(), par.begin(), par.end());
  return st;
}

// Loops of a window (pooling) function whose input is stored channels
// innermost: vectors of channels (ONNX axis 1), dense loads whatever the
// window stride; the rest as generic_loops would order them.
StageSchedule channel_loops(const FuncInfo& f, int lanes, int threads) {
  StageSchedule st;
  if (f.block) {
    // A channel-blocked group output (d1l, d3, d2, d1b, d0): the block's
    // lanes are the vector, its blocks just outside the pixels of one row,
    // as below; every vector store is dense.
    std::vector<OuterLoop> outer{{f.vars[1], f.extents[1]},
                                 {f.vars[3], f.extents[3]},
                                 {f.vars[2], f.extents[2]},
                                 {f.vars[4], f.extents[4]}};
    std::vector<LoopDirective> par;
    bool moved = false;
    outer = parallel_outer(outer, threads, par, &moved);
    std::vector<std::string> order{f.vars[0]};
    for (const OuterLoop& l : outer)
      order.push_back(l.var);
    st.directives.push_back(reorder(order));
    st.directives.push_back(one(LoopDirective::Kind::Vectorize, f.vars[0]));
    st.directives.insert(st.directives.end(), par.begin(), par.end());
    return st;
  }
  const size_t c = f.vars.size() - 2;
  const std::string& cv = f.vars[c];
  st.directives.push_back(split(cv, cv + "o", cv + "v", lanes, f.extents[c]));
  std::vector<OuterLoop> outer;
  for (size_t i = 0; i < f.vars.size(); ++i)
    if (i != c) outer.push_back({f.vars[i], f.extents[i]});
  // Channel blocks just outside the pixels of one row.
  outer.insert(outer.begin() + 1, {cv + "o", ceil_div(f.extents[c], lanes)});
  std::vector<LoopDirective> par;
  bool moved = false;
  outer = parallel_outer(outer, threads, par, &moved);
  std::vector<std::string> order{cv + "v"};
  for (const OuterLoop& l : outer)
    order.push_back(l.var);
  st.directives.push_back(reorder(order));
  st.directives.push_back(one(LoopDirective::Kind::Vectorize, cv + "v"));
  st.directives.insert(st.directives.end(), par.begin(), par.end());
  return st;
}

// Loops of a root function that pools rows of a conv value computed inside
// its row loop with a sliding window: channel vectors, then pixels, channel
// blocks and rows; with threads the rows are split into one serial chunk
// per thread (the window slides within a chunk). Sets the row loop to
// compute the conv at and the loop to store it at ("" = root).
StageSchedule sliding_loops(const FuncInfo& f, int lanes, int threads, std::string* compute_var,
                            std::string* store_var) {
  StageSchedule st;
  const size_t c = f.vars.size() - 2, y = f.vars.size() - 3;
  const std::string &cv = f.vars[c], &yv = f.vars[y];
  st.directives.push_back(split(cv, cv + "o", cv + "v", lanes, f.extents[c]));
  std::vector<std::string> order{cv + "v"};
  for (size_t i = 0; i < y; ++i)
    order.push_back(f.vars[i]);
  order.push_back(cv + "o");
  const bool chunks = threads > 1 && f.extents[y] >= 2 * threads;
  if (chunks) {
    st.directives.push_back(
        split(yv, yv + "o", yv + "i", ceil_div(f.extents[y], threads), f.extents[y]));
    order.push_back(yv + "i");
    order.push_back(yv + "o");
    *compute_var = yv + "i";
    *store_var = yv + "o";
  } else {
    order.push_back(yv);
    *compute_var = yv;
    store_var->clear();
  }
  for (size_t i = c + 1; i < f.vars.size(); ++i)
    order.push_back(f.vars[i]);
  st.directives.push_back(reorder(order));
  st.directives.push_back(one(LoopDirective::Kind::Vectorize, cv + "v"));
  if (chunks) st.directives.push_back(one(LoopDirective::Kind::Parallel, yv + "o"));
  return st;
}

struct Tiling {
  StageSchedule host;
  StageSchedule acc_pure, acc_update;
  std::string at_var;
  std::vector<std::string> acc_storage;
};

// The accumulator of a tile vectorized over output channels `cv` with pixels
// `pv` unrolled: stored channels innermost (whole-vector loads and stores,
// not gathers), its update reduced with the channel vectors and pixels
// innermost around the reduction loops (input channel first).
void schedule_channel_vector_accumulator(Tiling& t, const std::string& cv, const std::string& pv,
                                         const std::vector<std::string>& rest_names,
                                         const std::vector<std::string>& rvars_channel_first,
                                         int lanes) {
  t.acc_storage = {cv, pv};
  t.acc_storage.insert(t.acc_storage.end(), rest_names.begin(), rest_names.end());
  t.acc_pure.directives.push_back(
      {LoopDirective::Kind::Vectorize, {cv}, lanes, TailStrategy::GuardWithIf});
  t.acc_pure.directives.push_back(one(LoopDirective::Kind::Unroll, pv));
  auto& ud = t.acc_update.directives;
  ud.push_back(guarded_split(cv, cv + "u", cv + "v", lanes));
  std::vector<std::string> uorder{cv + "v", cv + "u", pv};
  uorder.insert(uorder.end(), rvars_channel_first.begin(), rvars_channel_first.end());
  uorder.insert(uorder.end(), rest_names.begin(), rest_names.end());
  ud.push_back(reorder(uorder));
  ud.push_back(one(LoopDirective::Kind::Vectorize, cv + "v"));
  ud.push_back(one(LoopDirective::Kind::Unroll, cv + "u"));
  ud.push_back(one(LoopDirective::Kind::Unroll, pv));
}

// The output-channel side of a register tile: `vectors` vectors of `vector`
// lanes, and how many pixels go with them.
struct ChannelTile {
  int64_t vector, vectors, pixels;
};

// 2 x 7 (14 accumulators) measured best when the channels fill whole
// vectors; 3 or 4 channel vectors straddle the 32-channel weight blocks and
// ran at half speed, 2 x 14 no better. A channel count that is not a
// multiple of the vector (24, 40, 56) left a scalar tail: mobilenet_v2's 1x1
// 144->24 conv (+Add) at 56x56, one core, spent 0.38 ms, 23% of peak, most of
// it in 8 scalar channels x 14 pixels per tile. Narrower vectors that divide
// the channels exactly are used when they need fewer vector operations than
// the full-width vectors plus the scalar tail, with about as many
// accumulators (15).
ChannelTile channel_tile(int64_t ce, int lanes) {
  if (ce % lanes != 0)
    for (int64_t w = lanes / 2; w >= 4 && w >= lanes / 4; w /= 2) {
      if (ce % w != 0 || ce / w >= ce / lanes + ce % lanes) continue;
      int64_t n = 1;
      for (int64_t c : {5, 4, 3, 2})
        if ((ce / w) % c == 0) {
          n = c;
          break;
        }
      return {w, n, std::max<int64_t>(1, std::min<int64_t>(14, 15 / n))};
    }
  const int64_t n = ce >= 2 * lanes ? 2 : 1;
  return {lanes, n, n == 2 ? 7 : 14};
}

// Register-blocked tile of accumulator `a` inside host `h` (same loops).
// `region_channels` > 0: the host is computed inside a consumer's loop
// over blocks of that many channels, so one computation covers only that
// many and the tile must not be wider (a wider tile shifted inwards would
// start before channel 0 of the first block).
bool tile_accumulator(const FuncInfo& h, const FuncInfo& a, int lanes, int threads, Tiling& t,
                      int64_t region_channels = 0) {
  const int c = a.channel_var;
  int p = a.pixel_var;
  if (c < 0 || p < 0 || c == p) return false;
  // A batched MatMul with one row per batch entry ([T,1,K] x [K,N], a
  // classifier applied at every time step) has its rows in the batch loop:
  // tile that one, or the tile holds only two accumulators and waits on the
  // FMA latency (CRNN's 32x1x512 -> 37 classifier: 0.045 ms).
  if (a.acc != AccKind::Conv)
    for (size_t i = 0; i < h.vars.size() && i < h.extents.size(); ++i)
      if (static_cast<int>(i) != c && h.extents[i] > h.extents[static_cast<size_t>(p)])
        p = static_cast<int>(i);
  const std::string& cv = h.vars[static_cast<size_t>(c)];
  const std::string& pv = h.vars[static_cast<size_t>(p)];
  const int64_t pe = h.extents[static_cast<size_t>(p)];
  const int64_t ce = region_channels > 0
                         ? std::min(region_channels, h.extents[static_cast<size_t>(c)])
                         : h.extents[static_cast<size_t>(c)];
  std::vector<OuterLoop> rest;
  for (size_t i = 0; i < h.vars.size(); ++i)
    if (static_cast<int>(i) != c && static_cast<int>(i) != p)
      rest.push_back({h.vars[i], h.extents[i]});
  std::vector<std::string> rest_names;
  for (const OuterLoop& l : rest)
    rest_names.push_back(l.var);
  std::vector<std::string> rvars_channel_first = a.rvars;
  // The accumulator lists its reduction loops taps first, channel last: run
  // the input channels innermost.
  if (a.acc == AccKind::Conv && !rvars_channel_first.empty())
    std::rotate(rvars_channel_first.begin(), rvars_channel_first.end() - 1,
                rvars_channel_first.end());

  auto& hd = t.host.directives;
  // Channel vectors win whenever there is a vector of output channels,
  // wide maps included (ResNet-18, one core: 3x3 64->64 on 56x56 2.43 ->
  // 2.08 ms, the 7x7/s2 stem 3.62 -> 2.74 ms): the weights of a tile are
  // one dense stream (packed in blocks of 32 channels by the lowering), the
  // inputs are broadcast scalars, so strided (stride-2) pixels cost nothing,
  // and 14 accumulators hide the FMA latency. Pixel vectors remain for
  // convs with fewer output channels than lanes.
  const bool vectorize_pixels = a.acc == AccKind::Conv && pe >= lanes && ce < lanes;
  if (vectorize_pixels) {
    const int64_t xb = pe >= 2 * lanes ? 2 : 1;
    const int64_t cb = std::min<int64_t>(ce, xb == 2 ? 4 : 8);
    hd.push_back(split(pv, pv + "o", pv + "i", lanes * xb, pe));
    hd.push_back(split(cv, cv + "o", cv + "i", cb, ce));
    std::vector<OuterLoop> outer{{pv + "o", ceil_div(pe, lanes * xb)},
                                 {cv + "o", ceil_div(ce, cb)}};
    outer.insert(outer.end(), rest.begin(), rest.end());
    std::vector<LoopDirective> par;
    bool moved = false;
    outer = parallel_outer(outer, threads, par, &moved);
    std::vector<std::string> order{pv + "i", cv + "i"};
    for (const OuterLoop& l : outer)
      order.push_back(l.var);
    hd.push_back(reorder(order));
    hd.push_back({LoopDirective::Kind::Vectorize, {pv + "i"}, lanes, TailStrategy::GuardWithIf});
    hd.push_back(one(LoopDirective::Kind::Unroll, cv + "i"));
    hd.insert(hd.end(), par.begin(), par.end());
    t.at_var = pv + "o";

    t.acc_pure.directives.push_back(
        {LoopDirective::Kind::Vectorize, {pv}, lanes, TailStrategy::GuardWithIf});
    t.acc_pure.directives.push_back(one(LoopDirective::Kind::Unroll, cv));
    auto& ud = t.acc_update.directives;
    ud.push_back(guarded_split(pv, pv + "u", pv + "v", lanes));
    std::vector<std::string> uorder{pv + "v", pv + "u", cv};
    uorder.insert(uorder.end(), rvars_channel_first.begin(), rvars_channel_first.end());
    uorder.insert(uorder.end(), rest_names.begin(), rest_names.end());
    ud.push_back(reorder(uorder));
    ud.push_back(one(LoopDirective::Kind::Vectorize, pv + "v"));
    ud.push_back(one(LoopDirective::Kind::Unroll, pv + "u"));
    ud.push_back(one(LoopDirective::Kind::Unroll, cv));
    return true;
  }
  if (ce < lanes) return false;
  // Vectors of output channels x a few pixels (channel_tile).
  const ChannelTile ct = channel_tile(ce, lanes);
  const int64_t vec = ct.vector, cbv = ct.vectors;
  const int64_t xb = std::min<int64_t>(pe, ct.pixels);
  hd.push_back(split(cv, cv + "o", cv + "i", vec * cbv, ce));
  hd.push_back(split(pv, pv + "o", pv + "i", xb, pe));
  const int64_t blocks = ceil_div(ce, vec * cbv);
  // Share output-channel blocks between threads (a 7x7 map has too few rows
  // to share). With few blocks (64 channels: 2) each thread would get one
  // big task and wait for the slowest; then the largest other loop (the
  // rows) moves next to the blocks and the two are fused into one parallel
  // loop of many small tasks.
  int fuse_rest = -1;
  if (threads > 1 && blocks < 8 * threads) {
    int64_t best = 1;
    for (size_t i = 0; i < rest.size(); ++i)
      if (rest[i].extent > best) {
        best = rest[i].extent;
        fuse_rest = static_cast<int>(i);
      }
  }
  std::vector<OuterLoop> ordered_rest = rest;
  if (fuse_rest >= 0) {
    OuterLoop r = ordered_rest[static_cast<size_t>(fuse_rest)];
    ordered_rest.erase(ordered_rest.begin() + fuse_rest);
    ordered_rest.push_back(r);
  }
  std::vector<std::string> order{cv + "i", pv + "i", pv + "o"};
  for (const OuterLoop& l : ordered_rest)
    order.push_back(l.var);
  order.push_back(cv + "o");
  hd.push_back(reorder(order));
  hd.push_back({LoopDirective::Kind::Vectorize, {cv + "i"}, vec, TailStrategy::GuardWithIf});
  hd.push_back(one(LoopDirective::Kind::Unroll, pv + "i"));
  if (fuse_rest >= 0) {
    const std::string fused = cv + "o_" + ordered_rest.back().var;
    hd.push_back({LoopDirective::Kind::Fuse,
                  {ordered_rest.back().var, cv + "o", fused},
                  0,
                  TailStrategy::Auto});
    hd.push_back(one(LoopDirective::Kind::Parallel, fused));
  } else if (threads > 1) {
    hd.push_back(one(LoopDirective::Kind::Parallel, cv + "o"));
  }
  t.at_var = pv + "o";

  schedule_channel_vector_accumulator(t, cv, pv, rest_names, rvars_channel_first, vec);
  return true;
}

// The extents of f in ONNX var order (d_{r-1} .. d0), whatever its layout.
std::vector<int64_t> logical_extents(const FuncInfo& f) {
  if (!f.block) return f.extents;
  const auto& e = f.extents;  // (d1l, d3, d2, d1b, d0)
  return {e[1], e[2], e[3] * e[0], e[4]};
}

// Register-blocked tile of conv accumulator `a` inside a channel-blocked
// group output `h` (vars d1l, d3, d2, d1b, d0): blocks of channels (d1l,
// a vector) x a few pixels per tile, so each output vector is one dense
// store. The accumulator keeps the row-major tile schedule (its vars
// are the ONNX ones).
bool tile_blocked_host(const FuncInfo& h, const FuncInfo& a, int lanes, int threads, Tiling& t) {
  const int c = a.channel_var, p = a.pixel_var;
  if (a.acc != AccKind::Conv || a.vars.size() != 4 || c != 2 || p != 0) return false;
  const std::string &cv = a.vars[static_cast<size_t>(c)], &pv = a.vars[static_cast<size_t>(p)];
  const int64_t pe = h.extents[1], blocks = h.extents[3];
  std::vector<std::string> rest_names;
  for (size_t i = 0; i < a.vars.size(); ++i)
    if (static_cast<int>(i) != c && static_cast<int>(i) != p) rest_names.push_back(a.vars[i]);
  std::vector<std::string> rvars_channel_first = a.rvars;
  if (!rvars_channel_first.empty())
    std::rotate(rvars_channel_first.begin(), rvars_channel_first.end() - 1,
                rvars_channel_first.end());

  auto& hd = t.host.directives;
  // The row-major tile's shape: two channel blocks (vectors) x 7 pixels
  // when there are two blocks, else one x 14 (14 accumulators either way).
  const int64_t cbv = blocks >= 2 ? 2 : 1;
  const int64_t xb = std::min<int64_t>(pe, cbv == 2 ? 7 : 14);
  hd.push_back(split("d3", "d3o", "d3i", xb, pe));
  hd.push_back(split("d1b", "d1bo", "d1bi", cbv, blocks));
  const bool fuse = threads > 1 && ceil_div(blocks, cbv) < 8 * threads;
  hd.push_back(reorder({"d1l", "d3i", "d1bi", "d3o", "d0", "d2", "d1bo"}));
  hd.push_back(one(LoopDirective::Kind::Vectorize, "d1l"));
  hd.push_back(one(LoopDirective::Kind::Unroll, "d3i"));
  hd.push_back(one(LoopDirective::Kind::Unroll, "d1bi"));
  if (fuse) {
    hd.push_back({LoopDirective::Kind::Fuse, {"d2", "d1bo", "d1bo_d2"}, 0, TailStrategy::Auto});
    hd.push_back(one(LoopDirective::Kind::Parallel, "d1bo_d2"));
  } else if (threads > 1) {
    hd.push_back(one(LoopDirective::Kind::Parallel, "d1bo"));
  }
  t.at_var = "d3o";

  schedule_channel_vector_accumulator(t, cv, pv, rest_names, rvars_channel_first, lanes);
  return true;
}

// The default schedule of one pipeline, phase by phase: where each function
// is computed (placement), which conv values get a channels-innermost
// internal layout and where their rows are computed (internal layouts),
// which padded copies of blocked inputs are stored channels innermost, and
// finally the loop directives of every root function and its accumulator.
class DefaultScheduler {
 public:
  DefaultScheduler(const PipelineInfo& info, int lanes, int threads)
      : info_(info),
        fs_(info.funcs),
        n_(fs_.size()),
        lanes_(lanes),
        threads_(threads),
        place_(n_, Place::Inline),
        host_of_(n_, -1),
        channels_last_(n_, false),
        window_by_channel_(n_, false),
        rows_at_(n_, -1),
        slide_at_(n_, -1),
        slide_leaf_(n_, false),
        pad_of_blocked_(n_, false) {}

  GroupSchedule run(const std::string& target) {
    place_functions();
    choose_internal_layouts();
    mark_blocked_pads();
    GroupSchedule s;
    s.group = info_.group;
    s.producer = "default";
    s.target = target;
    for (size_t i = 0; i < n_; ++i)
      if (place_[i] == Place::Root) emit_root(i, s);
    return s;
  }

 private:
  enum class Place { Inline, Root, Tiled };

  template <class Pred>
  bool all_consumers(size_t i, Pred pred) const {
    for (int c : fs_[i].consumers)
      if (!pred(fs_[static_cast<size_t>(c)])) return false;
    return true;
  }
  bool read_by_acc(size_t i) const {
    return !all_consumers(i, [](const FuncInfo& c) { return c.role != FuncRole::Accumulator; });
  }

  // A padded input read only by depthwise convs of a channel-blocked input:
  // each tap of a depthwise conv is one multiply per loaded vector, so the
  // bounds test inline costs less than writing and rereading a padded copy
  // of the whole input.
  bool only_depthwise_reads(size_t i) const {
    bool blocked_source = false;
    for (size_t j = 0; j < n_; ++j)
      for (int c : fs_[j].consumers)
        if (static_cast<size_t>(c) == i) blocked_source |= fs_[j].blocked_input;
    return blocked_source && all_consumers(i, [](const FuncInfo& c) {
             return c.role == FuncRole::Accumulator && c.depthwise;
           });
  }

  // Root stages of accumulator `a` vectorized over its channel var, the
  // reduction loops inside each channel vector.
  void emit_channel_reduction(const FuncInfo& a, FuncSchedule& asch) const {
    const std::string& cv = a.vars[static_cast<size_t>(a.channel_var)];
    const int64_t ce = a.extents[static_cast<size_t>(a.channel_var)];
    const bool parallel = threads_ > 1 && ceil_div(ce, lanes_) >= 2 * threads_;
    for (int stage = 0; stage < 2; ++stage) {
      StageSchedule st;
      st.update = stage - 1;
      st.directives.push_back(guarded_split(cv, cv + "o", cv + "v", lanes_));
      std::vector<std::string> order{cv + "v"};
      if (stage == 1) order.insert(order.end(), a.rvars.begin(), a.rvars.end());
      for (const std::string& v : a.vars)
        if (v != cv) order.push_back(v);
      order.push_back(cv + "o");
      st.directives.push_back(reorder(order));
      st.directives.push_back(one(LoopDirective::Kind::Vectorize, cv + "v"));
      if (parallel) st.directives.push_back(one(LoopDirective::Kind::Parallel, cv + "o"));
      asch.stages.push_back(std::move(st));
    }
  }

  // The func an accumulated value's epilogue ends in, or -1: every func
  // reachable from `value` through consumers is pointwise, of the value's
  // shape and not read by an accumulator, up to exactly one stored func --
  // the sink, a group output (what reads it is not part of the region). A chain
  // (bias, ReLU) or a diamond (SiLU's x * sigmoid(x): the value read twice)
  // then runs inline in the sink's register tile. efficientnet_b0, one core:
  // a 1x1 112->672 conv with its SiLU 0.22 + 0.48 ms as two groups.
  int epilogue_sink(size_t value) const {
    const std::vector<int64_t>& shape = fs_[value].extents;
    std::vector<size_t> region{value};
    std::vector<bool> in_region(n_, false);
    in_region[value] = true;
    int sink = -1;
    for (size_t k = 0; k < region.size(); ++k) {
      const size_t cur = region[k];
      if (fs_[cur].is_output) {
        if (sink >= 0) return -1;
        sink = static_cast<int>(cur);
        continue;
      }
      if (fs_[cur].consumers.empty()) return -1;
      for (int ci : fs_[cur].consumers) {
        const size_t c = static_cast<size_t>(ci);
        if (fs_[c].role != FuncRole::Pointwise || logical_extents(fs_[c]) != shape ||
            read_by_acc(c))
          return -1;
        if (!in_region[c]) {
          in_region[c] = true;
          region.push_back(c);
        }
      }
    }
    return sink;
  }

  // Where each function is computed: inline, at the root, or (an
  // accumulator) inside the register tile of its host.
  void place_functions() {
    for (size_t i = 0; i < n_; ++i) {
      const FuncInfo& f = fs_[i];
      if (f.is_output) {
        place_[i] = Place::Root;
        continue;
      }
      switch (f.role) {
        case FuncRole::Input:
        case FuncRole::Accumulator:
          break;
        case FuncRole::Boundary:
          if (read_by_acc(i) && !only_depthwise_reads(i)) place_[i] = Place::Root;
          break;
        case FuncRole::Pointwise:
          if (read_by_acc(i)) place_[i] = Place::Root;
          break;
        case FuncRole::Window:
          if (!all_consumers(i, [](const FuncInfo& c) { return c.role == FuncRole::Pointwise; }))
            place_[i] = Place::Root;
          break;
        case FuncRole::Reduction:
          place_[i] = Place::Root;
          break;
        case FuncRole::AccValue: {
          // The epilogue is fused into the tile of the one func that will be
          // stored: the sink of the pointwise region the value flows into.
          const int sink = epilogue_sink(i);
          const bool ok = sink >= 0;
          const size_t cur = ok ? static_cast<size_t>(sink) : i;
          if (!ok || cur == i) {
            place_[i] = Place::Root;
            host_of_[static_cast<size_t>(f.value_of)] = static_cast<int>(i);
          } else {
            host_of_[static_cast<size_t>(f.value_of)] = static_cast<int>(cur);
          }
          break;
        }
      }
    }
    for (size_t i = 0; i < n_; ++i) {
      const FuncInfo& f = fs_[i];
      if (f.role == FuncRole::Accumulator && host_of_[i] >= 0) {
        // Accumulators whose host is inline (never, by construction) fall back to root.
        if (place_[static_cast<size_t>(host_of_[i])] == Place::Inline) place_[i] = Place::Root;
      }
    }
  }

  // Channels-innermost conv values and where their rows are computed.
  void choose_internal_layouts() {
    // Internal layout: a conv value computed at the root only for pooling
    // functions of the same group (conv + ReLU + MaxPool, conv + Add + ReLU +
    // GlobalAveragePool) is stored channels innermost, and the pools are
    // vectorized over channels. The channel-vectorized conv tile then stores
    // whole vectors instead of scattering 16 channels H*W apart, and the
    // pools load dense vectors even at stride 2. ResNet-18 stem (7x7/s2 conv
    // + ReLU + 3x3/s2 MaxPool, one core): 2.65 -> 2.21 ms. A pooled group
    // output that choose_layout blocked is stored by whole channel vectors
    // too; a row-major one scatters them.
    for (size_t i = 0; i < n_; ++i) {
      const FuncInfo& f = fs_[i];
      if (f.role != FuncRole::AccValue || f.is_output || place_[i] != Place::Root ||
          f.acc != AccKind::Conv || f.channel_var < 0 ||
          f.extents[static_cast<size_t>(f.channel_var)] < lanes_ || f.vars.size() < 3)
        continue;
      // Every path through inline functions must pass a window function
      // before it reaches a root function of the same rank (the pool, or the
      // group output the pool is inlined into): those get channel loops.
      std::vector<size_t> windows;
      std::vector<std::pair<size_t, bool>> stack{{i, false}};
      bool ok = true, rows_independent = true;
      while (ok && !stack.empty()) {
        const auto [cur, seen] = stack.back();
        stack.pop_back();
        for (int ci : fs_[cur].consumers) {
          const size_t c = static_cast<size_t>(ci);
          const FuncInfo& cf = fs_[c];
          const bool window = seen || cf.role == FuncRole::Window;
          if (cf.role == FuncRole::Window) rows_independent &= !cf.rows_overlap;
          // A channel-blocked group output has one var more (d1l, d3, d2, d1b, d0).
          const bool blocked_out = cf.block > 0 && cf.vars.size() == f.vars.size() + 1;
          if ((cf.vars.size() != f.vars.size() && !blocked_out) ||
              cf.role == FuncRole::Accumulator || cf.role == FuncRole::Reduction) {
            ok = false;
          } else if (place_[c] == Place::Root) {
            ok = window && (cf.role == FuncRole::Window || cf.role == FuncRole::Pointwise);
            windows.push_back(c);
          } else {
            stack.push_back({c, window});
          }
          if (!ok) break;
        }
      }
      if (!ok || windows.empty()) continue;
      channels_last_[i] = true;
      for (size_t w : windows)
        window_by_channel_[w] = true;
      // Pools whose windows do not overlap between output rows (2x2/s2,
      // (2,1)/(2,1)): compute the conv rows each pool row needs inside that
      // row's loop, so the conv value never leaves L1/L2. CRNN conv stack, one
      // core: 0.874 -> 0.852 ms (min). With overlapping windows (3x3/s2) the
      // shared rows would be recomputed (ResNet stem 2.2 -> 3.2 ms) or need a
      // serial sliding window (2.22 -> 2.17 ms, within noise; not done).
      if (rows_independent && windows.size() == 1 && f.vars.size() == 4) {
        const FuncInfo& leaf = fs_[windows[0]];
        const std::string row = leaf.vars[leaf.vars.size() - 3];
        // The row loop must be the parallel loop or outside it, else the
        // conv (scheduled without threads_ inside it) would run serially.
        const StageSchedule ls = channel_loops(leaf, lanes_, threads_);
        std::vector<std::string> order;
        std::string par;
        for (const LoopDirective& d : ls.directives) {
          if (d.kind == LoopDirective::Kind::Reorder) order = d.vars;
          if (d.kind == LoopDirective::Kind::Parallel) par = d.vars[0];
        }
        const auto pos = [&](const std::string& v) {
          return std::find(order.begin(), order.end(), v) - order.begin();
        };
        if (par.empty() || pos(par) >= pos(row)) rows_at_[i] = static_cast<int>(windows[0]);
      } else if (windows.size() == 1 && f.vars.size() == 4 &&
                 fs_[windows[0]].vars.size() == f.vars.size() &&
                 fs_[windows[0]].extents[1] >= 2 * std::max(threads_, 2)) {
        // Overlapping windows (the ResNet stem's 3x3/s2 MaxPool): the conv
        // rows slide along the pool's serial row loop, each computed once,
        // and the conv value shrinks to a few rows instead of a buffer larger
        // than L2 written and read back (stem inside ResNet-18, one core:
        // 2.53 -> 2.29 ms). Only with enough pooled rows to slide over and to
        // share between threads_: a global pool (one row) would run its conv
        // serially (the last ResNet group, 2 threads_: 1.17 -> 2.21 ms).
        slide_at_[i] = static_cast<int>(windows[0]);
        slide_leaf_[windows[0]] = true;
      }
    }
  }

  void mark_blocked_pads() {
    // A padded copy of a channel-blocked group input (what a conv reads):
    // computed by channel vectors (dense loads from the blocked buffer) and
    // stored channels innermost, so the conv's input-channel loop reads
    // consecutive floats too; row-major it would gather 16 floats 16 apart.
    for (size_t i = 0; i < n_; ++i)
      if (fs_[i].blocked_input)
        for (int c : fs_[i].consumers) {
          const size_t ci = static_cast<size_t>(c);
          pad_of_blocked_[ci] = fs_[ci].role == FuncRole::Boundary && place_[ci] == Place::Root &&
                                !fs_[ci].is_output && fs_[ci].vars.size() == 4 &&
                                fs_[ci].extents[2] >= lanes_;
        }
  }

  // The directives of root function i (and of the accumulator tiled in it).
  void emit_root(size_t i, GroupSchedule& s) {
    const FuncInfo& f = fs_[i];
    FuncSchedule fsch;
    fsch.func = f.name;
    fsch.compute.kind = LoopLevel::Kind::Root;
    // Is this the host of an accumulator?
    int acc = -1;
    for (size_t a = 0; a < n_; ++a)
      if (host_of_[a] == static_cast<int>(i)) acc = static_cast<int>(a);
    Tiling t;
    const int at_rows = rows_at_[i], slide = slide_at_[i];
    const bool tiled =
        acc >= 0 &&
        (f.block ? tile_blocked_host(f, fs_[static_cast<size_t>(acc)], lanes_, threads_, t)
                 : tile_accumulator(f, fs_[static_cast<size_t>(acc)], lanes_,
                                    at_rows >= 0 || slide >= 0 ? 1 : threads_, t,
                                    at_rows >= 0 ? fs_[static_cast<size_t>(at_rows)].block : 0));
    if (tiled) {
      if (channels_last_[i] && !t.acc_storage.empty()) fsch.storage_order = t.acc_storage;
      if (at_rows >= 0) {
        const FuncInfo& leaf = fs_[static_cast<size_t>(at_rows)];
        fsch.compute = {LoopLevel::Kind::At, leaf.name, leaf.vars[leaf.vars.size() - 3]};
      }
      if (slide >= 0) {
        const FuncInfo& leaf = fs_[static_cast<size_t>(slide)];
        std::string compute_var, store_var;
        sliding_loops(leaf, lanes_, threads_, &compute_var, &store_var);
        fsch.compute = {LoopLevel::Kind::At, leaf.name, compute_var};
        fsch.store = store_var.empty() ? LoopLevel{LoopLevel::Kind::Root, "", ""}
                                       : LoopLevel{LoopLevel::Kind::At, leaf.name, store_var};
      }
      fsch.stages.push_back(std::move(t.host));
      s.funcs.push_back(std::move(fsch));
      const FuncInfo& a = fs_[static_cast<size_t>(acc)];
      FuncSchedule asch;
      asch.func = a.name;
      asch.compute = {LoopLevel::Kind::At, f.name, t.at_var};
      asch.storage_order = t.acc_storage;
      t.acc_update.update = 0;
      asch.stages.push_back(std::move(t.acc_pure));
      asch.stages.push_back(std::move(t.acc_update));
      s.funcs.push_back(std::move(asch));
      return;
    }
    if (acc >= 0) {
      // No register tile fits: compute the accumulation at the root, vectorized.
      const FuncInfo& a = fs_[static_cast<size_t>(acc)];
      FuncSchedule asch;
      asch.func = a.name;
      asch.compute.kind = LoopLevel::Kind::Root;
      const bool by_channel = !a.vars.empty() && a.extents[0] < lanes_ && a.channel_var >= 0 &&
                              a.extents[static_cast<size_t>(a.channel_var)] >= lanes_;
      if (by_channel) {
        // A sum per channel over a plane (a global pool read from memory):
        // vectors of channels, the plane's loops inside, so a channel-blocked
        // input is read once in dense vectors. Summed inline per channel, it
        // read each 64-byte line once per channel (efficientnet_b0, one core:
        // 32 channels at 112x112 0.24 ms).
        emit_channel_reduction(a, asch);
        s.funcs.push_back(std::move(asch));
      }
      if (!by_channel) {
        asch.stages.push_back(generic_loops(a, lanes_, threads_));
        StageSchedule up;
        up.update = 0;
        if (!a.vars.empty() && a.extents[0] >= lanes_) {
          up.directives.push_back(
              guarded_split(a.vars[0], a.vars[0] + "o", a.vars[0] + "v", lanes_));
          up.directives.push_back(one(LoopDirective::Kind::Vectorize, a.vars[0] + "v"));
        }
        // Too narrow to vectorize: the update shares the pure stage's
        // parallel loop (Halide warns when only the pure stage is scheduled).
        if (up.directives.empty())
          for (const LoopDirective& d : asch.stages.front().directives)
            if (d.kind == LoopDirective::Kind::Parallel) up.directives.push_back(d);
        asch.stages.push_back(std::move(up));
        s.funcs.push_back(std::move(asch));
      }
    }
    if (pad_of_blocked_[i]) {
      fsch.storage_order = {f.vars[2], f.vars[0], f.vars[1], f.vars[3]};
      fsch.stages.push_back(channel_loops(f, lanes_, threads_));
      s.funcs.push_back(std::move(fsch));
      return;
    }
    std::string unused_compute, unused_store;
    fsch.stages.push_back(slide_leaf_[i]
                              ? sliding_loops(f, lanes_, threads_, &unused_compute, &unused_store)
                          : window_by_channel_[i] ? channel_loops(f, lanes_, threads_)
                                                  : generic_loops(f, lanes_, threads_));
    s.funcs.push_back(std::move(fsch));
  }

  const PipelineInfo& info_;
  const std::vector<FuncInfo>& fs_;
  const size_t n_;
  const int lanes_, threads_;
  std::vector<Place> place_;
  std::vector<int> host_of_;  // accumulator -> its tile host
  std::vector<bool> channels_last_, window_by_channel_;
  // channels_last host -> the root function its rows are computed in, or -1.
  std::vector<int> rows_at_;
  // channels_last host -> the root function whose rows slide over it, or -1.
  std::vector<int> slide_at_;
  std::vector<bool> slide_leaf_;
  std::vector<bool> pad_of_blocked_;
};

}  // namespace

GroupSchedule make_default_schedule(const PipelineInfo& info, int lanes, int threads,
                                    const std::string& target) {
  return DefaultScheduler(info, lanes, threads).run(target);
}

}  // namespace loom::halide_detail
