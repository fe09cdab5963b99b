#include "common/backoff.h"

#include <algorithm>
#include <thread>

namespace amstream {
namespace {

// Jitter only has to differ between threads and processes. Reading std::random_device
// for every Backoff cost several per cent of the consumer's CPU, as one is made per
// delete batch; one device read per thread seeds all of that thread's backoffs.
unsigned NextSeed() {
  thread_local std::minstd_rand seeds(std::random_device{}());
  return static_cast<unsigned>(seeds());
}

}  // namespace

Backoff::Backoff(std::chrono::milliseconds base, std::chrono::milliseconds cap)
    : base_(base), cap_(cap), rng_(NextSeed()) {}

std::chrono::milliseconds Backoff::Next() {
  int64_t ceiling = base_.count();
  for (int i = 0; i < attempts_ && ceiling < cap_.count(); ++i) {
    ceiling *= 2;
  }
  ceiling = std::min<int64_t>(ceiling, cap_.count());
  ++attempts_;
  int64_t floor = std::min<int64_t>(base_.count() / 2, ceiling);
  std::uniform_int_distribution<int64_t> pick(floor, ceiling);
  return std::chrono::milliseconds(pick(rng_));
}

bool SleepUnlessStopped(std::chrono::milliseconds duration, const std::atomic<bool>& stop) {
  auto deadline = std::chrono::steady_clock::now() + duration;
  while (!stop.load(std::memory_order_relaxed)) {
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      return true;
    }
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        deadline - now, std::chrono::milliseconds(50)));
  }
  return false;
}

}  // namespace amstream
