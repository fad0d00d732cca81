#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

// Process metrics in the Prometheus text exposition format (version 0.0.4).
//
// main creates one Metrics registry and hands it to the Server (which serves it on /metrics) and to
// every component that counts something. A family is registered once by name and returned by
// reference; the reference stays valid for the registry's lifetime. Label values are given in the
// order of the label names. Misuse (bad metric name, wrong number of label values, one name
// registered twice with a different type) is a bug and throws std::invalid_argument (E3).
namespace aiops::common {

using LabelValues = std::vector<std::string>;

// "a\"b" style escaping of a label value: backslash, double quote and newline.
std::string escape_label_value(std::string_view value);
// A sample value as Prometheus expects it: shortest round-trip decimal, +Inf, -Inf, NaN.
std::string format_metric_value(double value);
// Prometheus' default latency buckets, in seconds: 0.005 … 10.
std::vector<double> default_duration_buckets();

class MetricFamily {
public:
    MetricFamily(std::string name, std::string help, std::vector<std::string> label_names);
    virtual ~MetricFamily() = default;
    MetricFamily(const MetricFamily&) = delete;
    MetricFamily& operator=(const MetricFamily&) = delete;

    const std::string& name() const { return name_; }
    virtual std::string_view type() const = 0;
    // Appends "# HELP", "# TYPE" and every sample line.
    void render(std::string& out) const;

protected:
    void check_labels(const LabelValues& values) const;
    // `{a="x",b="y"}` plus an optional extra label (the histogram's le), or "" without labels.
    std::string label_text(const LabelValues& values, std::string_view extra_name = {},
                           std::string_view extra_value = {}) const;
    virtual void render_samples(std::string& out) const = 0;

    mutable std::mutex mutex_;  // guards the series of the derived class

private:
    std::string name_;
    std::string help_;
    std::vector<std::string> label_names_;
};

// Monotonic counter per label set.
class Counter : public MetricFamily {
public:
    using MetricFamily::MetricFamily;
    std::string_view type() const override { return "counter"; }
    void inc(const LabelValues& labels = {}, double amount = 1.0);  // amount < 0 throws
    double value(const LabelValues& labels = {}) const;

private:
    void render_samples(std::string& out) const override;
    std::map<LabelValues, double> series_;  // guarded by mutex_
};

// Value that goes up and down per label set.
class Gauge : public MetricFamily {
public:
    using MetricFamily::MetricFamily;
    std::string_view type() const override { return "gauge"; }
    void set(const LabelValues& labels, double value);
    void add(const LabelValues& labels, double delta);
    double value(const LabelValues& labels = {}) const;

private:
    void render_samples(std::string& out) const override;
    std::map<LabelValues, double> series_;  // guarded by mutex_
};

// Distribution per label set: cumulative buckets (le), _sum and _count.
class Histogram : public MetricFamily {
public:
    Histogram(std::string name, std::string help, std::vector<std::string> label_names,
              std::vector<double> upper_bounds);
    std::string_view type() const override { return "histogram"; }
    void observe(const LabelValues& labels, double value);
    std::uint64_t count(const LabelValues& labels = {}) const;

private:
    struct Series {
        std::vector<std::uint64_t> bucket_counts;  // per bucket, not cumulative; last is +Inf
        double sum = 0.0;
        std::uint64_t count = 0;
    };
    void render_samples(std::string& out) const override;
    std::vector<double> upper_bounds_;      // sorted, finite
    std::map<LabelValues, Series> series_;  // guarded by mutex_
};

class Metrics {
public:
    Metrics() = default;
    Metrics(const Metrics&) = delete;
    Metrics& operator=(const Metrics&) = delete;

    // Registers the family, or returns the existing one of the same name and type.
    Counter& counter(const std::string& name, const std::string& help,
                     std::vector<std::string> label_names = {});
    Gauge& gauge(const std::string& name, const std::string& help,
                 std::vector<std::string> label_names = {});
    Histogram& histogram(const std::string& name, const std::string& help,
                         std::vector<std::string> label_names,
                         std::vector<double> upper_bounds = default_duration_buckets());

    // The whole registry in the text exposition format, families in registration order.
    std::string render() const;

private:
    template <typename Family, typename... Args>
    Family& find_or_add(const std::string& name, Args&&... args);

    mutable std::mutex mutex_;                             // guards families_
    std::vector<std::unique_ptr<MetricFamily>> families_;  // guarded by mutex_
};

}  // namespace aiops::common
