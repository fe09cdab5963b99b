#include "pipeline/ingest.h"

#include <fmt/format.h>

#include <chrono>

#include "ams/classify.h"
#include "crypto/digest.h"
#include "pipeline/batch_writer.h"
#include "pipeline/file_input.h"

namespace amstream::pipeline {
namespace {

constexpr size_t kReasonsKept = 5;

// Collects classified lines and writes them in batches.
class Batcher {
 public:
  Batcher(store::Store* store, const IngestOptions& options, IngestSummary* summary)
      : store_(store), options_(options), summary_(summary) {
    batch_.reserve(options.batch_messages);
  }

  Status Add(std::string_view line, const LineOrigin& origin) {
    ams::Delivery delivery;
    delivery.message_id = "sha256:" + crypto::Hex(crypto::Sha256(line));
    delivery.body = std::string(line);
    // A blog snapshot without an SNS Timestamp is ordered by when its archive was written,
    // as SQS's SentTimestamp orders it in `run`: re-reading an old file then cannot
    // overwrite a newer snapshot, while later lines of one file still win over earlier.
    delivery.sent_timestamp_ms = origin.modified_ms != 0 ? origin.modified_ms : started_ms_;
    ams::Message message = classifier_.Classify(std::move(delivery));
    if (const auto* q = std::get_if<ams::Quarantined>(&message.content);
        q != nullptr && summary_->quarantine_reasons.size() < kReasonsKept) {
      summary_->quarantine_reasons.push_back(
          fmt::format("{}:{}: {}", origin.path, origin.line_number, q->reason));
    }
    batch_.push_back(std::move(message));
    ++summary_->lines;
    return batch_.size() >= options_.batch_messages ? Flush() : Status::Ok();
  }

  Status Flush() {
    if (batch_.empty()) {
      return Status::Ok();
    }
    Result<store::WriteStats> written = WriteIsolatingRefusals(store_, batch_);
    batch_.clear();
    if (!written.ok()) {
      return written.status();
    }
    summary_->written += *written;
    return Status::Ok();
  }

 private:
  store::Store* store_;
  const IngestOptions& options_;
  IngestSummary* summary_;
  ams::Classifier classifier_;
  std::vector<ams::Message> batch_;
  // Standard input has no file time: its lines count as sent when the ingest started.
  const int64_t started_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
};

}  // namespace

Result<IngestSummary> Ingest(const std::vector<std::string>& paths, store::Store* store,
                             const IngestOptions& options) {
  IngestSummary summary;
  Batcher batcher(store, options, &summary);
  FileInputOptions input_options;
  input_options.progress = options.progress;
  FileInput input(input_options);
  Status status = input.ForEachLine(paths, [&](std::string_view line, const LineOrigin& origin) {
    return batcher.Add(line, origin);
  });
  if (status.ok()) {
    status = batcher.Flush();
  }
  summary.empty_lines = input.counters().empty_lines;
  summary.problems = input.problems();
  summary.problem_count = input.counters().problems;
  if (!status.ok()) {
    return status;
  }
  return summary;
}

}  // namespace amstream::pipeline
