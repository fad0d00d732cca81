#include "aiops/common/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <memory>
#include <mutex>

namespace aiops::common::log {
namespace {

std::shared_ptr<spdlog::logger> make_logger() {
    // spdlog's stderr sink is mutex-protected; the logger is shared by every thread of the process.
    auto logger = std::make_shared<spdlog::logger>(
        "aiops", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    logger->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l",%v})",
                        spdlog::pattern_time_type::utc);
    logger->flush_on(spdlog::level::info);
    return logger;
}

struct LogState {
    std::mutex mutex;  // guards service
    std::string service = "aiops";
    std::shared_ptr<spdlog::logger> logger = make_logger();
};

LogState& state() {
    static LogState instance;  // process-wide sink, like std::cerr
    return instance;
}

spdlog::level::level_enum to_spdlog(Level level) {
    switch (level) {
        case Level::kDebug: return spdlog::level::debug;
        case Level::kInfo: return spdlog::level::info;
        case Level::kWarn: return spdlog::level::warn;
        case Level::kError: return spdlog::level::err;
    }
    return spdlog::level::info;
}

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    return out;
}

}  // namespace

void init(std::string_view service, Level min_level) {
    auto& st = state();
    std::scoped_lock lock(st.mutex);
    st.service = std::string(service);
    st.logger->set_level(to_spdlog(min_level));
}

Level parse_level(std::string_view name, Level fallback) {
    const auto value = lower(name);
    if (value == "debug") {
        return Level::kDebug;
    }
    if (value == "info") {
        return Level::kInfo;
    }
    if (value == "warn" || value == "warning") {
        return Level::kWarn;
    }
    if (value == "error") {
        return Level::kError;
    }
    return fallback;
}

bool is_secret_field(std::string_view name) {
    static constexpr std::array<std::string_view, 7> kMarkers = {
        "authorization", "token", "password", "secret", "cookie", "api_key", "apikey"};
    const auto value = lower(name);
    return std::any_of(kMarkers.begin(), kMarkers.end(), [&](std::string_view marker) {
        return value.find(marker) != std::string::npos;
    });
}

nlohmann::json redact(const nlohmann::json& fields) {
    if (fields.is_array()) {
        auto out = nlohmann::json::array();
        for (const auto& item : fields) {
            out.push_back(redact(item));
        }
        return out;
    }
    if (!fields.is_object()) {
        return fields;
    }
    auto out = nlohmann::json::object();
    for (const auto& [key, value] : fields.items()) {
        out[key] = is_secret_field(key) ? nlohmann::json("[redacted]") : redact(value);
    }
    return out;
}

void write(Level level, std::string_view msg, nlohmann::json fields) {
    auto& st = state();
    if (!st.logger->should_log(to_spdlog(level))) {
        return;
    }
    nlohmann::json line = nlohmann::json::object();
    {
        std::scoped_lock lock(st.mutex);
        line["service"] = st.service;
    }
    line["msg"] = msg;
    if (fields.is_object()) {
        for (auto& [key, value] : redact(fields).items()) {
            line[key] = value;
        }
    }
    auto text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    // The pattern already opened the object with ts and level: drop our leading '{'.
    st.logger->log(to_spdlog(level), "{}", std::string_view(text).substr(1, text.size() - 2));
}

}  // namespace aiops::common::log
