// ThreadTeam and SpinBarrier: persistent pinned workers and the lock-step
// barrier the recurrent kernels meet at once per time step.
#include "runtime/thread_team.h"

#include <algorithm>
#include <chrono>

#include <pthread.h>
#include <sched.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace loom {
namespace {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

// A barrier spins this many pause rounds before yielding the core. A barrier
// round costs well under a microsecond when both threads run; the bound only
// matters when a thread was descheduled.
constexpr int kBarrierSpins = 1 << 14;
constexpr int kOversubscribedSpins = 64;
// An idle worker keeps polling (yielding) this long before it sleeps.
constexpr auto kIdleSpin = std::chrono::microseconds(300);

std::vector<int> allowed_cpus() {
  std::vector<int> cpus;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    for (int c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &set)) cpus.push_back(c);
  }
  return cpus;
}

bool pin_thread(pthread_t thread, int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(thread, sizeof(set), &set) == 0;
}

}  // namespace

void SpinBarrier::reset(int count) {
  count_ = count < 1 ? 1 : count;
  arrived_.store(0, std::memory_order_relaxed);
}

void SpinBarrier::arrive_and_wait() {
  if (count_ <= 1) return;
  const uint32_t sense = sense_.load(std::memory_order_acquire);
  if (arrived_.fetch_add(1, std::memory_order_acq_rel) == count_ - 1) {
    // Last to arrive: reset the counter before releasing the others, so a
    // fast thread that reaches the next round counts from zero.
    arrived_.store(0, std::memory_order_relaxed);
    sense_.store(sense + 1, std::memory_order_release);
    return;
  }
  int spins = 0;
  while (sense_.load(std::memory_order_acquire) == sense) {
    if (++spins < spin_limit_) {
      cpu_relax();
    } else {
      std::this_thread::yield();
    }
  }
}

void SpinBarrier::wait_thunk(void* arg) {
  static_cast<SpinBarrier*>(arg)->arrive_and_wait();
}

int ThreadTeam::hardware_threads() {
  const auto cpus = allowed_cpus();
  if (!cpus.empty()) return static_cast<int>(cpus.size());
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

ThreadTeam::ThreadTeam(int threads, bool pin) {
  size_ = threads <= 0 ? hardware_threads() : threads;
  const std::vector<int> cpus = allowed_cpus();
  // Two spinning threads pinned to one core are the worst case (each spins
  // away the other's time slice), so pin only when every thread gets its own.
  const bool can_pin = pin && static_cast<int>(cpus.size()) >= size_;
  oversubscribed_ = static_cast<int>(cpus.empty() ? 1 : cpus.size()) < size_;
  pinned_ = can_pin;
  if (can_pin) caller_cpu_ = cpus[0];
  workers_.reserve(static_cast<size_t>(size_ - 1));
  for (int i = 1; i < size_; ++i) {
    workers_.emplace_back([this, i] { worker_main(i); });
    if (can_pin) {
      worker_cpus_.push_back(cpus[static_cast<size_t>(i)]);
      if (!pin_thread(workers_.back().native_handle(), cpus[static_cast<size_t>(i)]))
        pinned_ = false;
    }
  }
}

ThreadTeam::~ThreadTeam() {
  stop_.store(true, std::memory_order_seq_cst);
  generation_.fetch_add(1, std::memory_order_seq_cst);
  generation_.notify_all();
  for (auto& t : workers_)
    t.join();
}

void ThreadTeam::worker_main(int index) {
  uint32_t seen = 0;
  for (;;) {
    uint32_t gen = generation_.load(std::memory_order_acquire);
    if (gen == seen) {
      const auto until = std::chrono::steady_clock::now() +
                         (oversubscribed_ ? std::chrono::microseconds(0) : kIdleSpin);
      int spins = 0;
      // Linger by yielding, not pausing: between two team jobs the model may
      // run Halide kernels on Halide's own worker threads, and a worker that
      // held its core in a pause loop made those wait for a time slice (CRNN,
      // 2 threads: conv 32->64 0.29 -> 0.20 ms median). A yield hands the
      // core over at once when anything else is runnable, and costs the
      // next job under a microsecond of wake-up when nothing is.
      while ((gen = generation_.load(std::memory_order_acquire)) == seen) {
        std::this_thread::yield();
        if ((++spins & 63) == 0 && std::chrono::steady_clock::now() > until) {
          generation_.wait(seen, std::memory_order_acquire);
        }
      }
    }
    seen = gen;
    if (stop_.load(std::memory_order_acquire)) return;
    if (index < job_n_) (*job_)(index);
    done_.fetch_add(1, std::memory_order_acq_rel);
  }
}

void ThreadTeam::parallel_for(int n, const std::function<void(int)>& fn) {
  if (n < 1) n = 1;
  if (n > size_) n = size_;
  cpu_set_t saved;
  bool restore = false;
  // Pinning costs two system calls (~4 us here); only pay them when the
  // caller sits on a core a worker is pinned to, the case where the two
  // would spin against each other on one core.
  if (pin_caller_ && pinned_ && caller_cpu_ >= 0 &&
      std::find(worker_cpus_.begin(), worker_cpus_.end(), sched_getcpu()) != worker_cpus_.end()) {
    CPU_ZERO(&saved);
    restore = pthread_getaffinity_np(pthread_self(), sizeof(saved), &saved) == 0 &&
              pin_thread(pthread_self(), caller_cpu_);
  }
  if (n == 1 || workers_.empty()) {
    fn(0);
  } else {
    job_ = &fn;
    job_n_ = n;
    done_.store(0, std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_seq_cst);
    generation_.notify_all();
    fn(0);
    const int expect = static_cast<int>(workers_.size());
    const int limit = oversubscribed_ ? kOversubscribedSpins : kBarrierSpins;
    int spins = 0;
    while (done_.load(std::memory_order_acquire) != expect) {
      if (++spins < limit) {
        cpu_relax();
      } else {
        std::this_thread::yield();
      }
    }
    job_ = nullptr;
  }
  if (restore) pthread_setaffinity_np(pthread_self(), sizeof(saved), &saved);
}

}  // namespace loom
