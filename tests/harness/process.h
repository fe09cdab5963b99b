// Processes for integration tests: run a program to completion or in the background.
//
// Programs are started with fork/exec, never through a shell. Every child gets fake AWS
// credentials and no inherited AWS_* variable, so nothing a test starts can reach real
// AWS or an instance metadata address. Temporary files live under ScratchDir().
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace amstream::testing {

// Thrown when the harness cannot do what a test asked (server start, SQL, CLI failure).
class HarnessError : public std::runtime_error {
 public:
  // Wraps one line that says what failed and how to fix it.
  using std::runtime_error::runtime_error;
};

// Environment variables as name/value pairs; later entries override earlier ones.
using EnvVars = std::vector<std::pair<std::string, std::string>>;

// How a finished process ended and what it printed.
struct ProcessResult {
  int exit_code = -1;  // exit status, or -1 when a signal ended it
  int signal = 0;      // the signal that ended it, or 0 when it exited
  std::string out;     // everything it wrote to stdout
  std::string err;     // everything it wrote to stderr

  // Whether it exited by itself with status 0.
  bool ok() const { return exit_code == 0; }
  // "exit 3" or "signal 9", for failure messages.
  std::string Describe() const;
};

// Extra settings for RunCommand and ChildProcess::Start.
struct RunOptions {
  EnvVars env;                                // added to the child's environment
  std::string stdin_text;                     // fed to stdin; empty means /dev/null
  std::string cwd;                            // working directory; empty keeps ours
  std::chrono::milliseconds timeout{60'000};  // RunCommand only: SIGKILL after this
};

// The variables every child gets: fake static AWS credentials, us-east-1, no metadata.
// The test process itself drops its inherited AWS_* variables and sets these at start.
const EnvVars& SafeAwsEnv();

// Runs `cleanup` once when the tests are over (or at exit); later registrations run first.
void AtHarnessExit(std::function<void()> cleanup);

// Runs argv[0] (looked up in PATH) to completion and captures its output. Returns the
// ProcessResult whatever the exit status; fails with kUnavailable when it cannot start
// or is still running after `timeout` (it is killed then).
Result<ProcessResult> RunCommand(const std::vector<std::string>& argv,
                                 const RunOptions& options = {});

// Like RunCommand but returns only stdout, and fails (kInternal, stderr in the message)
// unless the process exited with status 0.
Result<std::string> RunOutput(const std::vector<std::string>& argv, const RunOptions& options = {});

// A process running in the background, such as the amstream binary under test. Its
// stdout and stderr go to files in ScratchDir(), readable at any time. The destructor
// SIGKILLs and reaps it if it still runs. It is also SIGKILLed when the thread that
// started it exits, so a crashed test leaves no orphan. Not thread-safe.
class ChildProcess {
 public:
  // Starts argv[0] (looked up in PATH). `options.timeout` is unused. Fails with
  // kUnavailable when the program cannot be started.
  static Result<ChildProcess> Start(const std::vector<std::string>& argv,
                                    const RunOptions& options = {});

  // An empty handle that owns no process.
  ChildProcess() = default;
  // Kills (SIGKILL) and reaps the process if it still runs.
  ~ChildProcess();
  // Moves ownership of the process; the source becomes empty.
  ChildProcess(ChildProcess&& other) noexcept;
  // Kills this handle's process, if any, then takes ownership of other's.
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // The process id, or -1 for an empty handle.
  pid_t pid() const { return pid_; }
  // Whether the process has been started and not yet reaped by Wait.
  bool running() const { return pid_ > 0 && !reaped_; }
  // Sends `signal` (SIGTERM, SIGKILL, SIGINT...). Fails if the process was reaped already.
  Status Kill(int signal);
  // Waits up to `timeout` for the process to end and reaps it. Fails with kUnavailable
  // while it still runs (it keeps running). Calling it again after success returns the
  // same result.
  Result<ProcessResult> Wait(std::chrono::milliseconds timeout);
  // Waits until `text` appears in the process's stdout or stderr; false when `timeout`
  // passes or the process ends first (a startup failure shows in Stderr()).
  bool WaitForOutput(std::string_view text, std::chrono::milliseconds timeout);
  // Everything the process has written to stdout so far.
  std::string Stdout() const;
  // Everything the process has written to stderr so far.
  std::string Stderr() const;

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  ProcessResult result_;
  std::string out_path_;
  std::string err_path_;
};

// Polls `condition` every `interval` until it returns true (then true) or `timeout`
// passes (then false); for state that settles asynchronously, such as rows arriving.
bool WaitUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
               std::chrono::milliseconds interval = std::chrono::milliseconds(50));

// Path of the amstream executable built with these tests.
std::string AmstreamBinary();

// A directory private to this test process, removed when it exits (kept when the
// environment sets AMSTREAM_KEEP_TEMP=1, for debugging).
const std::string& ScratchDir();

// A fresh, empty, unique directory under ScratchDir(); `hint` becomes part of its name.
std::string MakeTempDir(std::string_view hint);

}  // namespace amstream::testing
