// A tiny HTTP/1.1 server on 127.0.0.1 for unit tests of http/ and sqs/; never used by the
// program. Header-only so that it stays out of the core library.
//
// It serves one connection at a time, keeps it open between requests (so keep-alive can
// be observed) and answers each request with whatever the handler returns.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace amstream::http::test_support {

// A socket listening on 127.0.0.1 at a port the kernel picks. Without accept() the
// kernel still completes handshakes, so a client connects and then hears nothing.
class Listener {
 public:
  Listener() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), len);
    listen(fd_, 8);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~Listener() { close(fd_); }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  int fd() const { return fd_; }
  int port() const { return port_; }
  // "http://127.0.0.1:PORT/".
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// Builds a raw HTTP/1.1 response with a Content-Length.
inline std::string RawResponse(int status, std::string_view body,
                               std::string_view extra_headers = "") {
  return "HTTP/1.1 " + std::to_string(status) +
         " X\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
         std::string(extra_headers) + "\r\n" + std::string(body);
}

class LocalServer {
 public:
  // Takes the raw request (head and body) and returns the raw response.
  using Handler = std::function<std::string(const std::string& request)>;

  explicit LocalServer(Handler handler)
      : handler_(std::move(handler)), thread_([this] { Serve(); }) {}
  ~LocalServer() {
    stop_ = true;
    thread_.join();
  }
  LocalServer(const LocalServer&) = delete;
  LocalServer& operator=(const LocalServer&) = delete;

  std::string Url() const { return listener_.Url(); }
  int port() const { return listener_.port(); }
  int connections() const { return connections_; }
  // Every request received so far, raw.
  std::vector<std::string> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  void Serve() {
    while (!stop_) {
      pollfd p{listener_.fd(), POLLIN, 0};
      if (poll(&p, 1, 20) <= 0) {
        continue;
      }
      int conn = accept(listener_.fd(), nullptr, nullptr);
      ++connections_;
      while (!stop_ && AnswerOne(conn)) {
      }
      close(conn);
    }
  }

  // Reads one request (head plus Content-Length bytes) and answers it; false once the
  // client has gone or the server is stopping.
  bool AnswerOne(int conn) {
    std::string in;
    size_t need = std::string::npos;
    while (need == std::string::npos || in.size() < need) {
      pollfd p{conn, POLLIN, 0};
      if (stop_ || poll(&p, 1, 20) < 0) {
        return false;
      }
      if ((p.revents & (POLLIN | POLLHUP)) == 0) {
        continue;
      }
      char buf[4096];
      ssize_t n = read(conn, buf, sizeof(buf));
      if (n <= 0) {
        return false;
      }
      in.append(buf, static_cast<size_t>(n));
      size_t end = in.find("\r\n\r\n");
      size_t length = in.find("Content-Length: ");
      if (end != std::string::npos) {
        need = end + 4 + (length < end ? std::stoul(in.substr(length + 16)) : 0);
      }
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(in);
    }
    std::string reply = handler_(in);
    return write(conn, reply.data(), reply.size()) == static_cast<ssize_t>(reply.size());
  }

  Listener listener_;
  Handler handler_;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::mutex mu_;
  std::vector<std::string> requests_;
  std::thread thread_;
};

}  // namespace amstream::http::test_support
