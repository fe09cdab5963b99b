#include "harness/process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <thread>

#include "harness/spawn.h"

extern char** environ;  // NOLINT: POSIX global

namespace amstream::testing {
namespace {

using internal::Fd;

// These live on the heap and are never destroyed: the cleanups run from atexit, after
// function-local statics created later than PrepareProcess would be gone.
std::mutex& CleanupMutex() {
  static auto* mutex = new std::mutex();
  return *mutex;
}

std::vector<std::function<void()>>& Cleanups() {
  static auto* cleanups = new std::vector<std::function<void()>>();
  return *cleanups;
}

// Runs the registered cleanups, newest first. Safe to call more than once.
void RunCleanups() {
  for (;;) {
    std::function<void()> cleanup;
    {
      std::lock_guard lock(CleanupMutex());
      if (Cleanups().empty()) {
        return;
      }
      cleanup = std::move(Cleanups().back());
      Cleanups().pop_back();
    }
    cleanup();
  }
}

// Stops the servers after the last test, inside RUN_ALL_TESTS, so that anything going
// wrong is still reported. The atexit hook covers programs that exit another way.
class HarnessEnvironment : public ::testing::Environment {
 public:
  void TearDown() override { RunCleanups(); }
};

// Makes the test process itself safe before any test runs: no real AWS credentials or
// endpoints reach code under test, descriptors 0-2 are open (children rely on it), and a
// child that dies while we write to it does not kill us with SIGPIPE.
void PrepareProcess() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (fcntl(fd, F_GETFD) < 0) {
      open("/dev/null", O_RDWR);  // takes the lowest free number: this one
    }
  }
  std::vector<std::string> aws_names;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    if (text.rfind("AWS_", 0) == 0) {
      aws_names.emplace_back(text.substr(0, text.find('=')));
    }
  }
  for (const std::string& name : aws_names) {
    unsetenv(name.c_str());
  }
  for (const auto& [name, value] : SafeAwsEnv()) {
    setenv(name.c_str(), value.c_str(), 1);
  }
  signal(SIGPIPE, SIG_IGN);
  ::testing::AddGlobalTestEnvironment(new HarnessEnvironment());
  std::atexit(RunCleanups);
}

[[maybe_unused]] const bool kPrepared = (PrepareProcess(), true);

std::string ScratchFile(const std::string& program, std::string_view suffix) {
  static std::atomic<int> counter{0};
  std::string base = std::filesystem::path(program).filename().string();
  return ScratchDir() + "/" + base + "-" + std::to_string(++counter) + std::string(suffix);
}

}  // namespace

std::string ProcessResult::Describe() const {
  if (signal != 0) {
    return "signal " + std::to_string(signal);
  }
  return "exit " + std::to_string(exit_code);
}

const EnvVars& SafeAwsEnv() {
  static const EnvVars kEnv = {
      {"AWS_ACCESS_KEY_ID", "test"},         {"AWS_SECRET_ACCESS_KEY", "test"},
      {"AWS_REGION", "us-east-1"},           {"AWS_DEFAULT_REGION", "us-east-1"},
      {"AWS_EC2_METADATA_DISABLED", "true"},
  };
  return kEnv;
}

void AtHarnessExit(std::function<void()> cleanup) {
  std::lock_guard lock(CleanupMutex());
  Cleanups().push_back(std::move(cleanup));
}

Result<ProcessResult> RunCommand(const std::vector<std::string>& argv, const RunOptions& options) {
  auto in = internal::MemFile(options.stdin_text);
  auto out = internal::MemFile("");
  auto err = internal::MemFile("");
  if (!in.ok() || !out.ok() || !err.ok()) {
    return InternalError("cannot create capture files");
  }
  internal::SpawnFds fds{
      .in = options.stdin_text.empty() ? -1 : in->get(), .out = out->get(), .err = err->get()};
  internal::SpawnOptions spawn{
      .env = options.env, .cwd = options.cwd, .die_with_parent = true, .new_session = false};
  auto pid = internal::Spawn(argv, fds, spawn);
  if (!pid.ok()) {
    return pid.status();
  }

  auto result = internal::WaitFor(*pid, options.timeout);
  if (!result) {
    kill(*pid, SIGKILL);
    internal::WaitFor(*pid, std::chrono::seconds(10));
    return UnavailableError(
        argv[0] + " still running after " + std::to_string(options.timeout.count()) +
        " ms; killed. stderr: " + internal::Tail(internal::ReadWholeFd(err->get()), 5));
  }
  result->out = internal::ReadWholeFd(out->get());
  result->err = internal::ReadWholeFd(err->get());
  return *std::move(result);
}

Result<std::string> RunOutput(const std::vector<std::string>& argv, const RunOptions& options) {
  auto result = RunCommand(argv, options);
  if (!result.ok()) {
    return result.status();
  }
  if (!result->ok()) {
    std::string message = argv[0] + " failed (" + result->Describe() + ")";
    std::string detail = internal::Tail(result->err.empty() ? result->out : result->err, 10);
    if (!detail.empty()) {
      message += ": " + detail;
    }
    return InternalError(std::move(message));
  }
  return std::move(result->out);
}

