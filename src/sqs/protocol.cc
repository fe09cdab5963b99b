#include "sqs/protocol.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <functional>
#include <limits>

#include "json/json.h"

namespace amstream::sqs {
namespace {

// Longest AWS error message kept in a Status. SignatureDoesNotMatch explanations quote
// the whole canonical request; the start is what identifies the problem.
constexpr size_t kMaxErrorMessage = 400;

// Writes one JSON object, field by field.
class ObjectWriter {
 public:
  void String(std::string_view key, std::string_view value) {
    Key(key);
    json::AppendString(&out_, value);
  }
  void Int(std::string_view key, int64_t value) {
    Key(key);
    out_ += std::to_string(value);
  }
  // `value` must already be valid JSON.
  void Raw(std::string_view key, std::string_view value) {
    Key(key);
    out_ += value;
  }
  std::string Finish() { return std::move(out_) + "}"; }

 private:
  void Key(std::string_view key) {
    out_ += out_.size() > 1 ? "," : "";
    json::AppendString(&out_, key);
    out_ += ':';
  }
  std::string out_ = "{";
};

std::string StringArray(std::span<const std::string> items) {
  std::string out = "[";
  for (const std::string& item : items) {
    out += out.size() > 1 ? "," : "";
    json::AppendString(&out, item);
  }
  return out + "]";
}

std::string JoinArray(const std::vector<std::string>& json_items) {
  std::string out = "[";
  for (const std::string& item : json_items) {
    out += out.size() > 1 ? "," : "";
    out += item;
  }
  return out + "]";
}

Status Malformed(std::string_view what) {
  return Status(Code::kUnavailable, fmt::format("malformed SQS answer: {}", what));
}

Result<json::Value> ParseObject(json::Parser* parser, std::string_view body) {
  Result<json::Value> root = parser->Parse(body);
  if (!root.ok()) {
    return Malformed(root.status().message());
  }
  if (root->kind() != json::Kind::kObject) {
    return Malformed("not a JSON object");
  }
  return root;
}

Result<std::string_view> StringField(const json::Value& object, std::string_view key) {
  std::optional<json::Value> field = object.Find(key);
  if (!field.has_value()) {
    return Malformed(fmt::format("no \"{}\"", key));
  }
  Result<std::string_view> text = field->GetString();
  if (!text.ok()) {
    return Malformed(fmt::format("\"{}\" is not a string", key));
  }
  return text;
}

std::string OptionalString(const json::Value& object, std::string_view key) {
  Result<std::string_view> text = StringField(object, key);
  return text.ok() ? std::string(*text) : std::string();
}

// A numeric attribute (SQS sends them as strings); 0, meaning unknown, when absent or not
// a number: a strange attribute is no reason to refuse the message.
int64_t NumberAttribute(const json::Value& attributes, std::string_view key) {
  std::string text = OptionalString(attributes, key);
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size() ? value : 0;
}

Result<ams::Delivery> ParseMessage(const json::Value& message) {
  ams::Delivery delivery;
  std::pair<const char*, std::string*> fields[] = {{"MessageId", &delivery.message_id},
                                                   {"ReceiptHandle", &delivery.receipt_handle},
                                                   {"Body", &delivery.body}};
  for (auto [key, target] : fields) {
    Result<std::string_view> text = StringField(message, key);
    AMSTREAM_RETURN_IF_ERROR(text.status());
    *target = std::string(*text);
  }
  if (std::optional<json::Value> attributes = message.Find("Attributes")) {
    delivery.sent_timestamp_ms = NumberAttribute(*attributes, "SentTimestamp");
    int64_t count = NumberAttribute(*attributes, "ApproximateReceiveCount");
    delivery.receive_count =
        static_cast<int32_t>(std::clamp<int64_t>(count, 0, std::numeric_limits<int32_t>::max()));
  }
  return delivery;
}

// Calls `fn` with the index named by each entry's Id in the array `key` (absent: none).
Status ForEachEntry(const json::Value& root, std::string_view key, size_t entries,
                    const std::function<void(size_t, const json::Value&)>& fn) {
  std::optional<json::Value> array = root.Find(key);
  if (!array.has_value() || array->is_null()) {
    return Status::Ok();
  }
  if (array->kind() != json::Kind::kArray) {
    return Malformed(fmt::format("\"{}\" is not an array", key));
  }
  return array->ForEachElement([&](const json::Value& entry) {
    Result<std::string_view> id = StringField(entry, "Id");
    AMSTREAM_RETURN_IF_ERROR(id.status());
    size_t index = 0;
    auto [end, ec] = std::from_chars(id->data(), id->data() + id->size(), index);
    if (ec != std::errc() || end != id->data() + id->size() || index >= entries) {
      return Malformed(fmt::format("unexpected entry id \"{}\"", *id));
    }
    fn(index, entry);
    return Status::Ok();
  });
}

EntryFailure FailureFromEntry(size_t index, const json::Value& entry) {
  EntryFailure failure{index, OptionalString(entry, "Code"), OptionalString(entry, "Message"),
                       false};
  if (std::optional<json::Value> fault = entry.Find("SenderFault")) {
    Result<bool> value = fault->GetBool();
    failure.sender_fault = value.ok() && *value;
  }
  return failure;
}

// Keeps a server's explanation to one line of reasonable length.
std::string OneLine(std::string_view text) {
  std::string out(text.substr(0, kMaxErrorMessage));
  // Do not end in the middle of a UTF-8 sequence.
  while (out.size() < text.size() && !out.empty() &&
         (static_cast<unsigned char>(text[out.size()]) & 0xC0) == 0x80) {
    out.pop_back();
  }
  std::replace_if(
      out.begin(), out.end(), [](char c) { return c == '\n' || c == '\r' || c == '\t'; }, ' ');
  return out.size() < text.size() ? out + "..." : out;
}

// The code of a JSON error's "__type": "com.amazonaws.sqs#QueueDoesNotExist" (some
// services append ":<url>").
std::string TypeCode(std::string_view type) {
  type = type.substr(0, std::min(type.find(':'), type.size()));
  size_t hash = type.rfind('#');
  return std::string(hash == std::string_view::npos ? type : type.substr(hash + 1));
}

// The code of an x-amzn-query-error header: "AWS.SimpleQueueService.NonExistentQueue;Sender".
std::string QueryErrorCode(std::string_view header) {
  constexpr std::string_view kPrefix = "AWS.SimpleQueueService.";
  header = header.substr(0, std::min(header.find(';'), header.size()));
  return std::string(header.starts_with(kPrefix) ? header.substr(kPrefix.size()) : header);
}

}  // namespace

std::string ReceiveRequest(std::string_view queue_url, const ReceiveOptions& options) {
  static const std::string kAttributes[] = {"ApproximateReceiveCount", "SentTimestamp"};
  ObjectWriter writer;
  writer.String("QueueUrl", queue_url);
  writer.Int("MaxNumberOfMessages", options.max_messages);
  writer.Int("WaitTimeSeconds", options.wait_seconds);
  if (options.visibility_timeout.has_value()) {
    writer.Int("VisibilityTimeout", *options.visibility_timeout);
  }
  // SQS now documents MessageSystemAttributeNames; AttributeNames is the older name that
  // some SQS-compatible servers still expect. SQS merges the two.
  writer.Raw("AttributeNames", StringArray(kAttributes));
  writer.Raw("MessageSystemAttributeNames", StringArray(kAttributes));
  return writer.Finish();
}

std::string HandleBatchRequest(std::string_view queue_url,
                               std::span<const std::string> receipt_handles,
                               std::optional<int> visibility_timeout) {
  std::vector<std::string> entries;
  for (size_t i = 0; i < receipt_handles.size(); ++i) {
    ObjectWriter entry;
    entry.String("Id", std::to_string(i));
    entry.String("ReceiptHandle", receipt_handles[i]);
    if (visibility_timeout.has_value()) {
      entry.Int("VisibilityTimeout", *visibility_timeout);
    }
    entries.push_back(entry.Finish());
  }
  ObjectWriter writer;
  writer.String("QueueUrl", queue_url);
  writer.Raw("Entries", JoinArray(entries));
  return writer.Finish();
}

std::string SendBatchRequest(std::string_view queue_url, std::span<const std::string> bodies) {
  std::vector<std::string> entries;
  for (size_t i = 0; i < bodies.size(); ++i) {
    ObjectWriter entry;
    entry.String("Id", std::to_string(i));
    entry.String("MessageBody", bodies[i]);
    entries.push_back(entry.Finish());
  }
  ObjectWriter writer;
  writer.String("QueueUrl", queue_url);
  writer.Raw("Entries", JoinArray(entries));
  return writer.Finish();
}

std::string GetQueueAttributesRequest(std::string_view queue_url,
                                      std::span<const std::string> names) {
  ObjectWriter writer;
  writer.String("QueueUrl", queue_url);
  writer.Raw("AttributeNames", StringArray(names));
  return writer.Finish();
}

std::string QueueNameRequest(std::string_view name,
                             const std::map<std::string, std::string>& attributes) {
  ObjectWriter writer;
  writer.String("QueueName", name);
  if (!attributes.empty()) {
    ObjectWriter map;
    for (const auto& [key, value] : attributes) {
      map.String(key, value);
    }
    writer.Raw("Attributes", map.Finish());
  }
  return writer.Finish();
}

Result<std::vector<ams::Delivery>> ParseReceiveResponse(std::string_view body) {
  json::Parser parser;
  Result<json::Value> root = ParseObject(&parser, body);
  AMSTREAM_RETURN_IF_ERROR(root.status());
  std::vector<ams::Delivery> deliveries;
  std::optional<json::Value> messages = root->Find("Messages");
  if (!messages.has_value() || messages->is_null()) {
    return deliveries;
  }
  if (messages->kind() != json::Kind::kArray) {
    return Malformed("\"Messages\" is not an array");
  }
  Status status = messages->ForEachElement([&](const json::Value& message) {
    Result<ams::Delivery> delivery = ParseMessage(message);
    if (delivery.ok()) {
      deliveries.push_back(std::move(*delivery));
    }
    return delivery.status();
  });
  AMSTREAM_RETURN_IF_ERROR(status);
  return deliveries;
}

Result<std::vector<EntryFailure>> ParseBatchResponse(std::string_view body, size_t entries) {
  json::Parser parser;
  Result<json::Value> root = ParseObject(&parser, body);
  AMSTREAM_RETURN_IF_ERROR(root.status());
  std::vector<bool> reported(entries, false);
  std::vector<EntryFailure> failures;
  AMSTREAM_RETURN_IF_ERROR(
      ForEachEntry(*root, "Successful", entries,
                   [&](size_t index, const json::Value&) { reported[index] = true; }));
  AMSTREAM_RETURN_IF_ERROR(
      ForEachEntry(*root, "Failed", entries, [&](size_t index, const json::Value& entry) {
        reported[index] = true;
        failures.push_back(FailureFromEntry(index, entry));
      }));

  for (size_t i = 0; i < entries; ++i) {
    if (!reported[i]) {
      failures.push_back({i, "NoResult", "SQS reported neither success nor failure", false});
    }
  }
  std::stable_sort(failures.begin(), failures.end(),
                   [](const EntryFailure& a, const EntryFailure& b) { return a.index < b.index; });
  return failures;
}

Result<std::map<std::string, std::string>> ParseAttributesResponse(std::string_view body) {
  json::Parser parser;
  Result<json::Value> root = ParseObject(&parser, body);
  AMSTREAM_RETURN_IF_ERROR(root.status());
  std::map<std::string, std::string> attributes;
  std::optional<json::Value> object = root->Find("Attributes");
  if (!object.has_value() || object->is_null()) {
    return attributes;
  }
  AMSTREAM_RETURN_IF_ERROR(object->ForEachField([&](std::string_view key, const json::Value& v) {
    Result<std::string_view> text = v.GetString();
    if (!text.ok()) {
      return Malformed(fmt::format("attribute {} is not a string", key));
    }
    attributes.emplace(key, *text);
    return Status::Ok();
  }));
  return attributes;
}

Result<std::string> ParseQueueUrlResponse(std::string_view body) {
  json::Parser parser;
  Result<json::Value> root = ParseObject(&parser, body);
  AMSTREAM_RETURN_IF_ERROR(root.status());
  Result<std::string_view> url = StringField(*root, "QueueUrl");
  AMSTREAM_RETURN_IF_ERROR(url.status());
  return std::string(*url);
}

Status ErrorFromResponse(std::string_view action, const http::Response& response) {
  std::string code;
  std::string message;
  json::Parser parser;
  Result<json::Value> root = parser.Parse(response.body);
  if (root.ok() && root->kind() == json::Kind::kObject) {
    code = TypeCode(OptionalString(*root, "__type"));
    message = OptionalString(*root, "message");
    message = message.empty() ? OptionalString(*root, "Message") : message;
  }
  for (const auto& [name, value] : response.headers) {
    if (code.empty() && name == "x-amzn-query-error") {
      code = QueryErrorCode(value);
    }
  }

  std::string detail = code;
  if (!message.empty()) {
    detail += (detail.empty() ? "" : ": ") + OneLine(message);
  }
  std::string line = detail.empty()
                         ? fmt::format("SQS {}: HTTP {}", action, response.status)
                         : fmt::format("SQS {}: {} (HTTP {})", action, detail, response.status);
  return Status(CodeForError(code, response.status), std::move(line));
}

Code CodeForError(std::string_view error_code, long http_status) {
  static constexpr std::string_view kThrottling[] = {"ThrottlingException", "RequestThrottled",
                                                     "Throttling", "TooManyRequests",
                                                     "TooManyRequestsException"};
  static constexpr std::string_view kNoQueue[] = {"QueueDoesNotExist", "NonExistentQueue"};
  static constexpr std::string_view kDenied[] = {
      "InvalidClientTokenId",  "UnrecognizedClientException",
      "SignatureDoesNotMatch", "MissingAuthenticationToken",
      "ExpiredToken",          "ExpiredTokenException"};
  // Namespaced codes ("KMS.ThrottlingException", "com.amazonaws.sqs#QueueDoesNotExist")
  // are matched on their last part.
  std::string_view code = error_code.substr(0, std::min(error_code.find(':'), error_code.size()));
  if (size_t separator = code.find_last_of("#."); separator != std::string_view::npos) {
    code = code.substr(separator + 1);
  }
  auto in = [code](const auto& list) { return std::ranges::find(list, code) != std::end(list); };

  if (in(kThrottling) || http_status == 429) {
    return Code::kThrottled;
  }
  if (in(kNoQueue)) {
    return Code::kNotFound;
  }
  if (in(kDenied) || code.starts_with("AccessDenied") || http_status == 401 || http_status == 403) {
    return Code::kPermissionDenied;
  }
  if (http_status >= 500 && http_status <= 599) {
    return Code::kUnavailable;
  }
  return http_status >= 400 && http_status <= 499 ? Code::kInvalid : Code::kUnavailable;
}

}  // namespace amstream::sqs
