// Shape inference and reference evaluation of the windowed ops: Conv,
// MaxPool, AveragePool, GlobalAveragePool and GlobalMaxPool (ONNX semantics,
// any number of spatial dims). Window geometry comes from ir/geometry.h so
// that inference, this interpreter and the backends agree on it.
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "ir/geometry.h"
#include "ir/ops/op_context.h"

namespace loom {

namespace {

std::vector<int64_t> spatial_dims(const Shape& s) {
  return {s.begin() + 2, s.end()};
}

// One tap of a window that lands inside the input.
struct Tap {
  int64_t kernel_index;  // row-major index into the kernel's spatial dims
  int64_t input_offset;  // row-major offset into one input channel
  int64_t input_offset_col_major;
};

// Walks output (or any) positions in row-major order.
class IndexCounter {
 public:
  explicit IndexCounter(std::vector<int64_t> extents)
      : extents_(std::move(extents)), index_(extents_.size(), 0) {}
  const std::vector<int64_t>& index() const { return index_; }
  // Advances; false after the last position.
  bool next() {
    for (size_t d = extents_.size(); d-- > 0;) {
      if (++index_[d] < extents_[d]) return true;
      index_[d] = 0;
    }
    return false;
  }

 private:
  std::vector<int64_t> extents_;
  std::vector<int64_t> index_;
};

// Window taps of one output position, in row-major kernel order (so that the
// first maximum found is the one ONNX reports). Also returns, through
// `padded_count`, how many window positions fall inside the input or the
// declared pads (AveragePool's divisor with count_include_pad).
void window_taps(const WindowGeometry& g, const std::vector<int64_t>& out_pos,
                 std::vector<Tap>& taps, int64_t* padded_count) {
  const size_t rank = g.rank();
  taps.clear();
  int64_t count = 1;
  for (size_t d = 0; d < rank; ++d) {
    int64_t c = 0;
    for (int64_t j = 0; j < g.kernel[d]; ++j) {
      int64_t p = g.input_pos(d, out_pos[d], j);
      if (p >= -g.pads_begin[d] && p < g.input[d] + g.pads_end[d]) ++c;
    }
    count *= c;
  }
  if (padded_count) *padded_count = count;

  std::vector<int64_t> col_stride(rank, 1);
  for (size_t d = 1; d < rank; ++d)
    col_stride[d] = col_stride[d - 1] * g.input[d - 1];
  IndexCounter k(g.kernel);
  do {
    int64_t kernel_index = 0, row = 0, col = 0;
    bool inside = true;
    for (size_t d = 0; d < rank && inside; ++d) {
      int64_t p = g.input_pos(d, out_pos[d], k.index()[d]);
      inside = p >= 0 && p < g.input[d];
      kernel_index = kernel_index * g.kernel[d] + k.index()[d];
      row = row * g.input[d] + p;
      col += p * col_stride[d];
    }
    if (inside) taps.push_back({kernel_index, row, col});
  } while (k.next());
}

WindowGeometry pool_geometry(const OpContext& ctx) {
  ctx.expect_min_rank(0, 3);
  std::string error;
  auto g = resolve_pool_geometry(ctx.attrs<PoolAttrs>(), spatial_dims(ctx.in(0).shape), error);
  if (!g) ctx.fail_input(0, error);
  return *g;
}

Shape window_output_shape(int64_t n, int64_t c, const WindowGeometry& g) {
  Shape s{n, c};
  s.insert(s.end(), g.output.begin(), g.output.end());
  return s;
}

// ---- Conv -------------------------------------------------------------------

struct ConvShape {
  WindowGeometry geometry;
  int64_t n, c, m, group;
};

ConvShape conv_shape(const OpContext& ctx) {
  const ConvAttrs& a = ctx.attrs<ConvAttrs>();
  ctx.expect_float(0);
  ctx.expect_min_rank(0, 3);
  const Shape& x = ctx.in(0).shape;
  ctx.expect_same_dtype(1, 0);
  ctx.expect_rank(1, ctx.in(0).rank());
  const Shape& w = ctx.in(1).shape;
  if (a.group < 1)
    ctx.fail(fmt::format("attribute group = {}, expected a positive value", a.group));
  const int64_t c = x[1], m = w[0];
  if (c % a.group != 0)
    ctx.fail_input(0, fmt::format("input has {} channels (shape {}), expected a multiple of "
                                  "group = {}",
                                  c, shape_str(x), a.group));
  if (m % a.group != 0)
    ctx.fail_input(1, fmt::format("weight has {} output channels (shape {}), expected a multiple "
                                  "of group = {}",
                                  m, shape_str(w), a.group));
  if (w[1] != c / a.group)
    ctx.fail_input(1, fmt::format("weight has shape {} with {} input channels per group, expected "
                                  "{} (input channels {} / group {})",
                                  shape_str(w), w[1], c / a.group, c, a.group));
  const std::vector<int64_t> kernel = spatial_dims(w);
  for (size_t d = 0; d < kernel.size(); ++d)
    if (kernel[d] < 1)
      ctx.fail_input(1, fmt::format("weight has shape {} with kernel size {} in spatial dim {}, "
                                    "expected a positive size",
                                    shape_str(w), kernel[d], d));
  if (ctx.has_input(2)) {
    ctx.expect_same_dtype(2, 0);
    const Shape& b = ctx.in(2).shape;
    if (b != Shape{m})
      ctx.fail_input(2, fmt::format("bias has shape {}, expected [{}] (one value per output "
                                    "channel)",
                                    shape_str(b), m));
  }
  std::string error;
  auto g = resolve_conv_geometry(a, spatial_dims(x), kernel, error);
  if (!g) ctx.fail(error);
  return {*g, x[0], c, m, a.group};
}

template <class T>
Tensor conv_eval(const ConvShape& s, const Tensor& x, const Tensor& w, const Tensor* b,
                 const TensorType& out_type) {
  Tensor y(out_type);
  const WindowGeometry& g = s.geometry;
  const int64_t in_size = shape_numel(g.input);
  const int64_t out_size = shape_numel(g.output);
  const int64_t k_size = shape_numel(g.kernel);
  const int64_t cg = s.c / s.group, mg = s.m / s.group;
  const T* xd = x.data<T>();
  const T* wd = w.data<T>();
  const T* bd = b ? b->data<T>() : nullptr;
  T* yd = y.data<T>();
  if (out_size == 0 || s.n == 0 || s.m == 0) return y;
  std::vector<Tap> taps;
  IndexCounter pos(g.output);
  int64_t p = 0;
  do {
    window_taps(g, pos.index(), taps, nullptr);
    for (int64_t n = 0; n < s.n; ++n) {
      for (int64_t oc = 0; oc < s.m; ++oc) {
        const int64_t grp = oc / mg;
        double acc = bd ? static_cast<double>(bd[oc]) : 0.0;
        for (int64_t ic = 0; ic < cg; ++ic) {
          const T* xc = xd + (n * s.c + grp * cg + ic) * in_size;
          const T* wc = wd + (oc * cg + ic) * k_size;
          for (const Tap& t : taps)
            acc +=
                static_cast<double>(xc[t.input_offset]) * static_cast<double>(wc[t.kernel_index]);
        }
        yd[(n * s.m + oc) * out_size + p] = static_cast<T>(acc);
      }
    }
    ++p;
  } while (pos.next());
  return y;
}

// ---- pools ------------------------------------------------------------------

template <class T>
std::vector<Tensor> max_pool_eval(const WindowGeometry& g, const Tensor& x, int64_t storage_order,
                                  const std::vector<TensorType>& out_types) {
  std::vector<Tensor> out;
  out.emplace_back(out_types[0]);
  const bool want_indices = out_types.size() > 1;
  if (want_indices) out.emplace_back(out_types[1]);
  const int64_t nc = x.shape()[0] * x.shape()[1];
  const int64_t in_size = shape_numel(g.input), out_size = shape_numel(g.output);
  if (nc == 0) return out;
  const T* xd = x.data<T>();
  T* yd = out[0].data<T>();
  int64_t* id = want_indices ? out[1].data<int64_t>() : nullptr;
  std::vector<Tap> taps;
  IndexCounter pos(g.output);
  int64_t p = 0;
  do {
    // Geometry guarantees every pool window has at least one tap.
    window_taps(g, pos.index(), taps, nullptr);
    for (int64_t i = 0; i < nc; ++i) {
      const T* xc = xd + i * in_size;
      const Tap* best = &taps[0];
      for (const Tap& t : taps)
        if (xc[t.input_offset] > xc[best->input_offset]) best = &t;
      yd[i * out_size + p] = xc[best->input_offset];
      if (id)
        id[i * out_size + p] =
            i * in_size + (storage_order == 0 ? best->input_offset : best->input_offset_col_major);
    }
    ++p;
  } while (pos.next());
  return out;
}

template <class T>
Tensor average_pool_eval(const WindowGeometry& g, const Tensor& x, bool count_include_pad,
                         const TensorType& out_type) {
  Tensor y(out_type);
  const int64_t nc = x.shape()[0] * x.shape()[1];
  const int64_t in_size = shape_numel(g.input), out_size = shape_numel(g.output);
  if (nc == 0) return y;
  const T* xd = x.data<T>();
  T* yd = y.data<T>();
  std::vector<Tap> taps;
  IndexCounter pos(g.output);
  int64_t p = 0;
  do {
    int64_t padded_count = 0;
    window_taps(g, pos.index(), taps, &padded_count);
    const double divisor =
        static_cast<double>(count_include_pad ? padded_count : static_cast<int64_t>(taps.size()));
    for (int64_t i = 0; i < nc; ++i) {
      const T* xc = xd + i * in_size;
      double sum = 0.0;
      for (const Tap& t : taps)
        sum += static_cast<double>(xc[t.input_offset]);
      yd[i * out_size + p] = static_cast<T>(sum / divisor);
    }
    ++p;
  } while (pos.next());
  return y;
}

TensorType global_pool_type(const OpContext& ctx) {
  ctx.expect_float(0);
  ctx.expect_min_rank(0, 3);
  const Shape& x = ctx.in(0).shape;
  for (size_t d = 2; d < x.size(); ++d)
    if (x[d] == 0)
      ctx.fail_input(0, fmt::format("input has shape {} with empty spatial dim {}, expected every "
                                    "spatial dim to be at least 1",
                                    shape_str(x), d - 2));
  Shape out(x.size(), 1);
  out[0] = x[0];
  out[1] = x[1];
  return {ctx.in(0).dtype, out};
}

template <class T>
Tensor global_pool_eval(const Tensor& x, bool is_max, const TensorType& out_type) {
  Tensor y(out_type);
  const int64_t nc = x.shape()[0] * x.shape()[1];
  if (nc == 0) return y;
  const int64_t size = x.numel() / nc;
  const T* xd = x.data<T>();
  T* yd = y.data<T>();
  for (int64_t i = 0; i < nc; ++i) {
    const T* xc = xd + i * size;
    if (is_max) {
      T best = xc[0];
      for (int64_t k = 1; k < size; ++k)
        if (xc[k] > best) best = xc[k];
      yd[i] = best;
    } else {
      double sum = 0.0;
      for (int64_t k = 0; k < size; ++k)
        sum += static_cast<double>(xc[k]);
      yd[i] = static_cast<T>(sum / static_cast<double>(size));
    }
  }
  return y;
}

// Calls f.template operator()<T>() with T the C++ type of a float dtype.
template <class F>
auto dispatch_float(DType t, F&& f) {
  if (t == DType::f64) return f.template operator()<double>();
  return f.template operator()<float>();
}

}  // namespace

// ---- Conv -------------------------------------------------------------------

std::vector<TensorType> infer_Conv(const OpContext& ctx) {
  ConvShape s = conv_shape(ctx);
  return {TensorType{ctx.in(0).dtype, window_output_shape(s.n, s.m, s.geometry)}};
}

std::vector<Tensor> eval_Conv(const OpContext& ctx, const std::vector<const Tensor*>& inputs,
                              const std::vector<TensorType>& output_types) {
  ConvShape s = conv_shape(ctx);
  const Tensor* bias = inputs.size() > 2 ? inputs[2] : nullptr;
  return {dispatch_float(ctx.in(0).dtype, [&]<class T>() {
    return conv_eval<T>(s, *inputs[0], *inputs[1], bias, output_types[0]);
  })};
}

// ---- MaxPool ----------------------------------------------------------------

std::vector<TensorType> infer_MaxPool(const OpContext& ctx) {
  DType t = ctx.in(0).dtype;
  if (t == DType::f16 || t == DType::bf16)
    ctx.unsupported(
        fmt::format("input 0 has dtype {}; MaxPool is implemented for f32, f64, i8 "
                    "and u8",
                    dtype_name(t)));
  ctx.expect_dtype(0, {DType::f32, DType::f64, DType::i8, DType::u8});
  const PoolAttrs& a = ctx.attrs<PoolAttrs>();
  if (a.storage_order != 0 && a.storage_order != 1)
    ctx.fail(
        fmt::format("attribute storage_order = {}, expected 0 (row-major) or 1 "
                    "(column-major)",
                    a.storage_order));
  WindowGeometry g = pool_geometry(ctx);
  const Shape& x = ctx.in(0).shape;
  std::vector<TensorType> out{TensorType{t, window_output_shape(x[0], x[1], g)}};
  if (ctx.num_outputs() > 1) out.push_back(TensorType{DType::i64, out[0].shape});
  return out;
}

std::vector<Tensor> eval_MaxPool(const OpContext& ctx, const std::vector<const Tensor*>& inputs,
                                 const std::vector<TensorType>& output_types) {
  WindowGeometry g = pool_geometry(ctx);
  const int64_t order = ctx.attrs<PoolAttrs>().storage_order;
  switch (ctx.in(0).dtype) {
    case DType::f64:
      return max_pool_eval<double>(g, *inputs[0], order, output_types);
    case DType::i8:
      return max_pool_eval<int8_t>(g, *inputs[0], order, output_types);
    case DType::u8:
      return max_pool_eval<uint8_t>(g, *inputs[0], order, output_types);
    default:
      return max_pool_eval<float>(g, *inputs[0], order, output_types);
  }
}

// ---- AveragePool --------------------------------------------------------------

std::vector<TensorType> infer_AveragePool(const OpContext& ctx) {
  ctx.expect_float(0);
  WindowGeometry g = pool_geometry(ctx);
  const Shape& x = ctx.in(0).shape;
  return {TensorType{ctx.in(0).dtype, window_output_shape(x[0], x[1], g)}};
}

std::vector<Tensor> eval_AveragePool(const OpContext& ctx, const std::vector<const Tensor*>& inputs,
                                     const std::vector<TensorType>& output_types) {
  WindowGeometry g = pool_geometry(ctx);
  const bool include_pad = ctx.attrs<PoolAttrs>().count_include_pad;
  return {dispatch_float(ctx.in(0).dtype, [&]<class T>() {
    return average_pool_eval<T>(g, *inputs[0], include_pad, output_types[0]);
  })};
}

// ---- global pools ---------------------------------------------------------------

std::vector<TensorType> infer_GlobalAveragePool(const OpContext& ctx) {
  return {global_pool_type(ctx)};
}

std::vector<Tensor> eval_GlobalAveragePool(const OpContext& ctx,
                                           const std::vector<const Tensor*>& inputs,
                                           const std::vector<TensorType>& output_types) {
  return {dispatch_float(ctx.in(0).dtype, [&]<class T>() {
    return global_pool_eval<T>(*inputs[0], false, output_types[0]);
  })};
}

std::vector<TensorType> infer_GlobalMaxPool(const OpContext& ctx) {
  return {global_pool_type(ctx)};
}

std::vector<Tensor> eval_GlobalMaxPool(const OpContext& ctx,
                                       const std::vector<const Tensor*>& inputs,
                                       const std::vector<TensorType>& output_types) {
  return {dispatch_float(ctx.in(0).dtype, [&]<class T>() {
    return global_pool_eval<T>(*inputs[0], true, output_types[0]);
  })};
}

// ---- GlobalLpPool ----------------------------------------------------------------

std::vector<TensorType> infer_GlobalLpPool(const OpContext& ctx) {
  if (ctx.attrs<LpAttrs>().p < 1)
    ctx.fail(fmt::format("attribute p = {}, expected >= 1", ctx.attrs<LpAttrs>().p));
  return {global_pool_type(ctx)};
}

std::vector<Tensor> eval_GlobalLpPool(const OpContext& ctx,
                                      const std::vector<const Tensor*>& inputs,
                                      const std::vector<TensorType>& output_types) {
  const double p = static_cast<double>(ctx.attrs<LpAttrs>().p);
  const Tensor x = inputs[0]->cast(DType::f64);
  const int64_t nc = x.shape()[0] * x.shape()[1];
  const int64_t size = nc ? x.numel() / nc : 0;
  std::vector<double> y(static_cast<size_t>(nc));
  for (int64_t i = 0; i < nc; ++i) {
    double sum = 0;
    for (int64_t k = 0; k < size; ++k)
      sum += std::pow(std::fabs(x.data<double>()[i * size + k]), p);
    y[static_cast<size_t>(i)] = std::pow(sum, 1.0 / p);
  }
  return {Tensor::from_vector<double>(output_types[0].shape, y).cast(output_types[0].dtype)};
}

}  // namespace loom
