// Shape inference and reference evaluation of ConvTranspose (1D, 2D and
// N-D; strides, pads, auto_pad, output_padding, output_shape, dilations,
// groups), the decoder half of U-Nets and upsampling stacks. The geometry
// comes from ir/geometry.h so that backends agree with it. Each input
// element scatters kernel-weighted copies into the output, accumulated in
// double.
#include <fmt/format.h>

#include "ir/geometry.h"
#include "ir/ops/op_context.h"

namespace loom {

namespace {

struct TransposeShape {
  WindowGeometry geometry;
  int64_t n, c, m_per_group, group;
};

TransposeShape transpose_shape(const OpContext& ctx) {
  const auto& a = ctx.attrs<ConvTransposeAttrs>();
  ctx.expect_float(0);
  ctx.expect_min_rank(0, 3);
  ctx.expect_same_dtype(1, 0);
  ctx.expect_rank(1, ctx.in(0).rank());
  const Shape& x = ctx.in(0).shape;
  const Shape& w = ctx.in(1).shape;
  if (a.group < 1) ctx.fail(fmt::format("attribute group = {}, expected >= 1", a.group));
  if (w[0] != x[1])
    ctx.fail_input(1, fmt::format("weight has {} input channels (shape {}), the input has {}", w[0],
                                  shape_str(w), x[1]));
  if (x[1] % a.group != 0)
    ctx.fail_input(0, fmt::format("{} input channels do not divide into {} groups", x[1], a.group));
  std::string err;
  auto g =
      resolve_conv_transpose_geometry(a, {x.begin() + 2, x.end()}, {w.begin() + 2, w.end()}, err);
  if (!g) ctx.fail(err);
  if (ctx.has_input(2)) {
    ctx.expect_same_dtype(2, 0);
    if (ctx.in(2).shape != Shape{w[1] * a.group})
      ctx.fail_input(2, fmt::format("bias shape {}, expected [{}]", shape_str(ctx.in(2).shape),
                                    w[1] * a.group));
  }
  return {*g, x[0], x[1], w[1], a.group};
}

}  // namespace

std::vector<TensorType> infer_ConvTranspose(const OpContext& ctx) {
  const TransposeShape s = transpose_shape(ctx);
  Shape out{s.n, s.m_per_group * s.group};
  out.insert(out.end(), s.geometry.output.begin(), s.geometry.output.end());
  return {TensorType{ctx.in(0).dtype, out}};
}

std::vector<Tensor> eval_ConvTranspose(const OpContext& ctx,
                                       const std::vector<const Tensor*>& inputs,
                                       const std::vector<TensorType>& output_types) {
  const TransposeShape s = transpose_shape(ctx);
  const WindowGeometry& g = s.geometry;
  const Tensor x = inputs[0]->cast(DType::f64);
  const Tensor w = inputs[1]->cast(DType::f64);
  const Shape& oshape = output_types[0].shape;
  const size_t rank = g.rank();
  const int64_t in_size = shape_numel(g.input), out_size = shape_numel(g.output);
  const int64_t k_size = shape_numel(g.kernel);
  const int64_t cg = s.c / s.group, mg = s.m_per_group, m = mg * s.group;
  std::vector<double> y(static_cast<size_t>(shape_numel(oshape)), 0.0);
  if (inputs.size() > 2 && inputs[2]) {
    const Tensor b = inputs[2]->cast(DType::f64);
    for (int64_t n = 0; n < s.n; ++n)
      for (int64_t o = 0; o < m; ++o)
        for (int64_t p = 0; p < out_size; ++p)
          y[static_cast<size_t>((n * m + o) * out_size + p)] = b.data<double>()[o];
  }
  const double* px = x.data<double>();
  const double* pw = w.data<double>();
  const std::vector<int64_t> ostr = shape_strides(g.output);
  std::vector<int64_t> ipos(rank, 0), kpos(rank, 0);
  for (int64_t i = 0; i < in_size; ++i) {
    // Row-major spatial position of input element i.
    int64_t rem = i;
    for (size_t d = rank; d-- > 0;) {
      ipos[d] = rem % g.input[d];
      rem /= g.input[d];
    }
    for (int64_t k = 0; k < k_size; ++k) {
      int64_t krem = k, out_off = 0;
      bool inside = true;
      for (size_t d = rank; d-- > 0;) {
        kpos[d] = krem % g.kernel[d];
        krem /= g.kernel[d];
        const int64_t o = ipos[d] * g.strides[d] - g.pads_begin[d] + kpos[d] * g.dilations[d];
        if (o < 0 || o >= g.output[d]) inside = false;
        out_off += o * ostr[d];
      }
      if (!inside) continue;
      for (int64_t n = 0; n < s.n; ++n)
        for (int64_t gr = 0; gr < s.group; ++gr)
          for (int64_t c = 0; c < cg; ++c) {
            const int64_t ic = gr * cg + c;
            const double xv = px[(n * s.c + ic) * in_size + i];
            for (int64_t mo = 0; mo < mg; ++mo)
              y[static_cast<size_t>((n * m + gr * mg + mo) * out_size + out_off)] +=
                  xv * pw[(ic * mg + mo) * k_size + k];
          }
    }
  }
  return {Tensor::from_vector<double>(oshape, y).cast(output_types[0].dtype)};
}

}  // namespace loom
