// `amstream ingest` from a generated file into PostgreSQL and SQLite, beside the
// database's own ceiling: one COPY of the same records into bare tables.
#pragma once

#include <cstdint>
#include <string>

namespace amstream::bench {

class IngestBench {
 public:
  // Generates `messages` bodies (one record each) into a file and prepares the COPY
  // rows from them. Throws HarnessError.
  explicit IngestBench(int64_t messages);

  // Records in the file (its lines).
  int64_t records() const { return records_; }

  // One `amstream ingest` into a fresh PostgreSQL database; records per second, from
  // process start to exit (the wall time wait4 reports). Throws unless every line was stored or
  // skipped as a duplicate.
  double Postgres();
  // The same into a fresh SQLite file.
  double Sqlite();
  // One transaction holding a COPY of every record into two bare tables shaped like
  // amstream's staging tables; records per second, COPY and COMMIT only. Without
  // `indexed` the tables have no keys and no indexes; with it they have plain indexes on
  // the idempotency id and on the natural key, the lookups amstream's design needs.
  double Copy(bool indexed = false);
  // CPU seconds (user + sys) of the last `amstream ingest`.
  double last_cpu_seconds() const { return last_cpu_seconds_; }

 private:
  double Ingest(const std::string& database);

  int64_t records_ = 0;
  double last_cpu_seconds_ = 0;
  std::string file_;
  std::string traffic_rows_;     // COPY text of the sp-traffic records
  std::string conversion_rows_;  // COPY text of the sp-conversion records
};

}  // namespace amstream::bench
