#include "aiops/common/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace aiops::common {
namespace {

bool is_valid_name(std::string_view name, bool allow_colon) {
    if (name.empty()) {
        return false;
    }
    const auto valid_char = [&](char ch, bool first) {
        const bool alpha = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' ||
                           (allow_colon && ch == ':');
        return alpha || (!first && ch >= '0' && ch <= '9');
    };
    for (std::size_t idx = 0; idx < name.size(); ++idx) {
        if (!valid_char(name[idx], idx == 0)) {
            return false;
        }
    }
    return true;
}

std::string escape_help(std::string_view help) {
    std::string out;
    for (char ch : help) {
        if (ch == '\\') {
            out += "\\\\";
        } else if (ch == '\n') {
            out += "\\n";
        } else {
            out += ch;
        }
    }
    return out;
}

void append_sample(std::string& out, std::string_view name, std::string_view labels, double value) {
    out.append(name).append(labels).append(" ").append(format_metric_value(value)).append("\n");
}

}  // namespace

std::string escape_label_value(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (char ch : value) {
        if (ch == '\\') {
            out += "\\\\";
        } else if (ch == '"') {
            out += "\\\"";
        } else if (ch == '\n') {
            out += "\\n";
        } else {
            out += ch;
        }
    }
    return out;
}

std::string format_metric_value(double value) {
    if (std::isnan(value)) {
        return "NaN";
    }
    if (std::isinf(value)) {
        return value > 0 ? "+Inf" : "-Inf";
    }
    char buffer[64];
    const auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
    if (ec != std::errc()) {
        return "NaN";
    }
    return std::string(buffer, end);
}

std::vector<double> default_duration_buckets() {
    return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0};
}

MetricFamily::MetricFamily(std::string name, std::string help, std::vector<std::string> label_names)
    : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)) {
    if (!is_valid_name(name_, true)) {
        throw std::invalid_argument("invalid metric name: " + name_);
    }
    for (const auto& label : label_names_) {
        if (!is_valid_name(label, false) || label == "le") {
            throw std::invalid_argument("invalid label name " + label + " on " + name_);
        }
    }
}

void MetricFamily::render(std::string& out) const {
    out.append("# HELP ").append(name_).append(" ").append(escape_help(help_)).append("\n");
    out.append("# TYPE ").append(name_).append(" ").append(type()).append("\n");
    std::scoped_lock lock(mutex_);
    render_samples(out);
}

void MetricFamily::check_labels(const LabelValues& values) const {
    if (values.size() != label_names_.size()) {
        throw std::invalid_argument(name_ + ": expected " + std::to_string(label_names_.size()) +
                                    " label values, got " + std::to_string(values.size()));
    }
}

std::string MetricFamily::label_text(const LabelValues& values, std::string_view extra_name,
                                     std::string_view extra_value) const {
    std::string out;
    for (std::size_t idx = 0; idx < values.size(); ++idx) {
        out += out.empty() ? "{" : ",";
        out += label_names_[idx] + "=\"" + escape_label_value(values[idx]) + "\"";
    }
    if (!extra_name.empty()) {
        out += out.empty() ? "{" : ",";
        out.append(extra_name).append("=\"").append(escape_label_value(extra_value)).append("\"");
    }
    if (!out.empty()) {
        out += "}";
    }
    return out;
}

void Counter::inc(const LabelValues& labels, double amount) {
    check_labels(labels);
    if (!(amount >= 0.0)) {
        throw std::invalid_argument(name() + ": a counter only goes up");
    }
    std::scoped_lock lock(mutex_);
    series_[labels] += amount;
}

double Counter::value(const LabelValues& labels) const {
    std::scoped_lock lock(mutex_);
    const auto it = series_.find(labels);
    return it == series_.end() ? 0.0 : it->second;
}

void Counter::render_samples(std::string& out) const {
    for (const auto& [labels, value] : series_) {
        append_sample(out, name(), label_text(labels), value);
    }
}

void Gauge::set(const LabelValues& labels, double value) {
    check_labels(labels);
    std::scoped_lock lock(mutex_);
    series_[labels] = value;
}

