#include "amstream_child.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <sstream>
#include <thread>
#include <utility>

#include "bench_util.h"
#include "harness/spawn.h"

namespace amstream::bench {
namespace {

using testing::HarnessError;
using testing::internal::Fd;

double TimevalSeconds(const timeval& t) {
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
}

std::string ScratchPath(std::string_view suffix) {
  static std::atomic<int> counter{0};
  return testing::ScratchDir() + "/amstream-bench-" + std::to_string(++counter) +
         std::string(suffix);
}

// AMSTREAM_BENCH_WRAPPER, split at spaces: a profiler to run amstream under, such as
// "perf record -g -o /tmp/amstream.perf" or "valgrind --tool=callgrind".
std::vector<std::string> WrapperArgs() {
  std::vector<std::string> words;
  const char* wrapper = std::getenv("AMSTREAM_BENCH_WRAPPER");
  std::stringstream text(wrapper != nullptr ? wrapper : "");
  for (std::string word; text >> word;) {
    words.push_back(word);
  }
  return words;
}

}  // namespace

AmstreamChild AmstreamChild::Start(const std::vector<std::string>& args,
                                   const testing::EnvVars& env) {
  AmstreamChild child;
  child.out_path_ = ScratchPath(".out");
  child.err_path_ = ScratchPath(".err");
  Fd out(open(child.out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  Fd err(open(child.err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (out.get() < 0 || err.get() < 0) {
    throw HarnessError("cannot create output files in " + testing::ScratchDir());
  }
  std::vector<std::string> argv = WrapperArgs();
  argv.push_back(testing::AmstreamBinary());
  argv.insert(argv.end(), args.begin(), args.end());
  child.started_ = std::chrono::steady_clock::now();
  Result<pid_t> pid = testing::internal::Spawn(
      argv, {.in = -1, .out = out.get(), .err = err.get()},
      {.env = env, .cwd = "", .die_with_parent = true, .new_session = false});
  if (!pid.ok()) {
    throw HarnessError("starting amstream: " + pid.status().ToString());
  }
  child.pid_ = *pid;
  return child;
}

AmstreamChild::AmstreamChild(AmstreamChild&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      peak_kib_(other.peak_kib_),
      started_(other.started_),
      out_path_(std::move(other.out_path_)),
      err_path_(std::move(other.err_path_)) {}

AmstreamChild::~AmstreamChild() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

bool AmstreamChild::WaitForLog(std::string_view text, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (Stderr().find(text) != std::string::npos) {
      return true;
    }
    siginfo_t info{};
    if (pid_ <= 0 ||
        waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) != 0 ||
        info.si_pid != 0) {
      return false;
    }
    SampleMemory();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return false;
}

void AmstreamChild::Signal(int signal) {
  if (pid_ > 0) {
    kill(pid_, signal);
  }
}

void AmstreamChild::SampleMemory() {
  if (pid_ <= 0) {
    return;
  }
  std::string status = testing::internal::ReadFile("/proc/" + std::to_string(pid_) + "/status");
  size_t at = status.find("VmHWM:");
  if (at != std::string::npos) {
    peak_kib_ = std::max<int64_t>(peak_kib_, std::atoll(status.c_str() + at + 6));
  }
}

ChildUsage AmstreamChild::Wait(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    SampleMemory();
    int status = 0;
    rusage usage{};
    pid_t done = wait4(pid_, &status, WNOHANG, &usage);
    if (done == pid_) {
      pid_ = -1;
      return {.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1,
              .user_seconds = TimevalSeconds(usage.ru_utime),
              .sys_seconds = TimevalSeconds(usage.ru_stime),
              .max_rss_kib = peak_kib_,
              .wall_seconds = Seconds(std::chrono::steady_clock::now() - started_)};
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      throw HarnessError("amstream still running after " + std::to_string(timeout.count()) +
                         " ms; its log ends:\n" + testing::internal::Tail(Stderr(), 5));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::string AmstreamChild::Stderr() const { return testing::internal::ReadFile(err_path_); }

std::string AmstreamChild::Stdout() const { return testing::internal::ReadFile(out_path_); }

int64_t LogField(const std::string& log, std::string_view message, std::string_view key) {
  std::string plain = "msg=" + std::string(message) + " ";
  std::string quoted = "msg=\"" + std::string(message) + "\"";
  size_t at = log.rfind(plain);
  if (at == std::string::npos) {
    at = log.rfind(quoted);
  }
  if (at == std::string::npos) {
    return 0;
  }
  size_t end = log.find('\n', at);
  std::string_view line = std::string_view(log).substr(at, end - at);
  std::string pattern = " " + std::string(key) + "=";
  size_t field = line.find(pattern);
  if (field == std::string_view::npos) {
    return 0;
  }
  return std::atoll(std::string(line.substr(field + pattern.size())).c_str());
}

}  // namespace amstream::bench
