#include "cli/audit_commands.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <memory>

#include "cli/audit_stores.h"
#include "cli/exit_codes.h"
#include "cli/format.h"
#include "hotline/audit_log.h"
#include "hotline/audit_verify.h"
#include "hotline/file_util.h"
#include "hotline/history.h"
#include "hotline/merkle.h"
#include "hotline/names.h"
#include "hotline/net_util.h"
#include "hotline/sqlite_db.h"
#include "hotline/text.h"
#include "hotline/trust_dir.h"

namespace hotline::cli {
namespace {

struct AuditOptions {
  std::vector<std::string> stores, witnesses;
  std::string store, certs = "certs", message, file, out;
  int64_t index = -1;
  bool jsonl = false;
  bool as_json = false;  // --json: the report as proto3 JSON
};

void PrintHistory(const v1::HistoryCheck& h) {
  for (const auto& read : h.stores())
    std::cout << "read " << read.records() << " records from " << read.store() << "\n";
  for (const auto& p : h.problems()) std::cout << "  " << p << "\n";
  HistoryReport summary;
  summary.sent = h.sent();
  summary.delivered = h.delivered();
  summary.lost = h.lost();
  summary.duplicated = h.duplicated();
  summary.unreceipted = h.unreceipted();
  summary.out_of_order = h.out_of_order();
  summary.mismatched = h.mismatched();
  summary.relay_disagreements = h.relay_disagreements();
  std::cout << (h.clean() ? "CLEAN: " : "PROBLEMS: ") << summary.Summary() << "\n";
}

int RunHistory(const AuditOptions& o) {
  auto history = CheckHistory(o.stores);
  if (!history.ok()) return Fail(history.status());
  if (o.as_json) {
    PrintJson(*history);
  } else {
    PrintHistory(*history);
  }
  return history->clean() ? 0 : kExitFailed;
}

void PrintVerification(const v1::AuditVerification& v) {
  if (v.intact()) {
    std::cout << "OK " << v.origin() << ": " << v.records() << " records, " << v.checkpoints()
              << " checkpoints checked (latest covers " << v.latest_checkpoint() << "; "
              << v.witnessed_copies() << " witnessed copies)\n";
  } else {
    std::cout << "FAILED " << v.origin() << ": first bad index " << v.first_bad_index() << ": "
              << v.problem() << "\n";
  }
}

// Every log verified on its own (tamper evidence, each checked against the
// checkpoints the other stores witnessed), then the run's history across
// them: what `history` checks, on logs first proven intact.
int RunReconcile(const AuditOptions& o) {
  auto stores = ExpandStores(o.stores);
  if (stores.empty())
    return Fail(InvalidArgumentError("no node.db or relay.db found in the given paths"));
  std::vector<std::string> all;
  for (const auto& path : stores) all.push_back(path.string());
  v1::AuditReconciliation out;
  bool intact = true;
  for (const auto& path : stores) {
    auto log = VerifyOneLog(path, o.certs, all);
    if (!log.ok()) return Fail(log.status());
    intact = intact && log->intact();
    *out.add_logs() = *log;
  }
  auto history = CheckHistory(o.stores);
  if (!history.ok()) return Fail(history.status());
  *out.mutable_history() = *history;
  out.set_clean(intact && history->clean());
  if (o.as_json) {
    PrintJson(out);
  } else {
    for (const auto& log : out.logs()) PrintVerification(log);
    PrintHistory(out.history());
  }
  return out.clean() ? 0 : kExitFailed;
}

int RunVerify(const AuditOptions& o) {
  auto log = VerifyOneLog(o.store, o.certs, o.witnesses);
  if (!log.ok()) return Fail(log.status());
  if (o.as_json) {
    PrintJson(*log);
  } else {
    PrintVerification(*log);
  }
  return log->intact() ? 0 : kExitFailed;
}

std::string DescribeRecord(const v1::AuditRecord& r) {
  std::string line = std::to_string(r.index()) + "  " + std::to_string(r.at_ms()) + "  " +
                     AuditEventText(r.event());
  if (!r.message_id().empty()) line += "  " + ToHex(AsBytes(r.message_id()));
  if (r.peer() != v1::NATION_UNSPECIFIED) line += "  " + NationCode(r.peer());
  if (!r.peer_subject().empty()) line += "  " + Printable(r.peer_subject());
  if (!r.reason().empty()) line += "  " + Printable(r.reason());
  if (!r.detail().empty()) line += "  (" + Printable(r.detail()) + ")";
  if (!r.operator_name().empty()) line += "  by " + Printable(r.operator_name());
  return line;
}

int RunExport(const AuditOptions& o) {
  auto records = ReadAuditRecords(o.store);
  if (!records.ok()) return Fail(records.status());
  if (!o.jsonl) {
    for (const auto& r : *records) std::cout << DescribeRecord(r) << "\n";
    return 0;
  }
  google::protobuf::util::JsonPrintOptions json;
  json.preserve_proto_field_names = true;
  for (const auto& r : *records) {
    std::string line;
    (void)google::protobuf::util::MessageToJsonString(r, &line, json);
    std::string leaf = ToHex(merkle::LeafHash(AsBytes(r.SerializeAsString())));
    std::cout << "{\"leaf_hash\":\"" << leaf << "\",\"record\":" << line << "}\n";
  }
  return 0;
}

StatusOr<v1::InclusionProofFile> Prove(const AuditOptions& o) {
  HOTLINE_ASSIGN_OR_RETURN(AuditLogReader reader, AuditLogReader::Open(o.store));
  std::vector<merkle::Hash> leaves;
  std::vector<Bytes> records;
  int64_t index = o.index;
  Bytes wanted;
  if (!o.message.empty()) {
    HOTLINE_ASSIGN_OR_RETURN(wanted, FromHex(o.message));
  }
  HOTLINE_RETURN_IF_ERROR(
      reader.ForEachRecord([&](const AuditLogReader::StoredRecord& stored) -> Status {
        records.push_back(stored.record);
        leaves.push_back(merkle::LeafHash(records.back()));
        if (index < 0 && !wanted.empty()) {
          v1::AuditRecord r;
          r.ParseFromArray(records.back().data(), static_cast<int>(records.back().size()));
          if (ToBytes(r.message_id()) == wanted) index = static_cast<int64_t>(records.size() - 1);
        }
        return Status::Ok();
      }));
  if (index < 0 || static_cast<size_t>(index) >= records.size()) {
    return NotFoundError("no such record in " + o.store);
  }
  // The newest signed checkpoint that covers the record.
  uint64_t size = 0;
  Bytes covering;
  HOTLINE_RETURN_IF_ERROR(
      reader.ForEachCheckpoint([&](const AuditLogReader::StoredCheckpoint& cp) -> Status {
        if (cp.size > static_cast<uint64_t>(index) && cp.size > size) {
          size = cp.size;
          covering = cp.signed_checkpoint;
        }
        return Status::Ok();
      }));
  if (size == 0)
    return FailedPreconditionError("no signed checkpoint covers record " + std::to_string(index) +
                                   " yet");
  v1::InclusionProofFile f;
  v1::AuditRecord r;
  r.ParseFromArray(records[static_cast<size_t>(index)].data(), static_cast<int>(records[static_cast<size_t>(index)].size()));
  f.set_origin(r.actor());
  f.set_leaf_index(static_cast<uint64_t>(index));
  f.set_tree_size(size);
  f.set_record(ToString(records[static_cast<size_t>(index)]));
  for (const auto& h : merkle::InclusionProof(std::span<const merkle::Hash>(leaves).first(size),
                                              static_cast<uint64_t>(index))) {
    f.add_proof(ToString(h));
  }
  f.set_signed_checkpoint(ToString(covering));
  return f;
}

int RunProve(const AuditOptions& o) {
  auto f = Prove(o);
  if (!f.ok()) return Fail(f.status());
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(*f, &json);
  if (o.out.empty()) {
    std::cout << json << "\n";
  } else if (auto st = WriteFileAtomic(o.out, AsBytes(json + "\n"), 0644); !st.ok()) {
    return Fail(st);
  }
  return 0;
}

int RunCheckProof(const AuditOptions& o) {
  auto text = ReadFileBytes(o.file, 16 * 1024 * 1024);
  if (!text.ok()) return Fail(text.status());
  v1::InclusionProofFile f;
  if (!google::protobuf::util::JsonStringToMessage(ToString(*text), &f).ok()) {
    return Fail(InvalidArgumentError(o.file + " is not an inclusion proof file"));
  }
  v1::SignedCheckpoint scp;
  if (!scp.ParseFromString(f.signed_checkpoint())) return Fail(InvalidArgumentError("checkpoint does not parse"));
  auto key = CheckpointKeysFrom(o.certs)(f.origin());
  if (!key.ok()) return Fail(key.status());
  auto cp = VerifyCheckpointSignature(scp, *key);
  if (!cp.ok()) return Fail(cp.status());
  if (cp->origin() != f.origin() || cp->size() != f.tree_size()) {
    return Fail(DataLossError("proof and checkpoint disagree on origin or size"));
  }
  std::vector<Bytes> proof;
  for (const auto& p : f.proof()) proof.push_back(ToBytes(p));
  Status st = merkle::VerifyInclusion(f.leaf_index(), f.tree_size(), merkle::LeafHash(AsBytes(f.record())), proof,
                                      AsBytes(cp->root()));
  if (!st.ok()) {
    std::cout << "INVALID: " << st.message() << "\n";
    return 1;
  }
  v1::AuditRecord r;
  r.ParseFromString(f.record());
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(r, &json);
  std::cout << "VALID: record " << f.leaf_index() << " is in " << f.origin() << "'s log of "
            << f.tree_size() << " records, whose checkpoint " << f.origin() << " signed\n"
            << json << "\n";
  return 0;
}

}  // namespace

void AddAuditCommands(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<AuditOptions>();
  CLI::App* history = app.add_subcommand(
      "history", "Check a run: lost, duplicated, unreceipted, out-of-order messages (from audit logs)");
  history->add_option("stores", o->stores, "node.db / relay.db files, or folders holding them")->required();
  history->add_flag("--json", o->as_json, "Print the report as proto3 JSON (HistoryCheck)");
  history->callback([o, &exit_code] { exit_code = RunHistory(*o); });

  CLI::App* audit = app.add_subcommand("audit", "Verify, reconcile, export and prove audit logs");
  audit->require_subcommand(1);
  CLI::App* verify = audit->add_subcommand("verify", "Fully check one log; name the first bad index");
  verify->add_option("store", o->store, "node.db or relay.db")->required();
  verify->add_option("--certs", o->certs, "Trust folder (checkpoint signers)")->capture_default_str();
  verify->add_option("--witness", o->witnesses, "Stores of witnesses holding its checkpoints");
  verify->add_flag("--json", o->as_json, "Print the report as proto3 JSON (AuditVerification)");
  verify->callback([o, &exit_code] { exit_code = RunVerify(*o); });

  CLI::App* reconcile = audit->add_subcommand(
      "reconcile",
      "Verify every log (against the checkpoints the others witnessed), then check the run's "
      "history across them");
  reconcile->add_option("stores", o->stores, "stores or folders")->required();
  reconcile->add_option("--certs", o->certs, "Trust folder (checkpoint signers)")
      ->capture_default_str();
  reconcile->add_flag("--json", o->as_json, "Print the report as proto3 JSON (AuditReconciliation)");
  reconcile->callback([o, &exit_code] { exit_code = RunReconcile(*o); });

  CLI::App* exp = audit->add_subcommand("export", "Print a log, one record per line");
  exp->add_option("store", o->store)->required();
  exp->add_flag(
      "--jsonl", o->jsonl,
      "JSON Lines: {\"leaf_hash\": hex, \"record\": proto3 JSON} (default: readable lines)");
  exp->callback([o, &exit_code] { exit_code = RunExport(*o); });

  CLI::App* prove = audit->add_subcommand("prove", "Inclusion proof of one record against a signed checkpoint");
  prove->add_option("store", o->store)->required();
  prove->add_option("--message", o->message, "The first record about this message id (hex)");
  prove->add_option("--index", o->index, "Or the record index");
  prove->add_option("--out", o->out, "Write the proof file here (default stdout)");
  prove->callback([o, &exit_code] { exit_code = RunProve(*o); });

  CLI::App* check = audit->add_subcommand("check-proof", "Check a proof file from `audit prove`");
  check->add_option("file", o->file)->required();
  check->add_option("--certs", o->certs, "Trust folder")->capture_default_str();
  check->callback([o, &exit_code] { exit_code = RunCheckProof(*o); });
}

}  // namespace hotline::cli
