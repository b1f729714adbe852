#include "cli/track_commands.h"

#include <google/protobuf/util/json_util.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <deque>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <thread>

#include "cli/control_client.h"
#include "cli/exit_codes.h"
#include "cli/format.h"
#include "cli/messaging_commands.h"
#include "hotline/certs.h"
#include "hotline/cli_options.h"
#include "hotline/names.h"
#include "hotline/text.h"
#include "hotline/track_sim.h"

namespace hotline::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct TrackOptions {
  std::string node, to, file = "-", track_id = "SIM-01", status = "exercise", sensor;
  bool simulate = false, as_json = false;
  double rate = 10, range_km = 900;
  uint32_t tracks = 1;
  std::chrono::milliseconds duration{20'000}, timeout{30'000}, watch_for{0};
  track::BallisticFlight flight;
  int count = 0;
};

StatusOr<std::unique_ptr<ControlClient>> ConnectNode(const TrackOptions& o) {
  auto path = NodeSocketPath(o.node);
  if (path.empty())
    return InvalidArgumentError("which node? pass --node DIR (or set HOTLINE_NODE)");
  return ControlClient::Connect(path);
}

// Publishes updates one by one on one connection; counts and reports.
class Publishing {
 public:
  Publishing(const TrackOptions& o, ControlClient& client) : o_(o), client_(client) {
    request_.set_operator_name(CliOperatorName());
    for (size_t pos = 0; pos <= o.to.size() && !o.to.empty();) {
      size_t comma = std::min(o.to.find(',', pos), o.to.size());
      std::string one = o.to.substr(pos, comma - pos);
      pos = comma + 1;
      if (auto n = ParseNation(one); n.ok())
        request_.mutable_track_publish()->add_to(*n);  // else "all"
    }
  }
  Status Publish(const v1::TrackUpdate& update) {
    *request_.mutable_track_publish()->mutable_update() = update;
    HOTLINE_ASSIGN_OR_RETURN(auto r, client_.Call(request_, o_.timeout));
    ++published_;
    tracks_[update.track_id()] = r.track_publish().update_seq();
    if (r.track_publish().relays() == 0 && !warned_) {
      warned_ = true;
      std::cerr << "hotline: no relay is up: the node holds the newest update of each track "
                   "for up to 10 s\n";
    }
    return Status::Ok();
  }
  void Report() const {
    std::cout << "published " << published_ << " update" << (published_ == 1 ? "" : "s") << " of "
              << tracks_.size() << " track" << (tracks_.size() == 1 ? "" : "s");
    for (const auto& [id, seq] : tracks_) std::cout << "; " << id << " up to #" << seq;
    std::cout << "\n";
  }

 private:
  const TrackOptions& o_;
  ControlClient& client_;
  v1::ControlRequest request_;
  uint64_t published_ = 0;
  std::map<std::string, uint64_t> tracks_;
  bool warned_ = false;
};

int64_t NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int RunSimulation(const TrackOptions& o, Publishing& out) {
  auto status = ParseWarningStatusText(o.status);
  if (!status.ok()) return Fail(status.status());
  if (*status == v1::MissileWarning::STATUS_ACTUAL) {
    return Fail(
        InvalidArgumentError("a simulated track is never ACTUAL: use --status exercise or test"));
  }
  track::BallisticFlight base = o.flight;
  base.range_m = o.range_km * 1000;
  auto steps = static_cast<uint64_t>(
      std::max(1.0, std::round(std::chrono::duration<double>(o.duration).count() * o.rate)));
  auto start = Clock::now();
  for (uint64_t i = 0; i <= steps; ++i) {
    std::this_thread::sleep_until(
        start + std::chrono::duration_cast<Clock::duration>(
                    std::chrono::duration<double>(static_cast<double>(i) / o.rate)));
    double fraction = static_cast<double>(i) / static_cast<double>(steps);
    for (uint32_t k = 0; k < o.tracks; ++k) {
      track::BallisticFlight flight = base;
      flight.azimuth_degrees += 6.0 * k;  // a salvo fans out
      char suffix[16];
      std::snprintf(suffix, sizeof suffix, "-%02u", k + 1);
      std::string id = o.tracks == 1 ? o.track_id : o.track_id + suffix;
      auto update = track::SimulatedUpdate(
          flight, fraction, id, o.sensor.empty() ? "simulated sensor" : o.sensor, *status, NowUs());
      if (Status st = out.Publish(update); !st.ok()) return Fail(st);
    }
  }
  return 0;
}

