#include "store/report_query.h"

#include <array>
#include <string_view>

namespace amstream::store {

Result<AttributionColumns> CheckReportQuery(const ReportQuery& query) {
  constexpr std::array<std::string_view, 4> kWindows = {"1d", "7d", "14d", "30d"};
  bool known = false;
  for (std::string_view window : kWindows) {
    known = known || window == query.attribution_window;
  }
  if (!known) {
    return InvalidError("attribution window must be 1d, 7d, 14d or 30d, not '" +
                        query.attribution_window + "'");
  }
  if (query.from_days && query.to_days && *query.from_days > *query.to_days) {
    return InvalidError("the report's first day is after its last day");
  }
  return AttributionColumns{"attributed_conversions_" + query.attribution_window,
                            "attributed_sales_" + query.attribution_window};
}

}  // namespace amstream::store
