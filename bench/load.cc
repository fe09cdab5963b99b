#include "load.h"

#include <sys/resource.h>

#include <algorithm>
#include <mutex>
#include <span>
#include <thread>

#include "harness/process.h"
#include "harness/servers.h"

namespace amstream::bench {
namespace {

using testing::HarnessError;

double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// The first failure among a group of threads, thrown once they have all stopped.
class FirstFailure {
 public:
  void Set(std::string text) {
    std::lock_guard lock(mutex_);
    if (text_.empty()) {
      text_ = std::move(text);
    }
  }
  void ThrowIfSet(std::string_view what) {
    std::lock_guard lock(mutex_);
    if (!text_.empty()) {
      throw HarnessError(std::string(what) + ": " + text_);
    }
  }

 private:
  std::mutex mutex_;
  std::string text_;
};

template <typename T>
std::string RefusalText(const Result<std::vector<T>>& result) {
  if (!result.ok()) {
    return result.status().ToString();
  }
  return result->empty() ? "" : result->front().code + ": " + result->front().message;
}

}  // namespace

double EpochMs(WallClock::time_point t) {
  return std::chrono::duration<double, std::milli>(t.time_since_epoch()).count();
}

std::string_view IdempotencyIdOf(std::string_view body) {
  constexpr std::string_view kKey = "idempotency_id";
  constexpr size_t kUuidLength = 36;
  size_t at = body.find(kKey);
  if (at == std::string_view::npos) {
    return {};
  }
  // Skips `":"` raw, or `\":\"` inside an envelope's Message string.
  at += kKey.size();
  while (at < body.size() && (body[at] == '"' || body[at] == '\\' || body[at] == ':')) {
    ++at;
  }
  return body.substr(at, std::min(kUuidLength, body.size() - at));
}

DrainResult DrainTrivially(const std::string& endpoint, const std::string& queue_url,
                           int64_t expected, int threads, const OnDeleted& on_deleted) {
  std::atomic<int64_t> done{0};
  std::atomic<bool> finished{false};
  Clock::time_point end{};
  FirstFailure failure;
  auto loop = [&] {
    sqs::Client client = MakeSqsClient(endpoint);
    sqs::ReceiveOptions options;
    options.wait_seconds = 1;
    options.cancel = &finished;
    std::vector<std::string> handles;
    while (!finished.load()) {
      Result<std::vector<ams::Delivery>> received = client.Receive(queue_url, options);
      if (!received.ok()) {
        if (received.status().code() != Code::kCancelled) {
          failure.Set(received.status().ToString());
          finished = true;
        }
        return;
      }
      handles.clear();
      for (const ams::Delivery& delivery : *received) {
        handles.push_back(delivery.receipt_handle);
      }
      auto refused = client.DeleteBatch(queue_url, handles);
      if (std::string text = RefusalText(refused); !text.empty()) {
        failure.Set(text);
        finished = true;
        return;
      }
      if (on_deleted) {
        on_deleted(*received, WallClock::now());
      }
      auto count = static_cast<int64_t>(handles.size());
      if (done.fetch_add(count) + count >= expected && !finished.exchange(true)) {
        end = Clock::now();
      }
    }
  };

  double cpu_before = ProcessCpuSeconds();
  MachineCpu machine_before = MachineCpu::Now();
  Clock::time_point start = Clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back(loop);
  }
  for (std::thread& t : workers) {
    t.join();
  }
  failure.ThrowIfSet("trivial consumer");
  if (end == Clock::time_point{}) {
    end = Clock::now();
  }
  return {.messages = done.load(),
          .seconds = Seconds(end - start),
          .cpu_seconds = ProcessCpuSeconds() - cpu_before,
          .busy_cores = MachineCpu::Now().BusyCoresSince(machine_before)};
}

std::unordered_map<std::string, double> SendSteadily(const std::string& queue_url,
                                                     const std::vector<std::string>& bodies,
                                                     double rate) {
  constexpr size_t kBatch = 10;
  constexpr size_t kSenders = 2;
  const size_t batches = (bodies.size() + kBatch - 1) / kBatch;
  const auto period = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(static_cast<double>(kBatch) / rate));
  std::vector<double> sent_ms(bodies.size());
  FirstFailure failure;
  const std::string endpoint = testing::Fauxqs::Shared().endpoint();
  const Clock::time_point start = Clock::now();

  auto sender = [&](size_t first) {
    sqs::Client client = MakeSqsClient(endpoint);
    std::span<const std::string> all(bodies);
    for (size_t b = first; b < batches; b += kSenders) {
      std::this_thread::sleep_until(start + period * static_cast<int64_t>(b));
      size_t offset = b * kBatch;
      size_t n = std::min(kBatch, all.size() - offset);
      std::fill_n(sent_ms.begin() + static_cast<ptrdiff_t>(offset), n, EpochMs(WallClock::now()));
      if (std::string text = RefusalText(client.SendBatch(queue_url, all.subspan(offset, n)));
          !text.empty()) {
        failure.Set(text);
        return;
      }
    }
  };
  std::vector<std::thread> senders;
  for (size_t s = 0; s < kSenders; ++s) {
    senders.emplace_back(sender, s);
  }
  for (std::thread& t : senders) {
    t.join();
  }
  failure.ThrowIfSet("steady sender");

  std::unordered_map<std::string, double> by_id;
  for (size_t i = 0; i < bodies.size(); ++i) {
    by_id.emplace(IdempotencyIdOf(bodies[i]), sent_ms[i]);
  }
  return by_id;
}

}  // namespace amstream::bench
