#include "ams/classify.h"

#include <fmt/format.h>

#include "sns/envelope.h"

namespace amstream::ams {
namespace {

// Reasons quote bits of the body (a dataset name, a timestamp), which may hold escaped
// line breaks or NULs; the reason must stay one printable line of bounded length.
constexpr size_t kMaxReasonBytes = 240;

Content Quarantine(std::string_view reason) {
  std::string line;
  for (char c : reason) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      fmt::format_to(std::back_inserter(line), "\\x{:02x}", byte);
    } else {
      line.push_back(c);
    }
  }
  if (line.size() > kMaxReasonBytes) {
    size_t cut = kMaxReasonBytes;
    while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xc0) == 0x80) {
      --cut;  // never split a UTF-8 sequence
    }
    line.resize(cut);
    line.append("...");
  }
  return Quarantined{std::move(line)};
}

Content FromResult(auto result) {
  if (!result.ok()) {
    return Quarantine(result.status().message());
  }
  return Content(std::move(*result));
}

// The dataset a raw record names, or empty if it has no dataset_id string.
std::string_view DatasetOf(const json::Value& root) {
  std::optional<json::Value> dataset = root.Find("dataset_id");
  if (!dataset) {
    return {};
  }
  Result<std::string_view> name = dataset->GetString();
  return name.ok() ? *name : std::string_view();
}

std::string HexEncode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out = "hex:";
  for (char c : bytes) {
    auto byte = static_cast<unsigned char>(c);
    out.push_back(kDigits[byte >> 4]);
    out.push_back(kDigits[byte & 0xf]);
  }
  return out;
}

}  // namespace

Message Classifier::Classify(Delivery delivery) {
  Message message;
  message.delivery = std::move(delivery);
  const std::string& body = message.delivery.body;
  if (!json::IsValidUtf8(body) || body.find('\0') != std::string::npos) {
    // Stores keep bodies as text; hex keeps every byte of this one for inspection.
    message.content = Quarantine("body is not valid UTF-8 text (stored hex-encoded)");
    message.delivery.body = HexEncode(body);
    return message;
  }
  if (body.size() > kMaxBodyBytes) {
    message.content =
        Quarantine(fmt::format("body of {} bytes exceeds the 1 MiB limit", body.size()));
    return message;
  }
  Result<json::Value> root = outer_.Parse(body);
  if (!root.ok()) {
    message.content = Quarantine(root.status().message());
    return message;
  }
  if (root->kind() != json::Kind::kObject) {
    message.content = Quarantine("body is not a JSON object");
    return message;
  }

  Result<std::optional<sns::Envelope>> envelope = sns::ReadEnvelope(*root);
  if (!envelope.ok()) {
    message.content = Quarantine(envelope.status().message());
    return message;
  }
  if (!envelope->has_value()) {
    message.content = ClassifyDocument(*root, message.delivery.sent_timestamp_ms);
    return message;
  }
  if ((*envelope)->confirmation) {
    message.content = std::move(*(*envelope)->confirmation);
    return message;
  }

  sns::Notification& notification = *(*envelope)->notification;
  message.sns_message_id = notification.message_id;
  Result<json::Value> inner = inner_.Parse(notification.message);
  if (!inner.ok()) {
    message.content = Quarantine("SNS Message: " + inner.status().message());
  } else if (inner->kind() != json::Kind::kObject || inner->Find("Type")) {
    message.content = Quarantine("SNS Message is not an AMS record or blog event");
  } else {
    int64_t event_ms = notification.timestamp_ms != 0 ? notification.timestamp_ms
                                                      : message.delivery.sent_timestamp_ms;
    message.content = ClassifyDocument(*inner, event_ms);
  }
  return message;
}

Content Classifier::ClassifyDocument(const json::Value& root, int64_t event_ms) {
  std::string_view dataset = DatasetOf(root);
  if (dataset == kSpTraffic) {
    return FromResult(ReadTraffic(root));
  }
  if (dataset == kSpConversion) {
    return FromResult(ReadConversion(root));
  }
  if (!dataset.empty()) {
    return Quarantine(fmt::format("dataset {:.60} is not stored by this version", dataset));
  }
  if (root.Find("datasetType") && root.Find("records")) {
    return FromResult(ReadBlogEvent(root, event_ms));
  }
  return Quarantine("not an AMS record, SNS message or blog event (no dataset_id)");
}

}  // namespace amstream::ams
