// The backend registry: a process-wide table of kernel factories, guarded by
// a mutex since compile() may run on several threads.
#include "compiler/backend_registry.h"

#include <map>
#include <mutex>

namespace loom {

namespace {

struct Registry {
  std::mutex mutex;
  std::map<GroupBackend, std::shared_ptr<KernelFactory>> factories;
  Registry() {
    factories[GroupBackend::Recurrent] = std::make_shared<KernelFactory>(make_recurrent_kernel);
    factories[GroupBackend::Movement] = std::make_shared<KernelFactory>(make_movement_kernel);
  }
};

Registry& registry() {
  static Registry r;
  return r;
}

}  // namespace

void register_kernel_factory(GroupBackend backend, KernelFactory factory) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  if (factory)
    r.factories[backend] = std::make_shared<KernelFactory>(std::move(factory));
  else
    r.factories.erase(backend);
}

void register_builtin_backends() {
  static std::once_flag once;
  std::call_once(once, [] {
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    if (!r.factories.count(GroupBackend::Halide))
      r.factories[GroupBackend::Halide] = std::make_shared<KernelFactory>(make_halide_kernel);
  });
}

std::shared_ptr<const KernelFactory> find_kernel_factory(GroupBackend backend) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  auto it = r.factories.find(backend);
  if (it == r.factories.end()) return nullptr;
  return it->second;
}

}  // namespace loom
