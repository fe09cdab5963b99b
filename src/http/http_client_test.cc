#include "http/http_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "http/local_test_server.h"

namespace amstream::http {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

using test_support::Listener;
using test_support::LocalServer;
using test_support::RawResponse;

TEST(UrlEncodeTest, KeepsUnreservedAndEncodesEverythingElse) {
  EXPECT_EQ(UrlEncode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(UrlEncode("a b+c/d=e&f*"), "a%20b%2Bc%2Fd%3De%26f%2A");
  EXPECT_EQ(UrlEncode("\xe1\x88\xb4"), "%E1%88%B4");
  EXPECT_EQ(UrlEncode(""), "");
}

TEST(ParseUrlTest, SplitsHttpAndHttpsUrls) {
  struct Case {
    std::string url, authority, host, path, query;
  };
  const Case cases[] = {
      {"http://127.0.0.1:9324/", "127.0.0.1:9324", "127.0.0.1", "/", ""},
      {"https://sqs.us-east-1.amazonaws.com", "sqs.us-east-1.amazonaws.com",
       "sqs.us-east-1.amazonaws.com", "/", ""},
      {"HTTPS://Example.COM:443/a/b?x=1#frag", "example.com", "example.com", "/a/b", "x=1"},
      {"http://h:80?q", "h", "h", "/", "q"},
      {"http://[::1]:8080/000000000000/q", "[::1]:8080", "::1", "/000000000000/q", ""},
  };
  for (const Case& c : cases) {
    Result<Url> url = ParseUrl(c.url);
    ASSERT_TRUE(url.ok()) << c.url << ": " << url.status().ToString();
    EXPECT_EQ(url->authority, c.authority) << c.url;
    EXPECT_EQ(url->host, c.host) << c.url;
    EXPECT_EQ(url->path, c.path) << c.url;
    EXPECT_EQ(url->query, c.query) << c.url;
  }
}

TEST(ParseUrlTest, RejectsWhatIsNotAnAbsoluteHttpUrl) {
  for (const char* text :
       {"", "127.0.0.1:80", "ftp://h/", "http://", "http://user@h/", "http://h:/",
        "http://h:99999/", "http://h:8x/", "http://[::1/", "http://a:b:c/"}) {
    Result<Url> url = ParseUrl(text);
    EXPECT_FALSE(url.ok()) << text;
    EXPECT_EQ(url.status().code(), Code::kInvalid) << text;
  }
}

TEST(HttpClientTest, ReturnsStatusHeadersAndBodyAndReusesTheConnection) {
  LocalServer server(
      [](const std::string&) { return RawResponse(201, "hello", "X-Reply:  Yes \r\n"); });
  Client client;
  Request request;
  request.url = server.Url();
  request.headers = {{"X-Amz-Target", "AmazonSQS.ReceiveMessage"}, {"X-Empty", ""}};
  request.body = std::string(2000, 'b');  // above libcurl's "Expect: 100-continue" size

  for (int i = 0; i < 2; ++i) {
    Result<Response> response = client.Do(request);
    ASSERT_TRUE(response.ok()) << response.status().ToString();
    EXPECT_EQ(response->status, 201);
    EXPECT_EQ(response->body, "hello");
    ASSERT_FALSE(response->headers.empty());
    EXPECT_EQ(response->headers.back(), (std::pair<std::string, std::string>("x-reply", "Yes")));
  }
  EXPECT_EQ(server.connections(), 1);
  std::string seen = server.requests().back();
  EXPECT_NE(seen.find("X-Amz-Target: AmazonSQS.ReceiveMessage\r\n"), std::string::npos);
  EXPECT_NE(seen.find("X-Empty:\r\n"), std::string::npos);
  EXPECT_EQ(seen.find("Expect:"), std::string::npos);
  EXPECT_NE(seen.find("\r\n\r\n" + request.body), std::string::npos);
}

TEST(HttpClientTest, RefusedConnectionIsUnavailableAndNamesTheHost) {
  std::string url;
  {
    Listener closed;
    url = closed.Url();
  }
  Client client;
  Request request;
  request.url = url;
  Result<Response> response = client.Do(request);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), Code::kUnavailable);
  std::string message = response.status().message();
  EXPECT_NE(message.find(url.substr(7, url.size() - 8)), std::string::npos) << message;
  EXPECT_NE(message.find("curl error 7"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

TEST(HttpClientTest, SilentServerTimesOutAsUnavailable) {
  Listener silent;
  Client client;
  Request request;
  request.url = silent.Url();
  request.timeout = milliseconds(200);
  auto start = steady_clock::now();
  Result<Response> response = client.Do(request);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), Code::kUnavailable);
  EXPECT_LT(steady_clock::now() - start, milliseconds(2000));
}

TEST(HttpClientTest, CancelFlagAbandonsAWaitingRequestQuickly) {
  Listener silent;
  Client client;
  std::atomic<bool> cancel{false};
  Request request;
  request.url = silent.Url();
  request.timeout = milliseconds(30'000);
  request.cancel = &cancel;

  std::thread canceller([&] {
    std::this_thread::sleep_for(milliseconds(300));
    cancel = true;
  });
  auto start = steady_clock::now();
  Result<Response> response = client.Do(request);
  auto elapsed = steady_clock::now() - start;
  canceller.join();
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), Code::kCancelled);
  EXPECT_LT(elapsed, milliseconds(300 + 200));
}

TEST(HttpClientTest, CancelWaitsOutTheGraceSoAnAnsweringRequestCanFinish) {
  Listener silent;
  Client client;
  std::atomic<bool> cancel{true};
  Request request;
  request.url = silent.Url();
  request.timeout = milliseconds(30'000);
  request.cancel = &cancel;
  request.cancel_grace = milliseconds(400);
  auto start = steady_clock::now();
  Result<Response> response = client.Do(request);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), Code::kCancelled);
  EXPECT_GE(steady_clock::now() - start, milliseconds(400));
}

TEST(HttpClientTest, RejectsUnsupportedMethodAndBadUrl) {
  Client client;
  Request request;
  request.url = "http://127.0.0.1:1/";
  request.method = "DELETE";
  EXPECT_EQ(client.Do(request).status().code(), Code::kInvalid);
  request.method = "GET";
  request.url = "not a url";
  EXPECT_EQ(client.Do(request).status().code(), Code::kInvalid);
}

}  // namespace
}  // namespace amstream::http
