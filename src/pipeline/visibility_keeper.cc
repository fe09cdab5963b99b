#include "pipeline/visibility_keeper.h"

#include <algorithm>

namespace amstream::pipeline {

VisibilityKeeper::VisibilityKeeper(std::chrono::seconds timeout, double share,
                                   std::chrono::seconds max_total)
    : timeout_(timeout),
      interval_(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
          static_cast<double>(timeout.count()) * std::clamp(share, 0.05, 0.95)))),
      max_total_(max_total) {}

void VisibilityKeeper::Add(std::span<const std::string> handles, Clock::time_point now) {
  if (timeout_.count() == 0) {
    return;
  }
  std::lock_guard lock(mutex_);
  for (const std::string& handle : handles) {
    entries_.insert_or_assign(handle, Entry{now, now + interval_});
  }
}

void VisibilityKeeper::Remove(std::span<const std::string> handles) {
  if (timeout_.count() == 0) {
    return;
  }
  std::lock_guard lock(mutex_);
  for (const std::string& handle : handles) {
    entries_.erase(handle);
  }
}

std::vector<std::string> VisibilityKeeper::Due(Clock::time_point now, int64_t* expired) {
  std::vector<std::pair<Clock::time_point, std::string>> due;
  int64_t dropped = 0;
  Clock::time_point oldest = now;
  {
    std::lock_guard lock(mutex_);
    for (auto it = entries_.begin(); it != entries_.end();) {
      Entry& entry = it->second;
      if (now - entry.received >= max_total_) {
        it = entries_.erase(it);
        ++dropped;
        continue;
      }
      oldest = std::min(oldest, entry.received);
      if (now >= entry.next_due) {
        due.emplace_back(entry.next_due, it->first);
        entry.next_due = now + interval_;
      }
      ++it;
    }
  }
  oldest_age_ = (now - oldest).count();
  // The longest overdue first: if extending falls behind, the messages closest to
  // reappearing are still served in time.
  std::sort(due.begin(), due.end());
  std::vector<std::string> handles;
  handles.reserve(due.size());
  for (auto& [when, handle] : due) {
    handles.push_back(std::move(handle));
  }
  if (expired != nullptr) {
    *expired = dropped;
  }
  return handles;
}

size_t VisibilityKeeper::tracked() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace amstream::pipeline
