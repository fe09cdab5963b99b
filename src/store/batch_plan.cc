#include "store/batch_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <tuple>
#include <unordered_set>

#include "common/log.h"
#include "common/time.h"
#include "crypto/digest.h"

namespace amstream::store {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the valid UTF-8 sequence starting at text[i], or 0 if it is invalid or NUL.
size_t ValidSequenceLength(std::string_view text, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char lead = byte(i);
  if (lead != 0 && lead < 0x80) {
    return 1;
  }
  size_t length = 0;
  unsigned char low = 0x80;   // bounds of the second byte, which exclude overlong forms,
  unsigned char high = 0xBF;  // surrogates and code points above U+10FFFF
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    low = lead == 0xE0 ? 0xA0 : 0x80;
    high = lead == 0xED ? 0x9F : 0xBF;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    low = lead == 0xF0 ? 0x90 : 0x80;
    high = lead == 0xF4 ? 0x8F : 0xBF;
  } else {
    return 0;
  }
  if (i + length > text.size() || byte(i + 1) < low || byte(i + 1) > high) {
    return 0;
  }
  for (size_t k = i + 2; k < i + length; ++k) {
    if (byte(k) < 0x80 || byte(k) > 0xBF) {
      return 0;
    }
  }
  return length;
}

bool IsStorable(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    size_t length = ValidSequenceLength(text, i);
    if (length == 0) {
      return false;
    }
    i += length;
  }
  return true;
}

// Keeps the first delta of each idempotency id; counts the others as duplicates.
template <typename Record>
void AddDelta(const Record& record, std::unordered_set<std::string_view>* seen,
              std::vector<const Record*>* out, WriteStats* stats) {
  if (!seen->insert(record.idempotency_id).second) {
    ++stats->duplicates;
    return;
  }
  out->push_back(&record);
}

using BlogKey = std::tuple<std::string_view, std::string_view, int64_t>;

void AddBlogEvent(const ams::BlogEvent& event, std::map<BlogKey, BlogSnapshot>* snapshots,
                  WriteStats* stats) {
  for (const ams::BlogRow& row : event.rows) {
    BlogSnapshot snapshot{event.profile_id, event.dataset_type, event.date_days, event.event_ms,
                          &row};
    auto [it, inserted] =
        snapshots->try_emplace({event.profile_id, row.campaign_id, event.date_days}, snapshot);
    if (inserted) {
      continue;
    }
    ++stats->blog_rows_stale;  // one of the two rows of this key loses
    if (snapshot.event_ms >= it->second.event_ms) {
      it->second = snapshot;
    }
  }
}

QuarantineEntry MakeQuarantineEntry(const ams::Message& message, const ams::Quarantined& q) {
  QuarantineEntry entry;
  entry.message_id = StorableText(message.delivery.message_id);
  if (entry.message_id.empty()) {
    entry.message_id = "sha256:" + crypto::Hex(crypto::Sha256(message.delivery.body));
  }
  entry.sns_message_id = StorableText(message.sns_message_id);
  entry.reason = StorableText(q.reason);
  entry.body = StorableText(message.delivery.body);
  return entry;
}

ConfirmationEntry MakeConfirmationEntry(const ams::Message& message,
                                        const sns::Confirmation& confirmation) {
  ConfirmationEntry entry;
  entry.message_id = StorableText(confirmation.message_id.empty() ? message.delivery.message_id
                                                                  : confirmation.message_id);
  entry.confirmation = &confirmation;
  entry.body = StorableText(message.delivery.body);
  return entry;
}

// Sorts entries by message id and keeps the first of each id.
template <typename Entry>
void SortUnique(std::vector<Entry>* entries) {
  std::stable_sort(entries->begin(), entries->end(),
                   [](const Entry& a, const Entry& b) { return a.message_id < b.message_id; });
  auto last = std::unique(entries->begin(), entries->end(), [](const Entry& a, const Entry& b) {
    return a.message_id == b.message_id;
  });
  entries->erase(last, entries->end());
}

}  // namespace

BatchPlan PlanBatch(std::span<const ams::Message> messages) {
  BatchPlan plan;
  std::unordered_set<std::string_view> traffic_ids;
  std::unordered_set<std::string_view> conversion_ids;
  std::map<BlogKey, BlogSnapshot> snapshots;

  for (const ams::Message& message : messages) {
    const ams::Content& content = message.content;
    if (const auto* traffic = std::get_if<ams::TrafficRecord>(&content)) {
      AddDelta(*traffic, &traffic_ids, &plan.traffic, &plan.stats);
    } else if (const auto* conversion = std::get_if<ams::ConversionRecord>(&content)) {
      AddDelta(*conversion, &conversion_ids, &plan.conversions, &plan.stats);
    } else if (const auto* blog = std::get_if<ams::BlogEvent>(&content)) {
      AddBlogEvent(*blog, &snapshots, &plan.stats);
    } else if (const auto* quarantined = std::get_if<ams::Quarantined>(&content)) {
      plan.quarantine.push_back(MakeQuarantineEntry(message, *quarantined));
    } else if (const auto* confirmation = std::get_if<ams::Confirmation>(&content)) {
      plan.confirmations.push_back(MakeConfirmationEntry(message, *confirmation));
    }
  }

  plan.blog.reserve(snapshots.size());
  for (const auto& [key, snapshot] : snapshots) {
    plan.blog.push_back(snapshot);
  }
  SortUnique(&plan.quarantine);
  SortUnique(&plan.confirmations);
  return plan;
}

std::string StorableText(std::string_view text) {
  if (IsStorable(text)) {
    return std::string(text);
  }
  std::string out;
  out.reserve(text.size() + 8);
  for (size_t i = 0; i < text.size();) {
    size_t length = ValidSequenceLength(text, i);
    if (length == 0) {
      out.append(kReplacement);
      ++i;
      continue;
    }
    out.append(text.substr(i, length));
    i += length;
  }
  return out;
}

std::string FormatUtcMillis(int64_t epoch_ms) {
  int64_t millis = ((epoch_ms % 1000) + 1000) % 1000;
  std::string seconds = FormatUtc(epoch_ms);  // "...:SSZ"
  seconds.pop_back();
  return fmt::format("{}.{:03d}Z", seconds, millis);
}

void LogNewConfirmation(const sns::Confirmation& confirmation) {
  if (confirmation.type == "UnsubscribeConfirmation") {
    log::Warn("store",
              fmt::format("SNS unsubscribe confirmation for topic {} stored: the subscription "
                          "was removed; to subscribe again, open its SubscribeURL",
                          confirmation.topic_arn),
              {{"message_id", confirmation.message_id}, {"topic_arn", confirmation.topic_arn}});
    return;
  }
  log::Warn("store",
            fmt::format("SNS subscription confirmation for topic {} stored; confirm it with "
                        "`aws sns confirm-subscription --topic-arn {} --token {}` or open its "
                        "SubscribeURL",
                        confirmation.topic_arn, confirmation.topic_arn, confirmation.token),
            {{"message_id", confirmation.message_id}, {"topic_arn", confirmation.topic_arn}});
}

}  // namespace amstream::store
