#include "devpi_client.h"

#include <algorithm>
#include <cstdio>
#include <fstream>

#include "aiops/common/digest.h"
#include "aiops/common/encoding.h"
#include "aiops/common/url_guard.h"

namespace aiops::webhook {

using common::Error;
using common::ErrorCode;
using common::Result;
using json = nlohmann::json;

namespace {

// The proxy token lives 10 h (LOGIN_EXPIRATION); renew well before.
constexpr auto kTokenLifetime = std::chrono::hours(9);
constexpr std::size_t kMaxMessage = 300;

// scheme://host[:port] of an absolute URL ("" when it does not parse).
std::string origin_of(const std::string& url) {
    if (!common::parse_url(url)) {
        return "";
    }
    auto base = url;
    const auto scheme_end = base.find("://");
    const auto path_start = base.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3);
    if (path_start != std::string::npos) {
        base.resize(path_start);
    }
    return base;
}

Error status_error(int status, const std::string& what, std::string_view body) {
    const auto code = status == 404   ? ErrorCode::kNotFound
                      : status == 401 ? ErrorCode::kUnauthorized
                      : status == 403 ? ErrorCode::kForbidden
                      : status == 429 ? ErrorCode::kRateLimited
                      : status >= 500 ? ErrorCode::kUpstream
                                      : ErrorCode::kInvalidInput;
    return Error{code, "DevPI " + what + " answered " + std::to_string(status) + ": " +
                           devpi_error_message(body)};
}

}  // namespace

std::string devpi_error_message(std::string_view body) {
    if (auto parsed = common::parse_json(body); parsed && parsed->is_object() &&
                                                parsed->contains("message") &&
                                                (*parsed)["message"].is_string()) {
        return (*parsed)["message"].get<std::string>().substr(0, kMaxMessage);
    }
    std::string text;
    bool in_tag = false;
    for (char ch : body) {
        if (ch == '<') {
            in_tag = true;
        } else if (ch == '>') {
            in_tag = false;
            ch = ' ';
        }
        if (in_tag) {
            continue;
        }
        const bool space = ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t';
        if (space && (text.empty() || text.back() == ' ')) {
            continue;
        }
        text += space ? ' ' : ch;
        if (text.size() >= kMaxMessage) {
            break;
        }
    }
    while (!text.empty() && text.back() == ' ') {
        text.pop_back();
    }
    return text;
}

std::string files_fingerprint(const std::vector<ReleaseFile>& files) {
    std::vector<std::string> lines;
    lines.reserve(files.size());
    for (const auto& file : files) {
        lines.push_back(file.filename + " " + file.sha256);
    }
    std::sort(lines.begin(), lines.end());
    std::string joined;
    for (const auto& line : lines) {
        joined += line;
        joined += '\n';
    }
    return std::string(common::compute_digest(joined)->hex());
}

DevpiClient::DevpiClient(DevpiSettings settings, common::HttpClient& http)
    : settings_(std::move(settings)), http_(http) {
    while (!settings_.url.empty() && settings_.url.back() == '/') {
        settings_.url.pop_back();
    }
    limits_.max_bytes = 16U << 20;  // a project with many versions and files
    limits_.max_depth = 32;
}

Result<std::string> DevpiClient::auth_header(bool renew) {
    if (settings_.username.empty()) {
        return std::string();
    }
    if (settings_.auth == "basic") {
        return "Basic " + common::base64_encode(settings_.username + ":" + settings_.password);
    }
    std::scoped_lock lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    if (!renew && !token_header_.empty() && now < token_expiry_) {
        return token_header_;
    }
    common::HttpRequest request;
    request.method = "POST";
    request.url = settings_.url + "/+login";
    request.headers.emplace("Content-Type", "application/json");
    request.headers.emplace("Accept", "application/json");
    request.body = json{{"user", settings_.username}, {"password", settings_.password}}.dump();
    request.retry = false;
    auto response = http_.fetch(request);
    if (!response) {
        return response.error();
    }
    if (response->status != 200) {
        return status_error(response->status, "login as " + settings_.username, response->body);
    }
    auto body = common::parse_json(response->body, limits_);
    if (!body || !body->is_object() || !body->contains("result") ||
        !(*body)["result"].is_object() || !(*body)["result"].contains("password") ||
        !(*body)["result"]["password"].is_string()) {
        return Error{ErrorCode::kUpstream, "DevPI login: no result.password in the answer"};
    }
    token_header_ = common::base64_encode(settings_.username + ":" +
                                          (*body)["result"]["password"].get<std::string>());
    token_expiry_ = now + kTokenLifetime;
    return token_header_;
}

