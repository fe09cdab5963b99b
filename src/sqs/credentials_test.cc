#include "sqs/credentials.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

namespace amstream::sqs {
namespace {

namespace fs = std::filesystem;

// A fake environment with its own HOME in a fresh temporary directory.
class CredentialsTest : public testing::Test {
 protected:
  void SetUp() override {
    const testing::TestInfo* info = testing::UnitTest::GetInstance()->current_test_info();
    home_ = fs::path(testing::TempDir()) / (std::string("amstream-credentials-") + info->name());
    fs::remove_all(home_);
    fs::create_directories(home_ / ".aws");
    vars_["HOME"] = home_.string();
  }
  void TearDown() override { fs::remove_all(home_); }

  void Write(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
  }

  EnvLookup Env() {
    return [this](std::string_view name) -> std::optional<std::string> {
      auto it = vars_.find(std::string(name));
      return it == vars_.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
  }

  fs::path home_;
  std::map<std::string, std::string> vars_;
};

TEST_F(CredentialsTest, EnvironmentKeysComeFirst) {
  Write(home_ / ".aws/credentials",
        "[default]\naws_access_key_id = FILE\naws_secret_access_key = f\n");
  vars_["AWS_ACCESS_KEY_ID"] = "ENVKEY";
  vars_["AWS_SECRET_ACCESS_KEY"] = "envsecret";
  vars_["AWS_SESSION_TOKEN"] = "envtoken";
  Result<Credentials> credentials = ResolveCredentials(Env());
  ASSERT_TRUE(credentials.ok()) << credentials.status().ToString();
  EXPECT_EQ(credentials->access_key_id, "ENVKEY");
  EXPECT_EQ(credentials->secret_access_key, "envsecret");
  EXPECT_EQ(credentials->session_token, "envtoken");
  EXPECT_EQ(credentials->source, "environment");
}

TEST_F(CredentialsTest, HalfOfTheEnvironmentKeysIsAConfigError) {
  vars_["AWS_ACCESS_KEY_ID"] = "ENVKEY";
  Result<Credentials> credentials = ResolveCredentials(Env());
  ASSERT_FALSE(credentials.ok());
  EXPECT_EQ(credentials.status().code(), Code::kConfig);
  EXPECT_NE(credentials.status().message().find("AWS_SECRET_ACCESS_KEY is not"), std::string::npos);
}

TEST_F(CredentialsTest, EmptyVariablesCountAsUnset) {
  vars_["AWS_ACCESS_KEY_ID"] = "";
  vars_["AWS_SECRET_ACCESS_KEY"] = "";
  vars_["AWS_PROFILE"] = "";
  Write(home_ / ".aws/credentials", "[default]\naws_access_key_id=K\naws_secret_access_key=S\n");
  Result<Credentials> credentials = ResolveCredentials(Env());
  ASSERT_TRUE(credentials.ok()) << credentials.status().ToString();
  EXPECT_EQ(credentials->access_key_id, "K");
}

TEST_F(CredentialsTest, ReadsDefaultProfileFromSharedCredentialsFile) {
  Write(home_ / ".aws/credentials",
        "# comment\n[other]\naws_access_key_id = OTHER\naws_secret_access_key = o\n\n"
        "[default]\n  ; indented comment\nAWS_Access_Key_ID = DEFKEY  \n"
        "aws_secret_access_key=def/secret+with=equals\naws_session_token = tok\n");
  Result<Credentials> credentials = ResolveCredentials(Env());
  ASSERT_TRUE(credentials.ok()) << credentials.status().ToString();
  EXPECT_EQ(credentials->access_key_id, "DEFKEY");
  EXPECT_EQ(credentials->secret_access_key, "def/secret+with=equals");
  EXPECT_EQ(credentials->session_token, "tok");
  EXPECT_NE(credentials->source.find("profile default"), std::string::npos);
}

TEST_F(CredentialsTest, NamedProfileInConfigFileUsesProfilePrefix) {
  Write(home_ / ".aws/config",
        "[dev]\naws_access_key_id = WRONG\naws_secret_access_key = w\n"
        "[profile dev]\nregion = eu-west-1\ns3 =\n  max_concurrent_requests = 4\n"
        "aws_access_key_id = DEVKEY\naws_secret_access_key = d\n");
  vars_["AWS_PROFILE"] = "dev";
  Result<Credentials> credentials = ResolveCredentials(Env());
  ASSERT_TRUE(credentials.ok()) << credentials.status().ToString();
  EXPECT_EQ(credentials->access_key_id, "DEVKEY");
}

TEST_F(CredentialsTest, CredentialsFileBeatsConfigFile) {
  Write(home_ / ".aws/credentials", "[default]\naws_access_key_id=CRED\naws_secret_access_key=c\n");
  Write(home_ / ".aws/config", "[default]\naws_access_key_id=CONF\naws_secret_access_key=c\n");
  Result<Credentials> credentials = ResolveCredentials(Env());
  ASSERT_TRUE(credentials.ok()) << credentials.status().ToString();
  EXPECT_EQ(credentials->access_key_id, "CRED");
}

TEST_F(CredentialsTest, FileVariablesOverrideHomeAndExpandTilde) {
  Write(home_ / "elsewhere/creds", "[ci]\naws_access_key_id=CI\naws_secret_access_key=c\n");
  vars_["AWS_SHARED_CREDENTIALS_FILE"] = "~/elsewhere/creds";
  vars_["AWS_PROFILE"] = "ci";
  Result<Credentials> credentials = ResolveCredentials(Env());
  ASSERT_TRUE(credentials.ok()) << credentials.status().ToString();
  EXPECT_EQ(credentials->access_key_id, "CI");
}

TEST_F(CredentialsTest, MissingNamedProfileNamesBothFiles) {
  vars_["AWS_PROFILE"] = "nope";
  Result<Credentials> credentials = ResolveCredentials(Env());
  ASSERT_FALSE(credentials.ok());
  EXPECT_EQ(credentials.status().code(), Code::kConfig);
  EXPECT_NE(credentials.status().message().find("profile nope"), std::string::npos);
  EXPECT_NE(credentials.status().message().find(".aws/credentials"), std::string::npos);
}

TEST_F(CredentialsTest, NothingConfiguredSaysWhatToSet) {
  Result<Credentials> credentials = ResolveCredentials(Env());
  ASSERT_FALSE(credentials.ok());
  EXPECT_EQ(credentials.status().code(), Code::kConfig);
  EXPECT_NE(credentials.status().message().find("AWS_ACCESS_KEY_ID"), std::string::npos);
}

TEST_F(CredentialsTest, ProfilesThatNeedOtherProvidersAreRefused) {
  Write(home_ / ".aws/config",
        "[profile role]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = default\n");
  vars_["AWS_PROFILE"] = "role";
  Result<Credentials> credentials = ResolveCredentials(Env());
  ASSERT_FALSE(credentials.ok());
  EXPECT_EQ(credentials.status().code(), Code::kConfig);
  EXPECT_NE(credentials.status().message().find("role_arn"), std::string::npos);
}

TEST_F(CredentialsTest, ProfileWithoutSecretIsAConfigError) {
  Write(home_ / ".aws/credentials", "[default]\naws_access_key_id = ONLY\n");
  Result<Credentials> credentials = ResolveCredentials(Env());
  ASSERT_FALSE(credentials.ok());
  EXPECT_EQ(credentials.status().code(), Code::kConfig);
  EXPECT_NE(credentials.status().message().find("aws_secret_access_key"), std::string::npos);
}

TEST_F(CredentialsTest, MalformedFileNamesPathAndLine) {
  Write(home_ / ".aws/credentials", "[default]\naws_access_key_id = K\nthis is not a setting\n");
  Result<Credentials> credentials = ResolveCredentials(Env());
  ASSERT_FALSE(credentials.ok());
  EXPECT_EQ(credentials.status().code(), Code::kConfig);
  EXPECT_NE(credentials.status().message().find("credentials:3:"), std::string::npos)
      << credentials.status().message();
}

TEST_F(CredentialsTest, RegionPrecedence) {
  const std::string kQueue = "https://sqs.ap-south-1.amazonaws.com/123456789012/q";
  Write(home_ / ".aws/config",
        "[default]\nregion = eu-central-1\n[profile dev]\nregion = us-west-2\n");
  EXPECT_EQ(ResolveRegion(Env(), kQueue).value(), "eu-central-1");
  vars_["AWS_PROFILE"] = "dev";
  EXPECT_EQ(ResolveRegion(Env(), kQueue).value(), "us-west-2");
  vars_["AWS_DEFAULT_REGION"] = "ca-central-1";
  EXPECT_EQ(ResolveRegion(Env(), kQueue).value(), "ca-central-1");
  vars_["AWS_REGION"] = "sa-east-1";
  EXPECT_EQ(ResolveRegion(Env(), kQueue).value(), "sa-east-1");
}

TEST_F(CredentialsTest, RegionFallsBackToQueueHostThenFails) {
  EXPECT_EQ(ResolveRegion(Env(), "https://sqs.ap-south-1.amazonaws.com/1/q").value(), "ap-south-1");
  Result<std::string> none = ResolveRegion(Env(), "http://sqs.us-east-1.localhost:4566/0/q");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), Code::kConfig);
  EXPECT_NE(none.status().message().find("AWS_REGION"), std::string::npos);
}

TEST(RegionFromSqsHostTest, KnowsSqsHostForms) {
  EXPECT_EQ(RegionFromSqsHost("sqs.us-east-1.amazonaws.com"), "us-east-1");
  EXPECT_EQ(RegionFromSqsHost("SQS.EU-West-1.AmazonAWS.com"), "eu-west-1");
  EXPECT_EQ(RegionFromSqsHost("sqs.cn-north-1.amazonaws.com.cn"), "cn-north-1");
  EXPECT_EQ(RegionFromSqsHost("sqs-fips.us-gov-west-1.amazonaws.com"), "us-gov-west-1");
  EXPECT_EQ(RegionFromSqsHost("sqs.eu-west-2.api.aws"), "eu-west-2");
  EXPECT_EQ(RegionFromSqsHost("ap-southeast-2.queue.amazonaws.com"), "ap-southeast-2");
  EXPECT_EQ(RegionFromSqsHost("sqs.us-east-1.localhost"), std::nullopt);
  EXPECT_EQ(RegionFromSqsHost("sqs.amazonaws.com"), std::nullopt);
  EXPECT_EQ(RegionFromSqsHost("vpce-1.sqs.us-east-1.vpce.amazonaws.com"), std::nullopt);
  EXPECT_EQ(RegionFromSqsHost("127.0.0.1"), std::nullopt);
}

}  // namespace
}  // namespace amstream::sqs
