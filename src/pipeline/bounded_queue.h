// A closable multi-producer, multi-consumer queue with a fixed capacity: the pipeline's
// back-pressure. Producers block while it is full, so memory stays bounded whatever the
// backlog in SQS.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <vector>

namespace amstream::pipeline {

template <typename T>
class BoundedQueue {
 public:
  explicit BoundedQueue(size_t capacity) : capacity_(capacity) {}

  // Blocks while the queue is full. Items pushed after Close are still delivered.
  void Push(T item) {
    std::unique_lock<std::mutex> lock(mu_);
    not_full_.wait(lock, [&] { return items_.size() < capacity_; });
    items_.push_back(std::move(item));
    not_empty_.notify_one();
  }

  // Waits up to `first_wait` for one item, then up to `linger` more for the batch to
  // fill to `max_items`. Appends to `out`; returns false once closed and drained.
  bool PopBatch(size_t max_items, std::chrono::milliseconds first_wait,
                std::chrono::milliseconds linger, std::vector<T>* out) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!not_empty_.wait_for(lock, first_wait, [&] { return !items_.empty() || closed_; })) {
      return true;
    }
    if (items_.empty()) {
      return false;  // closed and drained
    }
    auto deadline = std::chrono::steady_clock::now() + linger;
    while (items_.size() < max_items && !closed_ &&
           not_empty_.wait_until(lock, deadline) != std::cv_status::timeout) {
    }
    size_t take = std::min(max_items, items_.size());
    for (size_t i = 0; i < take; ++i) {
      out->push_back(std::move(items_.front()));
      items_.pop_front();
    }
    not_full_.notify_all();
    return true;
  }

  // No more items will come; consumers drain what is left and then see false.
  void Close() {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    not_empty_.notify_all();
  }

  size_t size() const {
    std::lock_guard<std::mutex> lock(mu_);
    return items_.size();
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable not_empty_;
  std::condition_variable not_full_;
  std::deque<T> items_;
  size_t capacity_;
  bool closed_ = false;
};

}  // namespace amstream::pipeline
