#include "harness/tcp_proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "harness/spawn.h"
#include "harness/tcp_proxy_http.h"

namespace amstream::testing {
namespace {

using internal::Fd;
using internal::RequestFramer;
using Clock = std::chrono::steady_clock;

// Needles longer than this are not found when split across two reads.
constexpr size_t kWindowBytes = 256;
constexpr auto kCutDrainTimeout = std::chrono::seconds(5);

sockaddr_in Loopback(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  return address;
}

void SetNoDelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

// Closing with a zero linger time sends RST instead of FIN: the peer sees a reset.
void ResetAndClose(Fd& fd) {
  if (fd.get() < 0) {
    return;
  }
  linger abort{};
  abort.l_onoff = 1;
  abort.l_linger = 0;
  setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
  fd.Reset();
}

void Signal(int event_fd) {
  uint64_t one = 1;
  ssize_t written = write(event_fd, &one, sizeof one);
  static_cast<void>(written);
}

void Drain(int event_fd) {
  uint64_t count = 0;
  ssize_t got = read(event_fd, &count, sizeof count);
  static_cast<void>(got);
}

}  // namespace

struct TcpProxy::Connection {
  Fd client;
  Fd server;
  Fd wake;  // eventfd: set when the connection must look at `reset` or stopping_
  std::atomic<bool> reset{false};
  std::atomic<bool> finished{false};
  std::thread thread;
};

Result<std::unique_ptr<TcpProxy>> TcpProxy::Start(int target_port) {
  auto proxy = std::unique_ptr<TcpProxy>(new TcpProxy());
  proxy->target_port_ = target_port;
  proxy->listener_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  proxy->accept_wake_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  sockaddr_in address = Loopback(0);
  socklen_t length = sizeof address;
  auto* generic = reinterpret_cast<sockaddr*>(&address);
  if (proxy->listener_ < 0 || proxy->accept_wake_ < 0 ||
      bind(proxy->listener_, generic, sizeof address) != 0 || listen(proxy->listener_, 128) != 0 ||
      getsockname(proxy->listener_, generic, &length) != 0) {
    return UnavailableError(std::string("tcp proxy cannot listen on 127.0.0.1: ") +
                            std::strerror(errno));
  }
  proxy->port_ = ntohs(address.sin_port);
  proxy->accept_thread_ = std::thread([raw = proxy.get()] { raw->AcceptLoop(); });
  return proxy;
}

TcpProxy::~TcpProxy() {
  stopping_ = true;
  if (accept_thread_.joinable()) {
    Signal(accept_wake_);
    accept_thread_.join();
  }
  std::list<std::unique_ptr<Connection>> all;
  {
    std::lock_guard lock(mutex_);
    all.swap(open_);
  }
  for (auto& connection : all) {
    Signal(connection->wake.get());
  }
  for (auto& connection : all) {
    connection->thread.join();
  }
  if (listener_ >= 0) {
    close(listener_);
  }
  if (accept_wake_ >= 0) {
    close(accept_wake_);
  }
}

std::string TcpProxy::Url() const { return "http://127.0.0.1:" + std::to_string(port_); }

void TcpProxy::SetDelay(std::chrono::milliseconds delay) { delay_ms_ = delay.count(); }

void TcpProxy::SetBlackhole(bool on) { blackhole_ = on; }

void TcpProxy::SetRefuse(bool on) {
  refuse_ = on;
  if (on) {
    ResetAll();
  }
}

void TcpProxy::ResetAll() {
  std::lock_guard lock(mutex_);
  for (auto& connection : open_) {
    connection->reset = true;
    Signal(connection->wake.get());
  }
}

void TcpProxy::InjectHttpResponses(int count, int status, std::string body,
                                   std::vector<std::pair<std::string, std::string>> headers) {
  InjectHttpResponsesTo("", count, status, std::move(body), std::move(headers));
}

void TcpProxy::InjectHttpResponsesTo(std::string_view header_text, int count, int status,
                                     std::string body,
                                     std::vector<std::pair<std::string, std::string>> headers) {
  std::string response = internal::HttpResponse(status, body, headers);
  std::lock_guard lock(mutex_);
  injection_.remaining = count;
  injection_.match = internal::LowerCase(header_text);
  injection_.response = std::move(response);
}

void TcpProxy::CutAfterClientSends(std::string needle, int count) {
  std::lock_guard lock(mutex_);
  cut_needle_ = std::move(needle);
  cuts_remaining_ = count;
}

std::string TcpProxy::ClaimInjection(std::string_view header) {
  std::lock_guard lock(mutex_);
  if (injection_.remaining <= 0 ||
      internal::LowerCase(header).find(injection_.match) == std::string::npos) {
    return {};
  }
  --injection_.remaining;
  ++injected_;
  return injection_.response;
}

bool TcpProxy::ClaimCut(std::string_view before, std::string_view data) {
  std::lock_guard lock(mutex_);
  if (cuts_remaining_ <= 0 || cut_needle_.empty()) {
    return false;
  }
  // Only a match that ends in the new bytes counts: an older one came before the cut was
  // armed, or was counted already.
  size_t keep = std::min(before.size(), cut_needle_.size() - 1);
  std::string region(before.substr(before.size() - keep));
  region.append(data);
  if (region.find(cut_needle_) == std::string::npos) {
    return false;
  }
  --cuts_remaining_;
  ++cuts_;
  return true;
}

void TcpProxy::AcceptLoop() {
  while (!stopping_) {
    std::array<pollfd, 2> fds = {{{listener_, POLLIN, 0}, {accept_wake_, POLLIN, 0}}};
    // The timeout only bounds how long finished connections wait to be joined.
    if (poll(fds.data(), fds.size(), 500) < 0 && errno != EINTR) {
      return;
    }
    if ((fds[0].revents & POLLIN) != 0) {
      Accept();
    }
    JoinFinished();
  }
}

void TcpProxy::Accept() {
  Fd client(accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
  if (client.get() < 0) {
    return;
  }
  ++connections_;
  if (refuse_) {
    ResetAndClose(client);
    return;
  }
  Fd server(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in target = Loopback(target_port_);
  if (server.get() < 0 ||
      connect(server.get(), reinterpret_cast<sockaddr*>(&target), sizeof target) != 0) {
    // The server is down: the client sees its connection reset, much like a refusal.
    ResetAndClose(client);
    return;
  }
  SetNoDelay(client.get());
  SetNoDelay(server.get());
  int flags = fcntl(server.get(), F_GETFL);
  fcntl(server.get(), F_SETFL, flags | O_NONBLOCK);

  auto connection = std::make_unique<Connection>();
  connection->client = std::move(client);
  connection->server = std::move(server);
  connection->wake = Fd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  Connection* raw = connection.get();
  std::lock_guard lock(mutex_);
  raw->thread = std::thread([this, raw] { Relay(*raw); });
  open_.push_back(std::move(connection));
}

void TcpProxy::JoinFinished() {
  std::list<std::unique_ptr<Connection>> finished;
  {
    std::lock_guard lock(mutex_);
    for (auto it = open_.begin(); it != open_.end();) {
      auto next = std::next(it);
      if ((*it)->finished) {
        finished.splice(finished.end(), open_, it);
      }
      it = next;
    }
  }
  for (auto& connection : finished) {
    connection->thread.join();
  }
}

bool TcpProxy::Aborted(const Connection& connection) const { return stopping_ || connection.reset; }

bool TcpProxy::Delay(Connection& connection) {
  auto deadline = Clock::now() + std::chrono::milliseconds(delay_ms_.load());
  for (auto now = Clock::now(); now < deadline; now = Clock::now()) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - now);
    pollfd wake = {connection.wake.get(), POLLIN, 0};
    if (poll(&wake, 1, static_cast<int>(left.count())) > 0) {
      Drain(connection.wake.get());
    }
    if (Aborted(connection)) {
      return false;
    }
  }
  return true;
}

bool TcpProxy::WriteAll(Connection& connection, int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t sent = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (sent > 0) {
      data.remove_prefix(static_cast<size_t>(sent));
      continue;
    }
    if (sent < 0 && errno == EINTR) {
      continue;
    }
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      std::array<pollfd, 2> fds = {{{fd, POLLOUT, 0}, {connection.wake.get(), POLLIN, 0}}};
      poll(fds.data(), fds.size(), -1);
      if ((fds[1].revents & POLLIN) != 0) {
        Drain(connection.wake.get());
      }
      if (Aborted(connection)) {
        return false;
      }
      continue;
    }
    return false;
  }
  return true;
}

