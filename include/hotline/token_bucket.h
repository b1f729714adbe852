// A token bucket on an injected clock: `rate` takes per second on average,
// `burst` at once. For bounding what a peer can make us do (sign, audit)
// however fast it asks.
//
// Thread safety: none; one owner. Error contract: none.
#ifndef HOTLINE_TOKEN_BUCKET_H_
#define HOTLINE_TOKEN_BUCKET_H_

#include <algorithm>
#include <cstdint>

namespace hotline {

class TokenBucket {
 public:
  TokenBucket(double rate_per_second, double burst)
      : rate_(rate_per_second), burst_(burst), tokens_(burst) {}

  // Takes a token at `now_ms` if there is one. Time going backwards (a
  // stepped clock) refills nothing and takes nothing away.
  bool Take(int64_t now_ms) {
    if (started_ && now_ms > last_ms_) {
      tokens_ = std::min(burst_, tokens_ + static_cast<double>(now_ms - last_ms_) * rate_ / 1000.0);
    }
    if (!started_ || now_ms > last_ms_) last_ms_ = now_ms;
    started_ = true;
    if (tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    return true;
  }

 private:
  double rate_;
  double burst_;
  double tokens_;
  int64_t last_ms_ = 0;
  bool started_ = false;
};

}  // namespace hotline

#endif  // HOTLINE_TOKEN_BUCKET_H_
