#include "harness/spawn.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;  // NOLINT: POSIX global

namespace amstream::testing::internal {
namespace {

std::string ErrnoText(std::string_view what, int error) {
  return std::string(what) + ": " + std::strerror(error);
}

bool IsAwsVariable(std::string_view entry) { return entry.rfind("AWS_", 0) == 0; }

// Our environment without AWS_* variables, then SafeAwsEnv(), then `additions`; for each
// name the last value wins.
std::vector<std::string> ChildEnvironment(const EnvVars& additions) {
  std::vector<std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    if (!IsAwsVariable(*entry)) {
      env.emplace_back(*entry);
    }
  }
  auto set = [&env](const std::string& name, const std::string& value) {
    std::string prefix = name + "=";
    std::erase_if(env, [&prefix](const std::string& e) { return e.rfind(prefix, 0) == 0; });
    env.push_back(prefix + value);
  };
  for (const auto& [name, value] : SafeAwsEnv()) {
    set(name, value);
  }
  for (const auto& [name, value] : additions) {
    set(name, value);
  }
  return env;
}

// The first executable named `program` on PATH; `program` itself when it holds a slash.
std::string FindProgram(const std::string& program) {
  if (program.find('/') != std::string::npos) {
    return program;
  }
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    std::string candidate = (dir.empty() ? "." : dir) + "/" + program;
    if (access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return program;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  pointers.reserve(strings.size() + 1);
  for (std::string& s : strings) {
    pointers.push_back(s.data());
  }
  pointers.push_back(nullptr);
  return pointers;
}

// Runs in the forked child: only async-signal-safe calls until execve. On failure it
// writes errno to `error_fd` and exits 127.
[[noreturn]] void ExecChild(const char* path, char* const* argv, char* const* envp,
                            const SpawnFds& fds, int null_fd, const char* cwd,
                            const SpawnOptions& options, pid_t parent, int error_fd) {
  if (options.die_with_parent) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) {
      _exit(127);
    }
  }
  if (options.new_session) {
    setsid();
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  signal(SIGPIPE, SIG_DFL);

  // Copies above 2 first, so that dup2 never meets a source already in place (which
  // would keep its close-on-exec flag) or overwrites a source it still needs.
  const int sources[3] = {fds.in, fds.out, fds.err};
  int copies[3];
  for (int i = 0; i < 3; ++i) {
    copies[i] = fcntl(sources[i] >= 0 ? sources[i] : null_fd, F_DUPFD_CLOEXEC, 3);
  }
  for (int i = 0; i < 3; ++i) {
    dup2(copies[i], i);
  }
  // Nothing else we hold may leak into the program; the error pipe closes on exec.
  close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
  if (cwd == nullptr || chdir(cwd) == 0) {
    execve(path, argv, envp);
  }
  int error = errno;
  ssize_t ignored = write(error_fd, &error, sizeof error);
  (void)ignored;
  _exit(127);
}

}  // namespace

Fd& Fd::operator=(Fd&& other) noexcept {
  if (this != &other) {
    Reset();
    fd_ = other.Release();
  }
  return *this;
}

int Fd::Release() {
  int fd = fd_;
  fd_ = -1;
  return fd;
}

void Fd::Reset() {
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
}

Reaper::Reaper(std::string dir, const std::vector<std::string>& first) {
  // A fixed script: the directory and command arrive as arguments, never spliced in.
  static constexpr const char* kScript =
      "dir=$1; shift; cat >/dev/null 2>&1; "
      "if [ $# -gt 0 ]; then \"$@\" >/dev/null 2>&1; fi; rm -rf -- \"$dir\"";
  std::vector<std::string> argv = {"/bin/sh", "-c", kScript, "amstream-test-reaper",
                                   std::move(dir)};
  argv.insert(argv.end(), first.begin(), first.end());
  auto pipe = MakePipe();
  if (!pipe.ok()) {
    throw HarnessError("starting the cleanup watchdog: " + pipe.status().message());
  }
  // Its own session, so a Ctrl-C meant for the tests does not stop the cleanup too.
  auto pid = Spawn(argv, {.in = pipe->first.get(), .out = -1, .err = -1},
                   {.env = {}, .cwd = "/", .die_with_parent = false, .new_session = true});
  if (!pid.ok()) {
    throw HarnessError("starting the cleanup watchdog: " + pid.status().message());
  }
  pid_ = *pid;
  fd_ = pipe->second.Release();
}

