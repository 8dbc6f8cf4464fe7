// Ahead-of-time Halide: pipelines compiled to in-memory objects, one
// standalone Halide runtime object per target, and an ORC LLJIT per
// (target, thread count) that links them in this process.
//
// Why one LLJIT per runtime: the Halide runtime keeps its thread pool and
// handlers in globals, so each loaded copy is an independent runtime whose
// pool size can differ from the others'. Group objects go into their own
// JITDylib linked to the runtime's, so identical objects loaded twice never
// clash and each can be unloaded alone.
#include "backends/halide/halide_aot.h"
#include "backends/llvm/jit_memory.h"

#include <Halide.h>

#include <llvm/ExecutionEngine/Orc/ExecutionUtils.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>

#include <atomic>
#include <future>
#include <map>
#include <mutex>

#include <fmt/format.h>

#include "ir/error.h"
#include "runtime/compile_cache.h"

namespace loom::halide_aot {

namespace H = Halide;

namespace {

std::string error_text(llvm::Error e) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << e;
  return os.str();
}

// The module's object code, built in memory the way Module::compile builds
// an object file.
std::string module_object(const H::Module& m) {
  if (!m.submodules().empty())
    throw InternalError(
        fmt::format("Halide module '{}' has submodules; only CPU targets are supported", m.name()));
  llvm::LLVMContext ctx;
  std::unique_ptr<llvm::Module> lm = H::compile_module_to_llvm_module(m, ctx);
  llvm::SmallVector<char, 0> bytes;
  llvm::raw_svector_ostream os(bytes);
  H::compile_llvm_module_to_object(*lm, os);
  return std::string(bytes.data(), bytes.size());
}

H::Target runtime_target(const H::Target& t) {
  return t.without_feature(H::Target::NoRuntime).without_feature(H::Target::JIT);
}

// Halide reports errors through a handler without a context pointer (the
// _argv entry points pass none); the latest message is kept for call().
std::mutex g_error_mu;
std::string g_last_error;

void on_halide_error(void*, const char* msg) {
  std::lock_guard lock(g_error_mu);
  g_last_error = msg ? msg : "";
}

// The runtime object of a target: compiled (about a second) or loaded from
// the cache once per process, on a thread of its own so that it overlaps
// the first groups' compilation. The task keeps a CompileCache of its own
// on the same directory: the caller's may be gone before it finishes.
// Without a cache from the caller the runtime still goes to the default
// one: it depends on nothing of the model (only on Loom's build and the
// target), and compiling it would double a small model's compile time.
std::shared_future<std::string> runtime_object(const H::Target& target, CompileCache* cache) {
  static std::mutex mu;
  static std::map<std::string, std::shared_future<std::string>> started;
  const H::Target t = runtime_target(target);
  const std::string name = t.to_string();
  std::lock_guard lock(mu);
  auto it = started.find(name);
  if (it != started.end()) return it->second;
  const std::string dir = cache ? cache->dir() : default_compile_cache_dir();
  auto own = dir.empty() ? nullptr : std::make_shared<CompileCache>(dir);
  std::shared_future<std::string> f = std::async(std::launch::async, [t, name, own] {
    return cached_object(
               own.get(), "halide standalone runtime v1", t,
               [&] {
                 try {
                   return module_object(H::Module("loom_halide_runtime", t));
                 } catch (const H::Error& e) {
                   throw InternalError(fmt::format("Halide runtime for {}: {}", name, e.what()));
                 }
               })
        .object;
  });
  return started.emplace(name, std::move(f)).first->second;
}

void init_llvm() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
}

class RuntimeImpl : public Runtime {
 public:
  RuntimeImpl(const H::Target& target, int threads, const std::string& object)
      : target_(runtime_target(target).to_string()), threads_(threads) {
    init_llvm();
    llvm::orc::LLJITBuilder builder;
    llvm_backend::use_contiguous_object_memory(builder);
    auto jit = builder.create();
    if (!jit) throw InternalError("LLJIT for the Halide runtime: " + error_text(jit.takeError()));
    jit_ = std::move(*jit);
    // The runtime calls into libc (malloc, pthreads, ...).
    auto gen = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
        jit_->getDataLayout().getGlobalPrefix());
    if (!gen) throw InternalError("LLJIT process symbols: " + error_text(gen.takeError()));
    jit_->getMainJITDylib().addGenerator(std::move(*gen));
    if (auto err = jit_->addObjectFile(
            llvm::MemoryBuffer::getMemBufferCopy(object, "loom_halide_runtime.o")))
      throw InternalError("loading the Halide runtime: " + error_text(std::move(err)));
    set_threads_ = reinterpret_cast<int (*)(int)>(main_symbol("halide_set_num_threads"));
    shutdown_ = reinterpret_cast<void (*)()>(main_symbol("halide_shutdown_thread_pool"));
    auto set_handler = reinterpret_cast<halide_error_handler_t (*)(halide_error_handler_t)>(
        main_symbol("halide_set_error_handler"));
    set_handler(&on_halide_error);
    set_threads_(threads_);
  }
  ~RuntimeImpl() override {
    // Worker threads run the runtime's code: stop them before it is unmapped.
    if (shutdown_) shutdown_();
  }

  int threads() const override { return threads_; }
  const std::string& target() const override { return target_; }
  int set_num_threads(int n) override { return set_threads_(n); }

  llvm::orc::LLJIT& jit() { return *jit_; }
  void* symbol(llvm::orc::JITDylib& jd, const std::string& name, const std::string& what) {
    auto s = jit_->lookup(jd, name);
    if (!s)
      throw InternalError(
          fmt::format("{}: symbol '{}' not found: {}", what, name, error_text(s.takeError())));
    return reinterpret_cast<void*>(static_cast<uintptr_t>(s->getAddress()));
  }

 private:
  void* main_symbol(const std::string& name) {
    return symbol(jit_->getMainJITDylib(), name, "Halide runtime");
  }

  std::unique_ptr<llvm::orc::LLJIT> jit_;
  std::string target_;
  int threads_;
  int (*set_threads_)(int) = nullptr;
  void (*shutdown_)() = nullptr;
};

