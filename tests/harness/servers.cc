#include "harness/servers.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>

#include "harness/spawn.h"

namespace amstream::testing {
namespace {

namespace fs = std::filesystem;
using internal::Fd;

constexpr auto kServerTimeout = std::chrono::seconds(60);

std::string SourceDir() {
#ifdef AMSTREAM_SOURCE_DIR
  return AMSTREAM_SOURCE_DIR;
#else
  return fs::current_path().string();
#endif
}

std::string StripFinalNewline(std::string text) {
  if (!text.empty() && text.back() == '\n') {
    text.pop_back();
  }
  return text;
}

// A port that was free a moment ago: bind 127.0.0.1:0 and ask the kernel which it chose.
int FreePort() {
  Fd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  auto* generic = reinterpret_cast<sockaddr*>(&address);
  if (fd.get() < 0 || bind(fd.get(), generic, sizeof address) != 0 ||
      getsockname(fd.get(), generic, &length) != 0) {
    throw HarnessError("cannot find a free TCP port on 127.0.0.1");
  }
  return ntohs(address.sin_port);
}

// The PostgreSQL server programs: $AMSTREAM_PG_BINDIR, else version 15, else the newest.
std::string FindPgBinDir() {
  if (const char* dir = std::getenv("AMSTREAM_PG_BINDIR"); dir != nullptr) {
    return dir;
  }
  if (fs::exists("/usr/lib/postgresql/15/bin/initdb")) {
    return "/usr/lib/postgresql/15/bin";
  }
  std::string best;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", error)) {
    std::string bin = entry.path().string() + "/bin";
    if (fs::exists(bin + "/initdb") && bin > best) {
      best = bin;
    }
  }
  if (best.empty()) {
    throw HarnessError(
        "PostgreSQL server programs not found in /usr/lib/postgresql: run "
        "scripts/install-deps.sh");
  }
  return best;
}

// The server user may not be able to enter our working directory: run from "/".
RunOptions FromRoot() {
  RunOptions options;
  options.cwd = "/";
  return options;
}

RunOptions PsqlOptions() {
  RunOptions options;
  options.env = {{"PGCONNECT_TIMEOUT", "10"}};
  return options;
}

std::string Must(Result<std::string> result, std::string_view what) {
  if (!result.ok()) {
    throw HarnessError(std::string(what) + ": " + result.status().message());
  }
  return std::move(result).value();
}

// Where a process-wide server lives. A failed start is remembered, so that every later
// test fails at once with the same message instead of trying again.
template <typename Server>
struct SharedSlot {
  std::mutex mutex;
  std::unique_ptr<Server> server;
  std::string failure;
};

// The slot's server, created by `make` on first use and destroyed by the harness at exit.
template <typename Server>
Server& SharedInstance(SharedSlot<Server>& slot, Server* (*make)()) {
  std::lock_guard lock(slot.mutex);
  if (!slot.failure.empty()) {
    throw HarnessError(slot.failure);
  }
  if (slot.server == nullptr) {
    try {
      slot.server.reset(make());
    } catch (const HarnessError& error) {
      slot.failure = error.what();
      throw;
    }
    AtHarnessExit([&slot] {
      std::lock_guard relock(slot.mutex);
      slot.server.reset();
    });
  }
  return *slot.server;
}

}  // namespace

// ---- PgCluster ----

PgCluster& PgCluster::Shared() {
  static auto* slot = new SharedSlot<PgCluster>();  // never destroyed: used at exit
  return SharedInstance<PgCluster>(*slot, [] {
    auto cluster = std::unique_ptr<PgCluster>(new PgCluster());
    cluster->Init();
    cluster->Start();
    return cluster.release();
  });
}

std::vector<std::string> PgCluster::AsServerUser(std::vector<std::string> argv) const {
  // initdb and postgres refuse to run as root.
  if (geteuid() == 0) {
    argv.insert(argv.begin(), {"runuser", "-u", "postgres", "--"});
  }
  return argv;
}

