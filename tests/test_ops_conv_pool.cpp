// Conv, MaxPool, AveragePool and the global pools through GraphBuilder and
// the reference Interpreter: hand-computed values on small tensors (or an
// independent naive loop written here), every geometry attribute, and the
// shape errors for bad models.
#include <catch2/catch.hpp>

#include <functional>
#include <string>
#include <vector>

#include "ir/builder.h"
#include "ir/geometry.h"
#include "ir/interpreter.h"
#include "tests/test_util.h"

using namespace loom;
using namespace loom::test;

namespace {

void check_ints(const Tensor& t, const Shape& shape, const std::vector<int64_t>& want) {
  REQUIRE(t.dtype() == DType::i64);
  REQUIRE(t.shape() == shape);
  CHECK(t.to_vector<int64_t>() == want);
}

Tensor run_conv(const Tensor& x, const Tensor& w, const Tensor* bias, ConvAttrs attrs) {
  GraphBuilder b("conv_test");
  Val xv = b.input("x", x.dtype(), x.shape());
  Val bv = bias ? b.constant("b", *bias) : Val{};
  Val y = b.conv(xv, b.constant("w", w), bv, std::move(attrs));
  b.output(y, "y");
  return Interpreter(b.build()).run({x})[0];
}

// Runs a pool op with `outputs` outputs; returns them.
std::vector<Tensor> run_pool(OpKind kind, const Tensor& x, PoolAttrs attrs, int outputs = 1) {
  GraphBuilder b("pool_test");
  Val xv = b.input("x", x.dtype(), x.shape());
  std::vector<Val> ys = b.op(kind, {xv}, std::move(attrs), outputs, "pool");
  for (size_t i = 0; i < ys.size(); ++i)
    b.output(ys[i], "y" + std::to_string(i));
  return Interpreter(b.build()).run({x});
}


// Independent naive 2-D convolution: materializes the zero-padded input, then
// applies the textbook formula.
std::vector<double> naive_conv2d(const std::vector<float>& x, int64_t n, int64_t c, int64_t h,
                                 int64_t w, const std::vector<float>& wt, int64_t m, int64_t kh,
                                 int64_t kw, const std::vector<float>& bias, int64_t group,
                                 int64_t sh, int64_t sw, int64_t dh, int64_t dw, int64_t pt,
                                 int64_t pl, int64_t pb, int64_t pr, int64_t& oh, int64_t& ow) {
  const int64_t hp = h + pt + pb, wp = w + pl + pr;
  std::vector<double> padded(static_cast<size_t>(n * c * hp * wp), 0.0);
  for (int64_t i = 0; i < n * c; ++i)
    for (int64_t y = 0; y < h; ++y)
      for (int64_t xx = 0; xx < w; ++xx)
        padded[static_cast<size_t>((i * hp + y + pt) * wp + xx + pl)] =
            x[static_cast<size_t>((i * h + y) * w + xx)];
  oh = (hp - ((kh - 1) * dh + 1)) / sh + 1;
  ow = (wp - ((kw - 1) * dw + 1)) / sw + 1;
  const int64_t cg = c / group, mg = m / group;
  std::vector<double> out;
  for (int64_t b = 0; b < n; ++b)
    for (int64_t o = 0; o < m; ++o)
      for (int64_t y = 0; y < oh; ++y)
        for (int64_t xx = 0; xx < ow; ++xx) {
          double s = bias[static_cast<size_t>(o)];
          const int64_t g = o / mg;
          for (int64_t ci = 0; ci < cg; ++ci)
            for (int64_t ky = 0; ky < kh; ++ky)
              for (int64_t kx = 0; kx < kw; ++kx) {
                const int64_t ch = g * cg + ci;
                s += padded[static_cast<size_t>(((b * c + ch) * hp + y * sh + ky * dh) * wp +
                                                xx * sw + kx * dw)] *
                     wt[static_cast<size_t>(((o * cg + ci) * kh + ky) * kw + kx)];
              }
          out.push_back(s);
        }
  return out;
}

}  // namespace

// ---- Conv -------------------------------------------------------------------

