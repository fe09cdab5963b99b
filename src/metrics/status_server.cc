#include "metrics/status_server.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace amstream::metrics {
namespace {

// A request head larger than this is not from a scraper; the connection is closed.
constexpr size_t kMaxRequestBytes = 8192;
constexpr int kPollMs = 200;

std::string_view StatusText(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

void WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) {
      return;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace

Result<std::unique_ptr<StatusServer>> StatusServer::Start(std::string_view address,
                                                          Handler handler) {
  size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) {
    return ConfigError(fmt::format(
        "--metrics-address takes HOST:PORT like 127.0.0.1:9464 or :9464, got \"{}\"", address));
  }
  std::string host(address.substr(0, colon));
  std::string_view port_text = address.substr(colon + 1);
  int port = -1;
  auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  if (host.empty()) {
    host = "127.0.0.1";
  }
  if (error != std::errc() || end != port_text.data() + port_text.size() || port < 0 ||
      port > 65535 || inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    return ConfigError(fmt::format(
        "--metrics-address takes HOST:PORT with a numeric IPv4 host, like 127.0.0.1:9464, got "
        "\"{}\"",
        address));
  }
  addr.sin_port = htons(static_cast<uint16_t>(port));
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return UnavailableError(fmt::format("metrics socket: {}", std::strerror(errno)));
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  socklen_t length = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), length) != 0 || listen(fd, 16) != 0) {
    int saved = errno;
    close(fd);
    // Usually the port is taken or not ours to bind: a setting to change, not an outage.
    return ConfigError(
        fmt::format("cannot listen on {} for metrics: {}", address, std::strerror(saved)));
  }
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length);
  return std::unique_ptr<StatusServer>(new StatusServer(fd, ntohs(addr.sin_port), handler));
}

StatusServer::StatusServer(int fd, int port, Handler handler)
    : fd_(fd), port_(port), handler_(std::move(handler)) {
  thread_ = std::thread(&StatusServer::Serve, this);
}

StatusServer::~StatusServer() {
  stop_ = true;
  thread_.join();
  close(fd_);
}

void StatusServer::Serve() {
  while (!stop_.load()) {
    pollfd waiting{fd_, POLLIN, 0};
    if (poll(&waiting, 1, kPollMs) <= 0) {
      continue;
    }
    int connection = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (connection >= 0) {
      Answer(connection);
      close(connection);
    }
  }
}

void StatusServer::Answer(int connection) {
  // A client that connects and says nothing must not stall the only thread for long.
  timeval timeout{2, 0};
  setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  std::string request;
  char buffer[1024];
  while (request.find("\r\n\r\n") == std::string::npos && request.size() < kMaxRequestBytes) {
    ssize_t n = recv(connection, buffer, sizeof(buffer), 0);
    if (n <= 0) {
      return;
    }
    request.append(buffer, static_cast<size_t>(n));
  }
  std::string_view line(request);
  line = line.substr(0, line.find("\r\n"));
  Reply reply;
  size_t first = line.find(' ');
  size_t second = line.find(' ', first + 1);
  if (first == std::string_view::npos || second == std::string_view::npos) {
    return;
  }
  std::string_view method = line.substr(0, first);
  std::string_view target = line.substr(first + 1, second - first - 1);
  target = target.substr(0, target.find('?'));
  if (method != "GET" && method != "HEAD") {
    reply = {405, "only GET\n"};
  } else {
    reply = handler_(target);
  }
  std::string head = fmt::format(
      "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
      reply.status, StatusText(reply.status), reply.content_type, reply.body.size());
  WriteAll(connection, head);
  if (method != "HEAD") {
    WriteAll(connection, reply.body);
  }
}

std::string RenderPrometheus(std::span<const Metric> metrics) {
  std::string out;
  for (const Metric& m : metrics) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n{} {}\n", m.name, m.help, m.name,
                       m.counter ? "counter" : "gauge", m.name, m.value);
  }
  return out;
}

}  // namespace amstream::metrics