Result<common::HttpResponse> DevpiClient::send(const common::HttpRequest& request) {
    for (int attempt = 0; attempt < 2; ++attempt) {
        auto credentials = auth_header(attempt > 0);
        if (!credentials) {
            return credentials.error();
        }
        auto with_auth = request;
        if (!credentials->empty()) {
            with_auth.headers.emplace(settings_.auth == "basic" ? "Authorization" : "X-Devpi-Auth",
                                      *credentials);
        }
        auto response = http_.fetch(with_auth);
        // A 401 with a cached token: the server restarted without --secretfile, log in again.
        if (response && response->status == 401 && settings_.auth != "basic" &&
            !settings_.username.empty() && attempt == 0) {
            continue;
        }
        return response;
    }
    return Error{ErrorCode::kInternal, "unreachable"};
}

Result<json> DevpiClient::get_json(const std::string& path) {
    common::HttpRequest request;
    request.url = settings_.url + path;
    request.headers.emplace("Accept", "application/json");
    auto response = send(request);
    if (!response) {
        return response.error();
    }
    if (response->status != 200) {
        return status_error(response->status, "GET " + path, response->body);
    }
    auto body = common::parse_json(response->body, limits_);
    if (!body) {
        return Error{ErrorCode::kUpstream, "DevPI GET " + path + ": " + body.error().message};
    }
    if (!body->is_object() || !body->contains("result")) {
        return Error{ErrorCode::kUpstream, "DevPI GET " + path + ": no result in the answer"};
    }
    return std::move((*body)["result"]);
}

Result<std::int64_t> DevpiClient::serial() {
    common::HttpRequest request;
    request.url = settings_.url + "/+api";
    request.headers.emplace("Accept", "application/json");
    auto response = send(request);
    if (!response) {
        return response.error();
    }
    if (response->status != 200) {
        return status_error(response->status, "GET /+api", response->body);
    }
    const auto header = response->header("X-Devpi-Serial");
    if (!header) {
        return Error{ErrorCode::kUpstream, "DevPI /+api: no X-Devpi-Serial header"};
    }
    try {
        std::size_t used = 0;
        const auto value = std::stoll(*header, &used);
        if (used == header->size() && value >= 0) {
            return static_cast<std::int64_t>(value);
        }
    } catch (const std::exception&) {
    }
    return Error{ErrorCode::kUpstream, "DevPI /+api: X-Devpi-Serial is not a number"};
}

Result<std::vector<std::string>> DevpiClient::projects(const std::string& index) {
    auto result = get_json("/" + index);
    if (!result) {
        return result.error();
    }
    std::vector<std::string> names;
    if (result->is_object() && result->contains("projects") && (*result)["projects"].is_array()) {
        for (const auto& name : (*result)["projects"]) {
            if (name.is_string()) {
                names.push_back(name.get<std::string>());
            }
        }
    }
    return names;
}

std::vector<ReleaseFile> DevpiClient::release_files(const json& versiondata) {
    std::vector<ReleaseFile> files;
    if (!versiondata.is_object() || !versiondata.contains("+links") ||
        !versiondata["+links"].is_array()) {
        return files;
    }
    for (const auto& link : versiondata["+links"]) {
        if (!link.is_object() || link.value("rel", "") != "releasefile" || !link.contains("href") ||
            !link["href"].is_string()) {
            continue;
        }
        const auto href = link["href"].get<std::string>();
        auto parsed = common::parse_url(href);
        if (!parsed) {
            continue;
        }
        ReleaseFile file;
        file.path = parsed->target;
        const auto path_only = file.path.substr(0, file.path.find('?'));
        file.filename = path_only.substr(path_only.rfind('/') + 1);
        if (link.contains("hashes") && link["hashes"].is_object()) {
            file.sha256 = link["hashes"].value("sha256", "");
        }
        if (file.sha256.empty()) {
            const auto spec = link.value("hash_spec", "");
            if (spec.starts_with("sha256=")) {
                file.sha256 = spec.substr(7);
            }
        }
        files.push_back(std::move(file));
    }
    return files;
}

