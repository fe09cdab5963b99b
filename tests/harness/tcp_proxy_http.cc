#include "harness/tcp_proxy_http.h"

#include <algorithm>
#include <cctype>
#include <optional>

namespace amstream::testing::internal {
namespace {

constexpr size_t kMaxHeaderBytes = 64 * 1024;

// The body length announced by a request's header block; nullopt when the body is framed
// some other way (chunked) or the length cannot be read.
std::optional<size_t> BodyLength(std::string_view header) {
  std::string lower = LowerCase(header);
  if (lower.find("\r\ntransfer-encoding:") != std::string::npos) {
    return std::nullopt;
  }
  constexpr std::string_view kName = "\r\ncontent-length:";
  size_t at = lower.find(kName);
  if (at == std::string::npos) {
    return 0;
  }
  size_t value = lower.find_first_not_of(' ', at + kName.size());
  size_t length = 0;
  bool digits = false;
  for (; value < lower.size() && std::isdigit(static_cast<unsigned char>(lower[value])); ++value) {
    length = length * 10 + static_cast<size_t>(lower[value] - '0');
    digits = true;
  }
  return digits ? std::optional<size_t>(length) : std::nullopt;
}

std::string_view ReasonPhrase(int status) {
  static constexpr std::pair<int, std::string_view> kPhrases[] = {
      {200, "OK"},
      {400, "Bad Request"},
      {403, "Forbidden"},
      {429, "Too Many Requests"},
      {500, "Internal Server Error"},
      {502, "Bad Gateway"},
      {503, "Service Unavailable"},
      {504, "Gateway Timeout"},
  };
  for (const auto& [code, phrase] : kPhrases) {
    if (code == status) {
      return phrase;
    }
  }
  return "Injected";
}

}  // namespace

std::string LowerCase(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower;
}

std::string HttpResponse(int status, std::string_view body,
                         const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string response = "HTTP/1.1 " + std::to_string(status) + " ";
  response.append(ReasonPhrase(status)).append("\r\n");
  for (const auto& [name, value] : headers) {
    response.append(name).append(": ").append(value).append("\r\n");
  }
  response.append("Content-Length: " + std::to_string(body.size()) + "\r\n\r\n");
  response.append(body);
  return response;
}

void RequestFramer::Feed(std::string_view data, const Claim& claim, std::string* forward,
                         std::string* answer) {
  while (!data.empty()) {
    switch (state_) {
      case State::kPassThrough:
        forward->append(data);
        return;
      case State::kStart:
        // Every HTTP method starts with an upper-case letter; PostgreSQL's first message
        // starts with a length's high byte, zero.
        if (data.front() < 'A' || data.front() > 'Z') {
          state_ = State::kPassThrough;
          break;
        }
        header_.clear();
        state_ = State::kHeaders;
        break;
      case State::kHeaders:
        data = FeedHeader(data, claim, forward, answer);
        break;
      case State::kBody: {
        size_t take = std::min(body_left_, data.size());
        if (response_.empty()) {
          forward->append(data.substr(0, take));
        }
        data.remove_prefix(take);
        body_left_ -= take;
        if (body_left_ == 0) {
          Finish(answer);
        }
        break;
      }
    }
  }
}

std::string_view RequestFramer::FeedHeader(std::string_view data, const Claim& claim,
                                           std::string* forward, std::string* answer) {
  size_t before = header_.size();
  header_.append(data);
  size_t end = header_.find("\r\n\r\n", before >= 3 ? before - 3 : 0);
  if (end == std::string::npos) {
    if (header_.size() > kMaxHeaderBytes) {
      forward->append(header_);
      state_ = State::kPassThrough;
    }
    return {};
  }
  end += 4;
  std::string_view rest = data.substr(end - before);
  header_.resize(end);
  std::optional<size_t> length = BodyLength(header_);
  if (!length.has_value()) {
    forward->append(header_);
    state_ = State::kPassThrough;
    return rest;
  }

  response_ = claim(header_);
  if (response_.empty()) {
    forward->append(header_);
  }
  body_left_ = *length;
  state_ = State::kBody;
  if (body_left_ == 0) {
    Finish(answer);
  }
  return rest;
}

void RequestFramer::Finish(std::string* answer) {
  answer->append(response_);
  response_.clear();
  state_ = State::kStart;
}

}  // namespace amstream::testing::internal