// JSON lines: one proto3 JSON TrackUpdate per line (blank lines skipped).
int RunLines(const TrackOptions& o, Publishing& out) {
  std::ifstream file;
  if (o.file != "-") {
    file.open(o.file);
    if (!file) return Fail(NotFoundError("cannot read " + o.file));
  }
  std::istream& in = o.file == "-" ? std::cin : file;
  std::string line;
  for (uint64_t number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    v1::TrackUpdate update;
    auto parsed = google::protobuf::util::JsonStringToMessage(line, &update);
    if (!parsed.ok()) {
      return Fail(InvalidArgumentError(
          (o.file == "-" ? "stdin" : o.file) + " line " + std::to_string(number) +
          ": not a TrackUpdate in JSON: " + std::string(parsed.message())));
    }
    if (Status st = out.Publish(update); !st.ok()) {
      return Fail(Status(st.code(), "line " + std::to_string(number) + ": " + st.message()));
    }
  }
  return 0;
}

int RunPublish(const TrackOptions& o) {
  auto client = ConnectNode(o);
  if (!client.ok()) return Fail(client.status());
  Publishing out(o, **client);
  int code = o.simulate ? RunSimulation(o, out) : RunLines(o, out);
  out.Report();
  return code;
}

std::string Row(const v1::TrackView& v, int64_t now_us) {
  const auto& u = v.update();
  double speed = std::sqrt(u.velocity_east_mps() * u.velocity_east_mps() +
                           u.velocity_north_mps() * u.velocity_north_mps() +
                           u.velocity_up_mps() * u.velocity_up_mps());
  char row[256];
  std::snprintf(
      row, sizeof row, "%-3s %-18s %7llu  %-8s %8.3f %9.3f %8.1f %7.0f %6.1f %8llu %6llu  %s",
      NationCode(v.sender()).c_str(), Printable(u.track_id(), {.max_code_points = 18}).c_str(),
      static_cast<unsigned long long>(v.update_seq()), WarningStatusText(u.status()).c_str(),
      u.latitude(), u.longitude(), u.altitude_m() / 1000, speed,
      static_cast<double>(now_us - v.received_at_us()) / 1e6,
      static_cast<unsigned long long>(v.applied()), static_cast<unsigned long long>(v.stale()),
      u.ended() ? "ENDED" : "live");
  return row;
}

void DrawTable(const std::map<std::pair<int, std::string>, v1::TrackView>& tracks,
               const std::deque<std::string>& notes) {
  std::ostringstream o;
  o << "\033[H\033[2J"
    << "live tracks (" << tracks.size() << ")  " << FormatTimeMs(NowUs() / 1000)
    << "\n\nFROM TRACK                  UPDATE  STATUS        LAT       LON   ALT km   m/s   AGE s "
       " APPLIED  STALE\n";
  for (const auto& [key, view] : tracks) o << Row(view, NowUs()) << "\n";
  if (!notes.empty()) o << "\n";
  for (const auto& note : notes) o << note << "\n";  // alerts and refusals stay in view
  std::cout << o.str() << std::flush;
}

int RunTrackWatch(const TrackOptions& o) {
  auto lister = ConnectNode(o);
  if (!lister.ok()) return Fail(lister.status());
  v1::ControlRequest list;
  list.mutable_track_list();
  auto listed = (*lister)->Call(list, o.timeout);
  if (!listed.ok()) return Fail(listed.status());
  std::map<std::pair<int, std::string>, v1::TrackView> tracks;
  for (const auto& v : listed->track_list().tracks()) tracks[{v.sender(), v.track_key()}] = v;

  auto client = ConnectNode(o);
  if (!client.ok()) return Fail(client.status());
  v1::ControlRequest req;
  req.mutable_watch();
  if (Status st = (*client)->Send(req); !st.ok()) return Fail(st);
  bool table = !o.as_json && ::isatty(STDOUT_FILENO);
  std::deque<std::string> notes;
  if (table) {
    DrawTable(tracks, notes);
  } else if (!o.as_json) {
    for (const auto& [key, v] : tracks) std::cout << Row(v, NowUs()) << "\n";
  }
  bool forever = o.watch_for.count() <= 0;
  auto deadline = Clock::now() + o.watch_for;
  auto drawn = Clock::now();
  int seen = 0;
  while (o.count == 0 || seen < o.count) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (!forever && left.count() <= 0) break;
    auto r = (*client)->Receive(forever ? std::chrono::hours(24 * 365) : left);
    if (!r.ok()) {
      if (r.status().code() == StatusCode::kDeadlineExceeded) break;
      return Fail(r.status());
    }
    const v1::WatchEvent& e = r->event();
    bool track_event = e.kind() == "track" || e.kind() == "track-summary";
    if (!track_event && e.kind() != "alert" && e.kind() != "rejected") continue;
    if (e.kind() == "track") {
      tracks[{e.track().sender(), e.track().track_key()}] = e.track();
      ++seen;
    }
    if (o.as_json) {
      PrintJson(e);
    } else if (!table) {
      std::cout << FormatWatchEvent(e) << std::endl;
    } else {
      if (e.kind() != "track") {
        notes.push_back(FormatWatchEvent(e));
        if (notes.size() > 6) notes.pop_front();
      }
      if (Clock::now() - drawn >= std::chrono::milliseconds(100) || e.kind() != "track") {
        DrawTable(tracks, notes);  // at most ten times a second for updates
        drawn = Clock::now();
      }
    }
  }
  if (table) DrawTable(tracks, notes);
  return 0;
}

}  // namespace

