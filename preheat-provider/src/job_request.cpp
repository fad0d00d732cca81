#include "job_request.h"

#include <algorithm>

#include "aiops/common/digest.h"
#include "aiops/common/registry_client.h"

namespace aiops::preheat {

using common::Error;
using common::ErrorCode;
using common::Result;
using json = nlohmann::json;

namespace {

constexpr std::string_view kManifests = "/manifests/";

Error invalid(std::string message) { return Error{ErrorCode::kInvalidInput, std::move(message)}; }

bool valid_tag(std::string_view tag) {
    // distribution: [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}
    if (tag.empty() || tag.size() > 128 || tag.front() == '.' || tag.front() == '-') {
        return false;
    }
    return std::all_of(tag.begin(), tag.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '.' || c == '-';
    });
}

bool valid_authority(std::string_view authority) {
    return !authority.empty() && authority.size() <= 255 &&
           std::none_of(authority.begin(), authority.end(), [](char c) {
               return c == '@' || c == '?' || c == '#' || c == '\\' ||
                      static_cast<unsigned char>(c) <= ' ' || static_cast<unsigned char>(c) >= 0x7F;
           });
}

// A string field of `object` (absent or null = ""); kInvalidInput when present with another type.
Result<std::string> optional_string(const json& object, const char* field, const char* where,
                                    std::size_t max_bytes) {
    const auto found = object.find(field);
    if (found == object.end() || found->is_null()) {
        return std::string();
    }
    if (!found->is_string()) {
        return invalid(std::string(where) + field + " must be a string");
    }
    const auto& text = found->get_ref<const std::string&>();
    if (text.size() > max_bytes) {
        return invalid(std::string(where) + field + " is longer than " + std::to_string(max_bytes) +
                       " bytes");
    }
    return text;
}

// headers{}: string values only; the Authorization value is kept (any header-name case).
Result<std::string> authorization_of(const json& args, const JobRequestLimits& limits,
                                     const char* where) {
    const auto found = args.find("headers");
    if (found == args.end() || found->is_null()) {
        return std::string();
    }
    if (!found->is_object()) {
        return invalid(std::string(where) + "headers must be an object");
    }
    if (found->size() > limits.max_headers) {
        return invalid(std::string(where) + "headers has more than " +
                       std::to_string(limits.max_headers) + " entries");
    }
    std::string authorization;
    for (const auto& [name, value] : found->items()) {
        if (!value.is_string() ||
            value.get_ref<const std::string&>().size() > limits.max_header_bytes) {
            return invalid(std::string(where) + "headers." + name +
                           " must be a string of at most " +
                           std::to_string(limits.max_header_bytes) + " bytes");
        }
        std::string lower = name;
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (lower == "authorization") {
            authorization = value.get<std::string>();
        }
    }
    return authorization;
}

Result<Scope> parse_scope(std::string_view text) {
    if (text.empty()) {
        return Scope::kSingleSeedPeer;  // Dragonfly's default when Harbor sends ""
    }
    if (auto scope = scope_from_name(text)) {
        return *scope;
    }
    return invalid("args.scope must be single_seed_peer, all_seed_peers or all_peers, got '" +
                   std::string(text.substr(0, 64)) + "'");
}

Result<std::optional<std::vector<std::int64_t>>> parse_pools(const json& body,
                                                             const JobRequestLimits& limits) {
    const auto found = body.find("scheduler_cluster_ids");
    if (found == body.end() || found->is_null()) {
        return std::optional<std::vector<std::int64_t>>();
    }
    if (!found->is_array() || found->size() > limits.max_pools) {
        return invalid("scheduler_cluster_ids must be null or an array of at most " +
                       std::to_string(limits.max_pools) + " ids");
    }
    std::vector<std::int64_t> ids;
    for (const auto& id : *found) {
        if (!id.is_number_integer() || id.get<std::int64_t>() <= 0) {
            return invalid("scheduler_cluster_ids must hold positive integers");
        }
        ids.push_back(id.get<std::int64_t>());
    }
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    return std::optional<std::vector<std::int64_t>>(std::move(ids));
}

Result<ManifestUrl> manifest_of(const json& object, const char* where,
                                const JobRequestLimits& limits, std::string& url) {
    auto text = optional_string(object, "url", where, limits.max_url_bytes);
    if (!text) {
        return text.error();
    }
    if (text->empty()) {
        return invalid(std::string(where) + "url is required");
    }
    url = *text;
    auto parsed = parse_manifest_url(url);
    if (!parsed) {
        return invalid(std::string(where) + "url: " + parsed.error().message);
    }
    return parsed;
}

}  // namespace

std::string_view scope_name(Scope scope) {
    switch (scope) {
        case Scope::kSingleSeedPeer: return "single_seed_peer";
        case Scope::kAllSeedPeers: return "all_seed_peers";
        case Scope::kAllPeers: return "all_peers";
    }
    return "single_seed_peer";
}