void PgCluster::Init() {
  bin_dir_ = FindPgBinDir();
  std::string pattern = "/tmp/amstream-pg-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    throw HarnessError("cannot create a temporary directory in /tmp");
  }
  root_ = pattern;
  data_dir_ = root_ + "/data";
  if (geteuid() == 0) {
    const passwd* user = getpwnam("postgres");
    if (user == nullptr || chown(root_.c_str(), user->pw_uid, user->pw_gid) != 0) {
      throw HarnessError("cannot give " + root_ + " to user postgres: run scripts/install-deps.sh");
    }
  }

  RunOptions options = FromRoot();
  options.env = {{"LC_ALL", "C.UTF-8"}};
  Must(RunOutput(
           AsServerUser({bin_dir_ + "/initdb", "-D", data_dir_, "-A", "trust", "-U", "postgres",
                         "-E", "UTF8", "--locale=C.UTF-8", "--no-sync", "--no-instructions"}),
           options),
       "initdb");

  port_ = FreePort();
  std::ofstream conf(data_dir_ + "/postgresql.conf", std::ios::app);
  conf << "\n# amstream test harness\n"
       << "listen_addresses = '127.0.0.1'\n"
       << "port = " << port_ << "\n"
       << "unix_socket_directories = '" << root_ << "'\n"
       << "fsync = off\n"
       << "full_page_writes = off\n";
  if (!conf.flush()) {
    throw HarnessError("cannot write " + data_dir_ + "/postgresql.conf");
  }

  // If this process dies without running ~PgCluster, the reaper stops the server.
  reaper_ = std::make_unique<internal::Reaper>(
      root_, AsServerUser({bin_dir_ + "/pg_ctl", "-D", data_dir_, "-m", "immediate", "-w", "-t",
                           "30", "stop"}));
}

PgCluster::~PgCluster() {
  if (running_) {
    Stop();
  }
  std::error_code ignored;
  fs::remove_all(root_, ignored);
}

std::string PgCluster::url() const { return url("postgres"); }

std::string PgCluster::url(std::string_view name) const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + std::string(name);
}

std::string PgCluster::CreateDatabase(std::string_view name) {
  bool valid = !name.empty() && name.size() < 64;
  for (char c : name) {
    valid = valid && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
  }
  if (!valid) {
    throw HarnessError("CreateDatabase: bad name '" + std::string(name) + "' (use a-z, 0-9 and _)");
  }
  // Two -c options run as two transactions: DROP/CREATE DATABASE cannot share one.
  std::string id(name);
  Must(
      RunOutput({bin_dir_ + "/psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url(), "-c",
                 "DROP DATABASE IF EXISTS " + id + " WITH (FORCE)", "-c", "CREATE DATABASE " + id}),
      "creating database " + id);
  return url(name);
}

void PgCluster::Stop(bool immediate) {
  if (!running_) {
    return;
  }
  Must(RunOutput(AsServerUser({bin_dir_ + "/pg_ctl", "-D", data_dir_, "-m",
                               immediate ? "immediate" : "fast", "-w", "-t", "60", "-s", "stop"}),
                 FromRoot()),
       "stopping PostgreSQL");
  running_ = false;
}

void PgCluster::Start() {
  if (running_) {
    return;
  }
  std::string log = root_ + "/server.log";
  auto started = RunOutput(AsServerUser({bin_dir_ + "/pg_ctl", "-D", data_dir_, "-l", log, "-w",
                                         "-t", "60", "-s", "start"}),
                           FromRoot());
  if (!started.ok()) {
    throw HarnessError("starting PostgreSQL on port " + std::to_string(port_) + ": " +
                       started.status().message() + "\n" +
                       internal::Tail(internal::ReadFile(log), 10));
  }
  running_ = true;
}

// ---- Fauxqs ----

Fauxqs& Fauxqs::Shared() {
  static auto* slot = new SharedSlot<Fauxqs>();  // never destroyed: used at exit
  return SharedInstance<Fauxqs>(*slot, [] {
    if (!fs::exists(SourceDir() + "/tests/servers/node_modules/fauxqs/package.json")) {
      throw HarnessError(
          "fauxqs is not installed (tests/servers/node_modules is missing): run "
          "scripts/install-deps.sh");
    }
    auto server = std::unique_ptr<Fauxqs>(new Fauxqs());
    server->Start();
    return server.release();
  });
}

Fauxqs::~Fauxqs() { Stop(); }

std::string Fauxqs::endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

