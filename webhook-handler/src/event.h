#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aiops/common/result.h"

// The events the webhook-handler accepts, normalised from what Harbor and DevPI send
// (shared/reference/harbor-preheat-webhook-replication.md §3.2–§3.4, devpi-api.md §8a/§8c).
// Pure functions over untrusted bytes (fuzzed): every error names what is wrong.
namespace aiops::webhook {

enum class Source { kHarbor, kDevpi };
std::string_view source_name(Source source);

struct Resource {
    std::string digest{};         // sha256:… ("" for quota events without one)
    std::string tag{};            // a tag, or the digest when the artifact has none (Harbor)
    std::string resource_url{};   // host/repo:tag or host/repo@sha256:… (no scheme)
    std::string scan_severity{};  // SCANNING_*: the highest severity in scan_overview ("" none)
};

// One event as queued and matched by rules.
struct Event {
    Source source = Source::kHarbor;
    // Harbor: the Default type name (PUSH_ARTIFACT, SCANNING_COMPLETED, …), CloudEvents types
    // mapped back to it. DevPI: UPLOAD (a file or a project version arrived on an index).
    std::string type{};
    std::string id{};           // CloudEvents id, else derived from the content (the dedup key)
    std::int64_t occur_at = 0;  // Unix seconds
    std::string operator_name{};
    // Harbor: project (namespace) and repository without the project; DevPI: index "user/name"
    // in `project`, the package name in `repository`, its version in `version`.
    std::string project{};
    std::string repository{};
    std::string version{};
    std::vector<Resource> resources{};
    nlohmann::json data{};  // the original event_data / hook fields, for actions and the API
};

struct PayloadLimits {
    std::size_t max_resources = 1000;
    std::size_t max_string_bytes = 4096;
};

// Harbor's Default payload (`application/json`): {type, occur_at, operator, event_data}.
common::Result<Event> parse_harbor_default(const nlohmann::json& body,
                                           const PayloadLimits& limits = {});
// Harbor's structured CloudEvents payload (`application/cloudevents+json`).
common::Result<Event> parse_harbor_cloudevent(const nlohmann::json& body,
                                              const PayloadLimits& limits = {});

// The devpi-jenkins upload trigger: `{pkgname}`/`{pkgversion}` from the URL, the index from the
// route or from `indexurl = "http(s)://host/<user>/<index>"` in the posted job script.
common::Result<Event> devpi_upload_event(std::string_view pkgname, std::string_view pkgversion,
                                         std::string_view index, std::string_view jobscript);
// "user/index" from a job script's indexurl; nullopt when absent or malformed.
std::optional<std::string> index_from_jobscript(std::string_view jobscript);

// The idempotency key: the CloudEvents id when Harbor sent one, else source, type, repository,
// digests/tags and occur_at (Harbor) or index, project, version (DevPI).
std::string dedup_key(const Event& event);

nlohmann::json to_json(const Event& event);
common::Result<Event> event_from_json(const nlohmann::json& stored);

}  // namespace aiops::webhook
