#include "sqs/sigv4.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/time.h"
#include "json/json.h"

namespace amstream::sqs {
namespace {

namespace fs = std::filesystem;

// AWS's SigV4 suite (from aws-c-auth): one folder per case with the request, its
// context (keys, region, service, time, options) and the expected strings. Only the
// header-signing files are used; query-*.txt (presigned URLs) are not amstream's concern.
const fs::path kSuite = fs::path(AMSTREAM_TESTDATA) / "sigv4";

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A request.txt taken apart: request line, headers (with folded continuation lines joined
// by a newline, as sent), blank line, body.
struct ParsedRequest {
  std::string method;
  std::string path;
  std::string query;
  http::Headers headers;
  std::string body;
};

ParsedRequest ParseRequestFile(const std::string& text) {
  ParsedRequest out;
  size_t body_start = text.find("\n\n");
  std::string head = text.substr(0, body_start);
  out.body = body_start == std::string::npos ? "" : text.substr(body_start + 2);
  std::istringstream lines(head);
  std::string line;
  std::getline(lines, line);
  // The target may hold spaces ("GET /example space/ HTTP/1.1").
  size_t first_space = line.find(' ');
  std::string target = line.substr(first_space + 1, line.rfind(" HTTP/") - first_space - 1);
  out.method = line.substr(0, first_space);
  size_t question = std::min(target.find('?'), target.size());
  out.path = target.substr(0, question);
  out.query = question < target.size() ? target.substr(question + 1) : "";
  while (std::getline(lines, line)) {
    if (line[0] == ' ' || line[0] == '\t') {
      out.headers.back().second += "\n" + line;
      continue;
    }
    size_t colon = line.find(':');
    out.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
  }
  return out;
}

struct Context {
  Credentials credentials;
  std::string region;
  std::string service;
  std::chrono::sys_seconds time;
  bool normalize = true;
  bool sign_body = false;
  bool omit_session_token = false;
};

std::string StringField(const json::Value& object, std::string_view key) {
  std::optional<json::Value> field = object.Find(key);
  return field.has_value() ? std::string(field->GetString().value()) : "";
}

bool BoolField(const json::Value& object, std::string_view key) {
  std::optional<json::Value> field = object.Find(key);
  return field.has_value() && field->GetBool().value();
}

Context ParseContext(const std::string& text) {
  json::Parser parser;
  Result<json::Value> root = parser.Parse(text);
  EXPECT_TRUE(root.ok()) << root.status().ToString();
  json::Value keys = root->Find("credentials").value();
  Context context;
  context.credentials = {StringField(keys, "access_key_id"), StringField(keys, "secret_access_key"),
                         StringField(keys, "token"), "suite"};
  context.region = StringField(*root, "region");
  context.service = StringField(*root, "service");
  Result<Timestamp> time = ParseTimestamp(StringField(*root, "timestamp"));
  EXPECT_TRUE(time.ok());
  context.time = std::chrono::sys_seconds(std::chrono::seconds(time->epoch_ms / 1000));
  context.normalize = BoolField(*root, "normalize");
  context.sign_body = BoolField(*root, "sign_body");
  context.omit_session_token = BoolField(*root, "omit_session_token");
  return context;
}

// The Authorization line of header-signed-request.txt.
std::string ExpectedAuthorization(const fs::path& dir) {
  std::istringstream lines(ReadFile(dir / "header-signed-request.txt"));
  std::string line;
  while (std::getline(lines, line)) {
    if (line.starts_with("Authorization:")) {
      return line.substr(14);
    }
  }
  return "";
}

// Every folder of the suite that has header-signing expectations.
std::vector<std::string> CaseNames() {
  std::vector<std::string> names;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(kSuite, error)) {
    if (fs::exists(entry.path() / "header-canonical-request.txt")) {
      names.push_back(entry.path().filename().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

class SigV4SuiteTest : public testing::TestWithParam<std::string> {};

TEST_P(SigV4SuiteTest, MatchesCanonicalRequestStringToSignAndSignature) {
  const fs::path dir = kSuite / GetParam();
  ParsedRequest request = ParseRequestFile(ReadFile(dir / "request.txt"));
  Context context = ParseContext(ReadFile(dir / "context.json"));
  // "omit_session_token" cases model services that want the token sent but unsigned: the
  // signature is computed without it and the header is added afterwards, which is what
  // signing with token-less credentials gives.
  if (context.omit_session_token) {
    context.credentials.session_token.clear();
  }
  SigningScope scope{context.region, context.service, context.time, context.normalize,
                     context.sign_body};
  Signature signature =
      SignV4({request.method, request.path, request.query, request.headers, request.body},
             context.credentials, scope);

  EXPECT_EQ(signature.canonical_request, ReadFile(dir / "header-canonical-request.txt"));
  EXPECT_EQ(signature.string_to_sign, ReadFile(dir / "header-string-to-sign.txt"));
  EXPECT_EQ(signature.signature, ReadFile(dir / "header-signature.txt"));
  EXPECT_EQ(signature.authorization, ExpectedAuthorization(dir));
}

// gtest names allow no '-': "get-vanilla" runs as AwsSuite/SigV4SuiteTest.X/get_vanilla.
std::string TestName(const testing::TestParamInfo<std::string>& param) {
  std::string name = param.param;
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

INSTANTIATE_TEST_SUITE_P(AwsSuite, SigV4SuiteTest, testing::ValuesIn(CaseNames()), TestName);

// Guards against a moved or emptied test-data folder turning the suite into zero tests.
TEST(SigV4Test, SuiteIsPresentAndComplete) {
  std::vector<std::string> names = CaseNames();
  EXPECT_EQ(names.size(), 38u) << kSuite;
  EXPECT_TRUE(std::binary_search(names.begin(), names.end(), "get-vanilla-with-session-token"));
  EXPECT_TRUE(std::binary_search(names.begin(), names.end(), "post-sts-header-before"));
}

TEST(SigV4Test, SignsSessionTokenAndAddsItsHeader) {
  http::Headers headers = {{"Host", "sqs.us-east-1.amazonaws.com"}};
  Credentials credentials{"AKID", "secret", "token-value", "test"};
  SigningScope scope{"us-east-1", "sqs",
                     std::chrono::sys_seconds(std::chrono::seconds(1'440'938'160))};
  Signature signature = SignV4({"POST", "/", "", headers, "{}"}, credentials, scope);
  EXPECT_NE(signature.canonical_request.find("x-amz-security-token:token-value\n"),
            std::string::npos);
  EXPECT_NE(signature.authorization.find("SignedHeaders=host;x-amz-date;x-amz-security-token,"),
            std::string::npos);
  ASSERT_EQ(signature.added_headers.size(), 3u);
  EXPECT_EQ(signature.added_headers[0].first, "X-Amz-Date");
  EXPECT_EQ(signature.added_headers[0].second, "20150830T123600Z");
  EXPECT_EQ(signature.added_headers[1].first, "X-Amz-Security-Token");
  EXPECT_EQ(signature.added_headers[2].first, "Authorization");
}

TEST(SigV4Test, AmzDateIsCompactUtc) {
  EXPECT_EQ(AmzDate(std::chrono::sys_seconds(std::chrono::seconds(0))), "19700101T000000Z");
  EXPECT_EQ(AmzDate(std::chrono::sys_seconds(std::chrono::seconds(1'440'938'160))),
            "20150830T123600Z");
}

}  // namespace
}  // namespace amstream::sqs
