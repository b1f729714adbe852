// A simulated ballistic track for demos, drills and tests (`hotline track
// publish --simulate`, hotline_load): a launch, a lofted arc along a great
// circle and an impact, as a sensor would report it. Not a physics model;
// positions and velocities are consistent with each other.
//
// Thread safety: pure functions. Error contract: none.
#ifndef HOTLINE_TRACK_SIM_H_
#define HOTLINE_TRACK_SIM_H_

#include <string>

#include "hotline/v1/body.pb.h"

namespace hotline::track {

struct BallisticFlight {
  double launch_latitude = 39.04;  // degrees
  double launch_longitude = 125.76;
  double azimuth_degrees = 95;  // clockwise from north
  double range_m = 900'000;
  double apogee_m = 550'000;
  double flight_seconds = 600;  // launch to impact, in flight time
};

// The update `fraction` (0 = launch, 1 = impact) of the way through
// `flight`, measured at `measured_at_us`; the one at fraction 1 has ended.
v1::TrackUpdate SimulatedUpdate(const BallisticFlight& flight, double fraction,
                                const std::string& track_id, const std::string& sensor,
                                v1::MissileWarning::Status status, int64_t measured_at_us);

}  // namespace hotline::track

#endif  // HOTLINE_TRACK_SIM_H_
