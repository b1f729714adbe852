// Command-line conventions shared by the three binaries (README "Command-
// line conventions"): durations with units, and the daemons' --config,
// --version, exit codes and parse handling. Header-only: it needs CLI11,
// which only the mains link.
//
// A duration is given with a unit ("500ms", "5s", "2m", "1h", decimals
// allowed: "0.5s"), or as a bare number in the option's own unit, which
// its help names.
//
// Thread safety: parse-time only. Error contract: a bad value is a CLI11
// ValidationError, i.e. exit 2 with the reason.
#ifndef HOTLINE_CLI_OPTIONS_H_
#define HOTLINE_CLI_OPTIONS_H_

#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>
#include <optional>
#include <string>

#include "hotline/logging.h"
#include "hotline/status.h"

namespace hotline {

// `text` as milliseconds; a bare number counts in `unit`.
inline StatusOr<std::chrono::milliseconds> ParseDurationText(const std::string& text,
                                                             std::chrono::milliseconds unit) {
  size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (...) {
    used = 0;
  }
  std::string suffix = text.substr(used);
  double scale = suffix.empty() ? static_cast<double>(unit.count())
                 : suffix == "ms" ? 1.0
                 : suffix == "s"  ? 1000.0
                 : suffix == "m"  ? 60'000.0
                 : suffix == "h"  ? 3'600'000.0
                                  : -1.0;
  if (used == 0 || scale < 0 || !std::isfinite(value) || value < 0) {
    return InvalidArgumentError("bad duration '" + text + "' (e.g. 500ms, 5s, 2m, 1h)");
  }
  return std::chrono::milliseconds(static_cast<int64_t>(std::llround(value * scale)));
}

// Adds `names` (CLI11 style, e.g. "--timeout") setting `*target`.
inline CLI::Option* AddDurationOption(CLI::App& app, const std::string& names, std::chrono::milliseconds* target,
                                      std::chrono::milliseconds unit, const std::string& help) {
  std::string unit_name = unit.count() == 1 ? "ms" : unit.count() == 1000 ? "s" : unit.count() == 60'000 ? "min" : "h";
  auto* option = app.add_option_function<std::string>(
      names,
      [target, unit, names](const std::string& text) {
        auto parsed = ParseDurationText(text, unit);
        if (!parsed.ok()) throw CLI::ValidationError(names, parsed.status().message());
        *target = *parsed;
      },
      help + " (a duration: 500ms, 5s, 2m, 1h; a bare number is in " + unit_name + ")");
  return option;
}

// A daemon's log options (--log-file, --log-json, --log-max-size,
// --log-files) into `*options`.
inline void AddLogOptions(CLI::App& app, LogOptions* options) {
  app.add_option("--log-file", options->file,
                 "Log to this file, rotated by size, instead of stderr (under systemd: the "
                 "journal, with each line's priority)");
  app.add_flag("--log-json", options->json, "Log as JSON lines");
  app.add_option_function<uint64_t>(
         "--log-max-size", [options](uint64_t mib) { options->max_file_bytes = mib << 20; },
         "Rotate --log-file when it reaches this many MiB (default 10; 0 = never)")
      ->check(CLI::Range(uint64_t{0}, uint64_t{1} << 20));
  app.add_option("--log-files", options->max_files,
                 "Rotated log files kept beside --log-file (node.log: node.1.log ... node.N.log; "
                 "default 5)")
      ->check(CLI::Range(1u, 100u));
}

// A daemon's metrics options (--metrics, --metrics-allow-remote).
struct MetricsOptions {
  std::string listen;  // empty: no metrics
  bool allow_remote = false;
};
inline void AddMetricsOptions(CLI::App& app, MetricsOptions* options) {
  app.add_option("--metrics", options->listen,
                 "Serve Prometheus metrics at http://HOST:PORT/metrics (loopback unless "
                 "--metrics-allow-remote; docs/OPERATIONS.md)");
  app.add_flag("--metrics-allow-remote", options->allow_remote,
               "Allow a non-loopback --metrics address");
}

// Who besides root and the daemon's user may use its control socket.
inline void AddControlGroupOption(CLI::App& app, std::string* group) {
  app.add_option("--control-group", *group,
                 "Let members of this group use the control socket too (besides root and this "
                 "daemon's user; each connection is checked by its peer credentials)");
}

// A daemon's common options and parse: --config (TOML), --version, the
// exit codes in --help. Returns the exit code to leave with (0 after
// --help or --version, 2 for any command-line error), or nothing to run.
inline std::optional<int> ParseDaemonCommandLine(CLI::App& app, const std::string& name, int argc,
                                                 char** argv) {
  app.set_config("--config", "",
                 "Read options from this TOML file (key = option name without"
                 " the dashes; options on the command line win); see examples/");
  app.set_version_flag("--version", name + " " + HOTLINE_VERSION);
  app.footer("Exit codes: 0 stopped cleanly; 1 could not start or failed; 2 bad usage.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;  // prints help, the version, or the error
  }
  return std::nullopt;
}

}  // namespace hotline

#endif  // HOTLINE_CLI_OPTIONS_H_
