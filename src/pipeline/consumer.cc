#include "pipeline/consumer.h"

#include <fmt/format.h>

#include <thread>
#include <vector>

#include "ams/classify.h"
#include "common/backoff.h"
#include "common/log.h"
#include "pipeline/batch_writer.h"
#include "pipeline/bounded_queue.h"
#include "pipeline/visibility_keeper.h"

namespace amstream::pipeline {
namespace {

constexpr std::string_view kLog = "pipeline";
constexpr size_t kSqsBatchLimit = 10;
constexpr int kDeleteAttempts = 5;
constexpr auto kSummaryInterval = std::chrono::seconds(30);
constexpr auto kSlowRetry = std::chrono::milliseconds(15'000);

int64_t NowMs() { return SteadyNowMs(); }

// Records the start of a run of failures, keeping the first one's time.
void MarkFailing(std::atomic<int64_t>& since) {
  int64_t none = 0;
  since.compare_exchange_strong(none, NowMs());
}

}  // namespace

int64_t SteadyNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// State shared by the stage threads of one Run.
struct Consumer::Pipeline {
  Pipeline(Consumer* owner, const std::atomic<bool>* stop_signal)
      : consumer(owner),
        external_stop(stop_signal),
        parsed(owner->options_.buffer_messages),
        deletes(owner->options_.buffer_messages),
        extends(owner->options_.buffer_messages),
        keeper(owner->options_.visibility_timeout, owner->options_.visibility_extension_share,
               owner->options_.visibility_extension_max) {}

  void ReceiveLoop(QueueClient* client);
  void WriteLoop(QueueClient* client);
  void DeleteLoop(QueueClient* client);
  void KeepVisibleLoop();
  void ExtendLoop(QueueClient* client);

  void Commit(QueueClient* client, std::span<ams::Message> batch);
  void Count(const store::WriteStats& written);
  void Release(QueueClient* client, std::span<const ams::Message> batch);
  void DeleteWithRetry(QueueClient* client, std::vector<std::string> handles);
  bool Idle(std::chrono::milliseconds limit) const;

