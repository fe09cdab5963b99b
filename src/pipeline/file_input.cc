#include "pipeline/file_input.h"

#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "json/json.h"

namespace amstream::pipeline {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

bool IsBlank(std::string_view line) {
  return line.find_first_not_of(" \t\r\f\v") == std::string_view::npos;
}

// Opens a path, or standard input for "-", for reading through zlib: gzip data (by its
// magic bytes) is inflated, anything else passes through unchanged.
gzFile OpenStream(const std::string& path) {
  if (path != "-") {
    return gzopen(path.c_str(), "rb");
  }
  // A duplicate, so that gzclose leaves the process's standard input open.
  int fd = dup(STDIN_FILENO);
  if (fd < 0) {
    return nullptr;
  }
  gzFile file = gzdopen(fd, "rb");
  if (file == nullptr) {
    close(fd);
  }
  return file;
}

// zlib prefixes its messages with the path it was given ("x.gz: unknown compression
// method"); problem lines carry the path already.
std::string ZlibReason(std::string_view message) {
  size_t colon = message.rfind(": ");
  return std::string(colon == std::string_view::npos ? message : message.substr(colon + 2));
}

}  // namespace

// Splits one source into lines and applies the rules of the header.
class FileInput::Reader {
 public:
  Reader(FileInput& input, const Source& source, const LineFn& fn)
      : input_(input), options_(input.options_), fn_(fn) {
    origin_.path = source.path;
  }
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;
  ~Reader() {
    if (file_ != nullptr) {
      gzclose(file_);
    }
  }

  // Fails only with the callback's failure; problems in the data are recorded.
  Status Run() {
    file_ = OpenStream(origin_.path);
    if (file_ == nullptr) {
      input_.AddProblem(origin_.path + ": cannot open: " + std::strerror(errno));
      return Status::Ok();
    }
    input_.counters_.files += 1;
    gzbuffer(file_, static_cast<unsigned>(options_.chunk_bytes));
    std::string buffer(options_.chunk_bytes, '\0');
    int count = 0;
    while (!abandoned_ &&
           (count = gzread(file_, buffer.data(), static_cast<unsigned>(buffer.size()))) > 0) {
      CountBytes(count);
      AMSTREAM_RETURN_IF_ERROR(
          Consume(std::string_view(buffer.data(), static_cast<size_t>(count))));
    }
    return abandoned_ ? Status::Ok() : Finish(count);
  }

 private:
  // Ends the stream: the last line may lack its newline, unless the data stopped early.
  Status Finish(int last_read) {
    int error = Z_OK;
    const char* message = gzerror(file_, &error);
    if (last_read < 0 || error == Z_BUF_ERROR) {
      std::string reason = error == Z_BUF_ERROR ? "truncated gzip data" : ZlibReason(message);
      if (!pending_.empty() || overlong_) {
        reason += ", incomplete last line dropped";
      }
      Problem(line_number_ + 1, reason);
      return Status::Ok();
    }
    if (!pending_.empty() || overlong_) {
      return EndLine(pending_);
    }
    return Status::Ok();
  }

  Status Consume(std::string_view chunk) {
    while (!abandoned_) {
      size_t newline = chunk.find('\n');
      if (newline == std::string_view::npos) {
        Append(chunk);
        return Status::Ok();
      }
      std::string_view piece = chunk.substr(0, newline);
      chunk.remove_prefix(newline + 1);
      // A line wholly inside the chunk is handed over without a copy.
      if (pending_.empty() && !overlong_) {
        AMSTREAM_RETURN_IF_ERROR(EndLine(piece));
      } else {
        Append(piece);
        AMSTREAM_RETURN_IF_ERROR(EndLine(pending_));
      }
    }
    return Status::Ok();
  }

  // Keeps a line's start until its newline arrives, but never more than the limit.
  void Append(std::string_view piece) {
    if (overlong_) {
      return;
    }
    if (pending_.size() + piece.size() > options_.max_line_bytes) {
      overlong_ = true;
      std::string().swap(pending_);
      return;
    }
    pending_.append(piece);
  }

  Status EndLine(std::string_view line) {
    line_number_ += 1;
    bool overlong = overlong_ || line.size() > options_.max_line_bytes;
    Status status = overlong ? Overlong() : Deliver(line);
    pending_.clear();
    overlong_ = false;
    return status;
  }

  Status Overlong() {
    Problem(line_number_,
            "line longer than " + std::to_string(options_.max_line_bytes) + " bytes, skipped");
    return Status::Ok();
  }

  Status Deliver(std::string_view line) {
    if (line_number_ == 1 && line.starts_with(kByteOrderMark)) {
      line.remove_prefix(kByteOrderMark.size());
    }
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (IsBlank(line)) {
      input_.counters_.empty_lines += 1;
      return Status::Ok();
    }
    bool has_nul = line.find('\0') != std::string_view::npos;
    if (has_nul || !json::IsValidUtf8(line)) {
      Binary(has_nul ? "binary data (NUL byte), line skipped"
                     : "binary data (not UTF-8 text), line skipped");
      return Status::Ok();
    }
    input_.counters_.lines += 1;
    origin_.line_number = line_number_;
    return fn_(line, origin_);
  }

