// Checks of a ReportQuery that both stores apply before building their SQL.
#pragma once

#include <string>

#include "common/status.h"
#include "store/store.h"

namespace amstream::store {

// The query's columns at its attribution window ("attributed_conversions_7d",
// "attributed_sales_7d"), or kInvalid if the window is not 1d, 7d, 14d or 30d. The
// names are safe to paste into SQL: they come from a fixed list.
struct AttributionColumns {
  std::string conversions;
  std::string sales;
};

// Validates `query` (window, from_days <= to_days) and returns its attribution columns.
Result<AttributionColumns> CheckReportQuery(const ReportQuery& query);

}  // namespace amstream::store
