// Ahead-of-time Halide (backends/halide/halide_aot.h): a pipeline compiled
// to an object and loaded against a runtime of a chosen thread count, and
// the compile driver caching Halide groups (hits give identical results,
// corrupted entries are rejected and rebuilt, schedules key their entries).
#include <Halide.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <catch2/catch.hpp>

#include "backends/halide/halide_aot.h"
#include "compiler/backend_registry.h"
#include "compiler/compile.h"
#include "ir/builder.h"
#include "ir/interpreter.h"
#include "runtime/compile_cache.h"
#include "test_util.h"

namespace fs = std::filesystem;
using namespace loom;
using test::random_f32;

namespace {

std::string fresh_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / fmt::format("loom_aot_test_{}_{}", name, getpid());
  fs::remove_all(d);
  return d.string();
}

// conv + ReLU + pool, flatten, dense, softmax: several Halide groups.
Graph small_cnn() {
  GraphBuilder b("aotcnn");
  Val x = b.input("x", DType::f32, {1, 3, 8, 8});
  Val c = b.conv(x, b.constant("w", random_f32({8, 3, 3, 3}, 1)),
                 b.constant("bias", random_f32({8}, 2)), {.pads = {1, 1, 1, 1}}, "conv");
  Val p = b.max_pool(b.relu(c, "relu"), {.kernel_shape = {2, 2}, .strides = {2, 2}}, "pool");
  Val f = b.flatten(p, 1, "flat");
  Val d = b.gemm(f, b.constant("fc_w", random_f32({128, 6}, 3)),
                 b.constant("fc_b", random_f32({6}, 4)), {}, "fc");
  b.output(b.softmax(d, {.axis = 1}, "softmax"), "probs");
  return b.build();
}

struct Compiled {
  std::vector<Tensor> out;
  ModelSchedule schedules;
  CompileCacheStats stats;
};

// Compiles through a fresh CompileCache object on `dir` (so its stats are
// this compile's alone) and runs once.
Compiled compile_and_run(const Graph& g, const Tensor& x, const std::string& dir,
                         const std::string& schedule = "default") {
  CompileCache cache(dir);
  Compiled c;
  CompileOptions o;
  o.cache = &cache;
  o.schedule = schedule;
  o.schedules_used = &c.schedules;
  c.out = compile(g, o).run({x});
  c.stats = cache.stats();
  return c;
}

int count_entries(const std::string& dir, const std::string& kind) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir))
    n += e.path().filename().string().ends_with("." + kind);
  return n;
}

}  // namespace

