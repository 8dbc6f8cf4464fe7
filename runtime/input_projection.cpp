// The portable InputProjection: weights repacked into panels of 16 columns,
// [panel][k][16], so the inner loop is a contiguous 16-wide multiply-add the
// C++ compiler vectorizes for whatever ISA the build targets.
#include "runtime/input_projection.h"

#include <algorithm>
#include <cstring>

namespace loom {
namespace {

constexpr int64_t kPanel = 16;

class PortableProjection final : public InputProjection {
 public:
  explicit PortableProjection(const ProjectionSpec& s)
      : rows_(s.rows),
        k_(s.input_size),
        columns_(s.columns),
        panels_((s.columns + kPanel - 1) / kPanel),
        w_(static_cast<size_t>(panels_ * kPanel * s.input_size), 0.f),
        bias_(static_cast<size_t>(panels_ * kPanel), 0.f) {
    for (int64_t c = 0; c < columns_; ++c) {
      float* dst = w_.data() + (c / kPanel) * k_ * kPanel + c % kPanel;
      const float* src = s.weights.data() + c * k_;
      for (int64_t k = 0; k < k_; ++k)
        dst[k * kPanel] = src[k];
      bias_[static_cast<size_t>(c)] = s.bias[static_cast<size_t>(c)];
    }
  }

  int64_t num_parts() const override { return panels_; }
  int64_t columns_per_part() const override { return kPanel; }
  int64_t out_stride() const override { return panels_ * kPanel; }
  int64_t out_rows() const override { return rows_; }
  double flops() const override {
    return 2.0 * static_cast<double>(rows_) * static_cast<double>(k_) *
           static_cast<double>(columns_);
  }

  void run(const float* x, float* out, int64_t begin, int64_t end) const override {
    const int64_t ld = panels_ * kPanel;
    for (int64_t p = std::max<int64_t>(begin, 0); p < std::min(end, panels_); ++p) {
      const float* wp = w_.data() + p * k_ * kPanel;
      for (int64_t m = 0; m < rows_; ++m) {
        float acc[kPanel];
        std::memcpy(acc, bias_.data() + p * kPanel, sizeof acc);
        const float* xm = x + m * k_;
        for (int64_t k = 0; k < k_; ++k) {
          const float xv = xm[k];
          const float* wk = wp + k * kPanel;
          for (int64_t j = 0; j < kPanel; ++j)
            acc[j] += xv * wk[j];
        }
        std::memcpy(out + m * ld + p * kPanel, acc, sizeof acc);
      }
    }
  }

 private:
  int64_t rows_, k_, columns_, panels_;
  std::vector<float> w_, bias_;
};

}  // namespace

std::unique_ptr<InputProjection> make_portable_projection(ProjectionSpec spec) {
  return std::make_unique<PortableProjection>(spec);
}

}  // namespace loom
