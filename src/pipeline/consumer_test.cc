#include "pipeline/consumer.h"

#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace amstream::pipeline {
namespace {

using std::chrono::milliseconds;

// An in-memory queue with SQS's visibility rules, minus the timeout (messages come
// back only when released), shared by every client the factory makes.
struct FakeQueue {
  std::mutex mu;
  std::map<std::string, std::string> visible;    // message id -> body
  std::map<std::string, std::string> invisible;  // receipt handle -> message id
  std::map<std::string, std::string> bodies;
  std::set<std::string> deleted;
  std::set<std::string> fail_delete_once;     // message ids whose first delete fails
  std::map<std::string, int> receive_counts;  // message id -> receives so far
  std::map<std::string, int> extensions;      // message id -> visibility extensions
  int handles_issued = 0;

  void Send(const std::string& id, const std::string& body) {
    std::lock_guard<std::mutex> lock(mu);
    visible[id] = body;
    bodies[id] = body;
  }
};

class FakeClient : public QueueClient {
 public:
  explicit FakeClient(FakeQueue* queue) : q_(queue) {}

  Result<std::vector<ams::Delivery>> Receive(const std::atomic<bool>* cancel) override {
    for (int i = 0; i < 20; ++i) {
      if (cancel->load()) {
        return Status(Code::kCancelled, "cancelled");
      }
      std::vector<ams::Delivery> out;
      {
        std::lock_guard<std::mutex> lock(q_->mu);
        while (!q_->visible.empty() && out.size() < 10) {
          auto it = q_->visible.begin();
          ams::Delivery d;
          d.message_id = it->first;
          d.body = it->second;
          d.receipt_handle = it->first + "#" + std::to_string(++q_->handles_issued);
          d.receive_count = ++q_->receive_counts[it->first];
          q_->invisible[d.receipt_handle] = it->first;
          q_->visible.erase(it);
          out.push_back(std::move(d));
        }
      }
      if (!out.empty()) {
        return out;
      }
      std::this_thread::sleep_for(milliseconds(10));
    }
    return std::vector<ams::Delivery>();
  }

  Result<std::vector<EntryFailure>> Delete(std::span<const std::string> handles) override {
    std::lock_guard<std::mutex> lock(q_->mu);
    std::vector<EntryFailure> failed;
    for (size_t i = 0; i < handles.size(); ++i) {
      std::string id = q_->invisible[handles[i]];
      if (q_->fail_delete_once.erase(id) > 0) {
        failed.push_back({i, "InternalError", "try again"});
        continue;
      }
      q_->deleted.insert(id);
      q_->invisible.erase(handles[i]);
    }
    return failed;
  }

  Result<std::vector<EntryFailure>> ChangeVisibility(std::span<const std::string> handles,
                                                     int seconds) override {
    std::lock_guard<std::mutex> lock(q_->mu);
    if (seconds > 0) {
      for (const std::string& handle : handles) {
        ++q_->extensions[q_->invisible[handle]];
      }
      return std::vector<EntryFailure>();
    }
    for (const std::string& handle : handles) {
      std::string id = q_->invisible[handle];
      q_->invisible.erase(handle);
      q_->visible[id] = q_->bodies[id];
    }
    return std::vector<EntryFailure>();
  }

 private:
  FakeQueue* q_;
};

// Applies messages by id; can be told to be down, or to refuse a poisoned body.
class FakeStore : public store::Store {
 public:
  Status Migrate() override { return Status::Ok(); }

  Result<store::WriteStats> Write(std::span<const ams::Message> messages) override {
    std::this_thread::sleep_for(write_delay);
    std::lock_guard<std::mutex> lock(mu);
    if (down) {
      return UnavailableError("connection refused");
    }
    if (fail_next > 0) {
      --fail_next;
      return UnavailableError("connection reset");
    }
    for (const ams::Message& m : messages) {
      if (m.delivery.body == "POISON" && !std::holds_alternative<ams::Quarantined>(m.content)) {
        return InvalidError("22003: numeric field overflow");
      }
    }
    store::WriteStats stats;
    for (const ams::Message& m : messages) {
      if (std::holds_alternative<ams::Quarantined>(m.content)) {
        quarantined.insert(m.delivery.message_id);
        ++stats.quarantined;
      } else {
        applied.insert(m.delivery.message_id);
        ++stats.records_stored;
      }
    }
    return stats;
  }

  Result<std::vector<store::ReportRow>> Report(const store::ReportQuery&) override {
    return std::vector<store::ReportRow>();
  }
  std::string_view kind() const override { return "fake"; }

  std::mutex mu;
  bool down = false;
  int fail_next = 0;
  milliseconds write_delay{0};
  std::set<std::string> applied;
  std::set<std::string> quarantined;
};

const std::string kRecord =
    R"({"dataset_id":"sp-traffic","idempotency_id":"ID","advertiser_id":"a",)"
    R"("marketplace_id":"m","campaign_id":"c","time_window_start":"2025-06-01T10:00:00Z",)"
    R"("clicks":1,"impressions":2,"cost":0.5})";

class ConsumerTest : public ::testing::Test {
 protected:
  void SendRecords(int count) {
    for (int i = 0; i < count; ++i) {
      std::string id = "m" + std::to_string(i);
      std::string body = kRecord;
      body.replace(body.find("\"ID\""), 4, "\"" + id + "\"");
      queue_.Send(id, body);
    }
  }

