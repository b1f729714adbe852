#include "cli/audit_stores.h"

#include <algorithm>

#include "hotline/audit_log.h"
#include "hotline/audit_verify.h"
#include "hotline/history.h"

namespace hotline::cli {

// Expands a folder into the stores below it (node.db, relay.db).
std::vector<std::filesystem::path> ExpandStores(const std::vector<std::string>& args) {
  std::vector<std::filesystem::path> out;
  for (const auto& a : args) {
    std::filesystem::path p = a;
    if (std::filesystem::is_directory(p)) {
      for (const auto& e : std::filesystem::recursive_directory_iterator(p)) {
        auto name = e.path().filename().string();
        if (e.is_regular_file() && (name == "node.db" || name == "relay.db"))
          out.push_back(e.path());
      }
    } else {
      out.push_back(p);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

StatusOr<std::vector<v1::SignedCheckpoint>> WitnessedCopies(const std::vector<std::string>& stores,
                                                            const std::string& origin) {
  std::vector<v1::SignedCheckpoint> out;
  for (const auto& path : ExpandStores(stores)) {
    HOTLINE_ASSIGN_OR_RETURN(AuditLogReader reader, AuditLogReader::Open(path));
    HOTLINE_ASSIGN_OR_RETURN(auto copies, reader.Witnessed(origin));
    for (auto& cp : copies) out.push_back(std::move(cp));
  }
  return out;
}

// Reads every store's records and checks the run across them.
StatusOr<v1::HistoryCheck> CheckHistory(const std::vector<std::string>& paths) {
  auto stores = ExpandStores(paths);
  if (stores.empty())
    return InvalidArgumentError("no node.db or relay.db found in the given paths");
  v1::HistoryCheck out;
  HistoryChecker checker;
  for (const auto& path : stores) {
    HOTLINE_ASSIGN_OR_RETURN(auto records, ReadAuditRecords(path));
    checker.Add(records);
    auto* read = out.add_stores();
    read->set_store(path.string());
    read->set_records(records.size());
  }
  HistoryReport r = checker.Check();
  out.set_sent(r.sent);
  out.set_delivered(r.delivered);
  out.set_lost(r.lost);
  out.set_duplicated(r.duplicated);
  out.set_unreceipted(r.unreceipted);
  out.set_out_of_order(r.out_of_order);
  out.set_mismatched(r.mismatched);
  out.set_relay_disagreements(r.relay_disagreements);
  out.set_clean(r.clean());
  for (const auto& p : r.problems) out.add_problems(p);
  return out;
}

// One log verified: first to learn its origin, then again against the
// checkpoints of it that `witness_stores` witnessed.
StatusOr<v1::AuditVerification> VerifyOneLog(const std::filesystem::path& store,
                                             const std::string& certs,
                                             const std::vector<std::string>& witness_stores) {
  AuditVerifyOptions options;
  options.key_for = CheckpointKeysFrom(certs);
  HOTLINE_ASSIGN_OR_RETURN(AuditVerifyReport first, VerifyAuditStore(store, options));
  if (witness_stores.empty()) return ToProto(store, first, 0);
  HOTLINE_ASSIGN_OR_RETURN(options.witnessed, WitnessedCopies(witness_stores, first.origin));
  HOTLINE_ASSIGN_OR_RETURN(AuditVerifyReport report, VerifyAuditStore(store, options));
  return ToProto(store, report, options.witnessed.size());
}

}  // namespace hotline::cli
