// ThreadTeam: a fixed set of persistent worker threads, each pinned to its own
// core, for kernels that run in lock step (recurrent step loops meet at a
// barrier every time step). Threads created per run, or left to the
// scheduler, cost 4-16x on the 2-vCPU machines this project targets (see
// shared/TOOLCHAIN.md), so the team lives as long as the kernel that owns it.
//
// The calling thread takes part as job 0; workers 1..n-1 run the other jobs.
// Idle workers spin briefly, then sleep on a futex (std::atomic::wait), so a
// team costs no CPU between runs.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

namespace loom {

// A reusable barrier for `count` threads: an arrival counter plus a sense flag
// that flips each round. Waiters spin with a pause hint, then yield after a
// bounded spin so an over-subscribed machine still makes progress.
class SpinBarrier {
 public:
  explicit SpinBarrier(int count = 1) : count_(count) {}
  SpinBarrier(const SpinBarrier&) = delete;
  SpinBarrier& operator=(const SpinBarrier&) = delete;

  // Number of participants; only change it while no thread is waiting.
  void reset(int count);
  int count() const { return count_; }
  // Pause rounds before a waiter starts yielding its core; small when the
  // threads outnumber the cores (spinning then only delays the thread
  // everyone waits for).
  void set_spin_limit(int spins) { spin_limit_ = spins < 1 ? 1 : spins; }
  void arrive_and_wait();

  // C-callable form for generated code: `arg` is a SpinBarrier*.
  static void wait_thunk(void* arg);

 private:
  alignas(64) std::atomic<int> arrived_{0};
  alignas(64) std::atomic<uint32_t> sense_{0};
  int count_;
  int spin_limit_ = 1 << 14;
};

class ThreadTeam {
 public:
  // `threads` <= 0 means one per online core. `pin` asks for each thread to
  // be bound to its own core; when pinning is refused (restricted cpuset, a
  // container) the team keeps running unpinned.
  explicit ThreadTeam(int threads, bool pin = true);
  ~ThreadTeam();
  ThreadTeam(const ThreadTeam&) = delete;
  ThreadTeam& operator=(const ThreadTeam&) = delete;

  int size() const { return size_; }
  // Whether every worker was successfully pinned (false when not asked).
  bool pinned() const { return pinned_; }
  // More threads than cores this process may run on.
  bool oversubscribed() const { return oversubscribed_; }

  // Runs fn(0..n-1) on n threads of the team (the caller runs fn(0)) and
  // returns when all have finished. n is clamped to [1, size()]. Not
  // re-entrant: one parallel_for at a time per team; jobs must not throw.
  // With `pin_caller`, a caller found on a worker's core is bound to the
  // first core for the duration of the call and its affinity restored after.
  void parallel_for(int n, const std::function<void(int)>& fn);
  void set_pin_caller(bool on) { pin_caller_ = on; }

  static int hardware_threads();

 private:
  void worker_main(int index);

  int size_;
  bool pinned_ = false;
  bool oversubscribed_ = false;
  bool pin_caller_ = false;
  int caller_cpu_ = -1;
  std::vector<int> worker_cpus_;
  std::vector<std::thread> workers_;
  const std::function<void(int)>* job_ = nullptr;
  int job_n_ = 0;
  alignas(64) std::atomic<uint32_t> generation_{0};
  alignas(64) std::atomic<int> done_{0};
  std::atomic<bool> stop_{false};
};

}  // namespace loom
