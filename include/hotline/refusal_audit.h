// Which refusals to audit one by one. A peer can make us refuse things as
// fast as it can send them; writing a record for each would let it fill the
// disk. Refusals are written up to a rate, then only counted, and the count
// is written too: into the next written refusal, or into a record of its own
// from a timer (Flush). So a flood is bounded in the log and never hidden.
//
// Thread safety: none; one owner. Error contract: none.
#ifndef HOTLINE_REFUSAL_AUDIT_H_
#define HOTLINE_REFUSAL_AUDIT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "hotline/token_bucket.h"

namespace hotline {

class RefusalAudit {
 public:
  // At most `per_second` records a second on average, `burst` at once.
  RefusalAudit(double per_second, double burst) : bucket_(per_second, burst) {}

  // The record to write for a refusal (`why`, with how many were counted
  // since the last record), or nothing when this one is only counted.
  std::optional<std::string> Admit(int64_t now_ms, std::string why) {
    if (!bucket_.Take(now_ms)) {
      ++unaudited_;
      return std::nullopt;
    }
    if (unaudited_ > 0) {
      why += " (and " + std::to_string(unaudited_) +
             " more refused before this, not audited one by one)";
    }
    unaudited_ = 0;
    last_written_ms_ = now_ms;
    return why;
  }

  // For a timer: a record of the refusals counted but not written, once the
  // last written record is a second old. `what` names them ("path probes
  // from relay-2").
  std::optional<std::string> Flush(int64_t now_ms, std::string_view what) {
    if (unaudited_ == 0 || now_ms - last_written_ms_ < 1000) return std::nullopt;
    std::string record = std::to_string(unaudited_) + " " + std::string(what) +
                         " refused and not audited one by one";
    unaudited_ = 0;
    last_written_ms_ = now_ms;
    return record;
  }

  uint64_t unaudited() const { return unaudited_; }

 private:
  TokenBucket bucket_;
  uint64_t unaudited_ = 0;
  int64_t last_written_ms_ = 0;
};

}  // namespace hotline

#endif  // HOTLINE_REFUSAL_AUDIT_H_
