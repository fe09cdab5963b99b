#include "metrics/status_server.h"

#include <gtest/gtest.h>

#include "http/http_client.h"

namespace amstream::metrics {
namespace {

TEST(StatusServerTest, AnswersTheHandlersReplyForEachPath) {
  Result<std::unique_ptr<StatusServer>> server =
      StatusServer::Start("127.0.0.1:0", [](std::string_view path) -> Reply {
        if (path == "/healthz") {
          return {503, "writes failing\n"};
        }
        return {200, std::string(path) + "\n"};
      });
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  http::Client client;
  http::Request request;
  request.method = "GET";
  std::string base = "http://127.0.0.1:" + std::to_string((*server)->port());
  request.url = base + "/metrics?x=1";
  Result<http::Response> metrics = client.Do(request);
  ASSERT_TRUE(metrics.ok()) << metrics.status().ToString();
  EXPECT_EQ(metrics->status, 200);
  EXPECT_EQ(metrics->body, "/metrics\n");
  request.url = base + "/healthz";
  Result<http::Response> health = client.Do(request);
  ASSERT_TRUE(health.ok()) << health.status().ToString();
  EXPECT_EQ(health->status, 503);
  EXPECT_EQ(health->body, "writes failing\n");
}

TEST(StatusServerTest, RejectsAMalformedAddressAsConfiguration) {
  for (std::string_view bad : {"9464", "localhost:9464", "127.0.0.1:99999", "1.2.3:80", ":x"}) {
    Result<std::unique_ptr<StatusServer>> server =
        StatusServer::Start(bad, [](std::string_view) { return Reply{}; });
    ASSERT_FALSE(server.ok()) << bad;
    EXPECT_EQ(server.status().code(), Code::kConfig) << bad;
  }
}

TEST(StatusServerTest, RendersPrometheusTextWithHelpAndType) {
  const Metric metrics[] = {{"amstream_x_total", "Things counted", true, 3},
                            {"amstream_y", "A level", false, 1.5}};
  EXPECT_EQ(RenderPrometheus(metrics),
            "# HELP amstream_x_total Things counted\n# TYPE amstream_x_total counter\n"
            "amstream_x_total 3\n"
            "# HELP amstream_y A level\n# TYPE amstream_y gauge\namstream_y 1.5\n");
}

}  // namespace
}  // namespace amstream::metrics
