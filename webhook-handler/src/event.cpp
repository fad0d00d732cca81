#include "event.h"

#include <algorithm>
#include <array>
#include <regex>

#include "aiops/common/digest.h"

namespace aiops::webhook {

using common::Error;
using common::ErrorCode;
using common::Result;
using json = nlohmann::json;

namespace {

// CloudEvents type → Harbor's Default type name (reference §3.3).
constexpr std::array<std::pair<std::string_view, std::string_view>, 10> kCloudEventTypes{{
    {"harbor.artifact.pushed", "PUSH_ARTIFACT"},
    {"harbor.artifact.pulled", "PULL_ARTIFACT"},
    {"harbor.artifact.deleted", "DELETE_ARTIFACT"},
    {"harbor.quota.exceeded", "QUOTA_EXCEED"},
    {"harbor.quota.warned", "QUOTA_WARNING"},
    {"harbor.scan.completed", "SCANNING_COMPLETED"},
    {"harbor.scan.failed", "SCANNING_FAILED"},
    {"harbor.scan.stopped", "SCANNING_STOPPED"},
    {"harbor.replication.status.changed", "REPLICATION"},
    {"harbor.tag_retention.finished", "TAG_RETENTION"},
}};

constexpr std::array<std::string_view, 5> kSeverities{"Low", "Medium", "High", "Critical",
                                                      "Unknown"};

Error invalid(const std::string& what) { return Error{ErrorCode::kInvalidInput, what}; }

bool printable(std::string_view text) {
    return std::all_of(text.begin(), text.end(),
                       [](char c) { return static_cast<unsigned char>(c) >= 0x20 && c != 0x7f; });
}

// A string member: "" when absent or null; an error when not a string, too long or not printable.
Result<std::string> text(const json& object, const char* key, const std::string& where,
                         const PayloadLimits& limits) {
    const auto found = object.find(key);
    if (found == object.end() || found->is_null()) {
        return std::string{};
    }
    if (!found->is_string()) {
        return invalid(where + key + ": expected a string");
    }
    const auto& value = found->get_ref<const std::string&>();
    if (value.size() > limits.max_string_bytes || !printable(value)) {
        return invalid(where + key + ": longer than " + std::to_string(limits.max_string_bytes) +
                       " bytes or not printable");
    }
    return value;
}

// The highest severity in a scan_overview {<mime>: {severity: …}} ("" when none).
std::string highest_severity(const json& overview) {
    if (!overview.is_object()) {
        return {};
    }
    std::string best;
    int best_rank = -1;
    for (const auto& [mime, report] : overview.items()) {
        if (!report.is_object() || !report.contains("severity") ||
            !report["severity"].is_string()) {
            continue;
        }
        const auto severity = report["severity"].get<std::string>();
        const auto* found = std::find(kSeverities.begin(), kSeverities.end(), severity);
        const int rank =
            found == kSeverities.end() ? -1 : static_cast<int>(found - kSeverities.begin());
        if (rank > best_rank && rank < 4) {
            best_rank = rank;
            best = severity;
        }
    }
    return best;
}

// event_data (Default) or data (CloudEvents): resources and repository.
common::Status read_event_data(const json& data, const std::string& where,
                               const PayloadLimits& limits, Event& event) {
    if (data.is_null()) {
        return {};
    }
    if (!data.is_object()) {
        return invalid(where + ": expected an object");
    }
    if (const auto resources = data.find("resources");
        resources != data.end() && !resources->is_null()) {
        if (!resources->is_array() || resources->size() > limits.max_resources) {
            return invalid(where + ".resources: expected an array of at most " +
                           std::to_string(limits.max_resources) + " resources");
        }
        for (const auto& entry : *resources) {
            if (!entry.is_object()) {
                return invalid(where + ".resources[]: expected objects");
            }
            auto digest = text(entry, "digest", where + ".resources[].", limits);
            auto tag = text(entry, "tag", where + ".resources[].", limits);
            auto url = text(entry, "resource_url", where + ".resources[].", limits);
            if (!digest || !tag || !url) {
                return !digest ? digest.error() : !tag ? tag.error() : url.error();
            }
            if (!digest->empty() && !common::Digest::parse(*digest)) {
                return invalid(where + ".resources[].digest: not a digest");
            }
            Resource resource{std::move(*digest), std::move(*tag), std::move(*url), {}};
            if (const auto overview = entry.find("scan_overview"); overview != entry.end()) {
                resource.scan_severity = highest_severity(*overview);
            }
            event.resources.push_back(std::move(resource));
        }
    }
    if (const auto repository = data.find("repository");
        repository != data.end() && !repository->is_null()) {
        if (!repository->is_object()) {
            return invalid(where + ".repository: expected an object");
        }
        auto full = text(*repository, "repo_full_name", where + ".repository.", limits);
        auto name = text(*repository, "name", where + ".repository.", limits);
        auto namespace_name = text(*repository, "namespace", where + ".repository.", limits);
        if (!full || !name || !namespace_name) {
            return !full ? full.error() : !name ? name.error() : namespace_name.error();
        }
        event.project = *namespace_name;
        event.repository = *name;
        if (event.project.empty() && !full->empty()) {
            const auto slash = full->find('/');
            event.project = full->substr(0, slash);
            event.repository = slash == std::string::npos ? "" : full->substr(slash + 1);
        }
    }
    event.data = data;
    return {};
}

bool known_type(std::string_view type) {
    return std::any_of(kCloudEventTypes.begin(), kCloudEventTypes.end(),
                       [&](const auto& entry) { return entry.second == type; });
}

}  // namespace

std::string_view source_name(Source source) {
    return source == Source::kHarbor ? "harbor" : "devpi";
}

Result<Event> parse_harbor_default(const json& body, const PayloadLimits& limits) {
    if (!body.is_object()) {
        return invalid("the payload must be a JSON object");
    }
    Event event;
    auto type = text(body, "type", "", limits);
    auto operator_name = text(body, "operator", "", limits);
    if (!type || !operator_name) {
        return !type ? type.error() : operator_name.error();
    }
    if (!known_type(*type)) {
        return invalid("type: '" + type->substr(0, 64) + "' is not a Harbor event type");
    }
    const auto occur_at = body.find("occur_at");
    if (occur_at == body.end() || !occur_at->is_number_integer()) {
        return invalid("occur_at: expected Unix seconds");
    }
    event.type = std::move(*type);
    event.occur_at = occur_at->get<std::int64_t>();
    event.operator_name = std::move(*operator_name);
    const auto data = body.find("event_data");
    if (auto read =
            read_event_data(data == body.end() ? json() : *data, "event_data", limits, event);
        !read) {
        return read.error();
    }
    event.id = dedup_key(event);
    return event;
}

Result<Event> parse_harbor_cloudevent(const json& body, const PayloadLimits& limits) {
    if (!body.is_object()) {
        return invalid("the payload must be a JSON object");
    }
    auto spec = text(body, "specversion", "", limits);
    auto id = text(body, "id", "", limits);
    auto type = text(body, "type", "", limits);
    auto time = text(body, "time", "", limits);
    auto operator_name = text(body, "operator", "", limits);
    for (const auto* field : {&spec, &id, &type, &time, &operator_name}) {
        if (!*field) {
            return field->error();
        }
    }
    if (*spec != "1.0") {
        return invalid("specversion: expected 1.0");
    }
    if (id->empty() || id->size() > 256) {
        return invalid("id: required, at most 256 bytes");
    }
    const auto mapped = std::find_if(kCloudEventTypes.begin(), kCloudEventTypes.end(),
                                     [&](const auto& entry) { return entry.first == *type; });
    if (mapped == kCloudEventTypes.end()) {
        return invalid("type: '" + type->substr(0, 64) + "' is not a Harbor CloudEvents type");
    }
    Event event;
    event.type = std::string(mapped->second);
    event.operator_name = std::move(*operator_name);
    // time: RFC 3339 with seconds resolution ("2026-01-01T00:00:00Z").
    static const std::regex kTime(R"((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?Z)");
    std::smatch parts;
    if (std::regex_match(*time, parts, kTime)) {
        std::tm tm{};
        tm.tm_year = std::stoi(parts[1]) - 1900;
        tm.tm_mon = std::stoi(parts[2]) - 1;
        tm.tm_mday = std::stoi(parts[3]);
        tm.tm_hour = std::stoi(parts[4]);
        tm.tm_min = std::stoi(parts[5]);
        tm.tm_sec = std::stoi(parts[6]);
        event.occur_at = static_cast<std::int64_t>(timegm(&tm));
    } else if (!time->empty()) {
        return invalid("time: expected RFC 3339 UTC");
    }
    const auto data = body.find("data");
    if (auto read = read_event_data(data == body.end() ? json() : *data, "data", limits, event);
        !read) {
        return read.error();
    }
    event.id = "harbor-ce|" + *id;
    return event;
}

std::optional<std::string> index_from_jobscript(std::string_view jobscript) {
    static const std::regex kIndexUrl(
        R"re(indexurl\s*=\s*["']https?://[^/"']+/([A-Za-z0-9._-]+)/([A-Za-z0-9._-]+)/?["'])re");
    std::match_results<std::string_view::const_iterator> match;
    if (!std::regex_search(jobscript.begin(), jobscript.end(), match, kIndexUrl)) {
        return std::nullopt;
    }
    return match[1].str() + "/" + match[2].str();
}

Result<Event> devpi_upload_event(std::string_view pkgname, std::string_view pkgversion,
                                 std::string_view index, std::string_view jobscript) {
    static const std::regex kName(R"([A-Za-z0-9]([A-Za-z0-9._-]{0,200}[A-Za-z0-9])?)");
    static const std::regex kVersion(R"([A-Za-z0-9.!+_-]{1,128})");
    static const std::regex kIndex(R"([A-Za-z0-9._-]{1,100}/[A-Za-z0-9._-]{1,100})");
    const std::string name(pkgname);
    const std::string version(pkgversion);
    if (!std::regex_match(name, kName)) {
        return invalid("package name '" + name.substr(0, 64) + "' is not a valid project name");
    }
    if (!std::regex_match(version, kVersion)) {
        return invalid("version '" + version.substr(0, 64) + "' is not a valid version");
    }
    std::string resolved(index);
    if (resolved.empty()) {
        auto from_script = index_from_jobscript(jobscript);
        if (!from_script) {
            return invalid(
                "no index: use /devpi/{user}/{index}/{pkgname}/{pkgversion} or post "
                "the devpi-jenkins job script (indexurl)");
        }
        resolved = *from_script;
    }
    if (!std::regex_match(resolved, kIndex)) {
        return invalid("index '" + resolved.substr(0, 64) + "' is not user/index");
    }
    Event event;
    event.source = Source::kDevpi;
    event.type = "UPLOAD";
    event.project = resolved;
    event.repository = name;
    event.version = version;
    event.id = dedup_key(event);
    return event;
}

std::string dedup_key(const Event& event) {
    if (event.id.starts_with("harbor-ce|")) {
        return event.id;
    }
    std::string key(source_name(event.source));
    key += "|" + event.type + "|" + event.project + "/" + event.repository;
    if (event.source == Source::kDevpi) {
        return key + "|" + event.version;
    }
    for (const auto& resource : event.resources) {
        key +=
            "|" + (resource.digest.empty() ? resource.tag : resource.digest + ":" + resource.tag);
    }
    if (event.type == "REPLICATION" && event.data.is_object() &&
        event.data.contains("replication")) {
        // One webhook per replication task status change: the status is part of the identity.
        const auto& replication = event.data["replication"];
        if (replication.is_object()) {
            key += "|" + replication.value("job_status", std::string()) + "|" +
                   std::to_string(replication.value("task_id", std::int64_t{0}));
        }
    }
    return key + "|" + std::to_string(event.occur_at);
}

json to_json(const Event& event) {
    json resources = json::array();
    for (const auto& resource : event.resources) {
        resources.push_back({{"digest", resource.digest},
                             {"tag", resource.tag},
                             {"resource_url", resource.resource_url},
                             {"scan_severity", resource.scan_severity}});
    }
    return {{"source", source_name(event.source)},
            {"type", event.type},
            {"id", event.id},
            {"occur_at", event.occur_at},
            {"operator", event.operator_name},
            {"project", event.project},
            {"repository", event.repository},
            {"version", event.version},
            {"resources", std::move(resources)},
            {"data", event.data}};
}

Result<Event> event_from_json(const json& stored) {
    try {
        Event event;
        event.source = stored.at("source") == "devpi" ? Source::kDevpi : Source::kHarbor;
        event.type = stored.at("type").get<std::string>();
        event.id = stored.at("id").get<std::string>();
        event.occur_at = stored.value("occur_at", std::int64_t{0});
        event.operator_name = stored.value("operator", "");
        event.project = stored.value("project", "");
        event.repository = stored.value("repository", "");
        event.version = stored.value("version", "");
        for (const auto& resource : stored.value("resources", json::array())) {
            event.resources.push_back({resource.value("digest", ""), resource.value("tag", ""),
                                       resource.value("resource_url", ""),
                                       resource.value("scan_severity", "")});
        }
        event.data = stored.value("data", json());
        return event;
    } catch (const json::exception& error) {
        return Error{ErrorCode::kInternal,
                     std::string("stored event is malformed: ") + error.what()};
    }
}

}  // namespace aiops::webhook
