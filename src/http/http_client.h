// HTTP for the whole program; the only folder that touches libcurl.
//
// A Client owns one curl handle, so its connection (and TLS session) is kept alive
// between requests. Clients are not thread-safe: each thread uses its own.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace amstream::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method = "POST";  // "GET" or "POST"
  std::string url;
  Headers headers;
  std::string body;
  // Whole-request limit, connect included. Must exceed any server-side wait (long poll).
  std::chrono::milliseconds timeout{30'000};
  // When set and it becomes true, the request is abandoned within ~50 ms with kCancelled,
  // but never before it has run for `cancel_grace`. A receive answered at once is thus
  // allowed to finish: abandoning it would leave the messages it took invisible, while
  // cancelling a poll that has waited that long on an empty queue loses nothing.
  const std::atomic<bool>* cancel = nullptr;
  std::chrono::milliseconds cancel_grace{0};
};

struct Response {
  long status = 0;  // HTTP status code
  Headers headers;  // names lower-cased
  std::string body;
};

class Client {
 public:
  Client();
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Performs the request. Any HTTP status is a Response; only transport failures are
  // errors: kUnavailable (refused, reset, DNS, timeout, TLS) or kCancelled.
  Result<Response> Do(const Request& request);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Percent-encodes per RFC 3986 (unreserved characters kept), as SigV4 and form bodies need.
std::string UrlEncode(std::string_view text);

// The parts of an absolute http(s) URL that request signing and error messages need.
struct Url {
  std::string scheme;     // "http" or "https", lower-cased
  std::string authority;  // "host" or "host:port"; a default port (80, 443) is dropped
  std::string host;       // the host alone, without port or brackets
  std::string path;       // "/" when the URL has none; never includes the query
  std::string query;      // after '?', without it; empty when absent
};

// Splits `url`. Fails with kInvalid (naming the URL) unless it is an absolute http:// or
// https:// URL with a host and no user info. Pure string work: nothing is resolved.
Result<Url> ParseUrl(std::string_view url);

}  // namespace amstream::http