TEST_CASE("aot: a Halide pipeline compiled to an object, loaded twice, runs", "[aot]") {
  namespace aot = halide_aot;
  // out(x) = 2 * in(x) + w(x), w baked into the object as constant data.
  Halide::ImageParam in(Halide::Float(32), 1, "in");
  Halide::Buffer<float> w(5, "w");
  for (int i = 0; i < 5; ++i)
    w(i) = 10.f * static_cast<float>(i);
  Halide::Var x("x");
  Halide::Func out("out");
  out(x) = 2.f * in(x) + w(x);
  const Halide::Target target = Halide::get_host_target();
  const std::string obj =
      aot::compile_pipeline_object(Halide::Pipeline(out), {in}, "twice_plus_w", target);
  REQUIRE(obj.size() > 4);
  CHECK(obj.substr(1, 3) == "ELF");

  std::shared_ptr<aot::Runtime> rt = aot::runtime_for(target, 3, nullptr);
  CHECK(rt->threads() == 3);
  // halide_set_num_threads returns the previous setting: the runtime's pool
  // was set to the requested size, independently of HL_NUM_THREADS.
  CHECK(rt->set_num_threads(3) == 3);
  CHECK(aot::runtime_for(target, 3, nullptr) == rt);
  std::shared_ptr<aot::Runtime> rt1 = aot::runtime_for(target, 1, nullptr);
  CHECK(rt1 != rt);
  CHECK(rt1->set_num_threads(1) == 1);

  // The same object twice in one runtime: separate symbol tables, no clash.
  auto a = aot::load_object(rt, obj, "first");
  auto b = aot::load_object(rt, obj, "second");
  float in_data[5] = {1, 2, 3, 4, 5}, out_a[5] = {}, out_b[5] = {};
  halide_dimension_t dim(0, 5, 1);
  auto buffer = [&](float* p) {
    halide_buffer_t buf{};
    buf.host = reinterpret_cast<uint8_t*>(p);
    buf.type = halide_type_t(halide_type_float, 32);
    buf.dimensions = 1;
    buf.dim = &dim;
    return buf;
  };
  halide_buffer_t bi = buffer(in_data), ba = buffer(out_a), bb = buffer(out_b);
  void* args_a[] = {&bi, &ba};
  void* args_b[] = {&bi, &bb};
  a->call(a->argv_function("twice_plus_w"), args_a);
  b->call(b->argv_function("twice_plus_w"), args_b);
  for (int i = 0; i < 5; ++i) {
    CHECK(out_a[i] == 2.f * in_data[i] + 10.f * static_cast<float>(i));
    CHECK(out_b[i] == out_a[i]);
  }
  // A runtime error (an output too small for the pipeline's bounds... here a
  // wrong element type) is an InternalError with Halide's message.
  halide_buffer_t bad = buffer(out_a);
  bad.type = halide_type_t(halide_type_int, 32);
  void* args_bad[] = {&bi, &bad};
  try {
    a->call(a->argv_function("twice_plus_w"), args_bad);
    FAIL("expected an InternalError");
  } catch (const InternalError& e) {
    CHECK(std::string(e.what()).find("first") != std::string::npos);
    CHECK(std::string(e.what()).find("type") != std::string::npos);
  }
  CHECK_THROWS_AS(a->symbol("no_such_function"), InternalError);
}

TEST_CASE("aot: a second compile loads every Halide group from the cache, same results",
          "[aot][cache]") {
  const Graph g = small_cnn();
  const Tensor x = random_f32({1, 3, 8, 8}, 5);
  const std::string dir = fresh_dir("twice");
  const std::vector<Tensor> want = Interpreter(g).run({x});

  const Compiled first = compile_and_run(g, x, dir);
  const int groups = static_cast<int>(first.schedules.size());
  REQUIRE(groups >= 2);
  CHECK(first.stats.hits == 0);
  CHECK(first.stats.stores >= groups);
  CHECK(count_entries(dir, "halide.o") >= groups);

  const Compiled second = compile_and_run(g, x, dir);
  CHECK(second.stats.misses == 0);
  CHECK(second.stats.hits >= groups);
  CHECK(second.stats.stores == 0);
  // The schedules come back from the entries unchanged.
  REQUIRE(second.schedules.size() == first.schedules.size());
  for (const auto& [name, s] : first.schedules)
    CHECK(save_schedule_json(second.schedules.at(name)) == save_schedule_json(s));

  REQUIRE(first.out.size() == 1);
  REQUIRE(second.out.size() == 1);
  CHECK(first.out[0].same_content(second.out[0]));
  for (int64_t i = 0; i < want[0].numel(); ++i)
    CHECK(first.out[0].data<float>()[i] == Approx(want[0].data<float>()[i]).margin(1e-5));
  fs::remove_all(dir);
}

TEST_CASE("aot: corrupted Halide cache entries are rejected and rebuilt", "[aot][cache]") {
  const Graph g = small_cnn();
  const Tensor x = random_f32({1, 3, 8, 8}, 6);
  const std::string dir = fresh_dir("corrupt");
  const Compiled first = compile_and_run(g, x, dir);
  const int groups = static_cast<int>(first.schedules.size());

  int corrupted = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".o" || e.path().stem().extension() != ".halide") continue;
    std::fstream f(e.path(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(0, std::ios::end);
    const auto size = static_cast<std::streamoff>(f.tellg());
    // A byte inside the object code: only the checksum can notice.
    f.seekg(size - 100);
    char c = 0;
    f.get(c);
    f.seekp(size - 100);
    f.put(static_cast<char>(c ^ 0x5a));
    ++corrupted;
  }
  REQUIRE(corrupted >= groups);

  const Compiled second = compile_and_run(g, x, dir);
  CHECK(second.stats.rejected >= groups);
  CHECK(second.stats.stores >= groups);
  CHECK(first.out[0].same_content(second.out[0]));
  // The rebuilt entries are good again.
  const Compiled third = compile_and_run(g, x, dir);
  CHECK(third.stats.misses == 0);
  CHECK(third.stats.hits >= groups);
  CHECK(first.out[0].same_content(third.out[0]));
  fs::remove_all(dir);
}

