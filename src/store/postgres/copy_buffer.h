// Rows for COPY ... FROM STDIN in PostgreSQL's text format, built in memory.
//
// Text fields are escaped (backslash, tab, newline, carriage return), so any value
// arrives as written; NULL is never produced because the store keeps '' and 0 instead.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace amstream::store::postgres {

// Accumulates rows; fields are separated by tabs and rows end with a newline.
// Not thread-safe.
class CopyBuffer {
 public:
  // Appends a text field, escaped.
  CopyBuffer& Text(std::string_view value);
  // Appends an integer field.
  CopyBuffer& Int(int64_t value);
  // Ends the current row.
  void EndRow();

  // The rows so far, ready for PQputCopyData.
  const std::string& data() const { return data_; }
  // Number of rows ended so far.
  int64_t rows() const { return rows_; }

 private:
  void Separate();

  std::string data_;
  int64_t rows_ = 0;
  bool row_open_ = false;
};

}  // namespace amstream::store::postgres
