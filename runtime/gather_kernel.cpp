// Run-time Gather and Cast kernels (see gather_kernel.h).
#include "runtime/gather_kernel.h"

#include <algorithm>
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

template <class T>
void combine(T* dst, const T* src, int64_t n, ScatterReduction r) {
  for (int64_t i = 0; i < n; ++i) {
    switch (r) {
      case ScatterReduction::Add:
        dst[i] = static_cast<T>(dst[i] + src[i]);
        break;
      case ScatterReduction::Mul:
        dst[i] = static_cast<T>(dst[i] * src[i]);
        break;
      case ScatterReduction::Max:
        dst[i] = std::max(dst[i], src[i]);
        break;
      default:
        dst[i] = std::min(dst[i], src[i]);
        break;
    }
  }
}

class ScatterKernel final : public Kernel {
 public:
  explicit ScatterKernel(ScatterSpec spec) : s_(std::move(spec)) {
    if (s_.reduction != ScatterReduction::None) with_type(s_.dtype, [](auto) {});
    strides_ = shape_strides(s_.data_shape);
    slice_ = 1;
    for (size_t d = static_cast<size_t>(s_.k); d < s_.data_shape.size(); ++d)
      slice_ *= s_.data_shape[d];
  }
  std::string name() const override { return s_.name; }
  void run(std::span<const TensorRef> inputs, std::span<const TensorRef> outputs) override {
    auto pick = [&](int input, const Tensor& constant) -> const std::byte* {
      return input >= 0 ? inputs[static_cast<size_t>(input)].data : constant.raw();
    };
    const std::byte* data = pick(s_.data_input, s_.data_constant);
    const int64_t* idx =
        reinterpret_cast<const int64_t*>(pick(s_.indices_input, s_.indices_constant));
    const std::byte* upd = pick(s_.updates_input, s_.updates_constant);
    std::byte* out = outputs[0].data;
    const size_t es = dtype_size(s_.dtype);
    std::memcpy(out, data, static_cast<size_t>(shape_numel(s_.data_shape)) * es);
    for (int64_t i = 0; i < s_.count; ++i) {
      int64_t off = 0;
      for (int64_t j = 0; j < s_.k; ++j) {
        int64_t v = idx[i * s_.k + j];
        const int64_t dim = s_.data_shape[static_cast<size_t>(j)];
        if (v < -dim || v >= dim) {
          ErrorSite site = s_.site;
          site.tensor = s_.indices_name;
          throw InputError(fmt::format("index {} of '{}' (tuple {}, entry {}) is out of range "
                                       "for a dim of size {}",
                                       v, s_.indices_name, i, j, dim),
                           site);
        }
        off += (v < 0 ? v + dim : v) * strides_[static_cast<size_t>(j)];
      }
      std::byte* dst = out + static_cast<size_t>(off) * es;
      const std::byte* src = upd + static_cast<size_t>(i * slice_) * es;
      if (s_.reduction == ScatterReduction::None) {
        std::memcpy(dst, src, static_cast<size_t>(slice_) * es);
        continue;
      }
      with_type(s_.dtype, [&](auto tag) {
        using T = decltype(tag);
        if constexpr (std::is_same_v<T, bool>) {
          throw UnsupportedError("ScatterND reduction on bool data");
        } else {
          combine<T>(reinterpret_cast<T*>(dst), reinterpret_cast<const T*>(src), slice_,
                     s_.reduction);
        }
      });
    }
  }

 private:
  ScatterSpec s_;
  std::vector<int64_t> strides_;
  int64_t slice_ = 1;
};

}  // namespace

std::unique_ptr<Kernel> make_scatter_kernel(ScatterSpec spec) {
  return std::make_unique<ScatterKernel>(std::move(spec));
}

std::unique_ptr<Kernel> make_gather_kernel(GatherSpec spec) {
  return std::make_unique<GatherKernel>(std::move(spec));
}

std::unique_ptr<Kernel> make_cast_kernel(std::string name, DType from, DType to) {
  return std::make_unique<CastKernel>(std::move(name), from, to);
}

}  // namespace loom
