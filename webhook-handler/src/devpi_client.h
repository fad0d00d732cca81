#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "aiops/common/http_client.h"
#include "aiops/common/json.h"
#include "aiops/common/result.h"

// DevPI's JSON API as a promotion bot uses it (shared/reference/devpi-api.md): §0 (Accept:
// application/json for GETs, X-Devpi-Serial on every answer, HTML error pages), §1 (POST /+login
// → proxy token sent as X-Devpi-Auth base64("user:token"), valid 10 h; or HTTP Basic with the
// real password), §4 (projectconfig / versiondata with +links), §5 (push = POST /<user>/<src>
// {"name","version","targetindex"}).
namespace aiops::webhook {

struct DevpiSettings {
    std::string url{};  // http(s)://host:port[/prefix], no trailing slash
    std::string username{};
    std::string password{};
    // "login" (POST /+login, X-Devpi-Auth; the token is renewed before its 10 h expiry and after
    // a 401) or "basic" (devpi-server-auth-basic: Basic with the real password on every call).
    std::string auth = "login";
    std::uint64_t max_file_bytes = 4ULL << 30;  // a release file larger than this is refused
};

struct ReleaseFile {
    std::string filename{};
    std::string sha256{};  // lowercase hex from +links[].hashes.sha256 ("" when absent)
    std::string path{};    // href's path (and query), resolved against DevpiSettings::url
};

// One `POST /<user>/<index>` push answer.
struct PushAnswer {
    int status = 0;
    std::string message{};  // {"message"} of a JSON error, or the start of an HTML page
    nlohmann::json result{};
};

class DevpiClient {
public:
    DevpiClient(DevpiSettings settings, common::HttpClient& http);

    const DevpiSettings& settings() const { return settings_; }

    // GET /+api: the server's serial (X-Devpi-Serial).
    common::Result<std::int64_t> serial();
    // GET /<index> (Accept json): result.projects.
    common::Result<std::vector<std::string>> projects(const std::string& index);
    // GET /<index>/<project> (Accept json): version → its release files. kNotFound for an
    // unknown project.
    common::Result<std::map<std::string, std::vector<ReleaseFile>>> versions(
        const std::string& index, const std::string& project);
    // GET /<index>/<project>/<version>: the release files. kNotFound for an unknown version.
    common::Result<std::vector<ReleaseFile>> version_files(const std::string& index,
                                                           const std::string& project,
                                                           const std::string& version);
    // Streams a release file into `destination` (created; removed on failure) and returns the
    // sha256 hex of what arrived. Bounded by max_file_bytes.
    common::Result<std::string> download(const ReleaseFile& file,
                                         const std::filesystem::path& destination);
    // POST /<source_index> {"name","version","targetindex"}: any status is an answer; transport
    // failures are errors.
    common::Result<PushAnswer> push(const std::string& source_index, const std::string& name,
                                    const std::string& version, const std::string& target_index);

private:
    common::Result<nlohmann::json> get_json(const std::string& path);
    common::Result<common::HttpResponse> send(const common::HttpRequest& request);
    common::Result<std::string> auth_header(bool renew);
    static std::vector<ReleaseFile> release_files(const nlohmann::json& versiondata);

    DevpiSettings settings_;
    common::HttpClient& http_;
    common::JsonLimits limits_{};
    std::mutex mutex_;
    std::string token_header_{};  // guarded by mutex_
    std::chrono::steady_clock::time_point token_expiry_{};
};

// sha256 hex over the sorted "filename sha256" lines: identifies a version's file set.
std::string files_fingerprint(const std::vector<ReleaseFile>& files);

// The message of a devpi error answer: {"message"} JSON, else the HTML page's text (tags
// stripped, whitespace folded), bounded.
std::string devpi_error_message(std::string_view body);

}  // namespace aiops::webhook