TEST_CASE("aot: another schedule is another cache entry, autoschedules are cached",
          "[aot][cache]") {
  const Graph g = small_cnn();
  const Tensor x = random_f32({1, 3, 8, 8}, 7);
  const std::string dir = fresh_dir("schedules");
  const std::vector<Tensor> want = Interpreter(g).run({x});
  const Compiled by_default = compile_and_run(g, x, dir);
  const int entries = count_entries(dir, "o");

  const Compiled autosched = compile_and_run(g, x, dir, "mullapudi2016");
  const int groups = static_cast<int>(autosched.schedules.size());
  CHECK(autosched.stats.hits == 0);
  CHECK(autosched.stats.stores >= groups);
  CHECK(count_entries(dir, "o") >= entries + groups);

  // Loaded back without running the autoscheduler: the recorded schedule
  // (the autoscheduler's C++ text included) comes from the entry.
  const Compiled again = compile_and_run(g, x, dir, "mullapudi2016");
  CHECK(again.stats.misses == 0);
  CHECK(again.stats.hits >= groups);
  for (const auto& [name, s] : autosched.schedules) {
    CHECK(s.autoscheduler == "Mullapudi2016");
    CHECK(again.schedules.at(name).autoscheduler_source == s.autoscheduler_source);
  }
  for (const Compiled* c : {&by_default, &autosched, &again})
    for (int64_t i = 0; i < want[0].numel(); ++i)
      CHECK(c->out[0].data<float>()[i] == Approx(want[0].data<float>()[i]).margin(1e-5));
  fs::remove_all(dir);
}

TEST_CASE("aot: kernels built on several threads: same results, first error wins", "[aot]") {
  const Graph g = small_cnn();
  const Tensor x = random_f32({1, 3, 8, 8}, 8);
  std::vector<std::vector<Tensor>> outs;
  for (int threads : {1, 4}) {
    CompileOptions o;
    o.compile_threads = threads;
    std::vector<CompileProgress> seen;
    o.progress = [&](const CompileProgress& p) { seen.push_back(p); };
    outs.push_back(compile(g, o).run({x}));
    REQUIRE(!seen.empty());
    CHECK(seen.back().stage == "done");
    CHECK(seen.back().done == seen.back().total);
    int kernels = 0;
    for (const CompileProgress& p : seen)
      kernels += p.stage == "kernel";
    CHECK(kernels == seen.back().total);
  }
  CHECK(outs[0][0].same_content(outs[1][0]));

  // Two groups fail; whatever the timing, the error is the first group's.
  register_builtin_backends();
  auto saved = find_kernel_factory(GroupBackend::Halide);
  REQUIRE(saved);
  // Group names ("aotcnn_group<N>", fewer than ten) in build order.
  ModelSchedule used;
  CompileOptions plain;
  plain.schedules_used = &used;
  compile(g, plain);
  std::vector<std::string> names;
  for (const auto& [name, s] : used)
    names.push_back(name);
  REQUIRE(names.size() >= 3);
  REQUIRE(names.size() < 10);
  const std::string first = names[1], second = names[2];
  register_kernel_factory(
      GroupBackend::Halide,
      [&](const Graph& sub, const BackendOptions& bo) -> std::unique_ptr<Kernel> {
        if (sub.name == first || sub.name == second)
          throw UnsupportedError("refusing group " + sub.name);
        return (*saved)(sub, bo);
      });
  for (int i = 0; i < 3; ++i) {
    CompileOptions o;
    o.compile_threads = 4;
    try {
      compile(g, o);
      FAIL("expected an UnsupportedError");
    } catch (const UnsupportedError& e) {
      CHECK(std::string(e.what()).find("refusing group " + first) != std::string::npos);
    }
  }
  register_kernel_factory(GroupBackend::Halide, *saved);
}
