#include "pipeline/file_input.h"

#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
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

// Opens a path, or standard input for "-", as raw bytes.
FILE* OpenRaw(const std::string& path) {
  if (path != "-") {
    return std::fopen(path.c_str(), "rb");
  }
  // A duplicate, so that fclose leaves the process's standard input open.
  int fd = dup(STDIN_FILENO);
  if (fd < 0) {
    return nullptr;
  }
  FILE* file = fdopen(fd, "rb");
  if (file == nullptr) {
    close(fd);
  }
  return file;
}

bool IsGzip(std::string_view head) {
  return head.size() >= 2 && static_cast<unsigned char>(head[0]) == 0x1f &&
         static_cast<unsigned char>(head[1]) == 0x8b;
}

// A file named *.json holds one document, often pretty-printed over many lines (a message
// saved from the console, a single S3 object); *.jsonl and every other name hold one
// document per line.
bool IsJsonDocument(std::string_view path) {
  constexpr std::string_view kSuffix = ".json";
  if (path.size() < kSuffix.size()) {
    return false;
  }
  std::string_view tail = path.substr(path.size() - kSuffix.size());
  return std::equal(tail.begin(), tail.end(), kSuffix.begin(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == b;
  });
}

}  // namespace

// Splits one source into lines and applies the rules of the header.
class FileInput::Reader {
 public:
  Reader(FileInput& input, const Source& source, const LineFn& fn)
      : input_(input), options_(input.options_), fn_(fn), whole_(IsJsonDocument(source.path)) {
    origin_.path = source.path;
  }
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;
  ~Reader() {
    if (file_ != nullptr) {
      std::fclose(file_);
    }
  }

  // Fails only with the callback's failure; problems in the data are recorded.
  Status Run() {
    file_ = OpenRaw(origin_.path);
    if (file_ == nullptr) {
      input_.AddProblem(origin_.path + ": cannot open: " + std::strerror(errno));
      return Status::Ok();
    }
    input_.counters_.files += 1;
    struct stat info {};
    if (origin_.path != "-" && fstat(fileno(file_), &info) == 0) {
      origin_.modified_ms = static_cast<int64_t>(info.st_mtim.tv_sec) * 1000 +
                            static_cast<int64_t>(info.st_mtim.tv_nsec / 1'000'000);
    }
    std::string in(options_.chunk_bytes, '\0');
    size_t got = ReadRaw(in);
    if (IsGzip(std::string_view(in.data(), got))) {
      return Inflate(in, got);
    }
    while (got > 0 && !abandoned_) {
      AMSTREAM_RETURN_IF_ERROR(Consume(std::string_view(in.data(), got)));
      got = ReadRaw(in);
    }
    return abandoned_ ? Status::Ok() : Finish(ReadError());
  }

 private:
  // Reads the next raw chunk into `buffer`; 0 at the end or on a read error.
  size_t ReadRaw(std::string& buffer) {
    size_t got = std::fread(buffer.data(), 1, buffer.size(), file_);
    input_.AddBytes(got);
    return got;
  }

  std::string ReadError() const {
    return std::ferror(file_) != 0 ? std::string("read error: ") + std::strerror(errno) : "";
  }

  // Inflates gzip data (one member or several in a row) and splits it into lines. Driving
  // zlib's inflate directly, rather than gzread, keeps every line that was complete before
  // a truncation or corruption.
  Status Inflate(std::string& in, size_t got) {
    z_stream z{};
    if (inflateInit2(&z, 15 + 16) != Z_OK) {
      return InternalError("zlib could not start inflating");
    }
    std::string out(options_.chunk_bytes, '\0');
    bool member_ended = false;
    std::string error;
    Status status = Status::Ok();
    while (!abandoned_ && status.ok()) {
      if (z.avail_in == 0) {
        if (got == 0 && (got = ReadRaw(in)) == 0) {
          break;
        }
        z.next_in = reinterpret_cast<Bytef*>(in.data());
        z.avail_in = static_cast<uInt>(got);
        got = 0;
      }
      z.next_out = reinterpret_cast<Bytef*>(out.data());
      z.avail_out = static_cast<uInt>(out.size());
      int rc = inflate(&z, Z_NO_FLUSH);
      size_t produced = out.size() - z.avail_out;
      if (produced > 0) {
        member_ended = false;
        status = Consume(std::string_view(out.data(), produced));
      }
      if (rc == Z_STREAM_END) {
        member_ended = true;
        inflateReset(&z);
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        error = z.msg != nullptr ? z.msg : "corrupt gzip data";
        break;
      }
    }
    inflateEnd(&z);
    AMSTREAM_RETURN_IF_ERROR(status);
    if (abandoned_) {
      return Status::Ok();
    }
    if (error.empty()) {
      error = ReadError();
    }
    if (error.empty() && !member_ended) {
      error = "truncated gzip data";
    }
    return Finish(error);
  }

  // Ends the stream: the last line may lack its newline, unless the data stopped early
  // for `error`.
  Status Finish(std::string error) {
    if (!error.empty()) {
      if (!pending_.empty() || overlong_) {
        error += ", incomplete last line dropped";
      }
      Problem(line_number_ + 1, error);
      return Status::Ok();
    }
    if (whole_ && !overlong_ && !IsOneDocument(pending_)) {
      return SplitIntoLines();
    }
    if (!pending_.empty() || overlong_) {
      return EndLine(pending_);
    }
    return Status::Ok();
  }

  static bool IsOneDocument(const std::string& text) {
    json::Parser parser;
    return parser.Parse(text).ok();
  }

  // A .json file that is not one document: read it by lines after all.
  Status SplitIntoLines() {
    std::string text = std::move(pending_);
    pending_.clear();
    std::string_view rest(text);
    while (!rest.empty() && !abandoned_) {
      size_t newline = rest.find('\n');
      std::string_view line = rest.substr(0, newline);
      AMSTREAM_RETURN_IF_ERROR(EndLine(line));
      rest.remove_prefix(newline == std::string_view::npos ? rest.size() : newline + 1);
    }
    return Status::Ok();
  }

  Status Consume(std::string_view chunk) {
    if (whole_) {
      Append(chunk);
      return Status::Ok();
    }
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

  FileInput& input_;
  const FileInputOptions& options_;
  const LineFn& fn_;
  LineOrigin origin_;
  const bool whole_;  // the whole file is one document (see IsJsonDocument)
  FILE* file_ = nullptr;
  std::string pending_;    // the start of a line whose newline has not arrived
  bool overlong_ = false;  // the current line exceeded the limit; its bytes are dropped
  int64_t line_number_ = 0;
  int binary_lines_ = 0;
  bool abandoned_ = false;
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
