#include "hotline/audit_verify.h"

#include <algorithm>

#include "hotline/audit_log.h"
#include "hotline/file_util.h"
#include "hotline/net_util.h"
#include "hotline/trust_dir.h"
#include "hotline/merkle.h"
#include "hotline/sqlite_db.h"

namespace hotline {
namespace {

struct Ctx {
  AuditVerifyReport report;
  void Fail(uint64_t index, std::string what) {
    if (!report.problem.empty() && report.first_bad_index && *report.first_bad_index <= index) return;
    report.first_bad_index = index;
    report.problem = std::move(what);
  }
};

}  // namespace

StatusOr<AuditVerifyReport> VerifyAuditStore(const std::filesystem::path& path,
                                             const AuditVerifyOptions& options) {
  HOTLINE_ASSIGN_OR_RETURN(AuditLogReader reader, AuditLogReader::Open(path));
  Ctx ctx;
  auto& rep = ctx.report;

  // 1. Records: contiguous indices, leaf hash and embedded index right.
  std::vector<merkle::Hash> leaves;  // recomputed from the record bytes
  {
    uint64_t expected = 0;
    HOTLINE_RETURN_IF_ERROR(reader.ForEachRecord([&](const AuditLogReader::StoredRecord& stored)
                                                     -> Status {
      uint64_t idx = stored.index;
      const Bytes& record = stored.record;
      const Bytes& stored_leaf = stored.leaf_hash;
      merkle::Hash leaf = merkle::LeafHash(record);
      if (idx != expected) {
        ctx.Fail(expected, "record " + std::to_string(expected) + " is missing (the next stored is " +
                               std::to_string(idx) + "): deleted");
      }
      if (!ConstantTimeEqual(leaf, stored_leaf)) {
        ctx.Fail(idx, "record " + std::to_string(idx) + " does not match its leaf hash: altered");
      }
      v1::AuditRecord r;
      if (!r.ParseFromArray(record.data(), static_cast<int>(record.size()))) {
        ctx.Fail(idx, "record " + std::to_string(idx) + " does not parse: altered");
      } else {
        if (r.index() != idx) {
          ctx.Fail(idx, "record " + std::to_string(idx) + " says it is record " + std::to_string(r.index()) +
                            ": inserted, deleted or swapped");
        }
        if (rep.origin.empty()) rep.origin = r.actor();
        if (r.actor() != rep.origin) {
          ctx.Fail(idx, "record " + std::to_string(idx) + " is from '" + r.actor() + "', not '" +
                            rep.origin + "'");
        }
      }
      leaves.push_back(leaf);
      expected = idx + 1;
      return Status::Ok();
    }));
  }
  rep.records = leaves.size();
  // A record-level finding names the exact index; checkpoints can then only
  // say less.
  if (!rep.problem.empty()) return rep;

  // 2. Checkpoints: the log's own and witnessed copies, in size order.
  std::vector<v1::SignedCheckpoint> checkpoints = options.witnessed;
  HOTLINE_RETURN_IF_ERROR(
      reader.ForEachCheckpoint([&](const AuditLogReader::StoredCheckpoint& stored) -> Status {
        v1::SignedCheckpoint cp;
        const Bytes& b = stored.signed_checkpoint;
        if (!cp.ParseFromArray(b.data(), static_cast<int>(b.size()))) {
          ctx.Fail(stored.size,
                   "checkpoint at size " + std::to_string(stored.size) + " does not parse");
          return Status::Ok();
        }
        checkpoints.push_back(std::move(cp));
        return Status::Ok();
      }));
  std::sort(checkpoints.begin(), checkpoints.end(), [](const auto& a, const auto& b) {
    v1::Checkpoint x, y;
    x.ParseFromString(a.checkpoint());
    y.ParseFromString(b.checkpoint());
    return x.size() < y.size();
  });
  std::vector<std::pair<uint64_t, merkle::Hash>> roots;  // computed lazily, by size
  for (const auto& signed_cp : checkpoints) {
    v1::Checkpoint cp;
    if (!cp.ParseFromString(signed_cp.checkpoint())) continue;
    ++rep.checkpoints;
    if (!rep.origin.empty() && cp.origin() != rep.origin) {
      ctx.Fail(cp.size(), "checkpoint names origin '" + cp.origin() + "', not '" + rep.origin + "'");
      continue;
    }
    if (!options.key_for) {
      ctx.Fail(cp.size(), "no key to check checkpoint signatures (pass --certs)");
      continue;
    }
    auto key = options.key_for(cp.origin());
    if (!key.ok()) {
      ctx.Fail(cp.size(), "no key for checkpoint signer: " + key.status().message());
      continue;
    }
    auto verified = VerifyCheckpointSignature(signed_cp, *key);
    if (!verified.ok()) {
      ctx.Fail(cp.size(), "checkpoint at size " + std::to_string(cp.size()) + ": " + verified.status().message());
      continue;
    }
    rep.latest_checkpoint = std::max(rep.latest_checkpoint, cp.size());
    if (cp.size() > leaves.size()) {
      ctx.Fail(leaves.size(), "log truncated or an older copy restored: a checkpoint covers " +
                                  std::to_string(cp.size()) + " records, the log has " +
                                  std::to_string(leaves.size()));
      continue;
    }
    merkle::Hash root = merkle::RootOf(std::span<const merkle::Hash>(leaves).first(cp.size()));
    if (!ConstantTimeEqual(root, AsBytes(cp.root()))) {
      // Find the first record that differs from what the checkpoint saw:
      // the smallest prefix whose root no longer extends to it is not
      // knowable from one root, so name the range since the last good one.
      uint64_t from = 0;
      for (const auto& [size, good] : roots) from = std::max(from, size);
      ctx.Fail(from, "records in [" + std::to_string(from) + ", " + std::to_string(cp.size()) +
                         ") differ from what the signed checkpoint at size " + std::to_string(cp.size()) +
                         " covered: rewritten");
      continue;
    }
    roots.emplace_back(cp.size(), root);
  }
  return rep;
}

std::function<StatusOr<Ed25519Public>(const std::string&)> CheckpointKeysFrom(
    const std::filesystem::path& certs_dir) {
  return [certs_dir](const std::string& signer) -> StatusOr<Ed25519Public> {
    HOTLINE_ASSIGN_OR_RETURN(TrustStore trust, LoadTrustStore(certs_dir));
    HOTLINE_ASSIGN_OR_RETURN(Bytes cert, ReadFileBytes(certs_dir / (signer + ".cert"), 4096));
    CertExpectations expect;
    expect.now_unix = NowUnix();
    expect.allowed_skew_seconds = 365LL * 86400;
    CertCheck check = trust.Verify(cert, expect);
    if (!check.ok()) return PermissionDeniedError(signer + ": " + check.message);
    Ed25519Public key;
    std::copy_n(check.cert->details.signing_public_key().begin(), key.size(), key.begin());
    return key;
  };
}

v1::AuditVerification ToProto(const std::filesystem::path& store, const AuditVerifyReport& r,
                              size_t witnessed_copies) {
  v1::AuditVerification v;
  v.set_store(store.string());
  v.set_origin(r.origin);
  v.set_records(r.records);
  v.set_checkpoints(r.checkpoints);
  v.set_latest_checkpoint(r.latest_checkpoint);
  v.set_intact(r.ok());
  if (r.first_bad_index) v.set_first_bad_index(*r.first_bad_index);
  v.set_problem(r.problem);
  v.set_witnessed_copies(witnessed_copies);
  return v;
}

}  // namespace hotline