Result<ChildProcess> ChildProcess::Start(const std::vector<std::string>& argv,
                                         const RunOptions& options) {
  if (argv.empty()) {
    return InternalError("ChildProcess::Start: empty argv");
  }
  ChildProcess child;
  child.out_path_ = ScratchFile(argv[0], ".out");
  child.err_path_ = ScratchFile(argv[0], ".err");
  constexpr int kFlags = O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC;
  Fd out(open(child.out_path_.c_str(), kFlags, 0644));
  Fd err(open(child.err_path_.c_str(), kFlags, 0644));
  auto in = internal::MemFile(options.stdin_text);
  if (out.get() < 0 || err.get() < 0 || !in.ok()) {
    return InternalError("cannot create output files in " + ScratchDir());
  }

  internal::SpawnFds fds{
      .in = options.stdin_text.empty() ? -1 : in->get(), .out = out.get(), .err = err.get()};
  internal::SpawnOptions spawn{
      .env = options.env, .cwd = options.cwd, .die_with_parent = true, .new_session = false};
  auto pid = internal::Spawn(argv, fds, spawn);
  if (!pid.ok()) {
    return pid.status();
  }
  child.pid_ = *pid;
  return child;
}

ChildProcess::~ChildProcess() {
  if (running()) {
    kill(pid_, SIGKILL);
    internal::WaitFor(pid_, std::chrono::seconds(10));
  }
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      reaped_(other.reaped_),
      result_(std::move(other.result_)),
      out_path_(std::move(other.out_path_)),
      err_path_(std::move(other.err_path_)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    if (running()) {
      kill(pid_, SIGKILL);
      internal::WaitFor(pid_, std::chrono::seconds(10));
    }
    pid_ = std::exchange(other.pid_, -1);
    reaped_ = other.reaped_;
    result_ = std::move(other.result_);
    out_path_ = std::move(other.out_path_);
    err_path_ = std::move(other.err_path_);
  }
  return *this;
}

Status ChildProcess::Kill(int signal) {
  if (!running()) {
    return InternalError("ChildProcess::Kill: no running process");
  }
  if (kill(pid_, signal) != 0) {
    return InternalError("kill " + std::to_string(pid_) + " failed");
  }
  return Status::Ok();
}

Result<ProcessResult> ChildProcess::Wait(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) {
    return InternalError("ChildProcess::Wait: no process");
  }
  if (!reaped_) {
    auto result = internal::WaitFor(pid_, timeout);
    if (!result) {
      return UnavailableError("pid " + std::to_string(pid_) + " still running after " +
                              std::to_string(timeout.count()) + " ms");
    }
    reaped_ = true;
    result_ = *std::move(result);
    result_.out = Stdout();
    result_.err = Stderr();
  }
  return result_;
}

bool ChildProcess::WaitForOutput(std::string_view text, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    // Reaps the process if it ended; its output is read once more after that.
    bool ended = !running() || Wait(std::chrono::milliseconds(0)).ok();
    if (Stdout().find(text) != std::string::npos || Stderr().find(text) != std::string::npos) {
      return true;
    }
    if (ended || std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::string ChildProcess::Stdout() const { return internal::ReadFile(out_path_); }

std::string ChildProcess::Stderr() const { return internal::ReadFile(err_path_); }

bool WaitUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
               std::chrono::milliseconds interval) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (condition()) {
      return true;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(interval);
  }
}

std::string AmstreamBinary() {
#ifdef AMSTREAM_BINARY
  return AMSTREAM_BINARY;
#else
  return "amstream";
#endif
}

const std::string& ScratchDir() {
  static auto* mutex = new std::mutex();
  static auto* dir = new std::string();
  std::lock_guard lock(*mutex);
  if (!dir->empty()) {
    return *dir;
  }
  std::string pattern = std::filesystem::temp_directory_path() / "amstream-itest-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    throw HarnessError("cannot create a temporary directory in " +
                       std::filesystem::temp_directory_path().string());
  }
  *dir = pattern;
  const char* keep = std::getenv("AMSTREAM_KEEP_TEMP");
  if (keep != nullptr && std::string_view(keep) == "1") {
    std::fprintf(stderr, "harness: keeping %s\n", dir->c_str());
    return *dir;
  }
  static internal::Reaper* reaper = nullptr;
  reaper = new internal::Reaper(*dir, {});
  AtHarnessExit([] {
    std::lock_guard relock(*mutex);
    std::error_code ignored;
    std::filesystem::remove_all(*dir, ignored);
    dir->clear();
    delete reaper;
    reaper = nullptr;
  });
  return *dir;
}

std::string MakeTempDir(std::string_view hint) {
  static std::atomic<int> counter{0};
  std::string path = ScratchDir() + "/" + std::string(hint) + "-" + std::to_string(++counter);
  std::filesystem::create_directories(path);
  return path;
}

}  // namespace amstream::testing