TEST_CASE("conv 1D without and with bias", "[ops][conv]") {
  Tensor x = f32({1, 1, 5}, {1, 2, 3, 4, 5});
  Tensor w = f32({1, 1, 3}, {1, 0, -1});
  check_values(run_conv(x, w, nullptr, {}), {1, 1, 3}, {-2, -2, -2});
  Tensor bias = f32({1}, {10});
  check_values(run_conv(x, w, &bias, {}), {1, 1, 3}, {8, 8, 8});
}

TEST_CASE("conv 1D strides with asymmetric pads", "[ops][conv]") {
  // Padded input [0,0,1,2,3,4,5,0]; windows of 3 start at 0, 2, 4.
  Tensor x = f32({1, 1, 5}, {1, 2, 3, 4, 5});
  Tensor w = f32({1, 1, 3}, {1, 1, 1});
  check_values(run_conv(x, w, nullptr, {.strides = {2}, .pads = {2, 1}}), {1, 1, 3}, {1, 6, 12});
}

TEST_CASE("conv 1D dilations", "[ops][conv]") {
  // y[i] = x[i] + 10 * x[i + 2]
  Tensor x = f32({1, 1, 6}, {1, 2, 3, 4, 5, 6});
  Tensor w = f32({1, 1, 2}, {1, 10});
  check_values(run_conv(x, w, nullptr, {.dilations = {2}}), {1, 1, 4}, {31, 42, 53, 64});
}