class LoadedObjectImpl : public LoadedObject {
 public:
  LoadedObjectImpl(std::shared_ptr<Runtime> rt, const std::vector<std::string_view>& objects,
                   std::string what)
      : rt_(std::move(rt)), what_(std::move(what)) {
    static std::atomic<uint64_t> serial{0};
    RuntimeImpl& r = impl();
    auto jd = r.jit().createJITDylib(fmt::format("loom_halide_{}", serial++));
    if (!jd) throw InternalError(fmt::format("{}: {}", what_, error_text(jd.takeError())));
    jd_ = &*jd;
    jd_->addToLinkOrder(r.jit().getMainJITDylib());
    for (size_t i = 0; i < objects.size(); ++i)
      if (auto err =
              r.jit().addObjectFile(*jd_, llvm::MemoryBuffer::getMemBufferCopy(
                                              llvm::StringRef(objects[i].data(), objects[i].size()),
                                              fmt::format("{}.{}.o", jd_->getName(), i)))) {
        unload();
        throw InternalError(
            fmt::format("{}: loading its object: {}", what_, error_text(std::move(err))));
      }
  }
  ~LoadedObjectImpl() override { unload(); }

  void* symbol(const std::string& name) const override { return impl().symbol(*jd_, name, what_); }
  void call(ArgvFn fn, void** args) const override {
    const int rc = fn(args);
    if (rc != 0) {
      std::string msg;
      {
        std::lock_guard lock(g_error_mu);
        msg = g_last_error;
      }
      // A require() in the pipeline (an integer division by zero) is the
      // caller's data, not a bug.
      if (rc == halide_error_code_requirement_failed)
        throw InputError(fmt::format("{}: {}", what_, msg));
      throw InternalError(fmt::format("{}: Halide pipeline failed (code {}): {}", what_, rc, msg));
    }
  }
  const std::shared_ptr<Runtime>& runtime() const override { return rt_; }

 private:
  RuntimeImpl& impl() const { return static_cast<RuntimeImpl&>(*rt_); }
  void unload() {
    if (!jd_) return;
    // Removal failures leave memory mapped but nothing callable; not fatal.
    llvm::consumeError(impl().jit().getExecutionSession().removeJITDylib(*jd_));
    jd_ = nullptr;
  }

  std::shared_ptr<Runtime> rt_;
  std::string what_;
  llvm::orc::JITDylib* jd_ = nullptr;
};

}  // namespace

std::string compile_pipeline_object(const H::Pipeline& pipeline,
                                    const std::vector<H::Argument>& args,
                                    const std::string& fn_name, const H::Target& target) {
  try {
    H::Pipeline p = pipeline;
    const H::Target t = target.with_feature(H::Target::NoRuntime).without_feature(H::Target::JIT);
    return module_object(p.compile_to_module(args, fn_name, t));
  } catch (const H::Error& e) {
    throw InternalError(fmt::format("Halide compilation of '{}' failed: {}", fn_name, e.what()));
  }
}

CachedObject cached_object(CompileCache* cache, const std::string& key, const H::Target& target,
                           const std::function<std::string()>& build) {
  std::string full;
  if (cache) {
    full = fmt::format("loom halide-aot v1\nbuild {}\ntarget {}\n{}", compile_cache_build_id(),
                       target.to_string(), key);
    if (std::optional<std::string> hit = cache->load(full, "halide.o"))
      return {std::move(*hit), true};
  }
  CachedObject o{build(), false};
  if (cache) cache->store(full, "halide.o", o.object);
  return o;
}

std::shared_ptr<Runtime> runtime_for(const H::Target& target, int threads, CompileCache* cache) {
  if (threads < 1)
    throw InternalError(fmt::format("Halide runtime: {} threads requested", threads));
  static std::mutex mu;
  static std::map<std::pair<std::string, int>, std::weak_ptr<Runtime>> live;
  const std::string& object = runtime_object(target, cache).get();
  std::lock_guard lock(mu);
  std::weak_ptr<Runtime>& slot = live[{runtime_target(target).to_string(), threads}];
  if (std::shared_ptr<Runtime> rt = slot.lock()) return rt;
  auto rt = std::make_shared<RuntimeImpl>(target, threads, object);
  slot = rt;
  return rt;
}

void prepare_runtime(const H::Target& target, CompileCache* cache) {
  runtime_object(target, cache);
}

std::shared_ptr<LoadedObject> load_object(std::shared_ptr<Runtime> runtime,
                                          const std::vector<std::string_view>& objects,
                                          const std::string& what) {
  return std::make_shared<LoadedObjectImpl>(std::move(runtime), objects, what);
}

}  // namespace loom::halide_aot