  Consumer* consumer;
  ConsumerStats& stats = consumer->stats_;
  const std::atomic<bool>* external_stop;
  // Set once receiving must end (signal or idle); cancels polls that are waiting.
  std::atomic<bool> stopping{false};
  BoundedQueue<ams::Message> parsed;
  BoundedQueue<std::string> deletes;
  BoundedQueue<std::string> extends;  // handles whose visibility is due for extension
  std::atomic<int> live_receivers{0};
  // Received but not yet deleted or released: zero means nothing is in flight.
  std::atomic<int64_t>& in_flight = stats.in_flight;
  std::atomic<int64_t> last_receive_ms{NowMs()};
  VisibilityKeeper keeper;
  // Set once the writer and deleters have finished: the keeper thread then ends.
  std::atomic<bool> finished{false};
};

void Consumer::Pipeline::ReceiveLoop(QueueClient* client) {
  ams::Classifier classifier;
  Backoff backoff(std::chrono::milliseconds(200), std::chrono::seconds(20));
  log::RateLimit limit(std::chrono::seconds(10));
  while (!stopping.load()) {
    if (keeper.Overloaded()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    Result<std::vector<ams::Delivery>> received = client->Receive(&stopping);
    if (!received.ok()) {
      if (received.status().code() == Code::kCancelled) {
        break;
      }
      MarkFailing(stats.receive_failing_since_ms);
      auto delay = backoff.Next();
      // Rejected credentials or a deleted queue do not heal in milliseconds: retry slowly
      // until the operator fixes them, instead of hammering SQS.
      Code code = received.status().code();
      if (code == Code::kPermissionDenied || code == Code::kNotFound || code == Code::kConfig) {
        delay = std::max<std::chrono::milliseconds>(delay, kSlowRetry);
      }
      if (int64_t suppressed = 0; limit.Allow(&suppressed)) {
        log::Write(IsRetryable(code) ? log::Level::kWarn : log::Level::kError, kLog,
                   "receive failed; retrying",
                   {{"error", received.status().ToString()},
                    {"retry_in_ms", delay.count()},
                    {"suppressed", suppressed}});
      }
      SleepUnlessStopped(delay, stopping);
      continue;
    }
    backoff.Reset();
    stats.receive_failing_since_ms = 0;
    if (received->empty()) {
      continue;
    }
    auto count = static_cast<int64_t>(received->size());
    in_flight += count;
    stats.received += count;
    last_receive_ms = NowMs();
    std::vector<std::string> handles;
    for (const ams::Delivery& delivery : *received) {
      handles.push_back(delivery.receipt_handle);
    }
    keeper.Add(handles, VisibilityKeeper::Clock::now());
    const int limit_count = consumer->options_.max_receive_count;
    for (ams::Delivery& delivery : *received) {
      ams::Message message = classifier.Classify(std::move(delivery));
      if (limit_count > 0 && message.delivery.receive_count > limit_count &&
          !std::holds_alternative<ams::Quarantined>(message.content)) {
        ++stats.over_receive_limit;
        message.content = ams::Quarantined{fmt::format(
            "received {} times, more than --max-receive-count {}: quarantined instead of "
            "processed again",
            message.delivery.receive_count, limit_count)};
      }
      parsed.Push(std::move(message));
    }
  }
  if (--live_receivers == 0) {
    parsed.Close();
  }
}

void Consumer::Pipeline::WriteLoop(QueueClient* client) {
  std::vector<ams::Message> batch;
  const ConsumerOptions& options = consumer->options_;
  while (true) {
    batch.clear();
    if (!parsed.PopBatch(options.batch_messages, std::chrono::milliseconds(100),
                         options.batch_linger, &batch)) {
      break;
    }
    if (!batch.empty()) {
      Commit(client, batch);
    }
  }
  deletes.Close();
}

void Consumer::Pipeline::Commit(QueueClient* client, std::span<ams::Message> batch) {
  Backoff backoff(std::chrono::milliseconds(100), std::chrono::seconds(10));
  log::RateLimit limit(std::chrono::seconds(10));
  while (true) {
    Result<store::WriteStats> written = WriteIsolatingRefusals(consumer->store_, batch);
    if (written.ok()) {
      stats.write_failing_since_ms = 0;
      Count(*written);
      for (const ams::Message& message : batch) {
        deletes.Push(message.delivery.receipt_handle);
      }
      return;
    }
    const Status& error = written.status();
    ++stats.write_retries;
    MarkFailing(stats.write_failing_since_ms);
    if (stopping.load() && backoff.attempts() >= 3) {
      log::Error(kLog, "giving up on a batch at shutdown; its messages stay in the queue",
                 {{"error", error.ToString()}, {"messages", batch.size()}});
      Release(client, batch);
      return;
    }
    auto delay = backoff.Next();
    if (int64_t suppressed = 0; limit.Allow(&suppressed)) {
      log::Write(IsRetryable(error.code()) ? log::Level::kWarn : log::Level::kError, kLog,
                 "write failed; retrying",
                 {{"error", error.ToString()},
                  {"messages", batch.size()},
                  {"retry_in_ms", delay.count()}});
    }
    SleepUnlessStopped(delay, *external_stop);
  }
}

void Consumer::Pipeline::Count(const store::WriteStats& written) {
  ++stats.batches;
  stats.records_stored += written.records_stored;
  stats.duplicates += written.duplicates;
  stats.blog_rows += written.blog_rows;
  stats.quarantined += written.quarantined;
  stats.confirmations += written.confirmations;
}

// Makes uncommitted messages visible again at once instead of after their timeout.
void Consumer::Pipeline::Release(QueueClient* client, std::span<const ams::Message> batch) {
  std::vector<std::string> handles;
  for (const ams::Message& message : batch) {
    handles.push_back(message.delivery.receipt_handle);
  }
  for (size_t i = 0; i < handles.size(); i += kSqsBatchLimit) {
    size_t n = std::min(kSqsBatchLimit, handles.size() - i);
    Result<std::vector<EntryFailure>> changed =
        client->ChangeVisibility(std::span<const std::string>(handles).subspan(i, n), 0);
    if (!changed.ok()) {
      log::Warn(kLog, "could not release messages; they reappear after their visibility timeout",
                {{"error", changed.status().ToString()}});
    }
  }
  keeper.Remove(handles);
  stats.released += static_cast<int64_t>(batch.size());
  in_flight -= static_cast<int64_t>(batch.size());
}

void Consumer::Pipeline::DeleteLoop(QueueClient* client) {
  std::vector<std::string> handles;
  while (true) {
    handles.clear();
    if (!deletes.PopBatch(kSqsBatchLimit, std::chrono::milliseconds(100),
                          std::chrono::milliseconds(5), &handles)) {
      break;
    }
    if (!handles.empty()) {
      DeleteWithRetry(client, std::move(handles));
      handles = {};
    }
  }
}

void Consumer::Pipeline::DeleteWithRetry(QueueClient* client, std::vector<std::string> handles) {
  const auto total = static_cast<int64_t>(handles.size());
  // Whatever the outcome, these are no longer worth keeping invisible: deleted, or
  // committed and left to come back as duplicates.
  const std::vector<std::string> all = handles;
  Backoff backoff(std::chrono::milliseconds(100), std::chrono::seconds(5));
  std::string last_error;
  for (int attempt = 0; attempt < kDeleteAttempts && !handles.empty(); ++attempt) {
    if (attempt > 0) {
      SleepUnlessStopped(backoff.Next(), *external_stop);
    }
    Result<std::vector<EntryFailure>> failed = client->Delete(handles);
    if (!failed.ok()) {
      last_error = failed.status().ToString();
      continue;
    }
    std::vector<std::string> retry;
    for (const EntryFailure& failure : *failed) {
      retry.push_back(handles[failure.index]);
      last_error = failure.code + ": " + failure.message;
    }
    stats.deleted += static_cast<int64_t>(handles.size() - retry.size());
    handles = std::move(retry);
  }
  if (!handles.empty()) {
    stats.delete_failures += static_cast<int64_t>(handles.size());
    log::Warn(kLog,
              "could not delete committed messages; they will be received again and skipped "
              "as duplicates",
              {{"messages", handles.size()}, {"error", last_error}});
  }
  keeper.Remove(all);
  in_flight -= total;
}

void Consumer::Pipeline::KeepVisibleLoop() {
  log::RateLimit limit(std::chrono::seconds(30));
  while (!finished.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    int64_t expired = 0;
    std::vector<std::string> due = keeper.Due(VisibilityKeeper::Clock::now(), &expired);
    if (int64_t suppressed = 0; expired > 0 && limit.Allow(&suppressed)) {
      log::Warn(kLog,
                "stopped extending the visibility of messages still in flight after "
                "--visibility-extension-max; they may be received again",
                {{"messages", expired}, {"suppressed", suppressed}});
    }
    for (std::string& handle : due) {
      extends.Push(std::move(handle));
    }
  }
  extends.Close();
}

// Several of these run at once: one thread sending ten handles per call cannot keep a
// full buffer visible when the timeout is short.
void Consumer::Pipeline::ExtendLoop(QueueClient* client) {
  const int seconds = static_cast<int>(keeper.timeout().count());
  log::RateLimit limit(std::chrono::seconds(30));
  std::vector<std::string> handles;
  while (true) {
    handles.clear();
    if (!extends.PopBatch(kSqsBatchLimit, std::chrono::milliseconds(100),
                          std::chrono::milliseconds(2), &handles)) {
      break;
    }
    if (handles.empty()) {
      continue;
    }
    Result<std::vector<EntryFailure>> changed = client->ChangeVisibility(handles, seconds);
    // A refused entry is usually a message deleted meanwhile; a failed call is tried
    // again when the messages are next due, while their timeout still has time to run.
    if (changed.ok()) {
      stats.visibility_extended += static_cast<int64_t>(handles.size() - changed->size());
    } else if (int64_t suppressed = 0; limit.Allow(&suppressed)) {
      log::Warn(kLog, "could not extend visibility; retrying",
                {{"error", changed.status().ToString()}, {"suppressed", suppressed}});
    }
  }
}

bool Consumer::Pipeline::Idle(std::chrono::milliseconds limit) const {
  return in_flight.load() == 0 && NowMs() - last_receive_ms.load() >= limit.count();
}

Consumer::Consumer(ConsumerOptions options, QueueClientFactory queue, store::Store* store)
    : options_(std::move(options)), queue_(std::move(queue)), store_(store) {}

Status Consumer::Run(const std::atomic<bool>& stop) {
  options_.receivers = std::max(1, options_.receivers);
  options_.deleters = std::max(1, options_.deleters);
  std::vector<std::unique_ptr<QueueClient>> clients;
  // Receivers, the writer, deleters, and visibility extenders (a quarter as many as
  // deleters: extensions are due only for messages held past half their timeout).
  const int extenders = std::max(2, options_.deleters / 4);
  for (int i = 0; i < options_.receivers + 1 + options_.deleters + extenders; ++i) {
    Result<std::unique_ptr<QueueClient>> client = queue_();
    if (!client.ok()) {
      return client.status();
    }
    clients.push_back(std::move(*client));
  }

  Pipeline p(this, &stop);
  p.live_receivers = options_.receivers;
  std::vector<std::thread> receivers;
  std::vector<std::thread> deleters;
  size_t next = 0;
  for (int i = 0; i < options_.receivers; ++i) {
    receivers.emplace_back(&Pipeline::ReceiveLoop, &p, clients[next++].get());
  }
  std::thread writer(&Pipeline::WriteLoop, &p, clients[next++].get());
  for (int i = 0; i < options_.deleters; ++i) {
    deleters.emplace_back(&Pipeline::DeleteLoop, &p, clients[next++].get());
  }
  std::thread visibility(&Pipeline::KeepVisibleLoop, &p);
  std::vector<std::thread> extender_threads;
  for (int i = 0; i < extenders; ++i) {
    extender_threads.emplace_back(&Pipeline::ExtendLoop, &p, clients[next++].get());
  }
  log::Info(kLog, "consuming",
            {{"receivers", options_.receivers},
             {"deleters", options_.deleters},
             {"batch_messages", options_.batch_messages},
             {"store", store_->kind()}});

  auto next_summary = std::chrono::steady_clock::now() + kSummaryInterval;
  while (!stop.load()) {
    if (options_.exit_when_idle && p.Idle(*options_.exit_when_idle)) {
      log::Info(kLog, "queue idle; stopping");
      break;
    }
    if (std::chrono::steady_clock::now() >= next_summary) {
      next_summary += kSummaryInterval;
      log::Info(kLog, "progress",
                {{"received", stats_.received.load()},
                 {"stored", stats_.records_stored.load()},
                 {"duplicates", stats_.duplicates.load()},
                 {"quarantined", stats_.quarantined.load()},
                 {"deleted", stats_.deleted.load()}});
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }

  log::Info(kLog, "draining", {{"in_flight", p.in_flight.load()}});
  p.stopping = true;
  for (std::thread& t : receivers) t.join();
  writer.join();
  for (std::thread& t : deleters) t.join();
  p.finished = true;
  visibility.join();
  for (std::thread& t : extender_threads) t.join();
  log::Info(kLog, "stopped",
            {{"received", stats_.received.load()},
             {"stored", stats_.records_stored.load()},
             {"duplicates", stats_.duplicates.load()},
             {"blog_rows", stats_.blog_rows.load()},
             {"quarantined", stats_.quarantined.load()},
             {"confirmations", stats_.confirmations.load()},
             {"deleted", stats_.deleted.load()},
             {"delete_failures", stats_.delete_failures.load()},
             {"released", stats_.released.load()},
             {"visibility_extended", stats_.visibility_extended.load()},
             {"over_receive_limit", stats_.over_receive_limit.load()}});
  return Status::Ok();
}

}  // namespace amstream::pipeline
