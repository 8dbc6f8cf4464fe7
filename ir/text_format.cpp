// STUB: to be implemented.
#include "ir/text_format.h"

namespace loom {
void WeightStore::add_all(const Graph&) {}
const Tensor* WeightStore::find(uint64_t) const { return nullptr; }
std::string print_graph(const Graph&, const PrintOptions&) { throw UnsupportedError("text printer"); }
Graph parse_graph(std::string_view, const WeightStore&, const std::string&) { throw UnsupportedError("text parser"); }
void save_text(const Graph&, const std::string&) { throw UnsupportedError("save_text"); }
Graph load_text(const std::string&) { throw UnsupportedError("load_text"); }
void save_weights(const WeightStore&, const std::string&) {}
WeightStore load_weights(const std::string&) { return {}; }
}  // namespace loom
