// GenerateToFiles: the generator's output written to disk, plain or gzip-compressed.
#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>

#include "gen/generator.h"

namespace amstream::gen {
namespace {

// A file written under "<path>.tmp" and renamed to `path` by Commit. Destroying an
// uncommitted file removes the temporary.
class OutputFile {
 public:
  explicit OutputFile(std::string path) : path_(std::move(path)), temp_path_(path_ + ".tmp") {}
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  ~OutputFile() {
    CloseQuietly();
    if (!committed_) {
      std::remove(temp_path_.c_str());
    }
  }

  Status Open() {
    // Missing parent directories are created, as for any output path a user names.
    std::error_code ignored;
    std::filesystem::path parent = std::filesystem::path(path_).parent_path();
    if (!parent.empty()) {
      std::filesystem::create_directories(parent, ignored);
    }
    if (path_.ends_with(".gz")) {
      gz_ = gzopen(temp_path_.c_str(), "wb6");
      if (gz_ != nullptr) {
        gzbuffer(gz_, 256 * 1024);
      }
    } else {
      file_ = std::fopen(temp_path_.c_str(), "wb");
    }
    return gz_ == nullptr && file_ == nullptr ? IoError("cannot create") : Status::Ok();
  }

  Status Write(std::string_view text) {
    if (text.empty()) {
      return Status::Ok();
    }
    bool ok = gz_ != nullptr ? gzwrite(gz_, text.data(), static_cast<unsigned>(text.size())) > 0
                             : std::fwrite(text.data(), 1, text.size(), file_) == text.size();
    return ok ? Status::Ok() : IoError("cannot write");
  }

  Status Commit() {
    bool closed = gz_ != nullptr ? gzclose(gz_) == Z_OK : std::fclose(file_) == 0;
    gz_ = nullptr;
    file_ = nullptr;
    if (!closed) {
      return IoError("cannot finish");
    }
    if (std::rename(temp_path_.c_str(), path_.c_str()) != 0) {
      return IoError("cannot rename the temporary file to");
    }
    committed_ = true;
    return Status::Ok();
  }

 private:
  Status IoError(std::string_view what) const {
    return UnavailableError(std::string(what) + " " + path_ + ": " + std::strerror(errno));
  }

  void CloseQuietly() {
    if (gz_ != nullptr) {
      gzclose(gz_);
    }
    if (file_ != nullptr) {
      std::fclose(file_);
    }
    gz_ = nullptr;
    file_ = nullptr;
  }

  std::string path_;
  std::string temp_path_;
  gzFile gz_ = nullptr;
  std::FILE* file_ = nullptr;
  bool committed_ = false;
};

}  // namespace

Status GenerateToFiles(const Options& options, const std::string& bodies_path,
                       const std::string& expected_path) {
  AMSTREAM_RETURN_IF_ERROR(ValidateOptions(options));
  OutputFile bodies(bodies_path);
  AMSTREAM_RETURN_IF_ERROR(bodies.Open());
  std::string line;
  Result<ExpectedTotals> totals = Generate(options, [&](std::string_view body) {
    line.assign(body);
    line.push_back('\n');
    return bodies.Write(line);
  });
  if (!totals.ok()) {
    return totals.status();
  }
  AMSTREAM_RETURN_IF_ERROR(bodies.Commit());

  OutputFile expected(expected_path);
  AMSTREAM_RETURN_IF_ERROR(expected.Open());
  AMSTREAM_RETURN_IF_ERROR(expected.Write(totals->ToJson()));
  return expected.Commit();
}

}  // namespace amstream::gen
