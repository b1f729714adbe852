#include "cli/audit_commands.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <memory>

#include "cli/exit_codes.h"
#include "hotline/audit_log.h"
#include "hotline/names.h"
#include "hotline/audit_verify.h"
#include "hotline/file_util.h"
#include "hotline/history.h"
#include "hotline/merkle.h"
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
};

// Expands a folder into the stores below it (node.db, relay.db).
std::vector<std::filesystem::path> ExpandStores(const std::vector<std::string>& args) {
  std::vector<std::filesystem::path> out;
  for (const auto& a : args) {
    std::filesystem::path p = a;
    if (std::filesystem::is_directory(p)) {
      for (const auto& e : std::filesystem::recursive_directory_iterator(p)) {
        auto name = e.path().filename().string();
        if (e.is_regular_file() && (name == "node.db" || name == "relay.db")) out.push_back(e.path());
      }
    } else {
      out.push_back(p);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Looks up a signer's key in the certificate folder, checking the certificate.
std::function<StatusOr<Ed25519Public>(const std::string&)> KeysFrom(const std::string& certs) {
  return [certs](const std::string& signer) -> StatusOr<Ed25519Public> {
    HOTLINE_ASSIGN_OR_RETURN(TrustStore trust, LoadTrustStore(certs));
    HOTLINE_ASSIGN_OR_RETURN(Bytes cert, ReadFileBytes(std::filesystem::path(certs) / (signer + ".cert"), 4096));
    CertExpectations expect;
    expect.now_unix = NowUnix();
    expect.allowed_skew_seconds = 365LL * 86400;  // old logs outlive certificates' windows
    CertCheck check = trust.Verify(cert, expect);
    if (!check.ok()) return PermissionDeniedError(signer + ": " + check.message);
    Ed25519Public key;
    std::copy_n(check.cert->details.signing_public_key().begin(), key.size(), key.begin());
    return key;
  };
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

int RunHistory(const AuditOptions& o) {
  HistoryChecker checker;
  auto stores = ExpandStores(o.stores);
  if (stores.empty()) return Fail(InvalidArgumentError("no node.db or relay.db found in the given paths"));
  for (const auto& path : stores) {
    auto records = ReadAuditRecords(path);
    if (!records.ok()) return Fail(records.status());
    checker.Add(*records);
    std::cout << "read " << records->size() << " records from " << path.string() << "\n";
  }
  HistoryReport report = checker.Check();
  for (const auto& p : report.problems) std::cout << "  " << p << "\n";
  std::cout << (report.clean() ? "CLEAN: " : "PROBLEMS: ") << report.Summary() << "\n";
  return report.clean() ? 0 : 1;
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
  bool intact = true;
  for (const auto& path : stores) {
    AuditVerifyOptions options;
    options.key_for = KeysFrom(o.certs);
    auto first = VerifyAuditStore(path, options);
    if (!first.ok()) return Fail(first.status());
    auto copies = WitnessedCopies(all, first->origin);
    if (!copies.ok()) return Fail(copies.status());
    options.witnessed = *copies;
    auto report = VerifyAuditStore(path, options);
    if (!report.ok()) return Fail(report.status());
    if (report->ok()) {
      std::cout << "intact " << report->origin << ": " << report->records << " records, "
                << report->checkpoints << " checkpoints (" << copies->size() << " witnessed)\n";
    } else {
      intact = false;
      std::cout << "TAMPERED " << report->origin << ": first bad index " << *report->first_bad_index
                << ": " << report->problem << "\n";
    }
  }
  int history = RunHistory(o);
  return intact ? history : kExitFailed;
}

std::string DescribeRecord(const v1::AuditRecord& r) {
  std::string line = std::to_string(r.index()) + "  " + std::to_string(r.at_ms()) + "  " +
                     AuditEventText(r.event());
  if (!r.message_id().empty()) line += "  " + ToHex(AsBytes(r.message_id()));
  if (r.peer() != v1::NATION_UNSPECIFIED) line += "  " + NationCode(r.peer());
  if (!r.peer_subject().empty()) line += "  " + Printable(r.peer_subject());
  if (!r.reason().empty()) line += "  " + Printable(r.reason());
  if (!r.detail().empty()) line += "  (" + Printable(r.detail()) + ")";
  return line;
}

int RunVerify(const AuditOptions& o) {
  AuditVerifyOptions options;
  options.key_for = KeysFrom(o.certs);
  // First pass: learn the origin, then gather what witnesses hold for it.
  auto first = VerifyAuditStore(o.store, options);
  if (!first.ok()) return Fail(first.status());
  if (!o.witnesses.empty()) {
    auto copies = WitnessedCopies(o.witnesses, first->origin);
    if (!copies.ok()) return Fail(copies.status());
    options.witnessed = *copies;
  }
  auto report = o.witnesses.empty() ? first : VerifyAuditStore(o.store, options);
  if (!report.ok()) return Fail(report.status());
  if (report->ok()) {
    std::cout << "OK " << report->origin << ": " << report->records << " records, "
              << report->checkpoints << " checkpoints checked (latest covers " << report->latest_checkpoint
              << ")\n";
    return 0;
  }
  std::cout << "FAILED " << report->origin << ": first bad index " << *report->first_bad_index << ": "
            << report->problem << "\n";
  return 1;
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
  auto key = KeysFrom(o.certs)(f.origin());
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
  history->callback([o, &exit_code] { exit_code = RunHistory(*o); });

  CLI::App* audit = app.add_subcommand("audit", "Verify, reconcile, export and prove audit logs");
  audit->require_subcommand(1);
  CLI::App* verify = audit->add_subcommand("verify", "Fully check one log; name the first bad index");
  verify->add_option("store", o->store, "node.db or relay.db")->required();
  verify->add_option("--certs", o->certs, "Trust folder (checkpoint signers)")->capture_default_str();
  verify->add_option("--witness", o->witnesses, "Stores of witnesses holding its checkpoints");
  verify->callback([o, &exit_code] { exit_code = RunVerify(*o); });

  CLI::App* reconcile = audit->add_subcommand(
      "reconcile",
      "Verify every log (against the checkpoints the others witnessed), then check the run's "
      "history across them");
  reconcile->add_option("stores", o->stores, "stores or folders")->required();
  reconcile->add_option("--certs", o->certs, "Trust folder (checkpoint signers)")
      ->capture_default_str();
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
