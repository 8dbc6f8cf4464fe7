// The contiguous object memory of Loom's LLJITs (backends/llvm/jit_memory.h):
// an object's code and its constants come from one mapping, so the 32-bit
// PC-relative references between them always reach, whatever the size of
// the constants (a 411 MB classifier weight crashed vgg11 at random before).
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include <llvm/ExecutionEngine/Orc/ThreadSafeModule.h>
#include <llvm/IR/Constants.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/TargetSelect.h>

#include "backends/llvm/jit_memory.h"

TEST_CASE("jit memory: an object's code and constants share one mapping", "[jit]") {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  auto ctx = std::make_unique<llvm::LLVMContext>();
  auto mod = std::make_unique<llvm::Module>("consts", *ctx);
  // 8 MiB of constant data and a function that reads its last byte.
  const size_t n = size_t{8} << 20;
  std::vector<uint8_t> bytes(n);
  for (size_t i = 0; i < n; ++i)
    bytes[i] = static_cast<uint8_t>(i * 31 + 7);
  auto* data = llvm::ConstantDataArray::get(*ctx, llvm::ArrayRef<uint8_t>(bytes));
  auto* table = new llvm::GlobalVariable(*mod, data->getType(), true,
                                         llvm::GlobalValue::ExternalLinkage, data, "table");
  auto* fn_type = llvm::FunctionType::get(llvm::Type::getInt32Ty(*ctx), false);
  auto* fn = llvm::Function::Create(fn_type, llvm::Function::ExternalLinkage, "last", *mod);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(*ctx, "entry", fn));
  llvm::Value* at = b.CreateConstInBoundsGEP2_64(data->getType(), table, 0, n - 1);
  b.CreateRet(b.CreateZExt(b.CreateLoad(b.getInt8Ty(), at), b.getInt32Ty()));

  llvm::orc::LLJITBuilder builder;
  loom::llvm_backend::use_contiguous_object_memory(builder);
  auto jit = builder.create();
  REQUIRE(static_cast<bool>(jit));
  llvm::Error added =
      (*jit)->addIRModule(llvm::orc::ThreadSafeModule(std::move(mod), std::move(ctx)));
  REQUIRE(!added);
  auto f = (*jit)->lookup("last");
  auto t = (*jit)->lookup("table");
  REQUIRE(static_cast<bool>(f));
  REQUIRE(static_cast<bool>(t));
  const uint64_t fa = f->getAddress(), ta = t->getAddress();
  // One mapping: the distance is bounded by the object's size, not by
  // wherever the system put two separate mappings.
  const uint64_t distance = fa > ta ? fa - ta : ta - fa;
  CHECK(distance < n + (uint64_t{1} << 20));
  auto* last = reinterpret_cast<int (*)()>(fa);
  CHECK(last() == static_cast<uint8_t>((n - 1) * 31 + 7));
}
