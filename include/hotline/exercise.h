// Table-top exercise scenarios (PROTOCOL.md §12), sans-I/O: a scenario
// file parsed and checked before anything starts (every reference, nation,
// word and time), and the arithmetic of playing it — when each inject is
// due at a given speed, who is expected to respond, when it may end.
// `hotline exercise run` is the thin shell that plays it against live
// processes; `hotline report` judges its expectations from the logs.
//
// Thread safety: pure functions. Error contract: InvalidArgument naming
// the inject or expectation at fault and what was expected.
#ifndef HOTLINE_EXERCISE_H_
#define HOTLINE_EXERCISE_H_

#include <string>
#include <string_view>
#include <vector>

#include "hotline/status.h"
#include "hotline/v1/common.pb.h"
#include "hotline/v1/exercise.pb.h"

namespace hotline::exercise {

inline constexpr size_t kMaxScenarioBytes = 1 << 20;
inline constexpr int kMaxInjects = 1000;
inline constexpr int64_t kDefaultTrackMs = 10'000;  // a track inject's flight, unless it says

// A scenario from proto3 JSON, checked: see CheckScenario.
StatusOr<v1::Scenario> ParseScenario(std::string_view json);
// Ids unique and well-formed; references to injects of the right kind;
// nations, channels, precedences, positions and responses known; an
// answer's or acknowledgment's nation a recipient of its message; times
// non-negative, fault and offline durations sensible; a warning never
// ACTUAL.
Status CheckScenario(const v1::Scenario& scenario);

// "US,JP" or "all" (every nation but `sender`; also the empty list).
StatusOr<std::vector<v1::Nation>> ParseNations(std::string_view list, v1::Nation sender);

int64_t DurationMs(const google::protobuf::Duration& d);
// A scenario time in real ms at `speed` (a scenario played 10x faster
// divides every time by 10).
int64_t ScaledMs(const google::protobuf::Duration& d, double speed);

// Injects that send a message (send, warn, consult) and their parts.
bool SendsMessage(const v1::Inject& inject);
// The acting nation: sender, answering or acknowledging nation, or the
// nation taken offline; unspecified for relay faults.
v1::Nation Actor(const v1::Inject& inject);
std::vector<v1::Nation> Recipients(const v1::Inject& inject);  // of a message inject
// Scripted operator responses (answer, ack): wait for their message.
bool IsResponse(const v1::Inject& inject);
// The inject a response answers.
std::string RespondsTo(const v1::Inject& inject);

// The nations an expectation looks to (`by`, or every recipient).
std::vector<v1::Nation> ExpectedBy(const v1::Scenario& scenario, const v1::Expectation& e);
const v1::Inject* FindInject(const v1::Scenario& scenario, std::string_view id);

// Injects in the order they are due (by `at`, then file order).
std::vector<const v1::Inject*> PlayOrder(const v1::Scenario& scenario);
// Real ms from T+0 by which every inject, fault and track is over and every
// expectation's deadline has passed, at `speed`.
int64_t EndOffsetMs(const v1::Scenario& scenario, double speed);

}  // namespace hotline::exercise

#endif  // HOTLINE_EXERCISE_H_
