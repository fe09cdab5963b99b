#include "http/http_client.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <memory>
#include <mutex>

namespace amstream::http {
namespace {

// How long one wait for socket activity may last before the cancel flag is looked at
// again. libcurl alone calls the progress callback only about once a second while a
// long poll sits idle, which would make shutdown feel sluggish.
constexpr int kCancelCheckMs = 50;

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string_view Trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n";
  size_t begin = text.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) {
    return {};
  }
  size_t end = text.find_last_not_of(kSpace);
  return text.substr(begin, end - begin + 1);
}

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* headers = static_cast<Headers*>(user);
  std::string_view line(data, size * count);
  // Each status line starts a new response (after "100 Continue", for one): only the
  // final response's headers are wanted.
  if (line.starts_with("HTTP/")) {
    headers->clear();
    return line.size();
  }
  size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    headers->emplace_back(Lower(Trim(line.substr(0, colon))),
                          std::string(Trim(line.substr(colon + 1))));
  }
  return line.size();
}

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using HeaderList = std::unique_ptr<curl_slist, SlistDeleter>;

// Returns the list libcurl sends; nullptr (and no list) only when allocation fails.
HeaderList BuildHeaderList(const Headers& headers) {
  HeaderList list;
  bool has_expect = false;
  for (const auto& [name, value] : headers) {
    has_expect = has_expect || Lower(name) == "expect";
    // libcurl reads "Name:" as "remove this header"; "Name;" sends it empty.
    std::string line = value.empty() ? name + ";" : name + ": " + value;
    curl_slist* grown = curl_slist_append(list.get(), line.c_str());
    if (grown == nullptr) {
      return nullptr;
    }
    list.release();
    list.reset(grown);
  }
  // libcurl would otherwise wait for "100 Continue" before sending a body over 1 KiB,
  // and servers that never send it cost a second per request.
  if (!has_expect) {
    curl_slist* grown = curl_slist_append(list.get(), "Expect:");
    if (grown == nullptr) {
      return nullptr;
    }
    list.release();
    list.reset(grown);
  }
  return list;
}

std::string TransportMessage(CURLcode code, const char* detail, const Request& request,
                             std::string_view host) {
  std::string_view extra = Trim(detail);
  std::string message = fmt::format("{} request to {} failed: {} (curl error {})", request.method,
                                    host, curl_easy_strerror(code), static_cast<int>(code));
  if (!extra.empty()) {
    message += fmt::format(": {}", extra);
  }
  return message;
}

}  // namespace

struct Client::Impl {
  CURL* easy = nullptr;
  // The transfer is driven through a multi handle so that waits are short (see
  // kCancelCheckMs); the multi handle also keeps the idle connection for reuse.
  CURLM* multi = nullptr;
  char error[CURL_ERROR_SIZE] = {};

  Status Configure(const Request& request, curl_slist* headers, Response* response);
  Status Perform(const Request& request, CURLcode* result);
};

Client::Client() : impl_(std::make_unique<Impl>()) {
  GlobalInitOnce();
  impl_->easy = curl_easy_init();
  impl_->multi = curl_multi_init();
}

Client::~Client() {
  if (impl_->multi != nullptr) {
    curl_multi_cleanup(impl_->multi);
  }
  if (impl_->easy != nullptr) {
    curl_easy_cleanup(impl_->easy);
  }
}

Status Client::Impl::Configure(const Request& request, curl_slist* headers, Response* response) {
  CURLcode rc = CURLE_OK;
  auto set = [&](CURLoption option, auto value) {
    if (rc == CURLE_OK) {
      rc = curl_easy_setopt(easy, option, value);
    }
  };
  error[0] = '\0';
  set(CURLOPT_ERRORBUFFER, error);
  set(CURLOPT_URL, request.url.c_str());
  set(CURLOPT_PROTOCOLS_STR, "http,https");
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
  set(CURLOPT_TCP_KEEPALIVE, 1L);
  set(CURLOPT_HTTPHEADER, headers);
  set(CURLOPT_WRITEFUNCTION, OnBody);
  set(CURLOPT_WRITEDATA, &response->body);
  set(CURLOPT_HEADERFUNCTION, OnHeader);
  set(CURLOPT_HEADERDATA, &response->headers);
  if (request.method == "POST") {
    set(CURLOPT_POST, 1L);
    set(CURLOPT_POSTFIELDS, request.body.data());
    set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  } else {
    set(CURLOPT_HTTPGET, 1L);
  }
  if (rc != CURLE_OK) {
    return InternalError(fmt::format("configuring libcurl: {}", curl_easy_strerror(rc)));
  }
  return Status::Ok();
}

