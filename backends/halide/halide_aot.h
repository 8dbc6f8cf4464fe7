// Ahead-of-time compilation of Halide pipelines into in-memory objects, and
// the in-process loader that runs them (an LLVM ORC LLJIT), so that compiled
// Halide code can be stored in the CompileCache and loaded again without
// lowering, scheduling or LLVM code generation.
//
// How to use it (from a .cpp under backends/halide/ that includes Halide.h):
//
//   namespace aot = loom::halide_aot;
//   // 1. The object: looked up in the cache, built only on a miss. Weights
//   //    the pipeline reads from Halide::Buffers are baked in as constant
//   //    data, so the object is self-contained. `key` must name everything
//   //    the code depends on except the Loom build and the target, which
//   //    cached_object() adds itself.
//   std::string obj = aot::cached_object(cache, key, target, [&] {
//     return aot::compile_pipeline_object(pipeline, args, "my_fn", target);
//   }).object;
//   // 2. The runtime for (target, threads): shared by every object loaded
//   //    against it; its thread pool has exactly `threads` threads.
//   std::shared_ptr<aot::Runtime> rt = aot::runtime_for(target, threads, cache);
//   // 3. Load, look up, call. The LoadedObject keeps its runtime alive and
//   //    unloads the code when the last reference goes.
//   std::shared_ptr<aot::LoadedObject> lo = aot::load_object(rt, obj, "my group");
//   auto* fn = lo->argv_function("my_fn");           // int my_fn_argv(void**)
//   void* argv[] = {&in_buf, &out_buf};                // halide_buffer_t*, in
//   lo->call(fn, argv);                                // the order of `args`,
//                                                      // then the outputs
//
// `call` turns a non-zero Halide return into an InternalError carrying the
// runtime's message. Entry points are reentrant: several threads may call
// the same object at once.
//
// Everything here is thread-safe: objects may be compiled and loaded from
// several threads at once (Halide compiles different pipelines
// concurrently; the ORC session serializes what must be).
//
// No Halide or LLVM type is defined in this header (forward declarations
// only), so it is cheap to include.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace Halide {
class Pipeline;
struct Argument;
struct Target;
}  // namespace Halide

namespace loom {
class CompileCache;
}

namespace loom::halide_aot {

// Compiles `pipeline` for `target` plus Target::NoRuntime into a relocatable
// object (ELF bytes). It defines `fn_name` (one halide_buffer_t* or scalar
// per argument, then one halide_buffer_t* per pipeline output) and
// `fn_name + "_argv"` (int(void** args), the same arguments by address).
// Halide errors become InternalError naming `fn_name`.
std::string compile_pipeline_object(const Halide::Pipeline& pipeline,
                                    const std::vector<Halide::Argument>& args,
                                    const std::string& fn_name, const Halide::Target& target);

struct CachedObject {
  std::string object;
  bool from_cache = false;
};

// The object stored in `cache` (may be null: no caching) under `key` plus
// the Loom build id and `target`, or build() 's result, which is then
// stored. An entry that fails the cache's checks is never used.
CachedObject cached_object(CompileCache* cache, const std::string& key,
                           const Halide::Target& target, const std::function<std::string()>& build);

// One loaded Halide runtime (thread pool, allocator, error handler) for one
// target, with its thread pool set to a fixed number of threads.
class Runtime {
 public:
  virtual ~Runtime() = default;
  virtual int threads() const = 0;
  // The target the runtime was built for (Halide's string form).
  virtual const std::string& target() const = 0;
  // Calls the runtime's own halide_set_num_threads (tests use the return
  // value, the previous setting, to observe the current one).
  virtual int set_num_threads(int n) = 0;
};

// The process's runtime for (target without NoRuntime/JIT, threads >= 1):
// one per pair, shared while anything holds it, rebuilt after it is
// released. The runtime object is compiled once per target and cached in
// `cache`, or when that is null in default_compile_cache_dir() (it depends
// only on the Loom build and the target, never on a model).
std::shared_ptr<Runtime> runtime_for(const Halide::Target& target, int threads,
                                     CompileCache* cache);

// Starts building (or loading from `cache`) the runtime object of `target`
// in the background, so that a later runtime_for() need not wait for it;
// returns at once. Optional.
void prepare_runtime(const Halide::Target& target, CompileCache* cache);

// Objects loaded against one runtime; unloaded on destruction.
class LoadedObject {
 public:
  using ArgvFn = int (*)(void**);
  virtual ~LoadedObject() = default;
  // The address of an exported symbol; InternalError if it is absent.
  virtual void* symbol(const std::string& name) const = 0;
  ArgvFn argv_function(const std::string& fn_name) const {
    return reinterpret_cast<ArgvFn>(symbol(fn_name + "_argv"));
  }
  // Calls `fn`; a non-zero result raises InternalError with the runtime's
  // error message, prefixed by the `what` given to load_object.
  virtual void call(ArgvFn fn, void** args) const = 0;
  virtual const std::shared_ptr<Runtime>& runtime() const = 0;
};

// Loads `objects` (as made by compile_pipeline_object for the runtime's
// target) into a fresh symbol table linked to the runtime: two loads of the
// same object never clash. `what` names the code in messages.
std::shared_ptr<LoadedObject> load_object(std::shared_ptr<Runtime> runtime,
                                          const std::vector<std::string_view>& objects,
                                          const std::string& what);
inline std::shared_ptr<LoadedObject> load_object(std::shared_ptr<Runtime> runtime,
                                                 std::string_view object, const std::string& what) {
  return load_object(std::move(runtime), std::vector<std::string_view>{object}, what);
}

}  // namespace loom::halide_aot
