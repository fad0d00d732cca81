#include "devpi_poller.h"

#include "aiops/common/log.h"

namespace aiops::webhook {

using common::Error;
using common::ErrorCode;
using common::Result;
using json = nlohmann::json;

namespace {

constexpr std::string_view kSerials = "devpi_poll";
constexpr std::string_view kFiles = "devpi_poll_files";
// The trigger fires before devpi commits the upload: look a moment later.
constexpr std::chrono::milliseconds kNudgeDelay{1000};

}  // namespace

DevpiPoller::DevpiPoller(PollerSettings settings, DevpiClient& devpi, common::Store& store,
                         Accept accept, common::Metrics& metrics)
    : settings_(std::move(settings)),
      devpi_(devpi),
      store_(store),
      accept_(std::move(accept)),
      polls_(metrics.counter("webhook_devpi_polls_total", "DevPI serial polls, by outcome",
                             {"outcome"})),
      emitted_(metrics.counter("webhook_devpi_poll_events_total",
                               "Upload events the DevPI poller emitted")) {}

DevpiPoller::~DevpiPoller() { stop(); }

void DevpiPoller::start() {
    if (settings_.indexes.empty() || thread_.joinable()) {
        return;
    }
    thread_ = std::thread([this] { loop(); });
}

void DevpiPoller::stop() {
    {
        std::scoped_lock lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
}

void DevpiPoller::nudge() {
    {
        std::scoped_lock lock(mutex_);
        nudged_ = true;
    }
    wake_.notify_all();
}

void DevpiPoller::loop() {
    bool force = false;
    for (;;) {
        auto emitted = poll_once(force);
        if (!emitted) {
            polls_.inc({"error"});
            common::log::warn("DevPI poll failed", {{"error", emitted.error().message}});
        }
        std::unique_lock lock(mutex_);
        wake_.wait_for(lock, settings_.interval, [this] { return stopping_ || nudged_; });
        if (stopping_) {
            return;
        }
        force = nudged_;
        if (nudged_) {
            nudged_ = false;
            wake_.wait_for(lock, kNudgeDelay, [this] { return stopping_; });
            if (stopping_) {
                return;
            }
        }
    }
}

Result<std::size_t> DevpiPoller::poll_once(bool force) {
    auto serial = devpi_.serial();
    if (!serial) {
        return serial.error();
    }
    std::size_t total = 0;
    for (const auto& index : settings_.indexes) {
        auto emitted = poll_index(index, *serial, force);
        if (!emitted) {
            return Error{emitted.error().code, index + ": " + emitted.error().message};
        }
        total += *emitted;
    }
    polls_.inc({"ok"});
    return total;
}

Result<std::size_t> DevpiPoller::poll_index(const std::string& index, std::int64_t serial,
                                            bool force) {
    auto state = store_.get(kSerials, index);
    if (!state && state.error().code != ErrorCode::kNotFound) {
        return state.error();
    }
    const bool baseline = !state && !settings_.emit_existing;
    if (state && !force && state->body.value("serial", std::int64_t{-1}) == serial) {
        return std::size_t{0};  // nothing committed since the last complete pass
    }
    auto projects = devpi_.projects(index);
    if (!projects) {
        return projects.error();
    }
    if (projects->size() > settings_.max_projects) {
        projects->resize(settings_.max_projects);
        common::log::warn(
            "DevPI index has more projects than poller.max_projects; the rest is "
            "not polled",
            {{"index", index}, {"max_projects", settings_.max_projects}});
    }
    std::size_t emitted = 0;
    for (const auto& project : *projects) {
        auto versions = devpi_.versions(index, project);
        if (!versions) {
            if (versions.error().code == ErrorCode::kNotFound) {
                continue;  // deleted between the two reads
            }
            return versions.error();
        }
        std::string key = index;
        key += "|";
        key += project;
        auto known = store_.get(kFiles, key);
        if (!known && known.error().code != ErrorCode::kNotFound) {
            return known.error();
        }
        json remembered = known ? known->body.value("versions", json::object()) : json::object();
        json current = json::object();
        bool changed = false;
        for (const auto& [version, files] : *versions) {
            if (files.empty()) {
                continue;
            }
            const auto print = files_fingerprint(files);
            current[version] = print;
            if (remembered.value(version, "") == print) {
                continue;
            }
            changed = true;
            if (baseline) {
                continue;
            }
            Event event;
            event.source = Source::kDevpi;
            event.type = "UPLOAD";
            event.project = index;
            event.repository = project;
            event.version = version;
            event.operator_name = "devpi-poller";
            event.data = {{"via", "poller"}, {"serial", serial}, {"files", files.size()}};
            event.id = "devpi|UPLOAD|";
            event.id += index;
            event.id += "/";
            event.id += project;
            event.id += "|";
            event.id += version;
            event.id += "|files:";
            event.id += print;
            auto accepted = accept_(event);  // durable before the state moves on
            if (!accepted) {
                return accepted.error();
            }
            if (*accepted) {
                ++emitted;
                emitted_.inc();
            }
        }
        if (changed || remembered.size() != current.size()) {
            if (auto stored = store_.put(kFiles, key, {{"versions", std::move(current)}});
                !stored) {
                return stored.error();
            }
        }
    }
    if (auto stored = store_.put(kSerials, index, {{"serial", serial}}); !stored) {
        return stored.error();
    }
    return emitted;
}

}  // namespace aiops::webhook
