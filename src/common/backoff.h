// Capped exponential backoff with full jitter, and sleeps that end early on shutdown.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <random>

namespace amstream {

// Not thread-safe: each retry loop owns one.
class Backoff {
 public:
  Backoff(std::chrono::milliseconds base, std::chrono::milliseconds cap);

  // The next delay: uniform in [base/2, min(cap, base * 2^attempts)].
  std::chrono::milliseconds Next();
  // Back to the first delay after a success.
  void Reset() { attempts_ = 0; }
  int attempts() const { return attempts_; }

 private:
  std::chrono::milliseconds base_;
  std::chrono::milliseconds cap_;
  int attempts_ = 0;
  std::minstd_rand rng_;
};

// Sleeps for `duration`, waking every 50 ms to return early once `stop` is true.
// Returns false if it was cut short.
bool SleepUnlessStopped(std::chrono::milliseconds duration, const std::atomic<bool>& stop);

}  // namespace amstream