void Gauge::add(const LabelValues& labels, double delta) {
    check_labels(labels);
    std::scoped_lock lock(mutex_);
    series_[labels] += delta;
}

double Gauge::value(const LabelValues& labels) const {
    std::scoped_lock lock(mutex_);
    const auto it = series_.find(labels);
    return it == series_.end() ? 0.0 : it->second;
}

void Gauge::render_samples(std::string& out) const {
    for (const auto& [labels, value] : series_) {
        append_sample(out, name(), label_text(labels), value);
    }
}

Histogram::Histogram(std::string name, std::string help, std::vector<std::string> label_names,
                     std::vector<double> upper_bounds)
    : MetricFamily(std::move(name), std::move(help), std::move(label_names)),
      upper_bounds_(std::move(upper_bounds)) {
    std::sort(upper_bounds_.begin(), upper_bounds_.end());
    upper_bounds_.erase(std::unique(upper_bounds_.begin(), upper_bounds_.end()),
                        upper_bounds_.end());
    if (!upper_bounds_.empty() && std::isinf(upper_bounds_.back())) {
        upper_bounds_.pop_back();  // +Inf is always implied
    }
}

void Histogram::observe(const LabelValues& labels, double value) {
    check_labels(labels);
    const auto bucket = static_cast<std::size_t>(
        std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), value) -
        upper_bounds_.begin());
    std::scoped_lock lock(mutex_);
    auto& series = series_[labels];
    series.bucket_counts.resize(upper_bounds_.size() + 1);
    series.bucket_counts[bucket] += 1;
    series.sum += value;
    series.count += 1;
}

std::uint64_t Histogram::count(const LabelValues& labels) const {
    std::scoped_lock lock(mutex_);
    const auto it = series_.find(labels);
    return it == series_.end() ? 0 : it->second.count;
}

void Histogram::render_samples(std::string& out) const {
    const std::string bucket_name = name() + "_bucket";
    for (const auto& [labels, series] : series_) {
        std::uint64_t cumulative = 0;
        for (std::size_t idx = 0; idx <= upper_bounds_.size(); ++idx) {
            cumulative += series.bucket_counts[idx];
            const std::string bound = idx < upper_bounds_.size()
                                          ? format_metric_value(upper_bounds_[idx])
                                          : std::string("+Inf");
            append_sample(out, bucket_name, label_text(labels, "le", bound),
                          static_cast<double>(cumulative));
        }
        append_sample(out, name() + "_sum", label_text(labels), series.sum);
        append_sample(out, name() + "_count", label_text(labels),
                      static_cast<double>(series.count));
    }
}

template <typename Family, typename... Args>
Family& Metrics::find_or_add(const std::string& name, Args&&... args) {
    std::scoped_lock lock(mutex_);
    for (const auto& family : families_) {
        if (family->name() != name) {
            continue;
        }
        if (auto* existing = dynamic_cast<Family*>(family.get())) {
            return *existing;
        }
        throw std::invalid_argument("metric " + name + " already registered with another type");
    }
    auto family = std::make_unique<Family>(name, std::forward<Args>(args)...);
    auto& ref = *family;
    families_.push_back(std::move(family));
    return ref;
}

Counter& Metrics::counter(const std::string& name, const std::string& help,
                          std::vector<std::string> label_names) {
    return find_or_add<Counter>(name, help, std::move(label_names));
}

Gauge& Metrics::gauge(const std::string& name, const std::string& help,
                      std::vector<std::string> label_names) {
    return find_or_add<Gauge>(name, help, std::move(label_names));
}

Histogram& Metrics::histogram(const std::string& name, const std::string& help,
                              std::vector<std::string> label_names,
                              std::vector<double> upper_bounds) {
    return find_or_add<Histogram>(name, help, std::move(label_names), std::move(upper_bounds));
}

std::string Metrics::render() const {
    std::string out;
    std::scoped_lock lock(mutex_);
    for (const auto& family : families_) {
        family->render(out);
    }
    return out;
}

}  // namespace aiops::common
