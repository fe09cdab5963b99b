// AWS Signature Version 4 for requests signed in the Authorization header.
//
// Signing is a pure function of the request, the credentials, the scope and the time, so
// AWS's published test suite can check every intermediate string. Hashes and MACs come
// from crypto/ (OpenSSL).
#pragma once

#include <chrono>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "http/http_client.h"
#include "sqs/credentials.h"

namespace amstream::sqs {

// The parts of a request that the signature covers.
struct RequestToSign {
  std::string_view method;  // "GET", "POST"
  std::string_view path;    // as on the wire before percent-encoding, e.g. "/a b"; "" is "/"
  std::string_view query;   // after '?', percent-encoded or not; "" when none
  // Every header given is signed; Host must be among them and match what is sent. Names
  // in any case; a repeated name is signed as one comma-joined value. Must not include
  // the headers the signer adds itself (see Signature::added_headers).
  std::span<const std::pair<std::string, std::string>> headers;
  std::string_view body;
};

// Who signs, for what, and when.
struct SigningScope {
  std::string_view region;   // "us-east-1"
  std::string_view service;  // "sqs"
  std::chrono::sys_seconds time;
  // Remove "." and ".." segments and repeated slashes from the path before signing, as
  // every service but S3 expects.
  bool normalize_path = true;
  // Also sign and send an x-amz-content-sha256 header holding the body's hash (S3 style).
  bool add_content_sha256 = false;
};

// The signature and every intermediate string, for tests and for debugging a
// SignatureDoesNotMatch answer (AWS returns its canonical request in the message).
struct Signature {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;      // lower-case hex
  std::string authorization;  // the Authorization header's value
  // Headers to send besides the request's own: X-Amz-Date, X-Amz-Security-Token when
  // the credentials have a session token, x-amz-content-sha256 when asked for, and
  // Authorization.
  http::Headers added_headers;
};

// Signs `request`. Never fails: any bytes are encodable. Thread-safe.
Signature SignV4(const RequestToSign& request, const Credentials& credentials,
                 const SigningScope& scope);

// "20150830T123600Z", the X-Amz-Date form of `time`.
std::string AmzDate(std::chrono::sys_seconds time);

}  // namespace amstream::sqs