void AddTrackCommands(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<TrackOptions>();
  CLI::App* track = app.add_subcommand("track", "Live missile-track feeds (PROTOCOL.md §11)");
  track->require_subcommand(1);
  auto add_node = [o](CLI::App& c) {
    c.add_option("--node", o->node, "Node data folder or control socket (default $HOTLINE_NODE)");
    AddDurationOption(c, "--timeout", &o->timeout, std::chrono::seconds(1),
                      "How long to wait for the node (default 30s)");
  };

  CLI::App* publish = track->add_subcommand(
      "publish",
      "Publish track updates: JSON lines (one TrackUpdate each) from --file or stdin, or a "
      "simulated ballistic flight (--simulate)");
  add_node(*publish);
  publish->add_option("--to", o->to, "Recipients: US, JP, KR, a comma list (default: both others)")
      ->check(NationList());
  publish->add_option("--file", o->file, "JSON lines to publish (default - = stdin)");
  publish->add_flag("--simulate", o->simulate, "Publish a simulated ballistic flight instead");
  publish->add_option("--track-id", o->track_id, "Simulated track name (default SIM-01)");
  publish->add_option("--tracks", o->tracks, "Simulated tracks at once, -01, -02, ... (default 1)")
      ->check(CLI::Range(1, 100));
  publish->add_option("--rate", o->rate, "Updates per second per simulated track (default 10)")
      ->check(CLI::Range(0.1, 50.0));
  AddDurationOption(*publish, "--duration", &o->duration, std::chrono::seconds(1),
                    "Launch to impact, in wall time (default 20s)");
  publish->add_option("--status", o->status, "Simulated track: exercise or test (default exercise)")
      ->check(CLI::IsMember({"exercise", "test", "EXERCISE", "TEST"}));
  publish->add_option("--sensor", o->sensor, "Source sensor named in each update");
  publish->add_option("--launch-lat", o->flight.launch_latitude, "Launch latitude (degrees)")
      ->check(CLI::Range(-90.0, 90.0));
  publish->add_option("--launch-lon", o->flight.launch_longitude, "Launch longitude (degrees)")
      ->check(CLI::Range(-180.0, 180.0));
  publish->add_option("--azimuth", o->flight.azimuth_degrees, "Heading (degrees from north)")
      ->check(CLI::Range(0.0, 360.0));
  publish->add_option("--range-km", o->range_km, "Range in km (default 900)")
      ->check(CLI::Range(1.0, 20000.0));
  publish->callback([o, &exit_code] { exit_code = RunPublish(*o); });

  CLI::App* watch = track->add_subcommand(
      "watch", "Live table of the tracks this node receives (lines when not on a terminal)");
  add_node(*watch);
  watch->add_option("--count", o->count, "Stop after this many track updates (0 = no limit)")
      ->check(CLI::NonNegativeNumber);
  AddDurationOption(*watch, "--for", &o->watch_for, std::chrono::seconds(1),
                    "Stop after this long (default: until interrupted)");
  watch->add_flag("--json", o->as_json, "One proto3 JSON watch event per line");
  watch->callback([o, &exit_code] { exit_code = RunTrackWatch(*o); });
}

}  // namespace hotline::cli
