#include "bench_util.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <fstream>
#include <mutex>
#include <span>
#include <thread>

#include "harness/process.h"
#include "harness/servers.h"

namespace amstream::bench {

using testing::HarnessError;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

MachineCpu MachineCpu::Now() {
  std::ifstream stat("/proc/stat");
  std::string cpu;
  stat >> cpu;  // the first line sums every CPU
  MachineCpu out;
  int64_t value = 0;
  for (int field = 0; field < 8 && stat >> value; ++field) {
    out.total += value;
    if (field != 3 && field != 4) {  // idle, iowait
      out.busy += value;
    }
  }
  return out;
}

double MachineCpu::BusyCoresSince(const MachineCpu& before) const {
  auto elapsed = static_cast<double>(total - before.total);
  if (elapsed <= 0) {
    return 0;
  }
  return static_cast<double>(busy - before.busy) / elapsed *
         static_cast<double>(std::thread::hardware_concurrency());
}

double Median(std::vector<double> values) {
  if (values.empty()) {
    return 0;
  }
  std::sort(values.begin(), values.end());
  size_t mid = values.size() / 2;
  return values.size() % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

double Percentile(std::vector<double> values, double share) {
  if (values.empty()) {
    return 0;
  }
  std::sort(values.begin(), values.end());
  auto rank = static_cast<size_t>(std::ceil(share * static_cast<double>(values.size())));
  return values[std::clamp<size_t>(rank, 1, values.size()) - 1];
}

sqs::Client MakeSqsClient(const std::string& endpoint) {
  sqs::ClientConfig config;
  config.endpoint = endpoint;
  config.region = "us-east-1";
  config.credentials.access_key_id = "test";
  config.credentials.secret_access_key = "test";
  Result<sqs::Client> client = sqs::Client::Create(config);
  if (!client.ok()) {
    throw HarnessError("SQS client: " + client.status().ToString());
  }
  return std::move(*client);
}

std::string CreateQueue(const std::string& name) {
  sqs::Client client = MakeSqsClient(testing::Fauxqs::Shared().endpoint());
  Result<std::string> url = client.CreateQueue(name, {{"VisibilityTimeout", "60"}});
  if (!url.ok()) {
    throw HarnessError("creating queue " + name + ": " + url.status().ToString());
  }
  return *url;
}

int64_t QueueDepth(sqs::Client& client, const std::string& queue_url) {
  static const std::vector<std::string> kNames = {"ApproximateNumberOfMessages",
                                                  "ApproximateNumberOfMessagesNotVisible"};
  auto attributes = client.GetQueueAttributes(queue_url, kNames);
  if (!attributes.ok()) {
    return -1;
  }
  return std::stoll((*attributes)[kNames[0]]) + std::stoll((*attributes)[kNames[1]]);
}

Bodies GenerateBodies(int64_t count, uint64_t seed, double duplicate_rate) {
  Bodies out;
  out.bodies.reserve(static_cast<size_t>(count));
  gen::Options options;
  options.messages = count;
  options.seed = seed;
  options.duplicate_rate = duplicate_rate;
  Result<gen::ExpectedTotals> totals = gen::Generate(options, [&out](std::string_view body) {
    out.bodies.emplace_back(body);
    out.bytes += static_cast<int64_t>(body.size());
    return Status::Ok();
  });
  if (!totals.ok()) {
    throw HarnessError("generating bodies: " + totals.status().ToString());
  }
  out.totals = *totals;
  return out;
}

double FillQueue(const std::string& queue_url, const std::vector<std::string>& bodies,
                 int threads) {
  std::atomic<size_t> next{0};
  std::mutex mutex;
  std::string failure;
  const std::string endpoint = testing::Fauxqs::Shared().endpoint();
  auto send = [&] {
    sqs::Client client = MakeSqsClient(endpoint);
    std::span<const std::string> all(bodies);
    for (size_t i = next.fetch_add(10); i < all.size(); i = next.fetch_add(10)) {
      auto refused =
          client.SendBatch(queue_url, all.subspan(i, std::min<size_t>(10, all.size() - i)));
      if (!refused.ok() || !refused->empty()) {
        std::lock_guard lock(mutex);
        failure = refused.ok() ? refused->front().code + ": " + refused->front().message
                               : refused.status().ToString();
        return;
      }
    }
  };
  Clock::time_point start = Clock::now();
  std::vector<std::thread> senders;
  for (int t = 0; t < threads; ++t) {
    senders.emplace_back(send);
  }
  for (std::thread& t : senders) {
    t.join();
  }
  double took = Seconds(Clock::now() - start);
  if (!failure.empty()) {
    throw HarnessError("filling the queue: " + failure);
  }
  return static_cast<double>(bodies.size()) / took;
}

}  // namespace amstream::bench
