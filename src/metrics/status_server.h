// A small HTTP endpoint for operators and orchestrators: amstream serves GET /metrics
// (Prometheus text format) and GET /healthz from it. One thread answers one request per
// connection, which is all a scraper or a liveness probe needs.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <thread>

#include "common/status.h"

namespace amstream::metrics {

struct Reply {
  int status = 200;
  std::string body;
  std::string content_type = "text/plain; charset=utf-8";
};

class StatusServer {
 public:
  // Answers a GET for `path` (without the query string). Called on the server's thread.
  using Handler = std::function<Reply(std::string_view path)>;

  // Listens on `address`, "HOST:PORT" with a numeric IPv4 host ("127.0.0.1:9464",
  // "0.0.0.0:9464") or ":PORT" for loopback. Port 0 lets the kernel choose. Fails with
  // kConfig for a malformed address or a port that cannot be bound.
  static Result<std::unique_ptr<StatusServer>> Start(std::string_view address, Handler handler);

  ~StatusServer();
  StatusServer(const StatusServer&) = delete;
  StatusServer& operator=(const StatusServer&) = delete;

  int port() const { return port_; }

 private:
  StatusServer(int fd, int port, Handler handler);
  void Serve();
  void Answer(int connection);

  int fd_;
  int port_;
  Handler handler_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// One sample of the Prometheus text format.
struct Metric {
  std::string_view name;  // amstream_…; counters end in _total
  std::string_view help;
  bool counter = true;  // else a gauge
  double value = 0;
};

// The Prometheus text exposition of `metrics`, with HELP and TYPE lines.
std::string RenderPrometheus(std::span<const Metric> metrics);

}  // namespace amstream::metrics
