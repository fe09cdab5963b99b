// `amstream report` on PostgreSQL: traffic and conversions per local day or hour.
#pragma once

#include <vector>

#include "common/status.h"
#include "store/postgres/pg_conn.h"
#include "store/store.h"

namespace amstream::store::postgres {

// Sums traffic and conversions (at the query's attribution window) per bucket of the
// advertiser's local time, advertiser, campaign and currency, ordered by those. kInvalid
// for a bad query; database failures as pg_error.h maps them.
Result<std::vector<ReportRow>> RunReport(PgConnection* conn, const ReportQuery& query);

}  // namespace amstream::store::postgres