bool Fauxqs::Healthy() const {
  Fd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port_));
  timeval timeout{.tv_sec = 2, .tv_usec = 0};
  setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    return false;
  }
  std::string_view request = "GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  if (send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    return false;
  }
  char reply[64] = {};
  ssize_t n = recv(fd.get(), reply, sizeof reply - 1, MSG_WAITALL);
  std::string_view status(reply, n > 0 ? static_cast<size_t>(n) : 0);
  return status.rfind("HTTP/1.1 200", 0) == 0 || status.rfind("HTTP/1.0 200", 0) == 0;
}

void Fauxqs::Start() {
  if (running()) {
    return;
  }
  std::string dir = SourceDir() + "/tests/servers";
  std::string log = ScratchDir() + "/fauxqs.log";
  auto in = internal::MakePipe();
  auto out = internal::MakePipe();
  Fd err(open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (!in.ok() || !out.ok() || err.get() < 0) {
    throw HarnessError("fauxqs: cannot create pipes");
  }
  // stdin stays open while we live: fauxqs exits when it closes, even if we crash.
  auto pid = internal::Spawn(
      {"node", dir + "/fauxqs.mjs", "--port", std::to_string(port_), "--exit-on-stdin-close"},
      {.in = in->first.get(), .out = out->second.get(), .err = err.get()},
      {.env = {}, .cwd = dir, .die_with_parent = false, .new_session = true});
  if (!pid.ok()) {
    throw HarnessError("starting fauxqs: " + pid.status().message() +
                       " (is Node.js installed? run scripts/install-deps.sh)");
  }
  pid_ = *pid;
  stdin_fd_ = in->second.Release();
  out->second.Reset();

  // It prints {"port":N} once listening.
  std::string line;
  auto deadline = std::chrono::steady_clock::now() + kServerTimeout;
  while (line.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    pollfd entry{.fd = out->first.get(), .events = POLLIN, .revents = 0};
    if (poll(&entry, 1, 200) <= 0) {
      continue;
    }
    char buffer[256];
    ssize_t n = read(out->first.get(), buffer, sizeof buffer);
    if (n <= 0) {
      break;
    }
    line.append(buffer, static_cast<size_t>(n));
  }
  size_t key = line.find("\"port\":");
  if (key != std::string::npos) {
    port_ = std::atoi(line.c_str() + key + 7);
  }
  while (port_ > 0 && !Healthy() && std::chrono::steady_clock::now() < deadline) {
    usleep(20'000);
  }
  if (key == std::string::npos || port_ <= 0 || !Healthy()) {
    Stop();
    throw HarnessError("fauxqs did not start: " + internal::Tail(internal::ReadFile(log), 10));
  }
}

void Fauxqs::Stop() {
  if (pid_ <= 0) {
    return;
  }
  kill(pid_, SIGTERM);
  if (!internal::WaitFor(pid_, std::chrono::seconds(5))) {
    kill(pid_, SIGKILL);
    internal::WaitFor(pid_, std::chrono::seconds(10));
  }
  pid_ = -1;
  close(stdin_fd_);
  stdin_fd_ = -1;
}

// ---- Queries ----

std::string QueueArn(std::string_view name) {
  return "arn:aws:sqs:us-east-1:000000000000:" + std::string(name);
}

Result<std::string> TryPsql(std::string_view url, std::string_view sql) {
  static const std::string kPsql = FindPgBinDir() + "/psql";
  auto out = RunOutput({kPsql, "-X", "-q", "-At", "-F", "|", "-v", "ON_ERROR_STOP=1", "-d",
                        std::string(url), "-c", std::string(sql)},
                       PsqlOptions());
  if (!out.ok()) {
    return out.status();
  }
  return StripFinalNewline(std::move(out).value());
}

std::string Psql(std::string_view url, std::string_view sql) {
  return Must(TryPsql(url, sql), "psql " + std::string(sql.substr(0, 200)));
}

std::string SqliteQuery(std::string_view path, std::string_view sql) {
  auto out = RunOutput({"sqlite3", "-batch", "-bail", "-noheader", "-list", "-separator", "|",
                        std::string(path), std::string(sql)});
  return StripFinalNewline(Must(std::move(out), "sqlite3 " + std::string(sql.substr(0, 200))));
}

}  // namespace amstream::testing
