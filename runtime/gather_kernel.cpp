// Run-time Gather and Cast kernels (see gather_kernel.h).
#include "runtime/gather_kernel.h"

#include <cmath>
#include <cstring>

#include <fmt/format.h>

namespace loom {

namespace {

class GatherKernel final : public Kernel {
 public:
  explicit GatherKernel(GatherSpec spec) : s_(std::move(spec)) {}
  std::string name() const override { return s_.name; }
  void run(std::span<const TensorRef> inputs, std::span<const TensorRef> outputs) override {
    const std::byte* data = s_.constant_data.defined()
                                ? s_.constant_data.raw()
                                : inputs[static_cast<size_t>(s_.data_input)].data;
    const std::byte* idx = inputs[static_cast<size_t>(s_.indices_input)].data;
    std::byte* out = outputs[0].data;
    const size_t row = static_cast<size_t>(s_.inner) * s_.element_size;
    for (int64_t k = 0; k < s_.index_count; ++k) {
      int64_t i = s_.index_dtype == DType::i64 ? reinterpret_cast<const int64_t*>(idx)[k]
                                               : reinterpret_cast<const int32_t*>(idx)[k];
      if (i < -s_.axis_dim || i >= s_.axis_dim) {
        ErrorSite site = s_.site;
        site.tensor = s_.indices_name;
        throw InputError(
            fmt::format("index {} at position {} of '{}' is out of range: the "
                        "gathered axis has {} entries (valid: {} to {})",
                        i, k, s_.indices_name, s_.axis_dim, -s_.axis_dim, s_.axis_dim - 1),
            site);
      }
      if (i < 0) i += s_.axis_dim;
      for (int64_t o = 0; o < s_.outer; ++o)
        std::memcpy(out + static_cast<size_t>(o * s_.index_count + k) * row,
                    data + static_cast<size_t>(o * s_.axis_dim + i) * row, row);
    }
  }

 private:
  GatherSpec s_;
};

template <class From, class To>
void convert(const std::byte* src, std::byte* dst, int64_t n) {
  const From* s = reinterpret_cast<const From*>(src);
  To* d = reinterpret_cast<To*>(dst);
  for (int64_t i = 0; i < n; ++i) {
    if constexpr (std::is_same_v<To, bool>) {
      d[i] = s[i] != From(0);
    } else if constexpr (std::is_floating_point_v<From> && std::is_integral_v<To>) {
      // Out-of-range and NaN values are undefined in ONNX; saturate instead of UB.
      const double v = static_cast<double>(s[i]);
      if (std::isnan(v))
        d[i] = 0;
      else if (v <= static_cast<double>(std::numeric_limits<To>::lowest()))
        d[i] = std::numeric_limits<To>::lowest();
      else if (v >= static_cast<double>(std::numeric_limits<To>::max()))
        d[i] = std::numeric_limits<To>::max();
      else
        d[i] = static_cast<To>(v);
    } else {
      d[i] = static_cast<To>(s[i]);
    }
  }
}

template <class F>
void with_type(DType t, F&& f) {
  switch (t) {
    case DType::f32:
      return f(float{});
    case DType::f64:
      return f(double{});
    case DType::i8:
      return f(int8_t{});
    case DType::u8:
      return f(uint8_t{});
    case DType::i32:
      return f(int32_t{});
    case DType::i64:
      return f(int64_t{});
    case DType::boolean:
      return f(bool{});
    default:
      throw UnsupportedError(fmt::format("cast of dtype {}", dtype_name(t)));
  }
}

class CastKernel final : public Kernel {
 public:
  CastKernel(std::string name, DType from, DType to)
      : name_(std::move(name)), from_(from), to_(to) {
    with_type(from, [](auto) {});  // rejects f16/bf16 when the kernel is built
    with_type(to, [](auto) {});
  }
  std::string name() const override { return name_; }
  void run(std::span<const TensorRef> inputs, std::span<const TensorRef> outputs) override {
    const int64_t n = inputs[0].numel();
    with_type(from_, [&](auto a) {
      with_type(to_, [&](auto b) {
        convert<decltype(a), decltype(b)>(inputs[0].data, outputs[0].data, n);
      });
    });
  }

 private:
  std::string name_;
  DType from_, to_;
};

}  // namespace

std::unique_ptr<Kernel> make_gather_kernel(GatherSpec spec) {
  return std::make_unique<GatherKernel>(std::move(spec));
}

std::unique_ptr<Kernel> make_cast_kernel(std::string name, DType from, DType to) {
  return std::make_unique<CastKernel>(std::move(name), from, to);
}

}  // namespace loom
