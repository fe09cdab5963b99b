// A deterministic generator of realistic AMS message bodies, for load tests, demos and
// end-to-end checks of exactly-once storage.
//
// It writes sp-traffic and sp-conversion records (some in SNS envelopes) with the hard
// cases of ams.md §3.1 mixed in: exact duplicates, restatements and negative corrections,
// in shuffled delivery order. Alongside it computes the totals a correct consumer must
// end up with. The same Options always produce the same bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "gen/expected_totals.h"

namespace amstream::gen {

// What to generate. Counts must be at least 1; rates are probabilities per body.
struct Options {
  int advertisers = 3;               // advertisers, spread over US, UK, DE, CA and JP
  int campaigns_per_advertiser = 4;  // campaigns of each advertiser
  int ad_groups_per_campaign = 3;    // ad groups of each campaign (each has 2 ads)
  int keywords_per_ad_group = 5;     // keywords and targets of each ad group
  int hours = 48;                    // active hours from local midnight of start_date
  // The first local date of every advertiser, YYYY-MM-DD.
  std::string start_date = "2025-06-01";
  int64_t messages = 10'000;       // bodies to write, duplicates included; 0 writes none
  double traffic_share = 0.7;      // share of new records that are sp-traffic
  double duplicate_rate = 0.05;    // bodies that re-send an earlier body byte for byte
  double restatement_rate = 0.02;  // records repeating earlier metrics under a new id
  double correction_rate = 0.02;   // negative corrections of earlier records, new id
  double envelope_rate = 0.2;      // new bodies wrapped in an SNS Notification envelope
  uint64_t seed = 1;               // every seed gives a different, repeatable data set
  // Bodies held back to shuffle the delivery order; 1 keeps generation order. Memory is
  // about this many bodies (under 1 KiB each), whatever `messages` is.
  size_t shuffle_window = 4096;
};

// Receives one body (a single-line JSON document without newline). A failure stops
// the generator, which returns it.
using BodySink = std::function<Status(std::string_view body)>;

// Checks ranges and the start date. Fails with kInvalid naming the first bad option.
Status ValidateOptions(const Options& options);

// Emits options.messages bodies to `sink` in delivery order and returns the totals of
// everything emitted under distinct idempotency ids. Fails with kInvalid for bad options,
// or with the sink's first failure. Runs in bounded memory.
Result<ExpectedTotals> Generate(const Options& options, const BodySink& sink);

// Writes the bodies, one per line, to `bodies_path` and ExpectedTotals::ToJson to
// `expected_path`; a path ending in ".gz" gets gzip data. Each file is written under a
// temporary name and renamed when complete, so a failure leaves no half-written file.
// Fails with kInvalid for bad options, kUnavailable for I/O errors.
Status GenerateToFiles(const Options& options, const std::string& bodies_path,
                       const std::string& expected_path);

}  // namespace amstream::gen
