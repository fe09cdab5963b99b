// Low-level process plumbing shared by the harness files; tests use process.h instead.
//
// Everything a forked child does before exec is async-signal-safe (dup2, chdir, prctl,
// execve), because the test process may run other threads, and under ASan an allocation
// in the child could deadlock on a lock held by a thread that no longer exists there.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "harness/process.h"

namespace amstream::testing::internal {

// A file descriptor closed when it goes out of scope; -1 means none.
class Fd {
 public:
  // Owns nothing.
  Fd() = default;
  // Takes ownership of `fd`.
  explicit Fd(int fd) : fd_(fd) {}
  // Closes the descriptor.
  ~Fd() { Reset(); }
  // Moves ownership; the source owns nothing afterwards.
  Fd(Fd&& other) noexcept : fd_(other.Release()) {}
  // Closes ours, then takes other's.
  Fd& operator=(Fd&& other) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  // The descriptor, or -1.
  int get() const { return fd_; }
  // Gives up ownership without closing and returns the descriptor.
  int Release();
  // Closes the descriptor, if any.
  void Reset();

 private:
  int fd_ = -1;
};

// What a spawned child gets instead of our own descriptors 0, 1 and 2 (-1: /dev/null).
struct SpawnFds {
  int in = -1;
  int out = -1;
  int err = -1;
};

// How to spawn beyond argv and descriptors.
struct SpawnOptions {
  EnvVars env;                   // added to the scrubbed environment
  std::string cwd;               // empty keeps ours
  bool die_with_parent = false;  // SIGKILL when the spawning thread exits
  bool new_session = false;      // setsid(): no terminal signals (Ctrl-C) reach it
};

// Starts argv[0] (looked up in PATH) with fork/exec. Returns the pid once exec succeeded;
// kUnavailable with errno's text when the program could not be found or executed.
Result<pid_t> Spawn(const std::vector<std::string>& argv, const SpawnFds& fds,
                    const SpawnOptions& options);

// A watchdog process that removes a directory once this test process is gone, even
// after a crash or SIGKILL, first running an optional command (such as stopping a server
// that lives there). It waits for its stdin, a pipe only we hold, to close.
class Reaper {
 public:
  // Starts the watchdog for `dir`; `first` (may be empty) runs before the removal.
  // Throws HarnessError when it cannot start.
  Reaper(std::string dir, const std::vector<std::string>& first);
  // Triggers the watchdog and waits up to 30 s for it to finish.
  ~Reaper();
  Reaper(const Reaper&) = delete;
  Reaper& operator=(const Reaper&) = delete;

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
};

// Waits up to `timeout` for `pid` to end and reaps it; nullopt while it still runs.
std::optional<ProcessResult> WaitFor(pid_t pid, std::chrono::milliseconds timeout);

// A pipe whose both ends are close-on-exec; fails with kInternal.
Result<std::pair<Fd, Fd>> MakePipe();

// An anonymous in-memory file holding `text` (empty allowed), positioned at its start.
Result<Fd> MemFile(const std::string& text);

// All of a regular file or memfd's content from its start.
std::string ReadWholeFd(int fd);

// A file's content, or "" when it cannot be read.
std::string ReadFile(const std::string& path);

// The last `max_lines` lines of `text`, for error messages.
std::string Tail(const std::string& text, int max_lines);

}  // namespace amstream::testing::internal
