// A TCP proxy on 127.0.0.1 that puts faults between amstream and a test server.
//
// Tests point amstream at the proxy instead of PostgreSQL or fauxqs and then slow the
// traffic down, drop it, refuse or reset connections, answer HTTP requests with canned
// errors, or cut a connection right after a chosen request reached the server. Every
// setter is thread-safe and takes effect on open connections as well as new ones.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "common/status.h"

namespace amstream::testing {

class TcpProxy {
 public:
  // Listens on 127.0.0.1 (kernel-chosen port) and forwards every connection to
  // 127.0.0.1:target_port. Fails with kUnavailable when it cannot listen.
  static Result<std::unique_ptr<TcpProxy>> Start(int target_port);

  // Closes the listener and every connection, and joins its threads.
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  // The port the proxy listens on.
  int port() const { return port_; }
  // "http://127.0.0.1:<port>", for --endpoint.
  std::string Url() const;

  // Waits this long before forwarding each client->server chunk, so every request and
  // response round trip gains it. 0 (the default) forwards at once.
  void SetDelay(std::chrono::milliseconds delay);
  // While on, connections are accepted and read, but nothing is forwarded either way
  // and nothing is answered: a server that hangs. An HTTP connection that lost bytes
  // this way gets no injected answers afterwards (its request framing is lost).
  void SetBlackhole(bool on);
  // While on, new connections are closed at once (RST) without reaching the server;
  // turning it on also resets every open connection, so kept-alive ones fail too.
  void SetRefuse(bool on);
  // Aborts (RST) every open connection, both the client's side and the server's.
  void ResetAll();
  // Answers the next `count` HTTP/1.1 requests (on any connection) with `status`, `body`
  // and `headers` instead of forwarding them; the connection stays open. Requests must
  // be framed by Content-Length, as libcurl does for POST. Replaces any pending injection.
  void InjectHttpResponses(int count, int status, std::string body,
                           std::vector<std::pair<std::string, std::string>> headers = {});
  // Like InjectHttpResponses, but only requests whose header block contains
  // `header_text` (case-insensitive) are answered, such as
  // "X-Amz-Target: AmazonSQS.DeleteMessageBatch"; others pass. Replaces any pending
  // injection.
  void InjectHttpResponsesTo(std::string_view header_text, int count, int status, std::string body,
                             std::vector<std::pair<std::string, std::string>> headers = {});
  // The next `count` times a client->server chunk contains `needle` (also across chunk
  // boundaries when it is at most 256 bytes long), forwards that chunk, then resets the client's
  // side at once and closes the server's side after the server has answered (or within 5 s),
  // without relaying the answer: the server acts on the request, the client never learns the
  // outcome.
  void CutAfterClientSends(std::string needle, int count = 1);

  // Connections accepted so far, refused ones included.
  int64_t connections() const { return connections_.load(); }
  // HTTP answers injected so far.
  int64_t injected() const { return injected_.load(); }
  // Connections cut by CutAfterClientSends so far.
  int64_t cuts() const { return cuts_.load(); }

 private:
  struct Connection;
  struct Injection {
    int remaining = 0;
    std::string match;     // lower-cased text the request's header block must contain
    std::string response;  // the whole HTTP response, status line to body
  };

  TcpProxy() = default;
  void AcceptLoop();
  void Accept();
  void Relay(Connection& connection);
  // After a cut: lets the server read the request, act on it and answer (the answer is
  // discarded) until it closes or 5 s pass, so the client's loss is the only fault.
  void AnswerIntoTheVoid(Connection& connection);
  // Sleeps for the delay; false when the connection must close instead.
  bool Delay(Connection& connection);
  // Writes all of `data`; false when the peer failed or the connection must close.
  bool WriteAll(Connection& connection, int fd, std::string_view data);
  // Whether the connection has been told to stop (reset, proxy shutting down).
  bool Aborted(const Connection& connection) const;
  // Claims one injected answer for the request with this header block; empty when none
  // is pending for it.
  std::string ClaimInjection(std::string_view header);
  // Whether the client's new bytes `data`, after `before`, complete a cut needle;
  // claims one cut if so.
  bool ClaimCut(std::string_view before, std::string_view data);
  void JoinFinished();

  int port_ = 0;
  int target_port_ = 0;
  int listener_ = -1;
  int accept_wake_ = -1;  // eventfd that stops the accept loop
  std::thread accept_thread_;
  std::atomic<bool> stopping_{false};

  std::atomic<int64_t> delay_ms_{0};
  std::atomic<bool> blackhole_{false};
  std::atomic<bool> refuse_{false};
  std::atomic<int64_t> connections_{0};
  std::atomic<int64_t> injected_{0};
  std::atomic<int64_t> cuts_{0};

  mutable std::mutex mutex_;  // guards everything below
  Injection injection_;
  std::string cut_needle_;
  int cuts_remaining_ = 0;
  std::list<std::unique_ptr<Connection>> open_;
};

}  // namespace amstream::testing
