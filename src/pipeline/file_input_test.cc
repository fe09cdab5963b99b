#include "pipeline/file_input.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>

namespace amstream::pipeline {
namespace {

namespace fs = std::filesystem;
using std::string_literals::operator""s;

// A fresh directory under the system's temporary directory, removed afterwards.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "amstream_file_input_XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string Write(const std::string& name, std::string_view content) const {
    fs::path path = path_ / name;
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << content;
    return path.string();
  }
  std::string WriteGzip(const std::string& name, std::string_view content) const {
    std::string path = (path_ / name).string();
    gzFile file = gzopen(path.c_str(), "wb");
    gzwrite(file, content.data(), static_cast<unsigned>(content.size()));
    gzclose(file);
    return path;
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

struct Seen {
  std::vector<std::string> lines;
  std::vector<std::string> origins;  // "path:line" relative to the temp dir
};

Seen ReadAll(FileInput& input, const TempDir& dir, const std::vector<std::string>& paths,
             Status* status = nullptr) {
  Seen seen;
  Status result = input.ForEachLine(paths, [&](std::string_view line, const LineOrigin& origin) {
    seen.lines.emplace_back(line);
    seen.origins.push_back(fs::relative(origin.path, dir.path()).string() + ":" +
                           std::to_string(origin.line_number));
    return Status::Ok();
  });
  if (status != nullptr) {
    *status = result;
  } else {
    EXPECT_TRUE(result.ok()) << result.ToString();
  }
  return seen;
}

std::string Numbered(int count) {
  std::string text;
  for (int i = 1; i <= count; ++i) {
    text += "{\"n\":" + std::to_string(i) + "}\n";
  }
  return text;
}

TEST(FileInputTest, ReadsLinesWithTheirOrigin) {
  TempDir dir;
  std::string path = dir.Write("a.jsonl", "{\"a\":1}\r\n{\"b\":2}\n{\"c\":3}");
  FileInput input;
  Seen seen = ReadAll(input, dir, {path});
  EXPECT_EQ(seen.lines, (std::vector<std::string>{"{\"a\":1}", "{\"b\":2}", "{\"c\":3}"}));
  EXPECT_EQ(seen.origins, (std::vector<std::string>{"a.jsonl:1", "a.jsonl:2", "a.jsonl:3"}));
  EXPECT_EQ(input.counters().files, 1);
  EXPECT_EQ(input.counters().lines, 3);
  EXPECT_EQ(input.counters().bytes, 24u);
}

TEST(FileInputTest, AJsonFileIsOneDocumentEvenOverManyLines) {
  TempDir dir;
  std::string pretty = "{\n  \"Type\": \"SubscriptionConfirmation\",\n  \"Token\": \"t\"\n}\n";
  std::string one = dir.Write("saved.JSON", pretty);
  std::string many = dir.Write("lines.jsonl", "{\"a\":1}\n{\"b\":2}\n");
  FileInput input;
  Seen seen = ReadAll(input, dir, {one, many});
  EXPECT_EQ(seen.lines, (std::vector<std::string>{pretty, "{\"a\":1}", "{\"b\":2}"}));
  EXPECT_EQ(seen.origins[0], "saved.JSON:1");
  EXPECT_TRUE(input.problems().empty());
}

TEST(FileInputTest, AJsonFileOfManyDocumentsIsReadByLines) {
  TempDir dir;
  std::string path = dir.Write("firehose.json", "{\"a\":1}\n{\"b\":2}\n\n{\"c\":3}\n");
  FileInput input;
  Seen seen = ReadAll(input, dir, {path});
  EXPECT_EQ(seen.lines, (std::vector<std::string>{"{\"a\":1}", "{\"b\":2}", "{\"c\":3}"}));
  EXPECT_EQ(seen.origins,
            (std::vector<std::string>{"firehose.json:1", "firehose.json:2", "firehose.json:4"}));
  EXPECT_EQ(input.counters().empty_lines, 1);
}

TEST(FileInputTest, LinesCarryTheirFilesModificationTime) {
  TempDir dir;
  std::string path = dir.Write("a.jsonl", "{}\n");
  fs::last_write_time(path, fs::file_time_type::clock::now() - std::chrono::hours(24));
  FileInput input;
  int64_t modified_ms = 0;
  ASSERT_TRUE(input
                  .ForEachLine({path},
                               [&](std::string_view, const LineOrigin& origin) {
                                 modified_ms = origin.modified_ms;
                                 return Status::Ok();
                               })
                  .ok());
  int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  EXPECT_NEAR(static_cast<double>(now_ms - modified_ms), 24.0 * 3600 * 1000, 60'000.0);
}

TEST(FileInputTest, SkipsAndCountsEmptyLines) {
  TempDir dir;
  std::string path = dir.Write("a.jsonl", "\xEF\xBB\xBF{}\n\n   \t\n\r\n{\"x\":1}\n\n");
  FileInput input;
  Seen seen = ReadAll(input, dir, {path});
  EXPECT_EQ(seen.lines, (std::vector<std::string>{"{}", "{\"x\":1}"}));
  EXPECT_EQ(seen.origins, (std::vector<std::string>{"a.jsonl:1", "a.jsonl:5"}));
  EXPECT_EQ(input.counters().empty_lines, 4);
  EXPECT_EQ(input.counters().problems, 0);
}

TEST(FileInputTest, ReadsDirectoriesRecursivelyInNameOrderSkippingHidden) {
  TempDir dir;
  dir.Write("in/b.jsonl", "{\"b\":1}\n");
  dir.Write("in/a/x.jsonl", "{\"x\":1}\n");
  dir.Write("in/.hidden.jsonl", "{\"hidden\":1}\n");
  dir.Write("in/.git/y.jsonl", "{\"y\":1}\n");
  dir.WriteGzip("in/c.jsonl.gz", "{\"c\":1}\n{\"c\":2}\n");
  FileInput input;
  Seen seen = ReadAll(input, dir, {(dir.path() / "in").string()});
  EXPECT_EQ(seen.origins, (std::vector<std::string>{"in/a/x.jsonl:1", "in/b.jsonl:1",
                                                    "in/c.jsonl.gz:1", "in/c.jsonl.gz:2"}));
  EXPECT_EQ(input.counters().files, 3);
}

TEST(FileInputTest, RecognizesGzipByMagicBytesNotName) {
  TempDir dir;
  std::string path = dir.WriteGzip("bodies.txt", Numbered(3));
  FileInput input;
  Seen seen = ReadAll(input, dir, {path});
  EXPECT_EQ(seen.lines, (std::vector<std::string>{"{\"n\":1}", "{\"n\":2}", "{\"n\":3}"}));
  EXPECT_EQ(input.counters().bytes, fs::file_size(path));
}

TEST(FileInputTest, TruncatedGzipYieldsTheCompleteLinesThenAProblem) {
  TempDir dir;
  std::string path = dir.WriteGzip("big.gz", Numbered(20'000));
  fs::resize_file(path, fs::file_size(path) / 2);
  std::string after = dir.Write("after.jsonl", "{\"after\":1}\n");
  FileInput input;
  Seen seen = ReadAll(input, dir, {path, after});
  ASSERT_GT(seen.lines.size(), 1000u);
  ASSERT_LT(seen.lines.size(), 20'000u);
  for (size_t i = 0; i + 1 < seen.lines.size(); ++i) {
    ASSERT_EQ(seen.lines[i], "{\"n\":" + std::to_string(i + 1) + "}");
  }
  EXPECT_EQ(seen.lines.back(), "{\"after\":1}");
  ASSERT_EQ(input.problems().size(), 1u);
  EXPECT_EQ(input.problems()[0], path + ":" + std::to_string(seen.lines.size()) +
                                     ": truncated gzip data, incomplete last line dropped");
}

TEST(FileInputTest, CorruptGzipIsAProblem) {
  TempDir dir;
  std::string path = dir.Write("bad.gz", "\x1f\x8bnot really gzip\n"s);
  FileInput input;
  Seen seen = ReadAll(input, dir, {path});
  EXPECT_TRUE(seen.lines.empty());
  ASSERT_EQ(input.problems().size(), 1u);
  EXPECT_TRUE(input.problems()[0].starts_with(path + ":1: ")) << input.problems()[0];
}

TEST(FileInputTest, BinaryLinesAreReportedAndGoodLinesKept) {
  TempDir dir;
  std::string mixed = dir.Write("mixed.jsonl", "{\"a\":1}\n\0\0\x01\n{\"b\":2}\n"s);
  std::string latin1 = dir.Write("latin1.jsonl", "{\"caf\xe9\":1}\n{\"c\":3}\n");
  std::string image =
      dir.Write("image.png", std::string(64, '\0') + "\n\x89PNG\0\n\0\n\0\n\0\n\0\n"s);
  std::string last = dir.Write("z.jsonl", "{\"z\":1}\n");
  FileInput input;
  Seen seen = ReadAll(input, dir, {mixed, latin1, image, last});
  EXPECT_EQ(seen.lines,
            (std::vector<std::string>{"{\"a\":1}", "{\"b\":2}", "{\"c\":3}", "{\"z\":1}"}));
  ASSERT_EQ(input.problems().size(), 8u);
  EXPECT_EQ(input.problems()[0], mixed + ":2: binary data (NUL byte), line skipped");
  EXPECT_EQ(input.problems()[1], latin1 + ":1: binary data (not UTF-8 text), line skipped");
  EXPECT_EQ(input.problems()[7], image + ": 5 binary lines, rest of file skipped");
}

TEST(FileInputTest, OverlongLinesAreSkippedWithoutLoadingThem) {
  TempDir dir;
  std::string path = dir.Write("long.jsonl", "{\"a\":1}\n" + std::string(5000, 'x') +
                                                 "\n{\"b\":2}\n" + std::string(300, 'y'));
  FileInputOptions options;
  options.max_line_bytes = 100;
  options.chunk_bytes = 64;
  FileInput input(options);
  Seen seen = ReadAll(input, dir, {path});
  EXPECT_EQ(seen.lines, (std::vector<std::string>{"{\"a\":1}", "{\"b\":2}"}));
  EXPECT_EQ(input.problems(),
            (std::vector<std::string>{path + ":2: line longer than 100 bytes, skipped",
                                      path + ":4: line longer than 100 bytes, skipped"}));
}

TEST(FileInputTest, MissingPathFailsBeforeAnyLine) {
  TempDir dir;
  std::string good = dir.Write("good.jsonl", "{}\n");
  FileInput input;
  Status status;
  Seen seen = ReadAll(input, dir, {good, (dir.path() / "missing.jsonl").string()}, &status);
  EXPECT_EQ(status.code(), Code::kNotFound);
  EXPECT_NE(status.message().find("missing.jsonl"), std::string::npos);
  EXPECT_TRUE(seen.lines.empty());
}

TEST(FileInputTest, CallbackFailureStopsTheRun) {
  TempDir dir;
  std::string path = dir.Write("a.jsonl", Numbered(10));
  FileInput input;
  int calls = 0;
  Status status = input.ForEachLine({path, path}, [&calls](std::string_view, const LineOrigin&) {
    return ++calls == 4 ? UnavailableError("store down") : Status::Ok();
  });
  EXPECT_EQ(status.code(), Code::kUnavailable);
  EXPECT_EQ(calls, 4);
}

TEST(FileInputTest, ReportsProgressUpToTheTotalSize) {
  TempDir dir;
  std::string a = dir.Write("a.jsonl", Numbered(5000));
  std::string b = dir.WriteGzip("b.jsonl.gz", Numbered(5000));
  uint64_t total = fs::file_size(a) + fs::file_size(b);
  std::vector<std::pair<uint64_t, uint64_t>> reports;
  FileInputOptions options;
  options.chunk_bytes = 4096;
  options.progress = [&reports](uint64_t read, uint64_t all) { reports.emplace_back(read, all); };
  FileInput input(options);
  ReadAll(input, dir, {a, b});
  ASSERT_GT(reports.size(), 2u);
  EXPECT_TRUE(std::is_sorted(reports.begin(), reports.end()));
  EXPECT_EQ(reports.back(), std::make_pair(total, total));
  EXPECT_EQ(input.counters().lines, 10'000);
}

TEST(FileInputTest, KeepsOnlyTheFirstProblemLinesButCountsAll) {
  TempDir dir;
  std::string text;
  for (int i = 0; i < 20; ++i) {
    text += std::string(200, 'x') + "\n";
  }
  std::string path = dir.Write("a.jsonl", text);
  FileInputOptions options;
  options.max_line_bytes = 100;
  options.max_problem_lines = 3;
  FileInput input(options);
  ReadAll(input, dir, {path});
  EXPECT_EQ(input.problems().size(), 3u);
  EXPECT_EQ(input.counters().problems, 20);
}

}  // namespace
}  // namespace amstream::pipeline
