#include <filesystem>
#include <system_error>

#include "aiops/common/storage.h"
#include "redis_store.h"
#include "sqlite_store.h"

namespace aiops::common {
namespace {

constexpr std::string_view kSqliteScheme = "sqlite://";
constexpr std::string_view kRedisScheme = "redis://";
constexpr std::string_view kDefaultFileName = "aiops.db";

// sqlite:///abs/file.db → /abs/file.db; a plain path → <path>/aiops.db (a data directory).
Result<std::filesystem::path> sqlite_path(std::string_view url) {
    std::filesystem::path path;
    if (url.starts_with(kSqliteScheme)) {
        path = std::string(url.substr(kSqliteScheme.size()));
    } else {
        path = std::filesystem::path(std::string(url)) / kDefaultFileName;
    }
    if (path.empty() || !path.has_filename()) {
        return Error{ErrorCode::kInvalidInput, "storage url names no SQLite file"};
    }
    std::error_code error;
    std::filesystem::create_directories(path.parent_path().empty() ? "." : path.parent_path(),
                                        error);
    if (error) {
        return Error{ErrorCode::kInvalidInput,
                     "cannot create directory for " + path.string() + ": " + error.message()};
    }
    return path;
}

}  // namespace

Result<std::unique_ptr<Store>> open_store(const StorageSettings& settings, const Clock& clock) {
    const std::string_view url = settings.url;
    if (url.empty()) {
        return Error{ErrorCode::kInvalidInput, "storage url is empty"};
    }
    if (url.starts_with(kRedisScheme)) {
        return open_redis_store(settings, clock);
    }
    if (url.find("://") != std::string_view::npos && !url.starts_with(kSqliteScheme)) {
        return Error{ErrorCode::kInvalidInput, "storage url must start with sqlite:// or redis://"};
    }
    auto path = sqlite_path(url);
    if (!path) {
        return path.error();
    }
    return open_sqlite_store(*path, settings, clock);
}

StorageSettings storage_settings_from_config(Config& config) {
    StorageSettings settings;
    const std::string data_dir = config.get_string("server.data_dir", "data");
    settings.url = config.get_string(
        "storage.url",
        std::string(kSqliteScheme) + (std::filesystem::path(data_dir) / kDefaultFileName).string());
    settings.password = config.get_secret("storage.password");
    settings.key_prefix = config.get_string("storage.key_prefix", settings.key_prefix);
    settings.pool_size = static_cast<std::size_t>(
        config.get_int("storage.pool_size", static_cast<std::int64_t>(settings.pool_size), 1, 64));
    settings.timeout = std::chrono::milliseconds(
        config.get_int("storage.timeout_ms", settings.timeout.count(), 1, 600'000));
    settings.max_document_bytes = static_cast<std::size_t>(
        config.get_int("storage.max_document_bytes",
                       static_cast<std::int64_t>(settings.max_document_bytes), 1024, 64LL << 20));
    settings.queue.max_attempts =
        config.get_int("storage.queue.max_attempts", settings.queue.max_attempts, 1, 1000);
    constexpr std::int64_t kMaxDedupSeconds = 365LL * 24 * 3600;
    settings.queue.dedup_window = std::chrono::seconds(config.get_int(
        "storage.queue.dedup_window_s", settings.queue.dedup_window.count(), 1, kMaxDedupSeconds));
    return settings;
}

}  // namespace aiops::common
