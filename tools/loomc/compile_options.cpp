// The command-line options shared by every loomc command that compiles a model.
#include <unistd.h>

#include <cstdio>
#include <memory>

#include <fmt/format.h>

#include "compiler/compile.h"
#include "runtime/compile_cache.h"
#include "tools/loomc/cli.h"

namespace loomc {

loom::CompileOptions compile_options(Args& args) {
  loom::CompileOptions o;
  if (auto t = args.take("--target")) o.target = *t;
  loom::check_target(o.target);
  if (auto t = args.take("--threads")) {
    try {
      size_t used = 0;
      o.threads = std::stoi(*t, &used);
      if (used != t->size() || o.threads < 0 || o.threads > 1024) throw std::invalid_argument(*t);
    } catch (const std::exception&) {
      throw loom::UsageError(
          fmt::format("--threads '{}': expected a number from 0 (one per core) to 1024", *t));
    }
  }
  if (auto t = args.take("--compile-threads")) {
    try {
      size_t used = 0;
      o.compile_threads = std::stoi(*t, &used);
      if (used != t->size() || o.compile_threads < 0 || o.compile_threads > 64)
        throw std::invalid_argument(*t);
    } catch (const std::exception&) {
      throw loom::UsageError(
          fmt::format("--compile-threads '{}': expected a number from 0 (one per core) to 64", *t));
    }
  }
  if (auto s = args.take("--schedule")) o.schedule = *s;
  loom::check_schedule(o.schedule);
  if (auto d = args.take("--dump-llvm")) o.dump_llvm_dir = *d;
  for (const std::string& list : args.take_all("--print-after")) {
    size_t start = 0;
    while (start <= list.size()) {
      size_t comma = list.find(',', start);
      if (comma == std::string::npos) comma = list.size();
      if (comma > start) o.passes.print_after.insert(list.substr(start, comma - start));
      start = comma + 1;
    }
  }
  o.passes.print_after_all = args.flag("--print-after-all");
  // One cache for the whole process (a command may compile several models);
  // it must outlive every compile, hence the static.
  static std::unique_ptr<loom::CompileCache> cache;
  const bool no_cache = args.flag("--no-cache");
  std::string dir = loom::default_compile_cache_dir();
  if (auto d = args.take("--cache-dir")) {
    if (d->empty()) throw loom::UsageError("--cache-dir: expected a directory");
    dir = *d;
  }
  if (!no_cache && !dir.empty()) {
    if (!cache || cache->dir() != dir) cache = std::make_unique<loom::CompileCache>(dir);
    o.cache = cache.get();
  }
  loom::check_pass_names(o.passes.print_after);
  // Progress only where someone watches: a terminal on stderr, so that
  // nothing is mixed into output scripts capture.
  if (!args.flag("--quiet") && isatty(fileno(stderr)))
    o.progress = [](const loom::CompileProgress& p) {
      if (p.stage == "kernel")
        fmt::print(stderr, "\r\033[Kcompiling {}/{} kernels: {:.60}", p.done + 1, p.total, p.group);
      else if (p.stage == "done")
        fmt::print(stderr, "\r\033[K");
      std::fflush(stderr);
    };
  return o;
}

ScheduleDump::ScheduleDump(Args& args, loom::CompileOptions& options)
    : path_(args.take("--dump-schedule")) {
  if (path_) options.schedules_used = &schedules_;
}

void ScheduleDump::save() const {
  if (path_) loom::save_model_schedule_file(schedules_, *path_);
}

std::string compile_options_help() {
  return fmt::format(
      "  --target T            host (default), x86-64-avx512, x86-64-avx2, x86-64\n"
      "  --threads N           threads per kernel (default 1; 0: one per core)\n"
      "  --schedule S          how Halide groups are scheduled: default (heuristic),\n"
      "                        mullapudi2016, adams2019, li2018 (Halide autoschedulers),\n"
      "                        or FILE.json from --dump-schedule (per group by name; a\n"
      "                        group missing from the file: default schedule + warning)\n"
      "  --dump-schedule F     (check, run) save the schedule of every Halide group\n"
      "                        compiled to F (JSON, one entry per group)\n"
      "  --dump-llvm DIR       write the generated LLVM IR (.ll) and assembly (.s) to DIR\n"
      "  --print-after P[,P]   print the IR after these passes to stderr ({})\n"
      "  --print-after-all     print the IR after every pass\n"
      "  --compile-threads N   threads that compile kernels (default 0: one per core)\n"
      "  --cache-dir DIR       compile cache (default $LOOM_CACHE_DIR, else\n"
      "                        ~/.cache/loom): compiled kernels keyed by model, target,\n"
      "                        threads, schedule and Loom build; a hit skips codegen\n"
      "  --no-cache            compile every kernel (the Halide runtime object, which\n"
      "                        depends only on Loom's build and the target, is still\n"
      "                        taken from the default cache)\n"
      "  --quiet               no compile progress line (shown only when stderr is a\n"
      "                        terminal)\n",
      fmt::join(loom::known_pass_names(), ", "));
}

}  // namespace loomc
