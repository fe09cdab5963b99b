// `amstream ingest`: message bodies from files (one JSON document per line) through the
// same classification, dedupe and storage as `amstream run`.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/status.h"
#include "store/store.h"

namespace amstream::pipeline {

struct IngestOptions {
  // Lines applied per transaction.
  size_t batch_messages = 5000;
  // Called now and then with bytes read so far and the total (0 if unknown, e.g. stdin).
  std::function<void(uint64_t done, uint64_t total)> progress;
};

struct IngestSummary {
  int64_t lines = 0;        // non-empty lines read
  int64_t empty_lines = 0;  // skipped
  store::WriteStats written;
  std::vector<std::string> quarantine_reasons;  // the first few, "path:line: reason"
  std::vector<std::string> problems;            // unreadable input: "path:line: what"
  int64_t problem_count = 0;  // every problem, also those past the ones kept in `problems`
};

// Reads every path ("-" is standard input; directories recursively; gzip detected) and
// stores what it finds. Unreadable parts are listed in `problems` and skipped; the
// lines around them are kept. Fails only when the store fails.
Result<IngestSummary> Ingest(const std::vector<std::string>& paths, store::Store* store,
                             const IngestOptions& options);

}  // namespace amstream::pipeline
