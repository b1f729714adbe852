#include "hotline/track_sim.h"

#include <algorithm>
#include <cmath>

namespace hotline::track {

namespace {

constexpr double kEarthRadiusM = 6'371'000;
constexpr double kPi = 3.14159265358979323846;
double Radians(double degrees) { return degrees * kPi / 180; }
double Degrees(double radians) { return radians * 180 / kPi; }

}  // namespace

v1::TrackUpdate SimulatedUpdate(const BallisticFlight& f, double fraction,
                                const std::string& track_id, const std::string& sensor,
                                v1::MissileWarning::Status status, int64_t measured_at_us) {
  double x = std::clamp(fraction, 0.0, 1.0);
  // Along the great circle from the launch point, at bearing azimuth.
  double lat1 = Radians(f.launch_latitude), lon1 = Radians(f.launch_longitude);
  double bearing = Radians(f.azimuth_degrees);
  double delta = f.range_m * x / kEarthRadiusM;
  double lat2 = std::asin(std::sin(lat1) * std::cos(delta) +
                          std::cos(lat1) * std::sin(delta) * std::cos(bearing));
  double lon2 = lon1 + std::atan2(std::sin(bearing) * std::sin(delta) * std::cos(lat1),
                                  std::cos(delta) - std::sin(lat1) * std::sin(lat2));
  // The bearing of travel there: the reverse of the bearing back to the launch.
  double travel =
      delta == 0 ? bearing
                 : kPi + std::atan2(std::sin(lon1 - lon2) * std::cos(lat1),
                                    std::cos(lat2) * std::sin(lat1) -
                                        std::sin(lat2) * std::cos(lat1) * std::cos(lon1 - lon2));
  double ground_speed = f.range_m / f.flight_seconds;
  v1::TrackUpdate u;
  u.set_track_id(track_id);
  u.set_measured_at_us(measured_at_us);
  u.set_latitude(Degrees(lat2));
  u.set_longitude(std::remainder(Degrees(lon2), 360.0));
  u.set_altitude_m(4 * f.apogee_m * x * (1 - x));
  u.set_velocity_east_mps(ground_speed * std::sin(travel));
  u.set_velocity_north_mps(ground_speed * std::cos(travel));
  u.set_velocity_up_mps(4 * f.apogee_m * (1 - 2 * x) / f.flight_seconds);
  // Sensors see a boosting missile less well than one in midcourse.
  u.set_position_sigma_m(x < 0.1 ? 900 : 250);
  u.set_altitude_sigma_m(x < 0.1 ? 1500 : 400);
  u.set_classification(v1::TrackUpdate::CLASSIFICATION_BALLISTIC_MISSILE);
  u.set_source_sensor(sensor);
  u.set_status(status);
  u.set_ended(x >= 1.0);
  return u;
}

}  // namespace hotline::track
