// Writing a batch so that one refused message cannot hold back the rest.
#pragma once

#include <span>

#include "ams/message.h"
#include "store/store.h"

namespace amstream::pipeline {

// Writes `batch` in one transaction. If the database refuses a value (kInvalid), the
// messages are written one by one and each refused one is turned into a quarantine row
// in place, so the others still commit. Other failures are returned unchanged; retrying
// the whole batch is then safe because every write is idempotent.
Result<store::WriteStats> WriteIsolatingRefusals(store::Store* store,
                                                 std::span<ams::Message> batch);

}  // namespace amstream::pipeline
