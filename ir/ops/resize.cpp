// Shape inference and reference evaluation of Resize (Upsample is imported
// as Resize): nearest with every coordinate_transformation_mode and
// nearest_mode, linear (bilinear, trilinear, ...) and cubic, from scales or
// sizes. The separable tap tables of ir/geometry.h define the result; this
// evaluates them directly, in double.
#include <fmt/format.h>

#include "ir/geometry.h"
#include "ir/ops/op_context.h"

namespace loom {

std::vector<TensorType> infer_Resize(const OpContext& ctx) {
  ctx.expect_float(0);
  std::string err;
  auto out = resize_output_shape(ctx.attrs<ResizeAttrs>(), ctx.in(0).shape, err);
  if (!out) ctx.fail(err);
  for (size_t d = 0; d < out->size(); ++d)
    if ((*out)[d] > 0 && ctx.in(0).shape[d] == 0)
      ctx.fail(fmt::format("axis {} is empty in the input but not in the output", d));
  return {TensorType{ctx.in(0).dtype, *out}};
}

std::vector<Tensor> eval_Resize(const OpContext& ctx, const std::vector<const Tensor*>& inputs,
                                const std::vector<TensorType>& output_types) {
  const ResizeAttrs& a = ctx.attrs<ResizeAttrs>();
  const Tensor x = inputs[0]->cast(DType::f64);
  const Shape& in = x.shape();
  const Shape& out = output_types[0].shape;
  const std::vector<ResizeAxis> axes = resize_axes(a, in, out);
  const size_t rank = in.size();
  const std::vector<int64_t> istr = shape_strides(in);
  const double* px = x.data<double>();
  std::vector<double> y(static_cast<size_t>(shape_numel(out)));
  std::vector<int64_t> o(rank, 0), t(rank, 0);
  for (size_t i = 0; i < y.size(); ++i) {
    bool outside = false;
    for (size_t d = 0; d < rank; ++d)
      outside = outside || axes[d].outside[static_cast<size_t>(o[d])];
    double sum = 0;
    if (outside) {
      sum = a.extrapolation_value;
    } else {
      // Every combination of one tap per dim.
      std::fill(t.begin(), t.end(), 0);
      while (true) {
        double w = 1;
        int64_t off = 0;
        for (size_t d = 0; d < rank; ++d) {
          const size_t k = static_cast<size_t>(o[d] * axes[d].taps + t[d]);
          w *= axes[d].weight[k];
          off += axes[d].index[k] * istr[d];
        }
        sum += w * px[off];
        size_t d = rank;
        while (d-- > 0) {
          if (++t[d] < axes[d].taps) break;
          t[d] = 0;
        }
        if (d == static_cast<size_t>(-1)) break;
      }
    }
    y[i] = sum;
    for (size_t d = rank; d-- > 0;) {
      if (++o[d] < out[d]) break;
      o[d] = 0;
    }
  }
  return {Tensor::from_vector<double>(out, y).cast(output_types[0].dtype)};
}

}  // namespace loom
