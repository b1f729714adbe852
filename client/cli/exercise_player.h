// Plays a table-top exercise (PROTOCOL.md §12) against nodes and relays
// that are already running: every inject at its time on the scenario's
// clock divided by the speed (messages, scripted responses, live track
// feeds, relay faults, a node taken offline), follows the expected
// responses live, and writes exercise.json into the run folder.
//
// Thread safety: single-threaded. Error contract: returns the CLI's exit
// code; problems with single injects are recorded in exercise.json.
#ifndef HOTLINE_CLIENT_CLI_EXERCISE_PLAYER_H_
#define HOTLINE_CLIENT_CLI_EXERCISE_PLAYER_H_

#include <atomic>
#include <string>

#include "cli/exercise_cluster.h"
#include "hotline/v1/exercise.pb.h"

namespace hotline::cli {

struct PlayerOptions {
  std::string scenario_file;  // as named in the record
  std::string run_dir;
  double speed = 1;
  std::string live;  // nations left to people at their consoles ("US,JP")
  // Set by a signal: stop playing, write the record of what was played.
  const std::atomic<bool>* interrupted = nullptr;
};

int PlayExercise(const PlayerOptions& options, const v1::Scenario& scenario,
                 ExerciseCluster& cluster);

}  // namespace hotline::cli

#endif  // HOTLINE_CLIENT_CLI_EXERCISE_PLAYER_H_
