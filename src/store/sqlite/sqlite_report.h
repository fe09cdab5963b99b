// `amstream report` on SQLite: traffic and conversions per local day or hour.
#pragma once

#include <vector>

#include "common/status.h"
#include "store/sqlite/sqlite_db.h"
#include "store/store.h"

namespace amstream::store::sqlite {

// Sums traffic and conversions (at the query's attribution window) per bucket of the
// advertiser's local time, advertiser, campaign and currency, ordered by those. kInvalid
// for a bad query.
Result<std::vector<ReportRow>> RunReport(Database* db, const ReportQuery& query);

}  // namespace amstream::store::sqlite