Reaper::~Reaper() {
  close(fd_);
  WaitFor(pid_, std::chrono::seconds(30));
}

Result<pid_t> Spawn(const std::vector<std::string>& argv, const SpawnFds& fds,
                    const SpawnOptions& options) {
  if (argv.empty()) {
    return InternalError("spawn: empty argv");
  }
  // Everything the child needs is prepared before fork: it must not allocate.
  std::string path = FindProgram(argv[0]);
  std::vector<std::string> args = argv;
  std::vector<std::string> env = ChildEnvironment(options.env);
  std::vector<char*> c_args = CStrings(args);
  std::vector<char*> c_env = CStrings(env);
  const char* cwd = options.cwd.empty() ? nullptr : options.cwd.c_str();

  Fd null_fd(open("/dev/null", O_RDWR | O_CLOEXEC));
  auto error_pipe = MakePipe();
  if (null_fd.get() < 0 || !error_pipe.ok()) {
    return InternalError(ErrnoText("spawn: descriptors", errno));
  }
  auto& [error_read, error_write] = *error_pipe;

  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    return UnavailableError(ErrnoText("fork", errno));
  }
  if (pid == 0) {
    ExecChild(path.c_str(), c_args.data(), c_env.data(), fds, null_fd.get(), cwd, options, parent,
              error_write.get());
  }

  // The child's copy of the write end closes on exec: EOF means exec succeeded.
  error_write.Reset();
  int child_errno = 0;
  ssize_t n;
  do {
    n = read(error_read.get(), &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  if (n > 0) {
    waitpid(pid, nullptr, 0);
    std::string what = "cannot run " + argv[0];
    if (cwd != nullptr) {
      what += " in " + options.cwd;
    }
    return UnavailableError(ErrnoText(what, child_errno));
  }
  return pid;
}

std::optional<ProcessResult> WaitFor(pid_t pid, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  Fd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  for (;;) {
    int status = 0;
    pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      ProcessResult result;
      if (WIFEXITED(status)) {
        result.exit_code = WEXITSTATUS(status);
      } else if (WIFSIGNALED(status)) {
        result.signal = WTERMSIG(status);
      }
      return result;
    }
    if (done < 0 && errno != EINTR) {
      return ProcessResult{.exit_code = -1, .signal = 0, .out = {}, .err = "waitpid failed"};
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return std::nullopt;
    }
    // A pidfd becomes readable when the process ends; without one, poll every 5 ms.
    if (pidfd.get() >= 0) {
      pollfd entry{.fd = pidfd.get(), .events = POLLIN, .revents = 0};
      poll(&entry, 1, static_cast<int>(left.count()));
    } else {
      std::this_thread::sleep_for(std::min(left, std::chrono::milliseconds(5)));
    }
  }
}

Result<std::pair<Fd, Fd>> MakePipe() {
  int ends[2];
  if (pipe2(ends, O_CLOEXEC) != 0) {
    return InternalError(ErrnoText("pipe", errno));
  }
  return std::pair<Fd, Fd>(Fd(ends[0]), Fd(ends[1]));
}

Result<Fd> MemFile(const std::string& text) {
  Fd fd(memfd_create("amstream-test", MFD_CLOEXEC));
  if (fd.get() < 0) {
    return InternalError(ErrnoText("memfd_create", errno));
  }
  size_t written = 0;
  while (written < text.size()) {
    ssize_t n = write(fd.get(), text.data() + written, text.size() - written);
    if (n < 0) {
      return InternalError(ErrnoText("memfd write", errno));
    }
    written += static_cast<size_t>(n);
  }
  lseek(fd.get(), 0, SEEK_SET);
  return fd;
}

std::string ReadWholeFd(int fd) {
  std::string content;
  char buffer[65536];
  off_t offset = 0;
  for (;;) {
    ssize_t n = pread(fd, buffer, sizeof buffer, offset);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return content;
    }
    content.append(buffer, static_cast<size_t>(n));
    offset += n;
  }
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

std::string Tail(const std::string& text, int max_lines) {
  size_t pos = text.size();
  if (pos > 0 && text[pos - 1] == '\n') {
    --pos;
  }
  for (int lines = 0; pos > 0; --pos) {
    if (text[pos - 1] == '\n' && ++lines == max_lines) {
      break;
    }
  }
  std::string tail = text.substr(pos);
  while (!tail.empty() && tail.back() == '\n') {
    tail.pop_back();
  }
  return tail;
}

}  // namespace amstream::testing::internal