  Status RunUntilIdle(ConsumerOptions options = {}) {
    options.exit_when_idle = milliseconds(300);
    options.receivers = 3;
    options.deleters = 2;
    Consumer consumer(options, Factory(), &store_);
    return consumer.Run(never_);
  }

  QueueClientFactory Factory() {
    return [this]() -> Result<std::unique_ptr<QueueClient>> {
      return std::unique_ptr<QueueClient>(std::make_unique<FakeClient>(&queue_));
    };
  }

  FakeQueue queue_;
  FakeStore store_;
  std::atomic<bool> never_{false};
};

TEST_F(ConsumerTest, StoresThenDeletesEveryMessage) {
  SendRecords(250);
  ASSERT_TRUE(RunUntilIdle().ok());
  EXPECT_EQ(store_.applied.size(), 250u);
  EXPECT_EQ(queue_.deleted.size(), 250u);
  EXPECT_TRUE(queue_.invisible.empty());
}

TEST_F(ConsumerTest, RetriesOnlyTheEntriesADeleteBatchRefused) {
  SendRecords(30);
  queue_.fail_delete_once = {"m3", "m17"};
  ASSERT_TRUE(RunUntilIdle().ok());
  EXPECT_EQ(queue_.deleted.size(), 30u);
  EXPECT_TRUE(queue_.fail_delete_once.empty());
}

TEST_F(ConsumerTest, QuarantinesAValueTheDatabaseRefusesWithoutHoldingBackTheOthers) {
  SendRecords(40);
  queue_.Send("poison", "POISON");
  ConsumerOptions options;
  options.batch_linger = milliseconds(200);  // let the poison share a batch with others
  ASSERT_TRUE(RunUntilIdle(options).ok());
  EXPECT_EQ(store_.applied.size(), 40u);
  EXPECT_EQ(store_.quarantined, std::set<std::string>{"poison"});
  EXPECT_EQ(queue_.deleted.size(), 41u);
}

TEST_F(ConsumerTest, RetriesTransientWriteFailuresWithoutLosingMessages) {
  SendRecords(50);
  store_.fail_next = 3;
  ASSERT_TRUE(RunUntilIdle().ok());
  EXPECT_EQ(store_.applied.size(), 50u);
  EXPECT_EQ(queue_.deleted.size(), 50u);
}

TEST_F(ConsumerTest, ExtendsVisibilityWhileASlowWriteIsUnderWayAndStopsOnceDeleted) {
  SendRecords(20);
  store_.write_delay = milliseconds(1500);
  ConsumerOptions options;
  options.visibility_timeout = std::chrono::seconds(1);
  options.visibility_extension_share = 0.5;
  ASSERT_TRUE(RunUntilIdle(options).ok());
  EXPECT_EQ(queue_.deleted.size(), 20u);
  ASSERT_EQ(queue_.extensions.size(), 20u);
  for (const auto& [id, count] : queue_.extensions) {
    EXPECT_GE(count, 1) << id;
    EXPECT_LE(count, 4) << id << ": extended after it was deleted";
  }
}

TEST_F(ConsumerTest, QuarantinesAMessageReceivedMoreOftenThanTheLimit) {
  SendRecords(5);
  queue_.receive_counts["m2"] = 10;  // its next receive is the 11th
  ConsumerOptions options;
  options.max_receive_count = 10;
  ASSERT_TRUE(RunUntilIdle(options).ok());
  EXPECT_EQ(store_.quarantined, std::set<std::string>{"m2"});
  EXPECT_EQ(store_.applied.size(), 4u);
  EXPECT_EQ(queue_.deleted.size(), 5u);
}

TEST_F(ConsumerTest, AZeroReceiveLimitLeavesRepeatedMessagesToTheRedrivePolicy) {
  SendRecords(5);
  queue_.receive_counts["m2"] = 50;
  ConsumerOptions options;
  options.max_receive_count = 0;
  ASSERT_TRUE(RunUntilIdle(options).ok());
  EXPECT_TRUE(store_.quarantined.empty());
  EXPECT_EQ(store_.applied.size(), 5u);
}

TEST_F(ConsumerTest, ShutdownCancelsAWaitingReceive) {
  std::atomic<bool> stop{false};
  Consumer consumer(ConsumerOptions{}, Factory(), &store_);
  std::thread stopper([&] {
    std::this_thread::sleep_for(milliseconds(100));
    stop = true;
  });
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(consumer.Run(stop).ok());
  stopper.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST_F(ConsumerTest, ShutdownWithTheDatabaseDownLeavesMessagesInTheQueue) {
  SendRecords(20);
  store_.down = true;
  std::atomic<bool> stop{false};
  Consumer consumer(ConsumerOptions{}, Factory(), &store_);
  std::thread stopper([&] {
    std::this_thread::sleep_for(milliseconds(300));
    stop = true;
  });
  ASSERT_TRUE(consumer.Run(stop).ok());
  stopper.join();
  EXPECT_TRUE(queue_.deleted.empty());
  EXPECT_EQ(queue_.visible.size(), 20u);
  EXPECT_EQ(consumer.stats().released.load(), 20);
}

}  // namespace
}  // namespace amstream::pipeline
