// AWS credentials and region, found where the AWS command line and SDKs look for them.
//
// Order for credentials: the AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (/
// AWS_SESSION_TOKEN) variables, then the profile AWS_PROFILE (default "default") in the
// shared credentials file, then in the shared config file. No metadata service, container
// endpoint, SSO or credential_process is ever contacted; profiles that rely on them fail.
// The environment is read through an EnvLookup so tests never touch the real one.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace amstream::sqs {

// A signing identity. Never logged: only `access_key_id` may appear in messages.
struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty for long-term keys
  std::string source;         // where they came from, for a startup log line
};

// Returns the value of an environment variable, or nullopt when it is unset or empty.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;

// An EnvLookup over the process environment (getenv). Thread-safe while nobody calls
// setenv.
std::optional<std::string> ProcessEnv(std::string_view name);

// Finds credentials in the order above. Fails with kConfig and one line saying what to set
// when none are found, a profile is missing or incomplete, or a file cannot be parsed.
Result<Credentials> ResolveCredentials(const EnvLookup& env);

// Finds the region: AWS_REGION, AWS_DEFAULT_REGION, the profile's `region` in the config
// file, else the region in an SQS host name of `queue_url` (sqs.<region>.amazonaws.com or
// <region>.queue.amazonaws.com). Fails with kConfig naming AWS_REGION when all are absent.
Result<std::string> ResolveRegion(const EnvLookup& env, std::string_view queue_url);

// The region named by an SQS endpoint host, or nullopt for any other host.
std::optional<std::string> RegionFromSqsHost(std::string_view host);

}  // namespace amstream::sqs
