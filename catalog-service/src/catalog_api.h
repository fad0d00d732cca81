#pragma once

#include <functional>

#include "aiops/common/http_server.h"
#include "aiops/common/json.h"
#include "catalog.h"
#include "health_check.h"

// HTTP routes of the catalog-service (contract: issue 3 / seeds/003). Handlers only parse the
// request, call Catalog / HealthChecker and render JSON (STYLE F2).
namespace aiops::catalog {

struct CatalogApiSettings {
    common::JsonLimits json_limits{.max_bytes = 1 << 20, .max_depth = 32};
};

class CatalogApi {
public:
    CatalogApi(Catalog& catalog, const HealthChecker& checker, common::Metrics& metrics,
               CatalogApiSettings settings);

    void register_routes(common::Server& server);

    // Runs a health check of one registry now and stores the result (also used by the monitor).
    common::Result<nlohmann::json> check_health(const std::string& id);

private:
    using Request = httplib::Request;
    using Response = httplib::Response;
    using Context = common::RequestContext;

    void create_registry(const Request& req, Response& res, const Context& ctx);
    void get_registry(const Request& req, Response& res, const Context& ctx);
    void update_registry(const Request& req, Response& res, const Context& ctx);
    void delete_registry(const Request& req, Response& res, const Context& ctx);
    void query_registries(const Request& req, Response& res, const Context& ctx);
    void health(const Request& req, Response& res, const Context& ctx);
    void upsert_model(const Request& req, Response& res, const Context& ctx);
    void get_model(const Request& req, Response& res, const Context& ctx);
    void delete_model(const Request& req, Response& res, const Context& ctx);
    void query_models(const Request& req, Response& res, const Context& ctx);

    common::Result<nlohmann::json> body_json(const Request& req, bool empty_is_object) const;
    void write_page(const Request& req, Response& res, const common::Result<QueryPage>& page) const;
    using QueryFunction = std::function<common::Result<QueryPage>(const nlohmann::json& filter,
                                                                  const QueryOptions& options)>;
    // Parses the filter body and ?limit/cursor/sort, runs `run`, renders the page.
    void query(const Request& req, Response& res, const QueryFunction& run) const;

    Catalog& catalog_;
    const HealthChecker& checker_;
    common::Counter& health_checks_;
    CatalogApiSettings settings_;
};

// ?limit=&cursor=&sort= → QueryOptions (kInvalidInput for a non-numeric limit).
common::Result<QueryOptions> parse_query_options(const httplib::Request& req);

}  // namespace aiops::catalog
