// Full verification of one audit store (TESTING.md B14, B15): every record
// present in index order, its leaf hash and index right, and every signed
// checkpoint (the log's own, and any copies witnesses hold) valid and equal
// to the Merkle root recomputed from the records. Names the first bad index
// and what is wrong.
//
// Thread safety: reentrant. Error contract: StatusOr for I/O problems; a
// tampered log is a report with ok() false, not an error.
#ifndef HOTLINE_AUDIT_VERIFY_H_
#define HOTLINE_AUDIT_VERIFY_H_

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "hotline/crypto.h"
#include "hotline/v1/audit.pb.h"

namespace hotline {

struct AuditVerifyOptions {
  // The Ed25519 key of a checkpoint signer (a certificate subject).
  std::function<StatusOr<Ed25519Public>(const std::string& signer)> key_for;
  // Checkpoints of this log held elsewhere (witness evidence).
  std::vector<v1::SignedCheckpoint> witnessed;
};

struct AuditVerifyReport {
  std::string origin;
  uint64_t records = 0;
  uint64_t checkpoints = 0;  // own and witnessed checkpoints checked
  uint64_t latest_checkpoint = 0;
  std::optional<uint64_t> first_bad_index;
  std::string problem;
  bool ok() const { return problem.empty(); }
};

StatusOr<AuditVerifyReport> VerifyAuditStore(const std::filesystem::path& path,
                                             const AuditVerifyOptions& options);

// Checkpoint signers' keys from the trust folder `certs_dir`: each
// certificate is checked against the root (a year of clock tolerance: old
// logs outlive certificates' validity windows).
std::function<StatusOr<Ed25519Public>(const std::string&)> CheckpointKeysFrom(
    const std::filesystem::path& certs_dir);

// The report as `audit verify --json` prints it (hotline.v1.AuditVerification).
v1::AuditVerification ToProto(const std::filesystem::path& store, const AuditVerifyReport& report,
                              size_t witnessed_copies);

}  // namespace hotline

#endif  // HOTLINE_AUDIT_VERIFY_H_
