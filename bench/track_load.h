// `hotline_load tracks`: live track feeds (PROTOCOL.md §11) between real
// nodes — publisher -> recipient applied latency, unloaded and while a
// ROUTINE backlog drains; many tracks at 50 Hz to two nations; and a slow
// recipient that must stay near the live picture instead of falling behind.
#ifndef HOTLINE_BENCH_TRACK_LOAD_H_
#define HOTLINE_BENCH_TRACK_LOAD_H_

#include "load_common.h"

namespace hotline::bench {

int TrackFeeds(const Args& args);

}  // namespace hotline::bench

#endif  // HOTLINE_BENCH_TRACK_LOAD_H_
