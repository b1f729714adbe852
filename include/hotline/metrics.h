// Prometheus metrics (docs/OPERATIONS.md lists every one): counters,
// gauges and histograms with labels, rendered in the text exposition
// format 0.0.4 that Prometheus scrapes. Families are declared once with
// their help text; a value is addressed by its family and label values.
// Gauges that are cheaper to read than to keep up to date are filled by
// collectors, called at each scrape.
//
// Thread safety: every method may be called from any thread (one mutex);
// collectors run inside Render, on the scraping thread, without the lock.
// Error contract: a value for an undeclared family, or a label set that
// does not match its family, is ignored (metrics never fail the caller);
// a family holds at most kMaxSeries label sets, further ones are dropped
// and counted in hotline_metrics_dropped_series_total.
#ifndef HOTLINE_METRICS_H_
#define HOTLINE_METRICS_H_

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace hotline::metrics {

enum class Type { kCounter, kGauge, kHistogram };

class Registry {
 public:
  static constexpr size_t kMaxSeries = 256;

  Registry();
  // `labels`: the label names every value of the family carries.
  void Declare(std::string name, Type type, std::string help, std::vector<std::string> labels = {},
               std::vector<double> buckets = {});

  void Add(std::string_view name, double delta, const std::vector<std::string>& values = {});
  void Set(std::string_view name, double value, const std::vector<std::string>& values = {});
  void Observe(std::string_view name, double value, const std::vector<std::string>& values = {});
  // Drops every value of a gauge family (before a collector refills it).
  void Clear(std::string_view name);

  void AddCollector(std::function<void(Registry&)> collector);
  std::string Render();

 private:
  struct Series {
    double value = 0;               // counter, gauge; histogram: sum
    uint64_t count = 0;             // histogram
    std::vector<uint64_t> buckets;  // histogram, cumulative at render
  };
  struct Family {
    Type type;
    std::string help;
    std::vector<std::string> labels;
    std::vector<double> bounds;
    std::map<std::vector<std::string>, Series> series;
  };
  Series* Find(std::string_view name, Type type, const std::vector<std::string>& values);

  std::mutex mu_;
  std::map<std::string, Family, std::less<>> families_;
  std::vector<std::function<void(Registry&)>> collectors_;
  uint64_t dropped_ = 0;
};

// Buckets for latencies from 1 ms to 10 min, in seconds.
std::vector<double> LatencyBuckets();

}  // namespace hotline::metrics

#endif  // HOTLINE_METRICS_H_
