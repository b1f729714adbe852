#include "hotline/metrics.h"

#include <cmath>
#include <cstdio>
#include <sstream>

namespace hotline::metrics {
namespace {

// Label values: backslash, double quote and newline escaped (exposition format).
std::string EscapeLabel(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string EscapeHelp(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string Number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string LabelSet(const std::vector<std::string>& names, const std::vector<std::string>& values,
                     const std::string& extra = "") {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    out += (out.empty() ? "" : ",") + names[i] + "=\"" + EscapeLabel(values[i]) + "\"";
  }
  if (!extra.empty()) out += (out.empty() ? "" : ",") + extra;
  return out.empty() ? "" : "{" + out + "}";
}

}  // namespace

Registry::Registry() {
  Declare("hotline_metrics_dropped_series_total", Type::kCounter,
          "Values not recorded because their family already had 256 label sets");
}

void Registry::Declare(std::string name, Type type, std::string help,
                       std::vector<std::string> labels, std::vector<double> buckets) {
  std::lock_guard lock(mu_);
  Family& f = families_[std::move(name)];
  f.type = type;
  f.help = std::move(help);
  f.labels = std::move(labels);
  f.bounds = std::move(buckets);
}

Registry::Series* Registry::Find(std::string_view name, Type type,
                                 const std::vector<std::string>& values) {
  auto it = families_.find(name);
  if (it == families_.end() || it->second.type != type ||
      it->second.labels.size() != values.size()) {
    return nullptr;
  }
  Family& f = it->second;
  auto s = f.series.find(values);
  if (s == f.series.end()) {
    if (f.series.size() >= kMaxSeries) {
      ++dropped_;
      return nullptr;
    }
    s = f.series.emplace(values, Series{}).first;
    s->second.buckets.assign(f.bounds.size(), 0);
  }
  return &s->second;
}

void Registry::Add(std::string_view name, double delta, const std::vector<std::string>& values) {
  std::lock_guard lock(mu_);
  if (Series* s = Find(name, Type::kCounter, values); s && delta >= 0) s->value += delta;
}

void Registry::Set(std::string_view name, double value, const std::vector<std::string>& values) {
  std::lock_guard lock(mu_);
  if (Series* s = Find(name, Type::kGauge, values)) s->value = value;
}

void Registry::Observe(std::string_view name, double value,
                       const std::vector<std::string>& values) {
  std::lock_guard lock(mu_);
  Series* s = Find(name, Type::kHistogram, values);
  if (s == nullptr || !std::isfinite(value)) return;
  const auto& bounds = families_.find(name)->second.bounds;
  s->value += value;
  ++s->count;
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (value <= bounds[i]) {
      ++s->buckets[i];
      break;
    }
  }
}

void Registry::Clear(std::string_view name) {
  std::lock_guard lock(mu_);
  if (auto it = families_.find(name); it != families_.end()) it->second.series.clear();
}

void Registry::AddCollector(std::function<void(Registry&)> collector) {
  std::lock_guard lock(mu_);
  collectors_.push_back(std::move(collector));
}

std::string Registry::Render() {
  std::vector<std::function<void(Registry&)>> collectors;
  {
    std::lock_guard lock(mu_);
    collectors = collectors_;
  }
  for (auto& c : collectors) c(*this);
  std::lock_guard lock(mu_);
  families_["hotline_metrics_dropped_series_total"].series[{}].value =
      static_cast<double>(dropped_);
  std::ostringstream o;
  for (const auto& [name, f] : families_) {
    const char* type = f.type == Type::kCounter ? "counter"
                       : f.type == Type::kGauge ? "gauge"
                                                : "histogram";
    o << "# HELP " << name << " " << EscapeHelp(f.help) << "\n# TYPE " << name << " " << type
      << "\n";
    for (const auto& [values, s] : f.series) {
      if (f.type != Type::kHistogram) {
        o << name << LabelSet(f.labels, values) << " " << Number(s.value) << "\n";
        continue;
      }
      uint64_t cumulative = 0;
      for (size_t i = 0; i < f.bounds.size(); ++i) {
        cumulative += s.buckets[i];
        o << name << "_bucket" << LabelSet(f.labels, values, "le=\"" + Number(f.bounds[i]) + "\"")
          << " " << cumulative << "\n";
      }
      o << name << "_bucket" << LabelSet(f.labels, values, "le=\"+Inf\"") << " " << s.count << "\n"
        << name << "_sum" << LabelSet(f.labels, values) << " " << Number(s.value) << "\n"
        << name << "_count" << LabelSet(f.labels, values) << " " << s.count << "\n";
    }
  }
  return o.str();
}

std::vector<double> LatencyBuckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
          1,     2.5,    5,     10,   30,    60,   120, 300,  600};
}

}  // namespace hotline::metrics
