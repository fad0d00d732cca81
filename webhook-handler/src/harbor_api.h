#pragma once

#include <map>
#include <mutex>
#include <string>

#include "action.h"
#include "aiops/common/http_client.h"
#include "aiops/common/result.h"

// Harbor's REST API v2.0 as an automation robot uses it
// (shared/reference/harbor-preheat-webhook-replication.md §5): robot Basic on every call and
// no cookie jar (the CSRF check only applies to requests carrying Harbor's `sid` cookie);
// repository names with '/' encoded twice; errors {"errors":[{"code","message"}]}.
namespace aiops::webhook {

struct HarborApiSettings {
    std::string url{};  // https://harbor.example.com (no trailing slash)
    std::string username{};
    std::string password{};
};

class HarborApi {
public:
    HarborApi(HarborApiSettings settings, common::HttpClient& http);

    bool configured() const { return !settings_.url.empty(); }
    const HarborApiSettings& settings() const { return settings_; }
    std::string basic_auth() const;

    // POST …/artifacts/{ref}/scan: 202; 400/422 (not scannable) are final.
    ActionResult scan(const std::string& project, const std::string& repository,
                      const std::string& reference, const std::string& scan_type);
    // POST …/artifacts/{ref}/labels {"id"}: 409 (already attached) is ok.
    ActionResult add_label(const std::string& project, const std::string& repository,
                           const std::string& reference, std::int64_t label_id);
    // The id of the global label `name` (GET /labels?name=&scope=g), cached; kNotFound when
    // Harbor has no such label.
    common::Result<std::int64_t> label_id(const std::string& name);
    // POST /projects/{p}/repositories/{r}/artifacts?from=<src>: 201; 409 (already there) is ok.
    ActionResult copy(const std::string& to_project, const std::string& to_repository,
                      const std::string& from);

private:
    std::string artifact_url(const std::string& project, const std::string& repository) const;
    common::HttpRequest request(const std::string& method, const std::string& url) const;

    HarborApiSettings settings_;
    common::HttpClient& http_;
    std::mutex mutex_;
    std::map<std::string, std::int64_t> label_ids_;  // guarded by mutex_
};

}  // namespace aiops::webhook
