// Which received messages need their visibility timeout extended, and when.
//
// SQS hides a received message for the visibility timeout; if amstream is still working
// on it then (a slow database, a long retry), the message reappears and another
// consumer takes it. The keeper tracks every receipt handle from receive until delete
// or release, and hands out the ones whose extension is due: once `share` of the
// timeout has passed since the last extension. It stops extending a message after
// `max_total` from its receipt, so a stuck process cannot hide messages forever.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace amstream::pipeline {

class VisibilityKeeper {
 public:
  using Clock = std::chrono::steady_clock;

  // A zero `timeout` disables the keeper: Due() is always empty.
  VisibilityKeeper(std::chrono::seconds timeout, double share, std::chrono::seconds max_total);

  // Starts tracking handles received at `now`.
  void Add(std::span<const std::string> handles, Clock::time_point now);
  // Stops tracking handles (deleted or released).
  void Remove(std::span<const std::string> handles);

  // The handles whose extension is due at `now`, most urgent first; they count as
  // extended from `now`. Handles past max_total are dropped and counted in `*expired`
  // (may be null).
  std::vector<std::string> Due(Clock::time_point now, int64_t* expired = nullptr);

  // How long the oldest tracked message has been in flight, as of the last Due(); zero
  // when nothing is tracked. Receivers pause while this passes share × timeout: the
  // pipeline then holds more than it can commit within the timeout, and receiving more
  // would only make messages wait past it.
  Clock::duration oldest_age() const { return Clock::duration(oldest_age_.load()); }
  bool Overloaded() const { return timeout_.count() > 0 && oldest_age() >= interval_; }

  std::chrono::seconds timeout() const { return timeout_; }
  size_t tracked() const;

 private:
  struct Entry {
    Clock::time_point received;
    Clock::time_point next_due;
  };

  const std::chrono::seconds timeout_;
  const Clock::duration interval_;  // share × timeout
  const std::chrono::seconds max_total_;
  std::atomic<Clock::rep> oldest_age_{0};
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace amstream::pipeline
