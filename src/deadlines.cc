#include "hotline/deadlines.h"

#include <charconv>

namespace hotline {

using std::chrono::milliseconds;

DeadlinePolicy DeadlinePolicy::Defaults() {
  using namespace std::chrono_literals;
  DeadlinePolicy p;
  p.deliver = {{v1::PRECEDENCE_FLASH, 5s}, {v1::PRECEDENCE_IMMEDIATE, 30s},
               {v1::PRECEDENCE_PRIORITY, 2min}, {v1::PRECEDENCE_ROUTINE, 10min}};
  p.acknowledge = {{v1::PRECEDENCE_FLASH, 2min}, {v1::PRECEDENCE_IMMEDIATE, 10min},
                   {v1::PRECEDENCE_PRIORITY, 1h}, {v1::PRECEDENCE_ROUTINE, 4h}};
  return p;
}

StatusOr<milliseconds> ParseDuration(std::string_view text) {
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  std::string_view unit(ptr, static_cast<size_t>(text.data() + text.size() - ptr));
  if (ec != std::errc() || value < 0) {
    return InvalidArgumentError("bad duration '" + std::string(text) + "' (e.g. 500ms, 5s, 2m, 1h)");
  }
  if (unit == "ms") return milliseconds(value);
  if (unit == "s") return milliseconds(value * 1000);
  if (unit == "m") return milliseconds(value * 60'000);
  if (unit == "h") return milliseconds(value * 3'600'000);
  return InvalidArgumentError("bad duration unit in '" + std::string(text) + "' (use ms, s, m or h)");
}

Status DeadlinePolicy::Apply(std::string_view spec) {
  auto bad = [&] {
    return InvalidArgumentError("bad deadline '" + std::string(spec) +
                                "' (expected PRECEDENCE=DELIVER/ACK, e.g. flash=5s/2m)");
  };
  size_t eq = spec.find('='), slash = spec.find('/');
  if (eq == std::string_view::npos || slash == std::string_view::npos || slash < eq) return bad();
  std::string name(spec.substr(0, eq));
  for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  v1::Precedence p;
  if (!v1::Precedence_Parse("PRECEDENCE_" + name, &p) || p == v1::PRECEDENCE_UNSPECIFIED) return bad();
  HOTLINE_ASSIGN_OR_RETURN(milliseconds d, ParseDuration(spec.substr(eq + 1, slash - eq - 1)));
  HOTLINE_ASSIGN_OR_RETURN(milliseconds a, ParseDuration(spec.substr(slash + 1)));
  deliver[p] = d;
  acknowledge[p] = a;
  return Status::Ok();
}

void DeadlineTracker::Track(const DeadlineKey& key, int64_t due_ms) {
  Satisfy(key);
  due_[key] = due_ms;
  by_time_.emplace(due_ms, key);
}

void DeadlineTracker::Satisfy(const DeadlineKey& key) {
  auto it = due_.find(key);
  if (it == due_.end()) return;
  auto range = by_time_.equal_range(it->second);
  for (auto t = range.first; t != range.second; ++t) {
    if (!(t->second < key) && !(key < t->second)) {
      by_time_.erase(t);
      break;
    }
  }
  due_.erase(it);
}

std::vector<DeadlineKey> DeadlineTracker::Expire(int64_t now_ms) {
  std::vector<DeadlineKey> out;
  while (!by_time_.empty() && by_time_.begin()->first <= now_ms) {
    out.push_back(by_time_.begin()->second);
    due_.erase(by_time_.begin()->second);
    by_time_.erase(by_time_.begin());
  }
  return out;
}

}  // namespace hotline
