// Message bodies from files, one JSON document per line: what `amstream ingest` reads
// instead of a queue (Firehose exports, generated samples, saved bodies).
//
// Paths may name files, directories (read recursively in name order, hidden entries
// skipped), gzip files (recognized by their magic bytes, whatever their name) or "-" for
// standard input. Reading is streamed in chunks, so memory stays bounded by the longest
// accepted line. Bad input never stops the run: it becomes a problem line
// ("path:line: reason") and the good lines around it are still delivered.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace amstream::pipeline {

// Where a line came from, for logs and problem reports.
struct LineOrigin {
  std::string path;         // as given or found in a directory; "-" for standard input
  int64_t line_number = 0;  // 1-based, counting every line including skipped ones
  // The file's modification time (ms since the epoch): when an archive was written,
  // which orders snapshots that carry no time of their own. 0 for standard input.
  int64_t modified_ms = 0;
};

// What a ForEachLine run saw. Counts accumulate over calls.
struct InputCounters {
  int64_t files = 0;        // files opened, standard input included
  int64_t lines = 0;        // lines handed to the callback
  int64_t empty_lines = 0;  // empty or whitespace-only lines, skipped
  int64_t problems = 0;     // problems found (see FileInput::problems)
  uint64_t bytes = 0;       // bytes read from the files (compressed size for gzip)
};

// Tuning of FileInput; the defaults suit every known input.
struct FileInputOptions {
  // Longer lines are skipped and reported, never held whole. Default 1 MiB (AMS bodies
  // are under 256 KiB).
  size_t max_line_bytes = 1 << 20;
  // Bytes read per call into zlib. Default 256 KiB.
  size_t chunk_bytes = 256 << 10;
  // At most this many problem lines are kept for the summary; the counter counts all.
  size_t max_problem_lines = 1000;
  // After this many binary lines a file is abandoned ("rest of file skipped"). Default 5.
  int max_binary_lines_per_file = 5;
  // Called after every chunk with the bytes read so far and the total size of the regular
  // files named (0 if only streams such as stdin were given). Optional.
  std::function<void(uint64_t bytes_read, uint64_t total_bytes)> progress;
};

// Reads lines from files for the ingest pipeline. Not thread-safe; one run at a time.
//
// A file whose name ends in ".json" and holds one JSON document, newlines and all, is
// read as if it were a single line (and so held to max_line_bytes); one whose whole text is
// not a single document is read by lines like any other (JSON Lines named .json). Other
// files and streams hold one document per line. Rules, for each line (a trailing "\r" is removed
// first):
//  - empty or whitespace-only: skipped and counted in empty_lines;
//  - containing a NUL byte or invalid UTF-8: not text, so a problem "binary data", and
//    after max_binary_lines_per_file such lines the rest of that file is skipped;
//  - longer than max_line_bytes: a problem, skipped without being loaded;
//  - otherwise handed to the callback. A UTF-8 byte order mark at a file's start is
//    dropped.
// A gzip stream that ends early yields its complete lines, then a problem "truncated
// gzip data"; the incomplete last line is dropped. Files that cannot be opened or read
// are problems too; in directories, entries that are not regular files are skipped.
class FileInput {
 public:
  // Called once per accepted line; the view is valid only during the call. A failure
  // stops the run and is returned by ForEachLine.
  using LineFn = std::function<Status(std::string_view line, const LineOrigin& origin)>;

  // Sizes below 1 byte (lines) or 64 bytes (chunks) are raised to those minimums.
  explicit FileInput(FileInputOptions options = {});

  // Reads every path in order and calls `fn` for each accepted line. Fails with kNotFound,
  // before delivering any line, if a path does not exist; returns the callback's failure
  // if it fails. Problems in the data are not failures: see counters() and problems().
  Status ForEachLine(const std::vector<std::string>& paths, const LineFn& fn);

  // What the runs so far saw.
  const InputCounters& counters() const { return counters_; }

  // "path:line: reason" or "path: reason", the first max_problem_lines problems in order.
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  // Reads one source; defined in file_input.cc.
  class Reader;

  // One stream to read, found before reading starts so that progress has a total.
  struct Source {
    std::string path;   // a file path, or "-"
    uint64_t size = 0;  // 0 for streams
  };

  // Expands directories; fails with kNotFound for a path that does not exist.
  Result<std::vector<Source>> CollectSources(const std::vector<std::string>& paths);
  // The files under `path`, depth first in name order, hidden entries left out.
  std::vector<Source> CollectDirectory(const std::string& path);
  // Counts a problem and keeps its line if there is room.
  void AddProblem(std::string problem);
  // Counts bytes read and reports progress.
  void AddBytes(uint64_t bytes);

  FileInputOptions options_;
  InputCounters counters_;             // over every run
  std::vector<std::string> problems_;  // at most options_.max_problem_lines
  uint64_t run_bytes_ = 0;             // read during the current ForEachLine
  uint64_t total_bytes_ = 0;           // size of the current run's regular files
};

}  // namespace amstream::pipeline
