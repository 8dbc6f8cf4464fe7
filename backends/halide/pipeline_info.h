// What the default scheduler needs to know about a group's Halide pipeline,
// without Halide types: its functions, their loops and extents, roles and
// consumers. Built by the lowering in halide_backend.cpp and read by
// default_schedule.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/schedule.h"

namespace loom::halide_detail {

enum class FuncRole : uint8_t {
  Input,        // wraps a run-time input or a constant: always inline
  Boundary,     // padding / clamping wrapper: always inline
  Pointwise,    // elementwise or view: inline unless it is an output
  Window,       // pooling (inline reductions): computed where stored
  Accumulator,  // conv / dense accumulation: pure init + one update over rvars
  AccValue,     // the value of an accumulator (copy): tile host when not fused
  Reduction,    // softmax max/sum and similar helpers: computed at the root
};

enum class AccKind : uint8_t { None, Conv, Dense };

struct FuncInfo {
  std::string name;
  FuncRole role = FuncRole::Pointwise;
  AccKind acc = AccKind::None;
  // Pure loops innermost first, with their extents (the ONNX shape reversed).
  std::vector<std::string> vars;
  std::vector<int64_t> extents;
  std::vector<std::string> rvars;  // Accumulator: reduction loops innermost first
  // Accumulator/AccValue: which var is the output channel / column dim and
  // which is the innermost spatial (or row) dim; -1 when absent.
  int channel_var = -1;
  int pixel_var = -1;
  bool is_output = false;
  std::vector<int> consumers;  // indices into PipelineInfo::funcs
  int value_of = -1;           // AccValue: its Accumulator
  // Window (MaxPool / AveragePool): consecutive output rows read
  // overlapping input rows. Global pools: always true.
  bool rows_overlap = true;
  // A channel-blocked group output (halide_backend.h input/output blocks):
  // its vars are (d1l, d3, d2, d1b, d0), channel = d1b * block + d1l, and
  // `extents` those of the 5-D buffer. 0: the ONNX vars.
  int block = 0;
  // Input: a group input stored channel-blocked (its vars stay the ONNX ones).
  bool blocked_input = false;
  // Accumulator of a depthwise conv (one input channel per output channel).
  bool depthwise = false;
};

struct PipelineInfo {
  std::string group;
  std::vector<FuncInfo> funcs;
};

GroupSchedule make_default_schedule(const PipelineInfo& info, int vector_lanes, int threads,
                                    const std::string& target);

}  // namespace loom::halide_detail
