#include "hotline/audit_verify.h"

#include <algorithm>

#include "hotline/audit_log.h"
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
  if (!std::filesystem::exists(path)) return NotFoundError("no store at " + path.string());
  HOTLINE_ASSIGN_OR_RETURN(auto db, Database::OpenReadOnly(path));
  Ctx ctx;
  auto& rep = ctx.report;

  // 1. Records: contiguous indices, leaf hash and embedded index right.
  std::vector<merkle::Hash> leaves;  // recomputed from the record bytes
  {
    HOTLINE_ASSIGN_OR_RETURN(Statement s,
                             db->Prepare("SELECT idx, record, leaf_hash FROM audit_log ORDER BY idx"));
    for (uint64_t expected = 0;; ++expected) {
      HOTLINE_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      auto idx = static_cast<uint64_t>(s.ColumnInt(0));
      Bytes record = s.ColumnBlob(1), stored_leaf = s.ColumnBlob(2);
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
      expected = idx;
    }
  }
  rep.records = leaves.size();
  // A record-level finding names the exact index; checkpoints can then only
  // say less.
  if (!rep.problem.empty()) return rep;

  // 2. Checkpoints: the log's own and witnessed copies, in size order.
  std::vector<v1::SignedCheckpoint> checkpoints = options.witnessed;
  {
    HOTLINE_ASSIGN_OR_RETURN(Statement s, db->Prepare("SELECT size, signed FROM checkpoints ORDER BY size"));
    for (;;) {
      HOTLINE_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      Bytes b = s.ColumnBlob(1);
      v1::SignedCheckpoint cp;
      if (!cp.ParseFromArray(b.data(), static_cast<int>(b.size()))) {
        ctx.Fail(static_cast<uint64_t>(s.ColumnInt(0)), "checkpoint at size " +
                                                            std::to_string(s.ColumnInt(0)) + " does not parse");
        continue;
      }
      checkpoints.push_back(std::move(cp));
    }
  }
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

}  // namespace hotline
