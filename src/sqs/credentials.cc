#include "sqs/credentials.h"

#include <fmt/format.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <map>
#include <utility>
#include <vector>

#include "http/http_client.h"

namespace amstream::sqs {
namespace {

constexpr std::string_view kDefaultProfile = "default";

// Section name -> key (lower-cased) -> value.
using IniFile = std::map<std::string, std::map<std::string, std::string>>;

// A settings file that was found and parsed; `sections` is empty when it does not exist.
struct SharedFile {
  std::string path;
  IniFile sections;
};

std::string_view Trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n";
  size_t begin = text.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) {
    return {};
  }
  return text.substr(begin, text.find_last_not_of(kSpace) - begin + 1);
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

std::optional<std::string> Get(const EnvLookup& env, std::string_view name) {
  std::optional<std::string> value = env(name);
  if (value.has_value() && value->empty()) {
    return std::nullopt;
  }
  return value;
}

// Parses one line into `file`; false if it is not blank, a comment, a section header, an
// indented sub-setting or "key = value".
bool ParseIniLine(std::string_view raw, std::string* section, IniFile* file) {
  std::string_view line = Trim(raw);
  if (line.empty() || line[0] == '#' || line[0] == ';') {
    return true;
  }
  // Indented lines belong to a nested setting ("s3 =" followed by its own keys), which
  // nothing here reads.
  if (raw[0] == ' ' || raw[0] == '\t') {
    return true;
  }
  if (line.front() == '[') {
    if (line.back() != ']') {
      return false;
    }
    *section = std::string(Trim(line.substr(1, line.size() - 2)));
    (*file)[*section];
    return true;
  }
  size_t equals = line.find('=');
  if (equals == std::string_view::npos || equals == 0) {
    return false;
  }
  if (!section->empty()) {
    (*file)[*section][Lower(Trim(line.substr(0, equals)))] = Trim(line.substr(equals + 1));
  }
  return true;
}

// Reads an AWS shared file. A file that does not exist is empty, not an error.
Result<SharedFile> ReadSharedFile(std::string path) {
  SharedFile shared{std::move(path), {}};
  std::ifstream in(shared.path);
  if (!in.is_open()) {
    return shared;
  }
  std::string line;
  std::string section;
  for (int number = 1; std::getline(in, line); ++number) {
    if (!ParseIniLine(line, &section, &shared.sections)) {
      return ConfigError(
          fmt::format("{}:{}: expected [section] or key = value", shared.path, number));
    }
  }
  return shared;
}

// The path in `variable`, else ~/.aws/`name`; "~/" is expanded with HOME as AWS tools do.
std::string SharedFilePath(const EnvLookup& env, std::string_view variable, std::string_view name) {
  std::string home = Get(env, "HOME").value_or("");
  std::optional<std::string> path = Get(env, variable);
  if (!path.has_value()) {
    return fmt::format("{}/.aws/{}", home, name);
  }
  if (path->starts_with("~/")) {
    return home + path->substr(1);
  }
  return *path;
}

std::string ProfileName(const EnvLookup& env) {
  return Get(env, "AWS_PROFILE").value_or(std::string(kDefaultProfile));
}

// The profile's settings in the config file, whose sections are "[profile NAME]" except
// for "[default]".
const std::map<std::string, std::string>* ConfigProfile(const IniFile& config,
                                                        const std::string& profile) {
  auto it = config.find("profile " + profile);
  if (it == config.end() && profile == kDefaultProfile) {
    it = config.find(profile);
  }
  return it == config.end() ? nullptr : &it->second;
}

std::string Value(const std::map<std::string, std::string>& section, const char* key) {
  auto it = section.find(key);
  return it == section.end() ? std::string() : it->second;
}

// Credentials from one profile section; nullopt when it holds no keys at all.
Result<std::optional<Credentials>> KeysFromSection(
    const std::map<std::string, std::string>& section, const std::string& profile,
    const std::string& path) {
  Credentials credentials{
      Value(section, "aws_access_key_id"), Value(section, "aws_secret_access_key"),
      Value(section, "aws_session_token"), fmt::format("profile {} in {}", profile, path)};
  if (credentials.access_key_id.empty() && credentials.secret_access_key.empty()) {
    return std::optional<Credentials>();
  }
  if (credentials.access_key_id.empty() || credentials.secret_access_key.empty()) {
    return ConfigError(fmt::format("{} needs both aws_access_key_id and aws_secret_access_key",
                                   credentials.source));
  }
  return std::optional<Credentials>(std::move(credentials));
}

// Explains a profile that exists but gets its keys some way amstream does not follow.
Status UnsupportedProfile(const std::map<std::string, std::string>& section,
                          const std::string& profile) {
  for (const char* key : {"role_arn", "credential_process", "sso_session", "sso_start_url",
                          "web_identity_token_file", "credential_source"}) {
    if (section.contains(key)) {
      return ConfigError(fmt::format(
          "profile {} uses {}, which amstream does not support; export static keys instead, "
          "e.g. eval \"$(aws configure export-credentials --profile {} --format env)\"",
          profile, key, profile));
    }
  }
  return ConfigError(fmt::format("profile {} has no aws_access_key_id", profile));
}

Result<std::optional<Credentials>> CredentialsFromEnv(const EnvLookup& env) {
  std::optional<std::string> id = Get(env, "AWS_ACCESS_KEY_ID");
  std::optional<std::string> secret = Get(env, "AWS_SECRET_ACCESS_KEY");
  if (!id.has_value() && !secret.has_value()) {
    return std::optional<Credentials>();
  }
  if (!id.has_value() || !secret.has_value()) {
    return ConfigError(fmt::format("{} is set but {} is not: set both, or neither to use a profile",
                                   id.has_value() ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                                   id.has_value() ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID"));
  }
  return std::optional<Credentials>(Credentials{std::move(*id), std::move(*secret),
                                                Get(env, "AWS_SESSION_TOKEN").value_or(""),
                                                "environment"});
}

using Section = std::map<std::string, std::string>;

// Where a profile was looked for and the sections that carry its name, credentials file
// first.
struct ProfileLookup {
  std::string credentials_path;
  std::string config_path;
  std::vector<std::pair<Section, std::string>> found;  // section, path of its file
};

Result<ProfileLookup> FindProfile(const EnvLookup& env, const std::string& profile) {
  Result<SharedFile> credentials =
      ReadSharedFile(SharedFilePath(env, "AWS_SHARED_CREDENTIALS_FILE", "credentials"));
  AMSTREAM_RETURN_IF_ERROR(credentials.status());
  Result<SharedFile> config = ReadSharedFile(SharedFilePath(env, "AWS_CONFIG_FILE", "config"));
  AMSTREAM_RETURN_IF_ERROR(config.status());

  ProfileLookup lookup{credentials->path, config->path, {}};
  if (auto it = credentials->sections.find(profile); it != credentials->sections.end()) {
    lookup.found.emplace_back(it->second, credentials->path);
  }
  if (const Section* section = ConfigProfile(config->sections, profile)) {
    lookup.found.emplace_back(*section, config->path);
  }
  return lookup;
}

Result<Credentials> CredentialsFromProfile(const EnvLookup& env) {
  std::string profile = ProfileName(env);
  Result<ProfileLookup> lookup = FindProfile(env, profile);
  AMSTREAM_RETURN_IF_ERROR(lookup.status());
  for (const auto& [section, path] : lookup->found) {
    Result<std::optional<Credentials>> keys = KeysFromSection(section, profile, path);
    AMSTREAM_RETURN_IF_ERROR(keys.status());
    if (keys->has_value()) {
      return std::move(**keys);
    }
  }

  if (!lookup->found.empty()) {
    return UnsupportedProfile(lookup->found.back().first, profile);
  }
  if (Get(env, "AWS_PROFILE").has_value()) {
    return ConfigError(fmt::format("AWS profile {} is in neither {} nor {}", profile,
                                   lookup->credentials_path, lookup->config_path));
  }
  return ConfigError(
      "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and "
      "AWS_SESSION_TOKEN for temporary keys), or AWS_PROFILE naming a profile in "
      "~/.aws/credentials; instance and container credentials are not used");
}

}  // namespace

std::optional<std::string> ProcessEnv(std::string_view name) {
  const char* value = std::getenv(std::string(name).c_str());
  if (value == nullptr || *value == '\0') {
    return std::nullopt;
  }
  return std::string(value);
}

Result<Credentials> ResolveCredentials(const EnvLookup& env) {
  Result<std::optional<Credentials>> from_env = CredentialsFromEnv(env);
  if (!from_env.ok()) {
    return from_env.status();
  }
  if (from_env->has_value()) {
    return std::move(**from_env);
  }
  return CredentialsFromProfile(env);
}

Result<std::string> ResolveRegion(const EnvLookup& env, std::string_view queue_url) {
  for (const char* variable : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    if (std::optional<std::string> region = Get(env, variable)) {
      return *region;
    }
  }

  Result<SharedFile> config = ReadSharedFile(SharedFilePath(env, "AWS_CONFIG_FILE", "config"));
  if (!config.ok()) {
    return config.status();
  }
  const auto* profile = ConfigProfile(config->sections, ProfileName(env));
  if (profile != nullptr && !Value(*profile, "region").empty()) {
    return Value(*profile, "region");
  }

  Result<http::Url> url = http::ParseUrl(queue_url);
  if (url.ok()) {
    if (std::optional<std::string> region = RegionFromSqsHost(url->host)) {
      return *region;
    }
  }
  return ConfigError(
      "cannot tell the AWS region: set AWS_REGION (or a region in the AWS profile, or use a "
      "queue URL on sqs.<region>.amazonaws.com)");
}

std::optional<std::string> RegionFromSqsHost(std::string_view host) {
  std::string name = Lower(host);
  std::string_view view = name;
  std::string_view region;
  for (std::string_view prefix : {"sqs.", "sqs-fips."}) {
    for (std::string_view suffix : {".amazonaws.com", ".amazonaws.com.cn", ".api.aws"}) {
      if (view.size() > prefix.size() + suffix.size() && view.starts_with(prefix) &&
          view.ends_with(suffix)) {
        region = view.substr(prefix.size(), view.size() - prefix.size() - suffix.size());
      }
    }
  }
  // The legacy form, <region>.queue.amazonaws.com.
  constexpr std::string_view kLegacy = ".queue.amazonaws.com";
  if (region.empty() && view.size() > kLegacy.size() && view.ends_with(kLegacy)) {
    region = view.substr(0, view.size() - kLegacy.size());
  }
  if (region.empty() || region.find('.') != std::string_view::npos) {
    return std::nullopt;
  }
  return std::string(region);
}

}  // namespace amstream::sqs
