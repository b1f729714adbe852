// Audit log costs: append per message (batched as the daemons do, and one
// record per commit), checkpoint signing, and full verification speed over
// a large log. Usage: hotline_audit_bench [RECORDS] (default 1,000,000).
#include <chrono>
#include <cstdio>
#include <string>

#include "../tests/unit/test_util.h"
#include "hotline/audit_log.h"
#include "hotline/audit_verify.h"

using namespace hotline;
using Clock = std::chrono::steady_clock;

static double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

int main(int argc, char** argv) {
  if (!InitCrypto().ok()) return 1;
  size_t records = argc > 1 ? std::stoul(argv[1]) : 1'000'000;
  testing::TempDir dir;
  auto db = Database::Open(dir.path() / "audit.db", kAuditSchema);
  if (!db.ok()) return 1;
  AuditLog log(**db, "node-us", [] { return int64_t{1'800'000'000'000}; });
  Ed25519KeyPair keys = GenerateEd25519();
  AuditEntry r{.event = v1::AUDIT_EVENT_DELIVERED,
               .message_id = std::string(16, 'm'),
               .envelope_digest = std::string(32, 'd'),
               .peer = v1::NATION_JP,
               .precedence = v1::PRECEDENCE_ROUTINE,
               .channel = v1::CHANNEL_GENERAL,
               .sequence = 1};

  // One record per fsync'd commit: the worst case, nothing to batch with.
  auto t0 = Clock::now();
  const int kSingles = 200;
  for (int i = 0; i < kSingles; ++i) {
    (void)(*db)->Begin();
    (void)log.Append(r);
    (void)(*db)->Commit();
  }
  double single = Seconds(Clock::now() - t0) / kSingles;

  // Batched as group commit does (128 writes per transaction).
  t0 = Clock::now();
  size_t done = kSingles;
  while (done < records) {
    (void)(*db)->Begin();
    for (int i = 0; i < 128 && done < records; ++i, ++done) {
      r.sequence = done;
      (void)log.Append(r);
    }
    (void)(*db)->Commit();
  }
  double batched = Seconds(Clock::now() - t0) / static_cast<double>(records - kSingles);

  t0 = Clock::now();
  (void)(*db)->Begin();
  auto cp = log.SignCheckpoint(keys.secret, keys.public_key);
  (void)(*db)->Commit();
  double checkpoint = Seconds(Clock::now() - t0);

  AuditVerifyOptions options;
  Ed25519Public pk = keys.public_key;
  options.key_for = [pk](const std::string&) -> StatusOr<Ed25519Public> { return pk; };
  t0 = Clock::now();
  auto report = VerifyAuditStore(dir.path() / "audit.db", options);
  double verify = Seconds(Clock::now() - t0);
  if (!report.ok() || !report->ok()) {
    std::printf("verification failed\n");
    return 1;
  }
  std::printf("audit log of %zu records (%zu bytes each)\n", records,
              ToAuditRecord(r).SerializeAsString().size());
  std::printf("  append, one record per fsync'd commit: %.1f us/record\n", single * 1e6);
  std::printf("  append, 128 records per commit:        %.2f us/record (%.0f records/s)\n", batched * 1e6,
              1 / batched);
  std::printf("  sign a checkpoint of the whole log:     %.1f ms (first Merkle root is computed from all leaves)\n",
              checkpoint * 1e3);
  std::printf("  full verification (records, leaf hashes, indices, checkpoint root): %.2f s = %.0f records/s\n",
              verify, static_cast<double>(records) / verify);
  return 0;
}
