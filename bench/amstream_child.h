// The amstream binary under measurement, run as a child whose resource use the OS
// reports when it is reaped (wait4): user and system CPU time and peak resident memory.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "harness/process.h"

namespace amstream::bench {

// How the child ended and what it cost.
struct ChildUsage {
  int exit_code = -1;  // -1 when a signal ended it
  double user_seconds = 0;
  double sys_seconds = 0;
  // Peak resident memory: the kernel's high-water mark (VmHWM) of amstream's own address
  // space. wait4's ru_maxrss is not used: Linux carries into it the resident size of
  // the forked copy of this driver before exec, which holds every generated body.
  int64_t max_rss_kib = 0;
  double wall_seconds = 0;  // from start to reaping
};

class AmstreamChild {
 public:
  // Starts the amstream binary with `args` (without the program name) and the harness's
  // safe AWS environment; stdout and stderr go to files. When AMSTREAM_BENCH_WRAPPER is
  // set (a profiler command line), amstream runs under it. Throws HarnessError.
  static AmstreamChild Start(const std::vector<std::string>& args,
                             const testing::EnvVars& env = {});

  // SIGKILLs and reaps the child if it still runs.
  ~AmstreamChild();
  AmstreamChild(AmstreamChild&& other) noexcept;
  AmstreamChild& operator=(AmstreamChild&&) = delete;
  AmstreamChild(const AmstreamChild&) = delete;
  AmstreamChild& operator=(const AmstreamChild&) = delete;

  // Waits until `text` appears in its standard error; false after `timeout` or if the
  // child ends first.
  bool WaitForLog(std::string_view text, std::chrono::milliseconds timeout);
  // Sends `signal` to the child if it still runs.
  void Signal(int signal);
  // Reads the child's memory high-water mark now; Wait does this until the child ends,
  // and callers that poll anyway may call it too.
  void SampleMemory();
  // Waits for the child to end and reaps it. Throws HarnessError after `timeout` (the
  // child is killed then).
  ChildUsage Wait(std::chrono::milliseconds timeout);
  // Everything it wrote to standard error (its log) and standard output so far.
  std::string Stderr() const;
  std::string Stdout() const;

 private:
  AmstreamChild() = default;

  pid_t pid_ = -1;
  int64_t peak_kib_ = 0;
  std::chrono::steady_clock::time_point started_;
  std::string out_path_;
  std::string err_path_;
};

// The value of `key` in the last log line holding `msg="<message>"`, as an integer;
// 0 when absent. For the counters of the "stopped" line.
int64_t LogField(const std::string& log, std::string_view message, std::string_view key);

}  // namespace amstream::bench
