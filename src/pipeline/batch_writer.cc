#include "pipeline/batch_writer.h"

#include "common/log.h"

namespace amstream::pipeline {

Result<store::WriteStats> WriteIsolatingRefusals(store::Store* store,
                                                 std::span<ams::Message> batch) {
  Result<store::WriteStats> written = store->Write(batch);
  if (written.ok() || written.status().code() != Code::kInvalid) {
    return written;
  }
  if (batch.size() == 1) {
    ams::Message& message = batch[0];
    if (std::holds_alternative<ams::Quarantined>(message.content)) {
      return written;  // not even the quarantine row fits: a bug, not bad input
    }
    log::Warn("pipeline", "database refused a message; quarantining it",
              {{"message_id", message.delivery.message_id}, {"error", written.status().message()}});
    message.content =
        ams::Quarantined{"the database refused a value: " + written.status().message()};
    return store->Write(batch);
  }
  store::WriteStats total;
  for (ams::Message& message : batch) {
    Result<store::WriteStats> one = WriteIsolatingRefusals(store, std::span(&message, 1));
    if (!one.ok()) {
      return one;
    }
    total += *one;
  }
  return total;
}

}  // namespace amstream::pipeline
