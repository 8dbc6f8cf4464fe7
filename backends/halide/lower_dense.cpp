// Lowering of matrix products: Gemm (alpha, beta, transposes, a broadcast C
// in the epilogue) and MatMul (1-D operands and broadcast batch dims). Both
// build a Dense accumulator over k; a constant 2-D right operand is repacked
// with its columns innermost. MatMul computes every dtype it takes; Gemm f32.
#include "backends/halide/lowering.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

namespace loom::halide_detail {

// Operand accessor of a matrix product: B(k, j) reads a constant through a
// buffer packed in blocks of 32 columns, [j % 32, k, j / 32] (the last block
// zero-padded): a register tile of output columns then reads one
// contiguous stream over the whole reduction, as conv weights are packed.
// Packed [j, k] instead, each k step of a 1x1280 -> 1000 classifier jumped
// 4000 bytes to read 128 (efficientnet_b0's classifier, one core: 0.47 ms,
// 11 GB/s).
std::function<H::Expr(H::Expr, H::Expr)> Lowering::matrix_rhs(const Node& n, ValueId id, bool trans,
                                                              std::vector<int>& producers) {
  const Shape& s = shape_of(id);
  if (g_.is_constant(id) && s.size() == 2) {
    const Tensor& t = *g_.value(id).constant;
    const int64_t k = trans ? s[1] : s[0], cols = trans ? s[0] : s[1];
    const int64_t jb = cols > 32 ? 32 : std::max<int64_t>(cols, 1);
    const int64_t blocks = (cols + jb - 1) / jb;
    H::Buffer<> b(halide_type(t.dtype()),
                  std::vector<int>{static_cast<int>(jb), static_cast<int>(k),
                                   static_cast<int>(std::max<int64_t>(blocks, 1))},
                  unique(base(n) + "_bpack"));
    const size_t elem = dtype_size(t.dtype());
    const std::byte* d = t.raw();
    auto* packed = reinterpret_cast<std::byte*>(b.data());
    std::memset(packed, 0, b.size_in_bytes());
    for (int64_t kk = 0; kk < k; ++kk)
      for (int64_t j = 0; j < cols; ++j)
        std::memcpy(packed + static_cast<size_t>(j % jb + jb * (kk + k * (j / jb))) * elem,
                    d + static_cast<size_t>(trans ? j * k + kk : kk * cols + j) * elem, elem);
    typed_buffers_.push_back(b);
    const int jbi = static_cast<int>(jb);
    const bool blocked = blocks > 1;
    return [b, jbi, blocked](H::Expr kk, H::Expr j) {
      return blocked ? H::Expr(b(j % jbi, kk, j / jbi)) : H::Expr(b(j, kk, 0));
    };
  }
  int f = value_func(id, &n);
  producers.push_back(f);
  return [this, f, trans](H::Expr kk, H::Expr j) {
    return trans ? at(f, {j, kk}) : at(f, {kk, j});
  };
}

void Lowering::finish_accumulator(const Node& n, H::Func acc, const std::string& acc_name,
                                  const Shape& ys, const std::vector<int>& producers,
                                  const std::string& rk, H::RVar rv, int channel_var, int pixel_var,
                                  const Body& epilogue) {
  int ai = add_func(acc, acc_name, FuncRole::Accumulator, ys, producers);
  FuncInfo& af = info_.funcs[static_cast<size_t>(ai)];
  af.acc = AccKind::Dense;
  af.rvars = {rk};
  af.channel_var = channel_var;
  af.pixel_var = pixel_var;
  rvars_[acc_name] = {{rk, rv}};
  std::vector<int> vp{ai};
  int v = def(base(n), FuncRole::AccValue, ys, vp,
              [&](const std::vector<H::Expr>& i) { return epilogue ? epilogue(i) : at(ai, i); });
  FuncInfo& vf = info_.funcs[static_cast<size_t>(v)];
  vf.value_of = ai;
  vf.acc = AccKind::Dense;
  vf.channel_var = channel_var;
  vf.pixel_var = pixel_var;
  set_out(n, v);
}

void Lowering::lower_gemm(const Node& n) {
  const GemmAttrs& a = n.attr<GemmAttrs>();
  const Shape& as = shape_of(n.inputs[0]);
  const Shape& ys = shape_of(n.outputs[0]);
  const int64_t k = a.trans_a ? as[0] : as[1];
  std::vector<int> producers;
  int af = value_func(n.inputs[0], &n);
  producers.push_back(af);
  auto rhs = matrix_rhs(n, n.inputs[1], a.trans_b, producers);
  H::RDom r(0, static_cast<int>(k), unique(base(n) + "_r"));
  const std::string acc_name = unique(base(n) + "_acc");
  H::Func acc(acc_name);
  std::vector<H::Var> hv = halide_vars(2);
  std::vector<H::Expr> idx = onnx_index(2);
  acc(hv) = 0.f;
  H::Expr lhs = a.trans_a ? at(af, {r.x, idx[0]}) : at(af, {idx[0], r.x});
  acc(hv) += lhs * rhs(r.x, idx[1]);
  int cf = -1;
  Shape cs;
  if (n.has_input(2)) {
    cf = value_func(n.inputs[2], &n);
    cs = shape_of(n.inputs[2]);
  }
  const float alpha = a.alpha, beta = a.beta;
  // The epilogue reads the accumulator registered just below (index = size).
  const int acc_index = static_cast<int>(funcs_.size());
  Body epi = [this, acc_index, cf, cs, alpha, beta](const std::vector<H::Expr>& i) {
    H::Expr v = at(acc_index, i);
    if (alpha != 1.f) v = alpha * v;
    if (cf >= 0) {
      std::vector<H::Expr> ci;
      for (size_t d = 0; d < cs.size(); ++d) {
        const size_t od = 2 - cs.size() + d;
        ci.push_back(cs[d] == 1 ? H::Expr(0) : i[od]);
      }
      H::Expr c = at(cf, ci);
      v = v + (beta == 1.f ? c : beta * c);
    }
    return v;
  };
  finish_accumulator(n, acc, acc_name, ys, producers, "rk", r.x, 0, 1, epi);
  if (cf >= 0) {
    auto& cs2 = info_.funcs[static_cast<size_t>(cf)].consumers;
    cs2.push_back(static_cast<int>(funcs_.size()) - 1);
  }
}

void Lowering::lower_matmul(const Node& n) {
  const Shape& as = shape_of(n.inputs[0]);
  const Shape& bs = shape_of(n.inputs[1]);
  const Shape& ys = shape_of(n.outputs[0]);
  const bool a1 = as.size() == 1, b1 = bs.size() == 1;
  const int64_t k = as.back();
  const size_t yr = ys.size();
  // Output layout: batch..., [m if A is not 1-D], [n if B is not 1-D].
  const size_t nb = yr - (a1 ? 0 : 1) - (b1 ? 0 : 1);
  std::vector<int> producers;
  int af = value_func(n.inputs[0], &n);
  producers.push_back(af);
  std::function<H::Expr(H::Expr, H::Expr)> rhs2;
  int bf = -1;
  if (!b1 && bs.size() == 2) {
    rhs2 = matrix_rhs(n, n.inputs[1], false, producers);
  } else {
    bf = value_func(n.inputs[1], &n);
    producers.push_back(bf);
  }
  H::RDom r(0, static_cast<int>(k), unique(base(n) + "_r"));
  const std::string acc_name = unique(base(n) + "_acc");
  H::Func acc(acc_name);
  std::vector<H::Var> hv = halide_vars(yr);
  std::vector<H::Expr> idx = onnx_index(yr);
  auto batch_index = [&](const Shape& s, size_t mat_dims) {
    // The operand's batch dims, right-aligned with the output's batch dims.
    std::vector<H::Expr> bi;
    const size_t ob = s.size() - mat_dims;
    for (size_t d = 0; d < ob; ++d) {
      const size_t od = nb - ob + d;
      bi.push_back(s[d] == 1 ? H::Expr(0) : idx[od]);
    }
    return bi;
  };
  H::Expr i_row = a1 ? H::Expr(0) : idx[nb];
  H::Expr j_col = b1 ? H::Expr(0) : idx[yr - 1];
  std::vector<H::Expr> ai = a1 ? std::vector<H::Expr>{} : batch_index(as, 2);
  if (!a1) ai.push_back(i_row);
  ai.push_back(r.x);
  H::Expr rhs;
  if (rhs2) {
    rhs = rhs2(r.x, j_col);
  } else {
    std::vector<H::Expr> bi = b1 ? std::vector<H::Expr>{} : batch_index(bs, 2);
    bi.push_back(r.x);
    if (!b1) bi.push_back(j_col);
    rhs = at(bf, bi);
  }
  // Any dtype ONNX's MatMul takes (f32, f64, i32, i64): the accumulator has
  // the operands' type.
  acc(hv) = H::cast(halide_type(g_.type_of(n.outputs[0]).dtype), 0);
  acc(hv) += at(af, ai) * rhs;
  const int channel = b1 ? -1 : 0;
  const int pixel = (a1 || yr < 2) ? -1 : 1;
  finish_accumulator(n, acc, acc_name, ys, producers, "rk", r.x, channel, pixel, nullptr);
}

}  // namespace loom::halide_detail