void TcpProxy::AnswerIntoTheVoid(Connection& connection) {
  shutdown(connection.server.get(), SHUT_WR);
  std::array<char, 4096> discard{};
  auto deadline = Clock::now() + kCutDrainTimeout;
  while (Clock::now() < deadline && !Aborted(connection)) {
    pollfd server = {connection.server.get(), POLLIN, 0};
    if (poll(&server, 1, 100) <= 0) {
      continue;
    }
    ssize_t got = read(connection.server.get(), discard.data(), discard.size());
    if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) {
      return;
    }
  }
}

void TcpProxy::Relay(Connection& connection) {
  enum class End { kOpen, kClosed, kAborted, kCut };
  End end = End::kOpen;
  bool client_open = true;
  bool server_open = true;
  RequestFramer framer;
  std::string window;  // the client's latest bytes, to find needles split across reads
  std::array<char, 64 * 1024> buffer{};

  // One chunk from the client: delayed, framed for injected answers, checked for a cut.
  auto from_client = [&](std::string_view data) {
    if (blackhole_) {
      framer.GiveUp();
      return End::kOpen;
    }
    if (!Delay(connection)) {
      return End::kAborted;
    }
    std::string forward;
    std::string answer;
    framer.Feed(
        data, [this](std::string_view header) { return ClaimInjection(header); }, &forward,
        &answer);
    bool cut = ClaimCut(window, data);
    window.append(data);
    if (window.size() > kWindowBytes) {
      window.erase(0, window.size() - kWindowBytes);
    }
    if (!WriteAll(connection, connection.server.get(), forward) ||
        !WriteAll(connection, connection.client.get(), answer)) {
      return End::kAborted;
    }
    return cut ? End::kCut : End::kOpen;
  };

  while (end == End::kOpen) {
    if (Aborted(connection)) {
      end = End::kAborted;
      break;
    }
    std::array<pollfd, 3> fds = {{{client_open ? connection.client.get() : -1, POLLIN, 0},
                                  {server_open ? connection.server.get() : -1, POLLIN, 0},
                                  {connection.wake.get(), POLLIN, 0}}};
    if (poll(fds.data(), fds.size(), -1) < 0) {
      end = errno == EINTR ? End::kOpen : End::kAborted;
      continue;
    }
    if (fds[2].revents != 0) {
      Drain(connection.wake.get());
      continue;
    }
    if (fds[0].revents != 0) {
      ssize_t got = read(connection.client.get(), buffer.data(), buffer.size());
      if (got > 0) {
        end = from_client(std::string_view(buffer.data(), static_cast<size_t>(got)));
      } else if (got == 0) {
        client_open = false;
        shutdown(connection.server.get(), SHUT_WR);
      } else if (errno != EAGAIN && errno != EINTR) {
        end = End::kAborted;
      }
    }
    if (end == End::kOpen && fds[1].revents != 0) {
      ssize_t got = read(connection.server.get(), buffer.data(), buffer.size());
      if (got > 0) {
        if (!blackhole_ && !WriteAll(connection, connection.client.get(),
                                     std::string_view(buffer.data(), static_cast<size_t>(got)))) {
          end = End::kAborted;
        }
      } else if (got == 0) {
        server_open = false;
        shutdown(connection.client.get(), SHUT_WR);
      } else if (errno != EAGAIN && errno != EINTR) {
        end = End::kAborted;
      }
    }
    if (end == End::kOpen && !client_open && !server_open) {
      end = End::kClosed;
    }
  }

  if (end == End::kCut) {
    ResetAndClose(connection.client);
    AnswerIntoTheVoid(connection);
  }
  if (end == End::kAborted) {
    ResetAndClose(connection.client);
    ResetAndClose(connection.server);
  }
  connection.client.Reset();
  connection.server.Reset();
  connection.finished = true;
}

}  // namespace amstream::testing
