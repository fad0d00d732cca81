#include "harbor_api.h"

#include <nlohmann/json.hpp>

#include "aiops/common/encoding.h"
#include "aiops/common/json.h"

namespace aiops::webhook {

using common::Error;
using common::ErrorCode;
using common::Result;
using json = nlohmann::json;

namespace {

std::string twice_encoded(const std::string& repository) {
    return common::percent_encode(common::percent_encode(repository, false), false);
}

}  // namespace

HarborApi::HarborApi(HarborApiSettings settings, common::HttpClient& http)
    : settings_(std::move(settings)), http_(http) {
    while (!settings_.url.empty() && settings_.url.back() == '/') {
        settings_.url.pop_back();
    }
}

std::string HarborApi::basic_auth() const {
    return "Basic " + common::base64_encode(settings_.username + ":" + settings_.password);
}

std::string HarborApi::artifact_url(const std::string& project,
                                    const std::string& repository) const {
    return settings_.url + "/api/v2.0/projects/" + common::percent_encode(project, false) +
           "/repositories/" + twice_encoded(repository) + "/artifacts";
}

common::HttpRequest HarborApi::request(const std::string& method, const std::string& url) const {
    common::HttpRequest request;
    request.method = method;
    request.url = url;
    request.headers.emplace("Accept", "application/json");
    if (method != "GET") {
        request.headers.emplace("Content-Type", "application/json");
    }
    request.headers.emplace("Authorization", basic_auth());
    request.retry = method == "GET";
    return request;
}

ActionResult HarborApi::scan(const std::string& project, const std::string& repository,
                             const std::string& reference, const std::string& scan_type) {
    auto call = request("POST", artifact_url(project, repository) + "/" + reference + "/scan");
    call.body = json{{"scan_type", scan_type}}.dump();
    auto response = http_.fetch(call);
    // Harbor's Scan() answers 400 BAD_REQUEST for what it will not scan (ModelPack/CNAI models,
    // unsupported media types: scan/base_controller.go); 422 is kept for older releases.
    if (response && (response->status == 400 || response->status == 422)) {
        return final_failure("Harbor will not scan this artifact (" +
                             std::to_string(response->status) +
                             "); ModelPack models are never sent to scanners — use scan_gate");
    }
    return http_outcome(response, "Harbor scan", 0);
}

ActionResult HarborApi::add_label(const std::string& project, const std::string& repository,
                                  const std::string& reference, std::int64_t label_id) {
    auto call = request("POST", artifact_url(project, repository) + "/" + reference + "/labels");
    call.body = json{{"id", label_id}}.dump();
    return http_outcome(http_.fetch(call), "Harbor label", 409);
}

Result<std::int64_t> HarborApi::label_id(const std::string& name) {
    {
        std::scoped_lock lock(mutex_);
        if (auto found = label_ids_.find(name); found != label_ids_.end()) {
            return found->second;
        }
    }
    auto response = http_.fetch(request("GET", settings_.url + "/api/v2.0/labels?scope=g&name=" +
                                                   common::percent_encode(name, false)));
    if (!response) {
        return response.error();
    }
    if (response->status != 200) {
        return Error{
            retryable_status(response->status) ? ErrorCode::kUpstream : ErrorCode::kInvalidInput,
            "Harbor GET /labels answered " + std::to_string(response->status)};
    }
    auto body = common::parse_json(response->body);
    if (!body || !body->is_array()) {
        return Error{ErrorCode::kUpstream, "Harbor GET /labels: not a JSON array"};
    }
    for (const auto& label : *body) {
        if (label.is_object() && label.value("name", "") == name && label.contains("id") &&
            label["id"].is_number_integer()) {
            const auto id = label["id"].get<std::int64_t>();
            std::scoped_lock lock(mutex_);
            label_ids_[name] = id;
            return id;
        }
    }
    return Error{ErrorCode::kNotFound,
                 "Harbor has no global label '" + name + "' (create it under Labels)"};
}

ActionResult HarborApi::copy(const std::string& to_project, const std::string& to_repository,
                             const std::string& from) {
    auto call = request("POST", artifact_url(to_project, to_repository) +
                                    "?from=" + common::percent_encode(from, true));
    return http_outcome(http_.fetch(call), "Harbor copy", 409);
}

}  // namespace aiops::webhook