// On success `*result` is the transfer's own outcome, which may still be a failure.
Status Client::Impl::Perform(const Request& request, CURLcode* result) {
  if (curl_multi_add_handle(multi, easy) != CURLM_OK) {
    return InternalError("libcurl refused the transfer");
  }
  CURLMcode mc = CURLM_OK;
  int running = 1;
  *result = CURLE_OK;
  const auto cancellable_from = std::chrono::steady_clock::now() + request.cancel_grace;
  while (mc == CURLM_OK) {
    mc = curl_multi_perform(multi, &running);
    if (mc != CURLM_OK || running == 0) {
      break;
    }
    if (request.cancel != nullptr && request.cancel->load() &&
        std::chrono::steady_clock::now() >= cancellable_from) {
      *result = CURLE_ABORTED_BY_CALLBACK;
      break;
    }
    mc = curl_multi_poll(multi, nullptr, 0, kCancelCheckMs, nullptr);
  }

  int pending = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi, &pending)) {
    if (msg->msg == CURLMSG_DONE && msg->easy_handle == easy) {
      *result = msg->data.result;
    }
  }
  curl_multi_remove_handle(multi, easy);
  if (mc != CURLM_OK) {
    return InternalError(fmt::format("libcurl: {}", curl_multi_strerror(mc)));
  }
  return Status::Ok();
}

Result<Response> Client::Do(const Request& request) {
  Result<Url> url = ParseUrl(request.url);
  if (!url.ok()) {
    return url.status();
  }
  if (request.method != "GET" && request.method != "POST") {
    return InvalidError(fmt::format("unsupported HTTP method {}", request.method));
  }
  if (impl_->easy == nullptr || impl_->multi == nullptr) {
    return InternalError("libcurl could not create a handle");
  }
  HeaderList headers = BuildHeaderList(request.headers);
  if (headers == nullptr) {
    return InternalError("out of memory building HTTP headers");
  }

  // Reset drops the previous request's options but keeps the open connection.
  curl_easy_reset(impl_->easy);
  Response response;
  AMSTREAM_RETURN_IF_ERROR(impl_->Configure(request, headers.get(), &response));
  CURLcode result = CURLE_OK;
  AMSTREAM_RETURN_IF_ERROR(impl_->Perform(request, &result));

  if (result == CURLE_ABORTED_BY_CALLBACK) {
    return Status(Code::kCancelled,
                  fmt::format("{} request to {} cancelled", request.method, url->authority));
  }
  if (result != CURLE_OK) {
    return UnavailableError(TransportMessage(result, impl_->error, request, url->authority));
  }
  curl_easy_getinfo(impl_->easy, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0xf]);
    }
  }
  return out;
}

namespace {

// Splits "host", "host:port", "[v6]" or "[v6]:port" into `url`; false if malformed.
bool SplitAuthority(std::string_view authority, Url* url) {
  std::string_view host = authority;
  std::string_view port;
  if (authority.starts_with('[')) {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return false;
    }
    host = authority.substr(1, close - 1);
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty() && (rest[0] != ':' || rest.size() == 1)) {
      return false;
    }
    port = rest.empty() ? rest : rest.substr(1);
  } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (port.empty()) {
      return false;
    }
  }
  bool bracketed = authority.starts_with('[');
  if (host.empty() || host.find_first_of("@ ") != std::string_view::npos ||
      (!bracketed && host.find(':') != std::string_view::npos)) {
    return false;
  }
  int number = 0;
  if (!port.empty()) {
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
    if (ec != std::errc() || end != port.data() + port.size() || number < 1 || number > 65535) {
      return false;
    }
  }
  bool default_port =
      (url->scheme == "http" && number == 80) || (url->scheme == "https" && number == 443);
  url->host = Lower(host);
  std::string shown = bracketed ? "[" + url->host + "]" : url->host;
  url->authority = port.empty() || default_port ? shown : shown + ":" + std::string(port);
  return true;
}

}  // namespace

Result<Url> ParseUrl(std::string_view text) {
  auto invalid = [&] { return InvalidError(fmt::format("not an http(s) URL: \"{}\"", text)); };
  size_t separator = text.find("://");
  if (separator == std::string_view::npos) {
    return invalid();
  }
  Url url;
  url.scheme = Lower(text.substr(0, separator));
  if (url.scheme != "http" && url.scheme != "https") {
    return invalid();
  }
  std::string_view rest = text.substr(separator + 3);
  size_t authority_end = std::min(rest.find_first_of("/?#"), rest.size());
  std::string_view authority = rest.substr(0, authority_end);
  if (authority.find('@') != std::string_view::npos || !SplitAuthority(authority, &url)) {
    return invalid();
  }

  std::string_view tail = rest.substr(authority_end);
  tail = tail.substr(0, std::min(tail.find('#'), tail.size()));
  size_t question = std::min(tail.find('?'), tail.size());
  url.path = question == 0 ? "/" : std::string(tail.substr(0, question));
  if (question < tail.size()) {
    url.query = std::string(tail.substr(question + 1));
  }
  return url;
}

}  // namespace amstream::http