std::optional<Scope> scope_from_name(std::string_view name) {
    for (const auto scope : {Scope::kSingleSeedPeer, Scope::kAllSeedPeers, Scope::kAllPeers}) {
        if (scope_name(scope) == name) {
            return scope;
        }
    }
    return std::nullopt;
}

Result<ManifestUrl> parse_manifest_url(std::string_view url) {
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) {
        return invalid("not a URL (no scheme)");
    }
    const auto scheme = url.substr(0, scheme_end);
    if (scheme != "http" && scheme != "https") {
        return invalid("scheme must be http or https");
    }
    const auto rest = url.substr(scheme_end + 3);
    const auto v2 = rest.find("/v2/");
    const auto manifests = rest.rfind(kManifests);
    if (v2 == std::string_view::npos || manifests == std::string_view::npos || manifests <= v2) {
        return invalid("expected <scheme>://<host>/v2/<repository>/manifests/<reference>");
    }
    ManifestUrl parsed;
    const auto authority = rest.substr(0, v2);
    if (!valid_authority(authority)) {
        return invalid("invalid host");
    }
    parsed.registry = std::string(scheme) + "://" + std::string(authority);
    parsed.repository = std::string(rest.substr(v2 + 4, manifests - v2 - 4));
    parsed.reference = std::string(rest.substr(manifests + kManifests.size()));
    if (!common::is_valid_repository_name(parsed.repository)) {
        return invalid("invalid repository name '" + parsed.repository.substr(0, 256) + "'");
    }
    const bool digest = common::Digest::parse(parsed.reference).has_value();
    if (!digest && !valid_tag(parsed.reference)) {
        return invalid("reference must be a tag or a digest");
    }
    return parsed;
}

Result<JobRequest> parse_job_request(const json& body, const JobRequestLimits& limits) {
    if (!body.is_object()) {
        return invalid("the body must be a JSON object");
    }
    auto type = optional_string(body, "type", "", 64);
    if (!type) {
        return type.error();
    }
    if (*type != "preheat") {
        return invalid("type must be 'preheat'");
    }
    const auto args = body.find("args");
    if (args == body.end() || !args->is_object()) {
        return invalid("args must be an object");
    }
    auto args_type = optional_string(*args, "type", "args.", 64);
    if (!args_type) {
        return args_type.error();
    }
    if (*args_type != "image" && *args_type != "cnai") {
        return invalid("args.type must be 'image' (file preheats are not supported)");
    }
    JobRequest request;
    auto manifest = manifest_of(*args, "args.", limits, request.url);
    auto authorization = authorization_of(*args, limits, "args.");
    auto scope = optional_string(*args, "scope", "args.", 64);
    auto platform = optional_string(*args, "platform", "args.", 64);
    auto pools = parse_pools(body, limits);
    if (!manifest || !authorization || !scope || !platform || !pools) {
        return !manifest        ? manifest.error()
               : !authorization ? authorization.error()
               : !scope         ? scope.error()
               : !platform      ? platform.error()
                                : pools.error();
    }
    auto parsed_scope = parse_scope(*scope);
    if (!parsed_scope) {
        return parsed_scope.error();
    }
    request.manifest = std::move(*manifest);
    request.authorization = std::move(*authorization);
    request.scope = *parsed_scope;
    request.platform = std::move(*platform);
    request.pools = std::move(*pools);
    if (const auto selector = body.find("selector");
        selector != body.end() && !selector->is_null()) {
        if (!selector->is_object() || selector->size() > limits.max_selector_labels) {
            return invalid("selector must be an object of at most " +
                           std::to_string(limits.max_selector_labels) + " string labels");
        }
        for (const auto& [key, value] : selector->items()) {
            if (key.empty() || key.size() > 256 || !value.is_string() ||
                value.get_ref<const std::string&>().size() > 256) {
                return invalid(
                    "selector labels are non-empty names and strings of at most 256 "
                    "bytes");
            }
            request.selector[key] = value.get<std::string>();
        }
    }
    return request;
}

Result<JobRequest> parse_legacy_preheat(const json& body, const JobRequestLimits& limits) {
    if (!body.is_object()) {
        return invalid("the body must be a JSON object");
    }
    auto type = optional_string(body, "type", "", 64);
    if (!type) {
        return type.error();
    }
    if (*type != "image" && *type != "cnai") {
        return invalid("type must be 'image'");
    }
    JobRequest request;
    auto manifest = manifest_of(body, "", limits, request.url);
    if (!manifest) {
        return manifest.error();
    }
    auto authorization = authorization_of(body, limits, "");
    if (!authorization) {
        return authorization.error();
    }
    request.manifest = std::move(*manifest);
    request.authorization = std::move(*authorization);
    request.scope = Scope::kAllPeers;
    return request;
}

}  // namespace aiops::preheat
