#include "store/postgres/copy_buffer.h"

#include <charconv>

namespace amstream::store::postgres {

void CopyBuffer::Separate() {
  if (row_open_) {
    data_.push_back('\t');
  }
  row_open_ = true;
}

CopyBuffer& CopyBuffer::Text(std::string_view value) {
  Separate();
  size_t plain_from = 0;
  for (size_t i = 0; i < value.size(); ++i) {
    char escaped = 0;
    switch (value[i]) {
      case '\\':
        escaped = '\\';
        break;
      case '\t':
        escaped = 't';
        break;
      case '\n':
        escaped = 'n';
        break;
      case '\r':
        escaped = 'r';
        break;
      default:
        continue;
    }
    data_.append(value.substr(plain_from, i - plain_from));
    data_.push_back('\\');
    data_.push_back(escaped);
    plain_from = i + 1;
  }
  data_.append(value.substr(plain_from));
  return *this;
}

CopyBuffer& CopyBuffer::Int(int64_t value) {
  Separate();
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), value);
  data_.append(digits, end);
  return *this;
}

void CopyBuffer::EndRow() {
  data_.push_back('\n');
  row_open_ = false;
  ++rows_;
}

}  // namespace amstream::store::postgres