Result<std::map<std::string, std::vector<ReleaseFile>>> DevpiClient::versions(
    const std::string& index, const std::string& project) {
    auto result = get_json("/" + index + "/" + common::percent_encode(project, false));
    if (!result) {
        return result.error();
    }
    std::map<std::string, std::vector<ReleaseFile>> versions;
    if (!result->is_object()) {
        return Error{ErrorCode::kUpstream, "DevPI project " + project + ": not an object"};
    }
    for (const auto& [version, data] : result->items()) {
        versions.emplace(version, release_files(data));
    }
    return versions;
}

Result<std::vector<ReleaseFile>> DevpiClient::version_files(const std::string& index,
                                                            const std::string& project,
                                                            const std::string& version) {
    auto result = get_json("/" + index + "/" + common::percent_encode(project, false) + "/" +
                           common::percent_encode(version, false));
    if (!result) {
        return result.error();
    }
    return release_files(*result);
}

Result<std::string> DevpiClient::download(const ReleaseFile& file,
                                          const std::filesystem::path& destination) {
    // The href's path on the configured server: a file URL never sends credentials elsewhere.
    const auto origin = origin_of(settings_.url);
    if (origin.empty() || file.path.empty() || file.path.front() != '/') {
        return Error{ErrorCode::kInvalidInput, "DevPI file " + file.filename + ": bad path"};
    }
    std::ofstream out(destination, std::ios::binary | std::ios::trunc);
    if (!out) {
        return Error{ErrorCode::kInternal, "cannot create " + destination.string()};
    }
    common::Sha256Hasher hasher;
    std::uint64_t received = 0;
    bool too_large = false;
    common::HttpRequest request;
    request.url = origin + file.path;
    request.total_timeout = std::chrono::milliseconds(0);  // big wheels: the low-speed abort holds
    if (auto credentials = auth_header(false); credentials && !credentials->empty()) {
        request.headers.emplace(settings_.auth == "basic" ? "Authorization" : "X-Devpi-Auth",
                                *credentials);
    }
    auto response = http_.stream(
        request, [](const common::HttpResponse&) { return true; },
        [&](std::string_view chunk) {
            received += chunk.size();
            if (received > settings_.max_file_bytes) {
                too_large = true;
                return false;
            }
            hasher.update(chunk);
            out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
            return static_cast<bool>(out);
        });
    out.close();
    const auto fail = [&](Error error) -> Result<std::string> {
        std::error_code ignored;
        std::filesystem::remove(destination, ignored);
        return error;
    };
    if (!response) {
        return fail(response.error());
    }
    if (response->status < 200 || response->status >= 300) {
        return fail(status_error(response->status, "GET " + file.filename, response->body));
    }
    if (too_large) {
        return fail(
            Error{ErrorCode::kTooLarge, file.filename + " is larger than devpi.max_file_bytes (" +
                                            std::to_string(settings_.max_file_bytes) + ")"});
    }
    if (!out) {
        return fail(Error{ErrorCode::kInternal, "writing " + destination.string() + " failed"});
    }
    auto digest = hasher.finish();
    if (!digest) {
        return fail(digest.error());
    }
    return std::string(digest->hex());
}

Result<PushAnswer> DevpiClient::push(const std::string& source_index, const std::string& name,
                                     const std::string& version, const std::string& target_index) {
    common::HttpRequest request;
    request.method = "POST";
    request.url = settings_.url + "/" + source_index;
    request.headers.emplace("Content-Type", "application/json");
    request.headers.emplace("Accept", "application/json");
    request.body = json{{"name", name}, {"version", version}, {"targetindex", target_index}}.dump();
    request.retry = false;  // the caller decides (a 409 after a lost answer = already promoted)
    auto response = send(request);
    if (!response) {
        return response.error();
    }
    PushAnswer answer;
    answer.status = response->status;
    if (response->status == 200) {
        if (auto body = common::parse_json(response->body, limits_);
            body && body->is_object() && body->contains("result")) {
            answer.result = (*body)["result"];
        }
    } else {
        answer.message = devpi_error_message(response->body);
    }
    return answer;
}

}  // namespace aiops::webhook
