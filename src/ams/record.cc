#include "ams/record.h"

namespace amstream::ams {

const std::array<ConversionMetric, kConversionMetricCount> kConversionMetrics = {{
    {"attributed_conversions_1d", false},    {"attributed_conversions_1d_same_sku", false},
    {"attributed_sales_1d", true},           {"attributed_sales_1d_same_sku", true},
    {"attributed_units_ordered_1d", false},  {"attributed_units_ordered_1d_same_sku", false},
    {"attributed_conversions_7d", false},    {"attributed_conversions_7d_same_sku", false},
    {"attributed_sales_7d", true},           {"attributed_sales_7d_same_sku", true},
    {"attributed_units_ordered_7d", false},  {"attributed_units_ordered_7d_same_sku", false},
    {"attributed_conversions_14d", false},   {"attributed_conversions_14d_same_sku", false},
    {"attributed_sales_14d", true},          {"attributed_sales_14d_same_sku", true},
    {"attributed_units_ordered_14d", false}, {"attributed_units_ordered_14d_same_sku", false},
    {"attributed_conversions_30d", false},   {"attributed_conversions_30d_same_sku", false},
    {"attributed_sales_30d", true},          {"attributed_sales_30d_same_sku", true},
    {"attributed_units_ordered_30d", false}, {"attributed_units_ordered_30d_same_sku", false},
}};

int ConversionMetricIndex(std::string_view name) {
  for (size_t i = 0; i < kConversionMetrics.size(); ++i) {
    if (kConversionMetrics[i].name == name) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

}  // namespace amstream::ams
