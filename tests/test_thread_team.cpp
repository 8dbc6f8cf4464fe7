// Tests of the runtime's ThreadTeam (persistent pinned workers) and
// SpinBarrier (the lock-step barrier of the recurrent kernels).
#include <catch2/catch.hpp>

#include <atomic>
#include <vector>

#include "runtime/thread_team.h"

using namespace loom;

TEST_CASE("ThreadTeam runs every job index exactly once per call", "[runtime][thread_team]") {
  for (int size : {1, 2, 3}) {
    ThreadTeam team(size);
    REQUIRE(team.size() == size);
    for (int n = 1; n <= size; ++n) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(size));
      for (int rep = 0; rep < 500; ++rep)
        team.parallel_for(n, [&](int i) { hits[i]++; });
      for (int i = 0; i < size; ++i) {
        INFO("team " << size << ", n " << n << ", index " << i);
        CHECK(hits[static_cast<size_t>(i)].load() == (i < n ? 500 : 0));
      }
    }
  }
}

TEST_CASE("ThreadTeam clamps n and survives idle gaps (workers sleep and wake)",
          "[runtime][thread_team]") {
  ThreadTeam team(2);
  team.set_pin_caller(true);
  std::atomic<int> sum{0};
  team.parallel_for(7, [&](int i) { sum += i + 1; });
  CHECK(sum.load() == 3);                                     // clamped to 2 jobs: 1 + 2
  std::this_thread::sleep_for(std::chrono::milliseconds(5));  // past the idle spin
  team.parallel_for(0, [&](int i) { sum += 10 * (i + 1); });
  CHECK(sum.load() == 13);
  team.parallel_for(2, [&](int i) { sum += 100 * (i + 1); });
  CHECK(sum.load() == 313);
  CHECK(ThreadTeam::hardware_threads() >= 1);
}

TEST_CASE("SpinBarrier keeps threads in lock step for many rounds", "[runtime][thread_team]") {
  for (int n : {1, 2, 3}) {
    ThreadTeam team(n);
    SpinBarrier barrier(n);
    constexpr int kRounds = 3000;
    std::vector<std::atomic<int>> slot(static_cast<size_t>(n));
    std::atomic<int> mismatches{0};
    team.parallel_for(n, [&](int i) {
      for (int r = 1; r <= kRounds; ++r) {
        slot[static_cast<size_t>(i)].store(r, std::memory_order_relaxed);
        SpinBarrier::wait_thunk(&barrier);
        // Every thread has written round r and none has started round r+1.
        for (int j = 0; j < n; ++j)
          if (slot[static_cast<size_t>(j)].load(std::memory_order_relaxed) != r) ++mismatches;
        barrier.arrive_and_wait();
      }
    });
    INFO("threads " << n);
    CHECK(mismatches.load() == 0);
    for (int j = 0; j < n; ++j)
      CHECK(slot[static_cast<size_t>(j)].load() == kRounds);
  }
}
