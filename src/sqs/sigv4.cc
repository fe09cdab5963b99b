#include "sqs/sigv4.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <vector>

#include "common/time.h"
#include "crypto/digest.h"

namespace amstream::sqs {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// Trims the value and turns each run of whitespace inside it, folded line breaks
// included, into one space.
std::string CanonicalHeaderValue(std::string_view value) {
  std::string out;
  bool space_pending = false;
  for (char c : value) {
    if (IsSpace(c)) {
      space_pending = !out.empty();
      continue;
    }
    if (space_pending) {
      out.push_back(' ');
      space_pending = false;
    }
    out.push_back(c);
  }
  return out;
}

std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  size_t begin = 0;
  while (true) {
    size_t end = text.find(separator, begin);
    parts.push_back(text.substr(begin, end - begin));
    if (end == std::string_view::npos) {
      return parts;
    }
    begin = end + 1;
  }
}

// Resolves "." and ".." and drops empty segments, keeping a trailing slash as RFC 3986's
// dot-segment removal does ("/a/b/.." is "/a/").
std::string NormalizePath(std::string_view path) {
  std::vector<std::string_view> kept;
  std::vector<std::string_view> segments = Split(path, '/');
  for (std::string_view segment : segments) {
    if (segment == "..") {
      if (!kept.empty()) {
        kept.pop_back();
      }
    } else if (!segment.empty() && segment != ".") {
      kept.push_back(segment);
    }
  }
  std::string_view last = segments.back();
  bool trailing_slash = last.empty() || last == "." || last == "..";
  std::string out;
  for (std::string_view segment : kept) {
    out += '/';
    out += segment;
  }
  return out.empty() || trailing_slash ? out + "/" : out;
}

std::string CanonicalUri(std::string_view path, bool normalize) {
  std::string source = normalize ? NormalizePath(path) : std::string(path);
  if (source.empty()) {
    return "/";
  }
  std::string out;
  std::vector<std::string_view> segments = Split(source, '/');
  for (size_t i = 0; i < segments.size(); ++i) {
    out += i == 0 ? "" : "/";
    out += http::UrlEncode(segments[i]);
  }
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Undoes %XX escapes; a '%' not followed by two hex digits stays as it is. '+' is a plus
// sign, not a space: SigV4 follows RFC 3986, not HTML forms.
std::string PercentDecode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && HexValue(text[i + 1]) >= 0 &&
        HexValue(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

// Every parameter decoded, then encoded one canonical way, sorted by name then value.
std::string CanonicalQuery(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> params;
  for (std::string_view param : Split(query, '&')) {
    if (param.empty()) {
      continue;
    }
    size_t equals = std::min(param.find('='), param.size());
    std::string_view value = equals < param.size() ? param.substr(equals + 1) : "";
    params.emplace_back(http::UrlEncode(PercentDecode(param.substr(0, equals))),
                        http::UrlEncode(PercentDecode(value)));
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [name, value] : params) {
    out += out.empty() ? "" : "&";
    out += name + "=" + value;
  }
  return out;
}

// Lower-cased names, sorted, each with its values comma-joined in the order given.
std::map<std::string, std::string> CanonicalHeaders(const RequestToSign& request,
                                                    const http::Headers& added) {
  std::map<std::string, std::string> headers;
  auto add = [&](std::string_view name, std::string_view value) {
    auto [it, inserted] = headers.try_emplace(Lower(name), CanonicalHeaderValue(value));
    if (!inserted) {
      it->second += "," + CanonicalHeaderValue(value);
    }
  };
  for (const auto& [name, value] : request.headers) {
    add(name, value);
  }
  for (const auto& [name, value] : added) {
    add(name, value);
  }
  return headers;
}

std::string Scope(std::string_view date, const SigningScope& scope) {
  return fmt::format("{}/{}/{}/aws4_request", date, scope.region, scope.service);
}

std::string DeriveSigningKey(std::string_view secret, std::string_view date,
                             const SigningScope& scope) {
  std::string key = crypto::AsBytes(crypto::HmacSha256(fmt::format("AWS4{}", secret), date));
  key = crypto::AsBytes(crypto::HmacSha256(key, scope.region));
  key = crypto::AsBytes(crypto::HmacSha256(key, scope.service));
  return crypto::AsBytes(crypto::HmacSha256(key, "aws4_request"));
}

// The key changes only with the day, region, service and secret, yet deriving it takes
// four of the five HMACs of a signature; each thread keeps the last one it derived.
const std::string& SigningKey(std::string_view secret, std::string_view date,
                              const SigningScope& scope) {
  struct Cached {
    std::string secret, date, region, service, key;
  };
  thread_local Cached cached;
  if (cached.key.empty() || cached.secret != secret || cached.date != date ||
      cached.region != scope.region || cached.service != scope.service) {
    cached = {std::string(secret), std::string(date), std::string(scope.region),
              std::string(scope.service), DeriveSigningKey(secret, date, scope)};
  }
  return cached.key;
}

}  // namespace

std::string AmzDate(std::chrono::sys_seconds time) {
  std::string iso = FormatUtc(time.time_since_epoch().count() * 1000);  // 2015-08-30T12:36:00Z
  std::erase_if(iso, [](char c) { return c == '-' || c == ':'; });
  return iso;
}

Signature SignV4(const RequestToSign& request, const Credentials& credentials,
                 const SigningScope& scope) {
  std::string amz_date = AmzDate(scope.time);
  std::string date = amz_date.substr(0, 8);
  std::string payload_hash = crypto::Hex(crypto::Sha256(request.body));
  Signature out;
  out.added_headers.emplace_back("X-Amz-Date", amz_date);
  if (!credentials.session_token.empty()) {
    out.added_headers.emplace_back("X-Amz-Security-Token", credentials.session_token);
  }
  if (scope.add_content_sha256) {
    out.added_headers.emplace_back("x-amz-content-sha256", payload_hash);
  }

  std::string header_lines;
  std::string signed_headers;
  for (const auto& [name, value] : CanonicalHeaders(request, out.added_headers)) {
    header_lines += fmt::format("{}:{}\n", name, value);
    signed_headers += (signed_headers.empty() ? "" : ";") + name;
  }
  out.canonical_request = fmt::format(
      "{}\n{}\n{}\n{}\n{}\n{}", request.method, CanonicalUri(request.path, scope.normalize_path),
      CanonicalQuery(request.query), header_lines, signed_headers, payload_hash);

  std::string credential_scope = Scope(date, scope);
  out.string_to_sign = fmt::format("{}\n{}\n{}\n{}", kAlgorithm, amz_date, credential_scope,
                                   crypto::Hex(crypto::Sha256(out.canonical_request)));
  const std::string& key = SigningKey(credentials.secret_access_key, date, scope);
  out.signature = crypto::Hex(crypto::HmacSha256(key, out.string_to_sign));
  out.authorization =
      fmt::format("{} Credential={}/{}, SignedHeaders={}, Signature={}", kAlgorithm,
                  credentials.access_key_id, credential_scope, signed_headers, out.signature);
  out.added_headers.emplace_back("Authorization", out.authorization);
  return out;
}

}  // namespace amstream::sqs
