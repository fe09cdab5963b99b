// The little HTTP/1.1 that TcpProxy needs to answer requests itself: finding where each
// request of a kept-alive connection ends, and writing a canned response.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace amstream::testing::internal {

// `text` with ASCII letters lower-cased, for case-insensitive header matching.
std::string LowerCase(std::string_view text);

// A complete HTTP/1.1 response: status line, `headers`, Content-Length, then `body`.
std::string HttpResponse(int status, std::string_view body,
                         const std::vector<std::pair<std::string, std::string>>& headers);

// Splits a client's byte stream into HTTP/1.1 requests, so that a whole request can be
// held back and answered by the proxy. From the first sign of anything else (PostgreSQL's
// protocol, a chunked body, an oversized header) every byte passes through untouched.
// One per connection; not thread-safe.
class RequestFramer {
 public:
  // Given a request's header block, returns the response to give instead of forwarding
  // the request, or "" to forward it.
  using Claim = std::function<std::string(std::string_view header)>;

  // Appends to `forward` the bytes of `data` due to the server and to `answer` the canned
  // responses due to the client, once the requests they replace have fully arrived.
  void Feed(std::string_view data, const Claim& claim, std::string* forward, std::string* answer);

  // Stops framing: bytes were lost, so request boundaries are unknown from here on.
  void GiveUp() { state_ = State::kPassThrough; }

 private:
  enum class State { kStart, kHeaders, kBody, kPassThrough };

  // Consumes header bytes and returns what is left of `data` after the header block.
  std::string_view FeedHeader(std::string_view data, const Claim& claim, std::string* forward,
                              std::string* answer);
  // The current request has fully arrived.
  void Finish(std::string* answer);

  State state_ = State::kStart;
  std::string header_;
  size_t body_left_ = 0;
  std::string response_;  // non-empty while the current request is answered by the proxy
};

}  // namespace amstream::testing::internal
