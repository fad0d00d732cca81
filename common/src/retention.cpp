#include "aiops/common/retention.h"

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "aiops/common/log.h"

namespace aiops::common {
namespace {

using nlohmann::json;
using TimePoint = std::chrono::system_clock::time_point;

constexpr std::size_t kMarkerPage = 500;
constexpr std::size_t kTimeDigits = 12;  // epoch seconds until the year 33658
constexpr std::chrono::seconds kFirstSweepDelay{60};
constexpr std::int64_t kDaySeconds = std::int64_t{24} * 3600;

std::int64_t epoch_seconds(TimePoint at) {
    return std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count();
}

std::string marker_id(TimePoint at, std::string_view collection, std::string_view id) {
    char time[kTimeDigits + 1];
    std::snprintf(time, sizeof(time), "%012lld",
                  static_cast<long long>(std::max<std::int64_t>(0, epoch_seconds(at))));
    std::string marker(time, kTimeDigits);
    marker.append("|").append(collection).append("|").append(id);
    return marker;
}

struct Marker {
    std::int64_t finished = 0;  // epoch seconds
    std::string collection;
    std::string id;
};

// Ids this module wrote; anything else in the index is skipped (and dropped) rather than trusted.
std::optional<Marker> parse_marker(std::string_view text) {
    if (text.size() < kTimeDigits + 3 || text[kTimeDigits] != '|') {
        return std::nullopt;
    }
    Marker marker;
    const auto* begin = text.data();
    const auto parsed = std::from_chars(begin, begin + kTimeDigits, marker.finished);
    if (parsed.ec != std::errc() || parsed.ptr != begin + kTimeDigits) {
        return std::nullopt;
    }
    const auto rest = text.substr(kTimeDigits + 1);
    const auto bar = rest.find('|');
    if (bar == std::string_view::npos || bar == 0 || bar + 1 == rest.size()) {
        return std::nullopt;
    }
    marker.collection = std::string(rest.substr(0, bar));
    marker.id = std::string(rest.substr(bar + 1));
    return marker;
}

std::optional<TimePoint> time_of(const json& value) {
    if (value.is_string()) {
        return parse_utc(value.get<std::string>());
    }
    if (value.is_number_integer()) {
        return TimePoint(std::chrono::seconds(value.get<std::int64_t>()));
    }
    return std::nullopt;
}

}  // namespace

RetentionSettings retention_settings_from_config(Config& config) {
    RetentionSettings settings;
    settings.keep = std::chrono::seconds(
        kDaySeconds *
        config.get_int("retention.keep_days", settings.keep.count() / kDaySeconds, 0, 3650));
    settings.interval = std::chrono::seconds(
        config.get_int("retention.interval_s", settings.interval.count(), 60, 7 * kDaySeconds));
    settings.max_erase_per_sweep = static_cast<std::size_t>(
        config.get_int("retention.max_erase_per_sweep",
                       static_cast<std::int64_t>(settings.max_erase_per_sweep), 1, 1'000'000));
    return settings;
}

RetentionRule rule_by_field(std::string collection, std::string field,
                            std::function<bool(const json&)> settled) {
    auto reader = [field = std::move(field),
                   settled = std::move(settled)](const json& body) -> std::optional<TimePoint> {
        if (!body.is_object() || (settled && !settled(body))) {
            return std::nullopt;
        }
        const auto value = body.find(field);
        return value == body.end() ? std::nullopt : time_of(*value);
    };
    return {std::move(collection), std::move(reader)};
}

Retention::Retention(Store& store, const Clock& clock, Metrics& metrics, RetentionSettings settings,
                     std::vector<RetentionRule> rules)
    : store_(store),
      clock_(clock),
      settings_(settings),
      rules_(std::move(rules)),
      erased_(metrics.counter("aiops_retention_erased_total",
                              "Finished documents erased after retention.keep_days",
                              {"collection"})),
      sweeps_(metrics.counter("aiops_retention_sweeps_total",
                              "Retention sweeps by outcome (ok, error)", {"outcome"})),
      track_failures_(metrics.counter(
          "aiops_retention_track_failures_total",
          "Finished documents that could not be indexed for retention (kept for ever)",
          {"collection"})) {}

Retention::~Retention() { stop(); }

const RetentionRule* Retention::rule_for(std::string_view collection) const {
    for (const auto& rule : rules_) {
        if (rule.collection == collection) {
            return &rule;
        }
    }
    return nullptr;
}

Status Retention::track(std::string_view collection, std::string_view id, TimePoint at) {
    if (!enabled()) {
        return {};
    }
    Status outcome;
    if (rule_for(collection) == nullptr) {
        outcome = Error{ErrorCode::kInvalidInput,
                        "no retention rule for collection " + std::string(collection)};
    } else if (auto stored =
                   store_.put(kRetentionIndex, marker_id(at, collection, id), json::object());
               !stored) {
        outcome = stored.error();
    }
    if (!outcome) {
        track_failures_.inc({std::string(collection)});
        log::warn("retention: cannot index a finished document; it is kept",
                  {{"collection", collection}, {"id", id}, {"error", outcome.error().message}});
    }
    return outcome;
}

void track_finished(Retention* retention, std::string_view collection, std::string_view id,
                    TimePoint at) {
    if (retention != nullptr) {
        (void)retention->track(collection, id, at);  // logged and counted inside
    }
}

Result<bool> Retention::expire(const std::string& collection, const std::string& id,
                               TimePoint cutoff) {
    const auto* rule = rule_for(collection);
    if (rule == nullptr) {
        return false;  // a collection this service no longer expires: keep its documents
    }
    auto document = store_.get(collection, id);
    if (!document) {
        if (document.error().code == ErrorCode::kNotFound) {
            return false;
        }
        return document.error();
    }
    const auto finished = rule->finished_at(document->body);
    if (!finished || *finished > cutoff) {
        return false;  // in progress again, or finished later (that finish has its own marker)
    }
    // Store has no erase-if-version, so a write landing between the get above and this erase
    // (one round trip) is erased with the record. Only a record finished keep_days ago can be
    // here, and its writers re-decide idempotently (a promotion re-run finds DevPI's copy and
    // records already_promoted; a scan gate re-scans), so the race costs a repeat, not data.
    // A write after the erase re-creates the record.
    if (rule->dependents) {
        for (const auto& dependent : rule->dependents(id, document->body)) {
            if (auto erased = store_.erase(dependent.collection, dependent.id); erased) {
                erased_.inc({dependent.collection});
            } else if (erased.error().code != ErrorCode::kNotFound) {
                return erased.error();  // the parent and its marker stay: the next sweep retries
            }
        }
    }
    if (auto erased = store_.erase(collection, id); !erased) {
        if (erased.error().code == ErrorCode::kNotFound) {
            return false;  // another replica's sweep was first
        }
        return erased.error();
    }
    erased_.inc({collection});
    return true;
}

Result<SweepResult> Retention::sweep_once() {
    SweepResult result;
    if (!enabled()) {
        return result;
    }
    const auto cutoff = clock_.now() - settings_.keep;
    const auto cutoff_seconds = epoch_seconds(cutoff);
    std::string cursor;
    while (true) {
        auto page = store_.scan(kRetentionIndex, cursor, kMarkerPage);
        if (!page) {
            sweeps_.inc({"error"});
            return page.error();
        }
        for (const auto& entry : page->documents) {
            const auto marker = parse_marker(entry.id);
            if (marker && marker->finished > cutoff_seconds) {
                sweeps_.inc({"ok"});
                return result;  // markers sort by time: nothing after this one expired
            }
            if (result.erased + result.kept >= settings_.max_erase_per_sweep) {
                result.more = true;
                sweeps_.inc({"ok"});
                return result;
            }
            if (marker) {
                auto expired = expire(marker->collection, marker->id, cutoff);
                if (!expired) {
                    sweeps_.inc({"error"});
                    return expired.error();  // marker kept: the next sweep retries it
                }
                (*expired ? result.erased : result.kept) += 1;
            }
            if (auto dropped = store_.erase(kRetentionIndex, entry.id);
                !dropped && dropped.error().code != ErrorCode::kNotFound) {
                sweeps_.inc({"error"});
                return dropped.error();
            }
        }
        if (page->next_cursor.empty()) {
            sweeps_.inc({"ok"});
            return result;
        }
        cursor = page->next_cursor;
    }
}

void Retention::start() {
    if (!enabled() || thread_.joinable()) {
        return;
    }
    thread_ = std::thread([this] { loop(); });
}

void Retention::stop() {
    {
        std::scoped_lock lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
}

void Retention::loop() {
    auto wait = std::min<std::chrono::seconds>(kFirstSweepDelay, settings_.interval);
    while (true) {
        {
            std::unique_lock lock(mutex_);
            if (wake_.wait_for(lock, wait, [this] { return stopping_; })) {
                return;
            }
        }
        auto swept = sweep_once();
        if (!swept) {
            log::warn("retention sweep failed; retried next interval",
                      {{"error", swept.error().message}});
        } else if (swept->erased > 0 || swept->kept > 0) {
            log::info("retention sweep", {{"erased", swept->erased},
                                          {"kept", swept->kept},
                                          {"more", swept->more},
                                          {"keep_days", settings_.keep.count() / kDaySeconds}});
        }
        // A sweep cut short by max_erase_per_sweep continues soon rather than an interval later.
        wait = swept && swept->more ? kFirstSweepDelay : settings_.interval;
    }
}

}  // namespace aiops::common