  void Binary(std::string_view reason) {
    Problem(line_number_, std::string(reason));
    binary_lines_ += 1;
    if (binary_lines_ >= options_.max_binary_lines_per_file) {
      input_.AddProblem(origin_.path + ": " + std::to_string(binary_lines_) +
                        " binary lines, rest of file skipped");
      abandoned_ = true;
    }
  }

  void Problem(int64_t line_number, const std::string& reason) {
    input_.AddProblem(origin_.path + ":" + std::to_string(line_number) + ": " + reason);
  }

  // gzoffset counts raw bytes consumed, compressed or not. It needs a seekable file; for
  // a pipe the `inflated` bytes are counted instead.
  void CountBytes(int inflated) {
    z_off_t position = gzoffset(file_);
    if (position < 0) {
      input_.AddBytes(static_cast<uint64_t>(inflated));
      return;
    }
    auto offset = static_cast<uint64_t>(position);
    input_.AddBytes(offset - std::min(offset, offset_));
    offset_ = std::max(offset, offset_);
  }

  FileInput& input_;
  const FileInputOptions& options_;
  const LineFn& fn_;
  LineOrigin origin_;
  gzFile file_ = nullptr;
  std::string pending_;    // the start of a line whose newline has not arrived
  bool overlong_ = false;  // the current line exceeded the limit; its bytes are dropped
  int64_t line_number_ = 0;
  int binary_lines_ = 0;
  bool abandoned_ = false;
  uint64_t offset_ = 0;
};

FileInput::FileInput(FileInputOptions options) : options_(std::move(options)) {
  options_.max_line_bytes = std::max<size_t>(options_.max_line_bytes, 1);
  options_.chunk_bytes = std::clamp<size_t>(options_.chunk_bytes, 64, 64 << 20);
}

Status FileInput::ForEachLine(const std::vector<std::string>& paths, const LineFn& fn) {
  Result<std::vector<Source>> sources = CollectSources(paths);
  if (!sources.ok()) {
    return sources.status();
  }
  run_bytes_ = 0;
  total_bytes_ = 0;
  for (const Source& source : *sources) {
    total_bytes_ += source.size;
  }
  for (const Source& source : *sources) {
    Reader reader(*this, source, fn);
    AMSTREAM_RETURN_IF_ERROR(reader.Run());
  }
  return Status::Ok();
}

Result<std::vector<FileInput::Source>> FileInput::CollectSources(
    const std::vector<std::string>& paths) {
  std::vector<Source> sources;
  for (const std::string& path : paths) {
    if (path == "-") {
      sources.push_back({path, 0});
      continue;
    }
    std::error_code error;
    fs::file_status status = fs::status(path, error);
    if (!fs::exists(status)) {
      std::string reason = error ? error.message() : "no such file or directory";
      return Status(Code::kNotFound, path + ": " + reason);
    }
    if (fs::is_directory(status)) {
      std::vector<Source> found = CollectDirectory(path);
      sources.insert(sources.end(), found.begin(), found.end());
      continue;
    }
    uint64_t size = fs::is_regular_file(status) ? fs::file_size(path, error) : 0;
    sources.push_back({path, error ? 0 : size});
  }
  return sources;
}

// Symbolic links to files are read; links to directories are not followed, which rules
// out cycles.
std::vector<FileInput::Source> FileInput::CollectDirectory(const std::string& path) {
  std::error_code error;
  std::vector<fs::directory_entry> entries;
  for (fs::directory_iterator it(path, error), end; !error && it != end; it.increment(error)) {
    entries.push_back(*it);
  }
  if (error) {
    AddProblem(path + ": cannot list directory: " + error.message());
  }
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    return a.path().filename().string() < b.path().filename().string();
  });

  std::vector<Source> sources;
  for (const fs::directory_entry& entry : entries) {
    std::string child = entry.path().string();
    if (entry.path().filename().string().starts_with(".")) {
      continue;
    }
    if (entry.is_directory(error) && !entry.is_symlink(error)) {
      std::vector<Source> nested = CollectDirectory(child);
      sources.insert(sources.end(), nested.begin(), nested.end());
    } else if (entry.is_regular_file(error)) {
      uint64_t size = entry.file_size(error);
      sources.push_back({child, error ? 0 : size});
    } else {
      AddProblem(child + ": not a regular file, skipped");
    }
  }
  return sources;
}

void FileInput::AddProblem(std::string problem) {
  counters_.problems += 1;
  if (problems_.size() < options_.max_problem_lines) {
    problems_.push_back(std::move(problem));
  }
}

void FileInput::AddBytes(uint64_t bytes) {
  counters_.bytes += bytes;
  run_bytes_ += bytes;
  if (options_.progress) {
    options_.progress(run_bytes_, total_bytes_);
  }
}

}  // namespace amstream::pipeline
