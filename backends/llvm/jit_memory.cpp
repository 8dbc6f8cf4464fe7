// The contiguous object memory manager; see jit_memory.h.
#include "backends/llvm/jit_memory.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <memory>
#include <string>

#include <llvm/ExecutionEngine/Orc/RTDyldObjectLinkingLayer.h>
#include <llvm/ExecutionEngine/RTDyldMemoryManager.h>
#include <llvm/ExecutionEngine/SectionMemoryManager.h>

namespace loom::llvm_backend {

namespace {

uintptr_t align_up(uintptr_t v, uintptr_t a) {
  return a ? (v + a - 1) / a * a : v;
}

// RuntimeDyld tells it the total size of each kind of section before it
// allocates any (needsToReserveAllocationSpace), so one mapping is reserved
// and handed out by bumping three cursors. Sections RuntimeDyld adds later
// (the ELF GOT) come from a slack area at the end of the writable part.
class ContiguousMemoryManager final : public llvm::RTDyldMemoryManager {
 public:
  ~ContiguousMemoryManager() override {
    if (base_) munmap(base_, size_);
  }

  bool needsToReserveAllocationSpace() override { return true; }

  void reserveAllocationSpace(uintptr_t code_size, uint32_t code_align, uintptr_t ro_size,
                              uint32_t ro_align, uintptr_t rw_size, uint32_t rw_align) override {
    const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
    // Room for each section's alignment padding on top of the sizes given.
    const uintptr_t code = align_up(code_size + code_align + kSlack, page);
    const uintptr_t ro = align_up(ro_size + ro_align + kSlack, page);
    const uintptr_t rw = align_up(rw_size + rw_align + kSlack, page);
    size_ = code + ro + rw;
    void* p = mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      base_ = nullptr;
      return;  // allocations then fall back to the section manager
    }
    base_ = static_cast<uint8_t*>(p);
    code_ = {base_, base_ + code, base_};
    ro_ = {base_ + code, base_ + code + ro, base_ + code};
    rw_ = {base_ + code + ro, base_ + size_, base_ + code + ro};
  }

  uint8_t* allocateCodeSection(uintptr_t size, unsigned align, unsigned id,
                               llvm::StringRef name) override {
    if (uint8_t* p = take(code_, size, align)) return p;
    return fallback_.allocateCodeSection(size, align, id, name);
  }

  uint8_t* allocateDataSection(uintptr_t size, unsigned align, unsigned id, llvm::StringRef name,
                               bool read_only) override {
    if (uint8_t* p = take(read_only ? ro_ : rw_, size, align)) return p;
    return fallback_.allocateDataSection(size, align, id, name, read_only);
  }

  bool finalizeMemory(std::string* error) override {
    if (base_) {
      auto protect = [&](const Region& r, int prot) {
        return r.begin == r.end ||
               mprotect(r.begin, static_cast<size_t>(r.end - r.begin), prot) == 0;
      };
      if (!protect(code_, PROT_READ | PROT_EXEC) || !protect(ro_, PROT_READ)) {
        if (error) *error = "mprotect failed on JIT memory";
        return true;
      }
    }
    return fallback_.finalizeMemory(error);
  }

 private:
  // Sections the reserved sizes do not count (RuntimeDyld's GOT for ELF).
  static constexpr uintptr_t kSlack = 64 * 1024;

  struct Region {
    uint8_t* begin = nullptr;
    uint8_t* end = nullptr;
    uint8_t* next = nullptr;
  };

  static uint8_t* take(Region& r, uintptr_t size, unsigned align) {
    if (!r.begin) return nullptr;
    const uintptr_t at = align_up(reinterpret_cast<uintptr_t>(r.next), align ? align : 16);
    if (at + size > reinterpret_cast<uintptr_t>(r.end)) return nullptr;
    r.next = reinterpret_cast<uint8_t*>(at + size);
    return reinterpret_cast<uint8_t*>(at);
  }

  uint8_t* base_ = nullptr;
  size_t size_ = 0;
  Region code_, ro_, rw_;
  llvm::SectionMemoryManager fallback_;
};

}  // namespace

void use_contiguous_object_memory(llvm::orc::LLJITBuilder& builder) {
  builder.setObjectLinkingLayerCreator(
      [](llvm::orc::ExecutionSession& es,
         const llvm::Triple&) -> llvm::Expected<std::unique_ptr<llvm::orc::ObjectLayer>> {
        return std::make_unique<llvm::orc::RTDyldObjectLinkingLayer>(
            es, [] { return std::make_unique<ContiguousMemoryManager>(); });
      });
}

}  // namespace loom::llvm_backend
