#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

// JSON-lines logging to stderr through spdlog. One event = one line:
// {"ts":"2026-11-25T11:00:00.123Z","level":"info","msg":"request","request_id":"…",…}
// Fields whose name looks like a secret (authorization, token, password, secret, cookie)
// are replaced by "[redacted]" before the line is written (C4: never log secrets).
namespace aiops::common::log {

enum class Level { kDebug, kInfo, kWarn, kError };

// Sets the service name stamped on every line and the minimum level. Call once from main.
void init(std::string_view service, Level min_level = Level::kInfo);
Level parse_level(std::string_view name, Level fallback = Level::kInfo);

void write(Level level, std::string_view msg,
           const nlohmann::json& fields = nlohmann::json::object());
inline void debug(std::string_view msg, const nlohmann::json& fields = nlohmann::json::object()) {
    write(Level::kDebug, msg, fields);
}
inline void info(std::string_view msg, const nlohmann::json& fields = nlohmann::json::object()) {
    write(Level::kInfo, msg, fields);
}
inline void warn(std::string_view msg, const nlohmann::json& fields = nlohmann::json::object()) {
    write(Level::kWarn, msg, fields);
}
inline void error(std::string_view msg, const nlohmann::json& fields = nlohmann::json::object()) {
    write(Level::kError, msg, fields);
}

// True when a field name denotes a secret value that must never be logged.
bool is_secret_field(std::string_view name);
// Copy of `fields` with secret-looking keys (recursively) redacted.
nlohmann::json redact(const nlohmann::json& fields);

}  // namespace aiops::common::log
