// The stores of a run on disk (node.db, relay.db below a folder): found,
// each log verified against the checkpoints the others witnessed, and the
// run's history checked across them. Shared by `hotline audit`, `history`
// and `report`.
//
// Thread safety: none. Error contract: Status (a store that cannot be read).
#ifndef HOTLINE_CLIENT_CLI_AUDIT_STORES_H_
#define HOTLINE_CLIENT_CLI_AUDIT_STORES_H_

#include <filesystem>
#include <string>
#include <vector>

#include "hotline/status.h"
#include "hotline/v1/audit.pb.h"

namespace hotline::cli {

// Expands each folder into the stores below it (node.db, relay.db), sorted.
std::vector<std::filesystem::path> ExpandStores(const std::vector<std::string>& args);
// Checkpoints of `origin`'s log that the given stores witnessed.
StatusOr<std::vector<v1::SignedCheckpoint>> WitnessedCopies(const std::vector<std::string>& stores,
                                                            const std::string& origin);
// Reads every store's records and checks the run across them.
StatusOr<v1::HistoryCheck> CheckHistory(const std::vector<std::string>& paths);
// One log verified (signers from the trust folder `certs`), then again
// against the checkpoints of it that `witness_stores` witnessed.
StatusOr<v1::AuditVerification> VerifyOneLog(const std::filesystem::path& store,
                                             const std::string& certs,
                                             const std::vector<std::string>& witness_stores);

}  // namespace hotline::cli

#endif  // HOTLINE_CLIENT_CLI_AUDIT_STORES_H_
