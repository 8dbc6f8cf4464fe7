// Import of convolution and pooling: Conv's and MaxPool's / AveragePool's
// attributes (kernel, strides, pads, dilations, auto_pad, ceil_mode, storage
// order, count_include_pad), MaxPool's Indices output before opset 8,
// ConvTranspose (output_padding, output_shape with or without N and C) and
// GlobalLpPool's p.
#include "compiler/frontend/onnx/import_context.h"

#include <fmt/format.h>

namespace loom::onnx_frontend {

bool convert_conv_pool(ImportContext& ctx, OpKind op, Converted& c) {
  AttrReader& a = ctx.attrs;
  const ErrorSite& site = ctx.site;
  switch (op) {
    case OpKind::Conv: {
      ConvAttrs at;
      at.kernel_shape = a.get_ints("kernel_shape").value_or(std::vector<int64_t>{});
      at.strides = a.get_ints("strides").value_or(std::vector<int64_t>{});
      at.pads = a.get_ints("pads").value_or(std::vector<int64_t>{});
      at.dilations = a.get_ints("dilations").value_or(std::vector<int64_t>{});
      at.group = a.get_int("group").value_or(1);
      at.auto_pad = read_auto_pad(a);
      c.attrs = at;
      break;
    }
    case OpKind::MaxPool:
    case OpKind::AveragePool: {
      PoolAttrs at;
      auto ks = a.get_ints("kernel_shape");
      if (!ks) throw ParseError("attribute 'kernel_shape' is required", site);
      at.kernel_shape = *ks;
      at.strides = a.get_ints("strides").value_or(std::vector<int64_t>{});
      at.pads = a.get_ints("pads").value_or(std::vector<int64_t>{});
      at.auto_pad = read_auto_pad(a);
      at.ceil_mode = a.get_bool("ceil_mode", false);
      if (op == OpKind::MaxPool && ctx.opset < 8 && ctx.present_outputs() > 1)
        throw ParseError(
            fmt::format("MaxPool has no Indices output before opset 8 (opset {})", ctx.opset),
            site);
      if (op == OpKind::MaxPool) {
        at.dilations = a.get_ints("dilations").value_or(std::vector<int64_t>{});
        at.storage_order = a.get_int("storage_order").value_or(0);
        if (at.storage_order != 0 && at.storage_order != 1)
          throw ParseError(
              fmt::format("attribute 'storage_order' is {}, expected 0 or 1", at.storage_order),
              site);
      } else {
        at.count_include_pad = a.get_bool("count_include_pad", false);
      }
      c.attrs = at;
      break;
    }
    case OpKind::ConvTranspose: {
      ConvTransposeAttrs at;
      at.kernel_shape = a.get_ints("kernel_shape").value_or(std::vector<int64_t>{});
      at.strides = a.get_ints("strides").value_or(std::vector<int64_t>{});
      at.pads = a.get_ints("pads").value_or(std::vector<int64_t>{});
      at.dilations = a.get_ints("dilations").value_or(std::vector<int64_t>{});
      at.output_padding = a.get_ints("output_padding").value_or(std::vector<int64_t>{});
      at.output_shape = a.get_ints("output_shape").value_or(std::vector<int64_t>{});
      at.group = a.get_int("group").value_or(1);
      at.auto_pad = read_auto_pad(a);
      // Some exporters give output_shape with the batch and channel dims.
      if (at.output_shape.size() == ctx.input_type(0).shape.size())
        at.output_shape.erase(at.output_shape.begin(), at.output_shape.begin() + 2);
      c.attrs = at;
      break;
    }
    case OpKind::GlobalLpPool:
      c.attrs = LpAttrs{a.get_int("p").value_or(2)};
      break;
    default:
      return false;
  }
  return true;
}

}  // namespace loom::onnx_frontend