TEST_CASE("conv 2D with two output channels and bias", "[ops][conv]") {
  Tensor x = f32({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  Tensor w = f32({2, 1, 2, 2}, {1, 2, 3, 4, 0, 0, 0, 1});
  check_values(run_conv(x, w, nullptr, {}), {1, 2, 2, 2}, {37, 47, 67, 77, 5, 6, 8, 9});
  Tensor bias = f32({2}, {1, -1});
  check_values(run_conv(x, w, &bias, {.kernel_shape = {2, 2}}), {1, 2, 2, 2},
               {38, 48, 68, 78, 4, 5, 7, 8});
}

TEST_CASE("conv 2D pads keep the spatial size", "[ops][conv]") {
  // 3x3 ones kernel, pads 1: each output is the sum of the 3x3 neighbourhood.
  Tensor x = f32({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  Tensor w = f32({1, 1, 3, 3}, std::vector<float>(9, 1.f));
  check_values(run_conv(x, w, nullptr, {.pads = {1, 1, 1, 1}}), {1, 1, 3, 3},
               {12, 21, 16, 27, 45, 33, 24, 39, 28});
}

TEST_CASE("conv auto_pad SAME_UPPER, SAME_LOWER, VALID, NOTSET", "[ops][conv]") {
  Tensor x5 = f32({1, 1, 5}, {1, 2, 3, 4, 5});
  SECTION("odd total padding, stride 1") {
    Tensor w = f32({1, 1, 2}, {1, 10});
    // SAME_UPPER pads the end: windows [1,2] .. [5,0].
    check_values(run_conv(x5, w, nullptr, {.auto_pad = AutoPad::SameUpper}), {1, 1, 5},
                 {21, 32, 43, 54, 5});
    // SAME_LOWER pads the beginning: windows [0,1] .. [4,5].
    check_values(run_conv(x5, w, nullptr, {.auto_pad = AutoPad::SameLower}), {1, 1, 5},
                 {10, 21, 32, 43, 54});
  }
  SECTION("stride 2") {
    Tensor w = f32({1, 1, 3}, {1, 2, 3});
    // out = ceil(5/2) = 3, total pad 2 -> 1 + 1: padded [0,1,2,3,4,5,0].
    check_values(run_conv(x5, w, nullptr, {.strides = {2}, .auto_pad = AutoPad::SameUpper}),
                 {1, 1, 3}, {8, 20, 14});
    Tensor x6 = f32({1, 1, 6}, {1, 2, 3, 4, 5, 6});
    // out = 3, total pad 1: at the end (UPPER) or at the beginning (LOWER).
    check_values(run_conv(x6, w, nullptr, {.strides = {2}, .auto_pad = AutoPad::SameUpper}),
                 {1, 1, 3}, {14, 26, 17});
    check_values(run_conv(x6, w, nullptr, {.strides = {2}, .auto_pad = AutoPad::SameLower}),
                 {1, 1, 3}, {8, 20, 32});
    check_values(run_conv(x5, w, nullptr, {.strides = {2}, .auto_pad = AutoPad::Valid}), {1, 1, 2},
                 {14, 26});
    check_values(run_conv(x5, w, nullptr, {.strides = {2}, .auto_pad = AutoPad::NotSet}), {1, 1, 2},
                 {14, 26});
  }
}

TEST_CASE("conv groups", "[ops][conv]") {
  // Channels [1,2] [3,4] [5,6] [7,8]; 1x1 kernel, two groups of two channels.
  Tensor x = f32({1, 4, 1, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
  Tensor w = f32({2, 2, 1, 1}, {1, 2, 3, 4});
  check_values(run_conv(x, w, nullptr, {.group = 2}), {1, 2, 1, 2}, {7, 10, 43, 50});
}

TEST_CASE("conv depthwise, with bias and with a channel multiplier", "[ops][conv]") {
  Tensor x = f32({1, 2, 1, 3}, {1, 2, 3, 4, 5, 6});
  Tensor w = f32({2, 1, 1, 2}, {1, 1, 1, -1});
  Tensor bias = f32({2}, {0.5f, 1});
  check_values(run_conv(x, w, &bias, {.group = 2}), {1, 2, 1, 2}, {3.5, 5.5, 0, 0});

  Tensor x2 = f32({1, 2, 1, 2}, {1, 2, 3, 4});
  Tensor w2 = f32({4, 1, 1, 1}, {1, 2, 3, 4});
  check_values(run_conv(x2, w2, nullptr, {.group = 2}), {1, 4, 1, 2}, {1, 2, 2, 4, 9, 12, 12, 16});
}

TEST_CASE("conv 2D batch, groups, strides, dilations, asymmetric pads vs naive loop",
          "[ops][conv]") {
  const int64_t n = 2, c = 4, h = 5, wd = 6, m = 6, group = 2, kh = 3, kw = 2;
  std::vector<float> xv, wv, bv;
  for (int64_t i = 0; i < n * c * h * wd; ++i)
    xv.push_back(static_cast<float>((i * 7) % 11) - 5);
  for (int64_t i = 0; i < m * (c / group) * kh * kw; ++i)
    wv.push_back(static_cast<float>((i * 5) % 9) * 0.25f - 1);
  for (int64_t i = 0; i < m; ++i)
    bv.push_back(static_cast<float>(i) - 2.5f);
  int64_t oh = 0, ow = 0;
  std::vector<double> want =
      naive_conv2d(xv, n, c, h, wd, wv, m, kh, kw, bv, group, /*sh=*/2, /*sw=*/1, /*dh=*/1,
                   /*dw=*/2, /*pt=*/1, /*pl=*/0, /*pb=*/0, /*pr=*/2, oh, ow);
  REQUIRE(oh == 2);
  REQUIRE(ow == 6);
  Tensor bias = f32({m}, bv);
  Tensor y = run_conv(f32({n, c, h, wd}, xv), f32({m, c / group, kh, kw}, wv), &bias,
                      {.strides = {2, 1}, .pads = {1, 0, 0, 2}, .dilations = {1, 2}, .group = 2});
  check_values(y, {n, m, oh, ow}, want, 1e-4);
}

TEST_CASE("conv 3D and f64", "[ops][conv]") {
  std::vector<float> ones(8, 1.f), seq{1, 2, 3, 4, 5, 6, 7, 8};
  check_values(run_conv(f32({1, 1, 2, 2, 2}, seq), f32({1, 1, 2, 2, 2}, ones), nullptr, {}),
               {1, 1, 1, 1, 1}, {36});
  Tensor x = Tensor::from_vector<double>({1, 1, 4}, {1, 2, 3, 4});
  Tensor w = Tensor::from_vector<double>({1, 1, 2}, {0.5, -1});
  Tensor y = run_conv(x, w, nullptr, {});
  CHECK(y.dtype() == DType::f64);
  check_values(y, {1, 1, 3}, {-1.5, -2, -2.5});
}

// ---- MaxPool ----------------------------------------------------------------

TEST_CASE("maxpool 2D with Indices in both storage orders", "[ops][pool]") {
  // Channel 1 is channel 0 + 100: same argmax positions, indices offset by 16.
  std::vector<float> ch0{1, 5, 2, 0, 3, 4, 8, 1, 9, 0, 6, 7, 2, 3, 1, 4};
  std::vector<float> xv = ch0;
  for (float v : ch0)
    xv.push_back(v + 100);
  Tensor x = f32({1, 2, 4, 4}, xv);
  PoolAttrs a{.kernel_shape = {2, 2}, .strides = {2, 2}};
  auto out = run_pool(OpKind::MaxPool, x, a, 2);
  check_values(out[0], {1, 2, 2, 2}, {5, 8, 9, 7, 105, 108, 109, 107});
  check_ints(out[1], {1, 2, 2, 2}, {1, 6, 8, 11, 17, 22, 24, 27});
  // Column-major: spatial index h + w * H (H = 4), channel offset unchanged.
  a.storage_order = 1;
  out = run_pool(OpKind::MaxPool, x, a, 2);
  check_values(out[0], {1, 2, 2, 2}, {5, 8, 9, 7, 105, 108, 109, 107});
  check_ints(out[1], {1, 2, 2, 2}, {4, 9, 2, 14, 20, 25, 18, 30});
  // Without the Indices output.
  out = run_pool(OpKind::MaxPool, x, a, 1);
  REQUIRE(out.size() == 1);
  check_values(out[0], {1, 2, 2, 2}, {5, 8, 9, 7, 105, 108, 109, 107});
}

TEST_CASE("maxpool 3D Indices, column-major", "[ops][pool]") {
  // The max sits at (d,h,w) = (1,0,0): row-major 4, column-major d + h*D + w*D*H = 1.
  Tensor x = f32({1, 1, 2, 2, 2}, {0, 1, 2, 3, 9, 5, 6, 7});
  auto row = run_pool(OpKind::MaxPool, x, {.kernel_shape = {2, 2, 2}}, 2);
  check_values(row[0], {1, 1, 1, 1, 1}, {9});
  check_ints(row[1], {1, 1, 1, 1, 1}, {4});
  auto col = run_pool(OpKind::MaxPool, x, {.kernel_shape = {2, 2, 2}, .storage_order = 1}, 2);
  check_ints(col[1], {1, 1, 1, 1, 1}, {1});
}

TEST_CASE("maxpool ceil_mode", "[ops][pool]") {
  Tensor x = f32({1, 1, 5}, {3, 1, 4, 1, 5});
  check_values(run_pool(OpKind::MaxPool, x, {.kernel_shape = {2}, .strides = {2}})[0], {1, 1, 2},
               {3, 4});
  check_values(
      run_pool(OpKind::MaxPool, x, {.kernel_shape = {2}, .strides = {2}, .ceil_mode = true})[0],
      {1, 1, 3}, {3, 4, 5});
  // in 4, pads [0,1], kernel 2, stride 2: ceil gives 3 windows, but the third would
  // start at 4, inside the end padding, so it is dropped.
  Tensor x4 = f32({1, 1, 4}, {1, 2, 3, 4});
  check_values(
      run_pool(OpKind::MaxPool, x4,
               {.kernel_shape = {2}, .strides = {2}, .pads = {0, 1}, .ceil_mode = true})[0],
      {1, 1, 2}, {2, 4});
  // in 6, pads [1,1], kernel 3, stride 2: the 4th window starts at 5 (inside) and is kept.
  Tensor x6 = f32({1, 1, 6}, {1, 2, 3, 4, 5, 6});
  check_values(
      run_pool(OpKind::MaxPool, x6,
               {.kernel_shape = {3}, .strides = {2}, .pads = {1, 1}, .ceil_mode = true})[0],
      {1, 1, 4}, {2, 4, 6, 6});
}

TEST_CASE("maxpool dilations with first-maximum Indices", "[ops][pool]") {
  // Windows (x0,x2) (x1,x3) (x2,x4); the tie in the middle reports the first.
  Tensor x = f32({1, 1, 5}, {3, 1, 4, 1, 5});
  auto out = run_pool(OpKind::MaxPool, x, {.kernel_shape = {2}, .dilations = {2}}, 2);
  check_values(out[0], {1, 1, 3}, {4, 1, 5});
  check_ints(out[1], {1, 1, 3}, {2, 1, 4});
}

TEST_CASE("maxpool on u8 and i8", "[ops][pool]") {
  auto u = run_pool(OpKind::MaxPool, Tensor::from_vector<uint8_t>({1, 1, 4}, {7, 200, 3, 9}),
                    {.kernel_shape = {2}, .strides = {2}});
  REQUIRE(u[0].dtype() == DType::u8);
  CHECK(u[0].to_vector<uint8_t>() == std::vector<uint8_t>{200, 9});
  // Padding never wins, even against the smallest i8.
  auto i = run_pool(OpKind::MaxPool, Tensor::from_vector<int8_t>({1, 1, 2}, {-128, -100}),
                    {.kernel_shape = {2}, .pads = {1, 1}});
  REQUIRE(i[0].dtype() == DType::i8);
  CHECK(i[0].to_vector<int8_t>() == std::vector<int8_t>{-128, -100, -100});
}

TEST_CASE("maxpool padding never wins the max", "[ops][pool]") {
  Tensor x = f32({1, 1, 3}, {-5, -2, -7});
  auto out = run_pool(OpKind::MaxPool, x, {.kernel_shape = {2}, .pads = {1, 1}}, 2);
  check_values(out[0], {1, 1, 4}, {-5, -2, -2, -7});
  check_ints(out[1], {1, 1, 4}, {0, 1, 1, 2});
}

TEST_CASE("maxpool 2D auto_pad SAME_UPPER and SAME_LOWER", "[ops][pool]") {
  Tensor x = f32({1, 1, 3, 3}, {-1, -2, -3, -4, -5, -6, -7, -8, -9});
  // The largest element of each window is its top-left valid one.
  auto up =
      run_pool(OpKind::MaxPool, x, {.kernel_shape = {2, 2}, .auto_pad = AutoPad::SameUpper}, 2);
  check_values(up[0], {1, 1, 3, 3}, {-1, -2, -3, -4, -5, -6, -7, -8, -9});
  check_ints(up[1], {1, 1, 3, 3}, {0, 1, 2, 3, 4, 5, 6, 7, 8});
  auto low =
      run_pool(OpKind::MaxPool, x, {.kernel_shape = {2, 2}, .auto_pad = AutoPad::SameLower}, 2);
  check_values(low[0], {1, 1, 3, 3}, {-1, -1, -2, -1, -1, -2, -4, -4, -5});
  check_ints(low[1], {1, 1, 3, 3}, {0, 0, 1, 0, 0, 1, 3, 3, 4});
  auto valid = run_pool(OpKind::MaxPool, x, {.kernel_shape = {2, 2}, .auto_pad = AutoPad::Valid});
  check_values(valid[0], {1, 1, 2, 2}, {-1, -2, -4, -5});
}

// ---- AveragePool --------------------------------------------------------------

TEST_CASE("averagepool count_include_pad 0 and 1", "[ops][pool]") {
  Tensor x = f32({1, 1, 4}, {1, 2, 3, 4});
  PoolAttrs a{.kernel_shape = {3}, .pads = {1, 1}};
  check_values(run_pool(OpKind::AveragePool, x, a)[0], {1, 1, 4}, {1.5, 2, 3, 3.5});
  a.count_include_pad = true;
  check_values(run_pool(OpKind::AveragePool, x, a)[0], {1, 1, 4}, {1, 2, 3, 7.0 / 3});
}

TEST_CASE("averagepool 2D", "[ops][pool]") {
  Tensor x = f32({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  check_values(run_pool(OpKind::AveragePool, x, {.kernel_shape = {2, 2}})[0], {1, 1, 2, 2},
               {3, 4, 6, 7});
  // Strides 2 with pads 1: corners see one input element, padding excluded.
  check_values(run_pool(OpKind::AveragePool, x,
                        {.kernel_shape = {2, 2}, .strides = {2, 2}, .pads = {1, 1, 1, 1}})[0],
               {1, 1, 2, 2}, {1, 2.5, 5.5, 7});
}

TEST_CASE("averagepool ceil_mode: positions beyond the declared pads never count", "[ops][pool]") {
  // in 6, pads [1,1], kernel 3, stride 2, ceil: windows [-1..1] [1..3] [3..5] [5..7];
  // the last covers x5, one declared pad (6) and one ceil-only position (7).
  Tensor x = f32({1, 1, 6}, {1, 2, 3, 4, 5, 6});
  PoolAttrs a{.kernel_shape = {3}, .strides = {2}, .pads = {1, 1}, .ceil_mode = true};
  check_values(run_pool(OpKind::AveragePool, x, a)[0], {1, 1, 4}, {1.5, 3, 5, 6});
  a.count_include_pad = true;
  check_values(run_pool(OpKind::AveragePool, x, a)[0], {1, 1, 4}, {1, 3, 5, 3});
  // No pads: the ceil-only window [4, 5) holds one element and divides by 1.
  Tensor x5 = f32({1, 1, 5}, {1, 2, 3, 4, 5});
  PoolAttrs c{.kernel_shape = {2}, .strides = {2}, .ceil_mode = true, .count_include_pad = true};
  check_values(run_pool(OpKind::AveragePool, x5, c)[0], {1, 1, 3}, {1.5, 3.5, 5});
}

TEST_CASE("averagepool auto_pad and dilations", "[ops][pool]") {
  Tensor x = f32({1, 1, 3}, {1, 2, 3});
  PoolAttrs a{.kernel_shape = {2}, .auto_pad = AutoPad::SameUpper};
  check_values(run_pool(OpKind::AveragePool, x, a)[0], {1, 1, 3}, {1.5, 2.5, 3});
  a.count_include_pad = true;
  check_values(run_pool(OpKind::AveragePool, x, a)[0], {1, 1, 3}, {1.5, 2.5, 1.5});
  a.auto_pad = AutoPad::SameLower;
  check_values(run_pool(OpKind::AveragePool, x, a)[0], {1, 1, 3}, {0.5, 1.5, 2.5});
  Tensor x5 = f32({1, 1, 5}, {1, 2, 3, 4, 5});
  check_values(run_pool(OpKind::AveragePool, x5, {.kernel_shape = {2}, .dilations = {2}})[0],
               {1, 1, 3}, {2, 3, 4});
}

// ---- global pools ---------------------------------------------------------------

TEST_CASE("global average and max pool, rank 3 and rank 5", "[ops][pool]") {
  GraphBuilder b("global");
  Val x3 = b.input("x3", DType::f32, {1, 2, 3});
  Val x5 = b.input("x5", DType::f32, {1, 1, 2, 1, 2});
  b.output(b.global_average_pool(x3), "avg3");
  b.output(b.global_max_pool(x3), "max3");
  b.output(b.global_average_pool(x5), "avg5");
  b.output(b.global_max_pool(x5), "max5");
  auto out = Interpreter(b.build()).run(std::vector<Tensor>{f32({1, 2, 3}, {1, 2, 3, 4, 5, 9}),
                                                            f32({1, 1, 2, 1, 2}, {1, -2, 3, -4})});
  check_values(out[0], {1, 2, 1}, {2, 6});
  check_values(out[1], {1, 2, 1}, {3, 9});
  check_values(out[2], {1, 1, 1, 1, 1}, {-0.5});
  check_values(out[3], {1, 1, 1, 1, 1}, {3});
}

TEST_CASE("global pools over a batch of 2D maps", "[ops][pool]") {
  GraphBuilder b("global2d");
  Val x = b.input("x", DType::f32, {2, 1, 2, 2});
  b.output(b.global_average_pool(x), "avg");
  b.output(b.global_max_pool(x), "max");
  auto out = Interpreter(b.build()).run({f32({2, 1, 2, 2}, {1, 2, 3, 4, -1, -2, -3, -8})});
  check_values(out[0], {2, 1, 1, 1}, {2.5, -3.5});
  check_values(out[1], {2, 1, 1, 1}, {4, -1});
}

// ---- geometry helper ----------------------------------------------------------

TEST_CASE("window geometry resolves defaults and SAME pads", "[ops][conv]") {
  std::string error;
  auto g = resolve_pool_geometry(
      {.kernel_shape = {3, 2}, .strides = {2, 1}, .auto_pad = AutoPad::SameLower}, {6, 4}, error);
  REQUIRE(g);
  CHECK(g->output == std::vector<int64_t>{3, 4});
  CHECK(g->pads_begin == std::vector<int64_t>{1, 1});
  CHECK(g->pads_end == std::vector<int64_t>{0, 0});
  CHECK(g->onnx_pads() == std::vector<int64_t>{1, 1, 0, 0});
  CHECK(g->dilations == std::vector<int64_t>{1, 1});
  auto c = resolve_conv_geometry({.dilations = {3}}, {10}, {3}, error);
  REQUIRE(c);
  CHECK(c->effective_kernel(0) == 7);
  CHECK(c->output == std::vector<int64_t>{4});
  CHECK_FALSE(resolve_conv_geometry({.strides = {1, 1}}, {10}, {3}, error));
  CHECK(error.find("strides") != std::string::npos);
  // Huge declared inputs resolve without walking every window.
  auto big =
      resolve_pool_geometry({.kernel_shape = {2}, .pads = {1, 1}}, {int64_t{1} << 38}, error);
  REQUIRE(big);
  CHECK(big->output == std::vector<int64_t>{(int64_t{1} << 38) + 1});
  CHECK_FALSE(resolve_pool_geometry({.kernel_shape = {int64_t{1} << 30}}, {4}, error));
  CHECK(error.find("at most") != std::string::npos);
}

// ---- errors -----------------------------------------------------------------

TEST_CASE("conv shape errors name the node and state expected vs actual", "[ops][conv]") {
  auto build_conv = [](Shape xs, Shape ws, ConvAttrs a, Shape bs = {}) {
    GraphBuilder b;
    Val x = b.input("x", DType::f32, xs);
    Val w = b.constant("w", Tensor(DType::f32, ws));
    Val bias = bs.empty() ? Val{} : b.constant("bias", Tensor(DType::f32, bs));
    b.conv(x, w, bias, a, "myconv");
  };
  auto expect_msg = [](const std::string& msg, std::vector<std::string> parts) {
    CHECK(msg.find("'myconv'") != std::string::npos);
    CHECK(msg.find("Conv") != std::string::npos);
    for (const auto& p : parts) {
      INFO(msg);
      CHECK(msg.find(p) != std::string::npos);
    }
  };
  // Weight expects 2 input channels, input has 3.
  expect_msg(shape_error([&] {
               build_conv({1, 3, 5, 5}, {4, 2, 3, 3}, {});
             }),
             {"'w'", "[4,2,3,3]", "expected 3"});
  expect_msg(shape_error([&] {
               build_conv({1, 3, 5, 5}, {4, 1, 3, 3}, {.group = 2});
             }),
             {"3 channels", "group = 2"});
  expect_msg(shape_error([&] {
               build_conv({1, 4, 5, 5}, {3, 2, 3, 3}, {.group = 2});
             }),
             {"3 output channels", "group = 2"});
  expect_msg(shape_error([&] {
               build_conv({1, 4, 5, 5}, {3, 4, 3}, {});
             }),
             {"rank 3", "expected rank 4"});
  expect_msg(shape_error([&] {
               build_conv({1, 1, 5, 5}, {1, 1, 3, 3}, {.strides = {1}});
             }),
             {"strides", "1 values", "expected 2"});
  expect_msg(shape_error([&] {
               build_conv({1, 1, 5, 5}, {1, 1, 3, 3}, {.strides = {1, 0}});
             }),
             {"strides", "value 0", "positive"});
  expect_msg(shape_error([&] {
               build_conv({1, 1, 5, 5}, {1, 1, 3, 3}, {.pads = {0, 0, -1, 0}});
             }),
             {"pads", "value -1", ">= 0"});
  expect_msg(shape_error([&] {
               build_conv({1, 1, 5, 5}, {1, 1, 3, 3}, {.pads = {1, 1}});
             }),
             {"pads", "2 values", "expected 4"});
  expect_msg(shape_error([&] {
               build_conv({1, 1, 5, 5}, {1, 1, 3, 3}, {.kernel_shape = {3, 2}});
             }),
             {"kernel_shape = [3,2]", "[3,3]"});
  expect_msg(shape_error([&] {
               build_conv({1, 1, 2, 2}, {1, 1, 3, 3}, {});
             }),
             {"size 0", "expected at least 1"});
  expect_msg(shape_error([&] {
               build_conv({1, 1, 5, 5}, {2, 1, 3, 3}, {}, {3});
             }),
             {"'bias'", "[3]", "expected [2]"});
  expect_msg(shape_error([&] {
               build_conv({1, 1, 5, 5}, {1, 1, 3, 3}, {.group = 0});
             }),
             {"group = 0", "positive"});
  expect_msg(shape_error([&] {
               build_conv({1, 1, 5, 5}, {1, 1, 3, 3},
                          {.pads = {1, 1, 1, 1}, .auto_pad = AutoPad::SameUpper});
             }),
             {"pads", "auto_pad"});
  // Wrong dtype.
  std::string msg = shape_error([] {
    GraphBuilder b;
    Val x = b.input("x", DType::i32, {1, 1, 3});
    b.conv(x, b.constant("w", Tensor(DType::i32, {1, 1, 1})), {}, {}, "myconv");
  });
  expect_msg(msg, {"i32", "expected f32 or f64"});
}

TEST_CASE("pool shape errors name the node and state expected vs actual", "[ops][pool]") {
  auto build_pool = [](OpKind k, Shape xs, PoolAttrs a, int outputs = 1) {
    GraphBuilder b;
    Val x = b.input("x", DType::f32, xs);
    b.op(k, {x}, a, outputs, "mypool");
  };
  auto expect_msg = [](const std::string& msg, std::vector<std::string> parts) {
    CHECK(msg.find("'mypool'") != std::string::npos);
    for (const auto& p : parts) {
      INFO(msg);
      CHECK(msg.find(p) != std::string::npos);
    }
  };
  expect_msg(shape_error([&] {
               build_pool(OpKind::MaxPool, {1, 1, 4, 4}, {});
             }),
             {"MaxPool", "kernel_shape is missing", "expected 2"});
  expect_msg(shape_error([&] {
               build_pool(OpKind::MaxPool, {1, 1, 4, 4}, {.kernel_shape = {2}});
             }),
             {"kernel_shape", "1 values", "expected 2"});
  expect_msg(shape_error([&] {
               build_pool(OpKind::MaxPool, {1, 1, 4, 4}, {.kernel_shape = {2, 0}});
             }),
             {"kernel_shape", "value 0", "positive"});
  expect_msg(
      shape_error([&] {
        build_pool(OpKind::AveragePool, {1, 1, 4, 4}, {.kernel_shape = {2, 2}, .pads = {1, 1, 1}});
      }),
      {"AveragePool", "pads", "3 values", "expected 4"});
  expect_msg(
      shape_error([&] {
        build_pool(OpKind::MaxPool, {1, 1, 4, 4}, {.kernel_shape = {2, 2}, .storage_order = 2}, 2);
      }),
      {"storage_order = 2", "expected 0"});
  expect_msg(shape_error([&] {
               build_pool(OpKind::MaxPool, {1, 4}, {.kernel_shape = {2}});
             }),
             {"rank 2", "expected at least rank 3"});
  expect_msg(shape_error([&] {
               build_pool(OpKind::AveragePool, {1, 1, 2}, {.kernel_shape = {3}});
             }),
             {"size 0", "expected at least 1"});
  // in 1, kernel 2 with dilation 3, pads [2,1]: one window, whose taps -2 and 1 both miss
  // the input.
  expect_msg(shape_error([&] {
               build_pool(OpKind::MaxPool, {1, 1, 1},
                          {.kernel_shape = {2}, .pads = {2, 1}, .dilations = {3}});
             }),
             {"covers only padding"});
  expect_msg(shape_error([] {
               GraphBuilder b;
               b.global_average_pool(b.input("x", DType::f32, {2, 3}), "mypool");
             }),
             {"GlobalAveragePool", "rank 2", "expected at least rank 3"});
}
