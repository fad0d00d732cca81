#include "catalog_api.h"

#include <cctype>
#include <charconv>

#include "aiops/common/encoding.h"
#include "openapi_document.h"
#include "registry_record.h"

namespace aiops::catalog {

using common::Error;
using common::ErrorCode;
using common::Method;
using common::Result;
using json = nlohmann::json;

namespace {

constexpr const char* kRegistryPath = "/container_registry/([^/]+)";
constexpr const char* kModelPath = "/models/([^/]+)";

// 200/201 with the record, or the error envelope.
void write_result(httplib::Response& res, int status, const Result<json>& record) {
    if (!record) {
        return common::write_error(res, record.error());
    }
    common::write_json(res, status, record.value());
}

}  // namespace

Result<QueryOptions> parse_query_options(const httplib::Request& req) {
    QueryOptions options;
    if (req.has_param("limit")) {
        const auto text = req.get_param_value("limit");
        std::size_t limit = 0;
        auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), limit);
        if (ec != std::errc() || ptr != text.data() + text.size()) {
            return Error{ErrorCode::kInvalidInput, "limit must be a positive integer"};
        }
        options.limit = limit;
    }
    options.cursor = req.get_param_value("cursor");
    options.sort = req.get_param_value("sort");
    return options;
}

CatalogApi::CatalogApi(Catalog& catalog, const HealthChecker& checker, common::Metrics& metrics,
                       CatalogApiSettings settings)
    : catalog_(catalog),
      checker_(checker),
      health_checks_(metrics.counter("catalog_health_checks_total",
                                     "Registry health checks by result", {"status"})),
      settings_(settings) {}

void CatalogApi::register_routes(common::Server& server) {
    using common::Access;
    const auto bind = [this](auto method) {
        return [this, method](const Request& req, Response& res, const Context& ctx) {
            (this->*method)(req, res, ctx);
        };
    };
    server.route(Method::kPost, "/container_registry", Access::writer(),
                 bind(&CatalogApi::create_registry));
    server.route(Method::kGet, kRegistryPath, Access::reader(), bind(&CatalogApi::get_registry));
    server.route(Method::kPut, kRegistryPath, Access::writer(), bind(&CatalogApi::update_registry));
    server.route(Method::kDelete, kRegistryPath, Access::writer(),
                 bind(&CatalogApi::delete_registry));
    server.route(Method::kPost, "/container_registries", Access::reader(),
                 bind(&CatalogApi::query_registries));
    server.route(Method::kGet, "/check_container_health/([^/]+)", Access::reader(),
                 bind(&CatalogApi::health));
    server.route(Method::kPost, "/models", Access::writer(), bind(&CatalogApi::upsert_model));
    server.route(Method::kPost, "/models/query", Access::reader(), bind(&CatalogApi::query_models));
    server.route(Method::kGet, kModelPath, Access::reader(), bind(&CatalogApi::get_model));
    server.route(Method::kDelete, kModelPath, Access::writer(), bind(&CatalogApi::delete_model));
    server.route(Method::kGet, "/openapi.yaml", Access::anyone(),
                 [](const Request&, Response& res, const Context&) {
                     res.set_content(std::string(kOpenApiDocument), "application/yaml");
                 });
}

Result<json> CatalogApi::body_json(const Request& req, bool empty_is_object) const {
    if (empty_is_object && req.body.find_first_not_of(" \t\r\n") == std::string::npos) {
        return json::object();
    }
    return common::parse_json(req.body, settings_.json_limits);
}

void CatalogApi::create_registry(const Request& req, Response& res, const Context&) {
    auto body = body_json(req, false);
    if (!body) {
        return common::write_error(res, body.error());
    }
    write_result(res, 201, catalog_.create_registry(body.value()));
}

void CatalogApi::get_registry(const Request&, Response& res, const Context& ctx) {
    write_result(res, 200, catalog_.get_registry(ctx.captures.at(0)));
}

void CatalogApi::update_registry(const Request& req, Response& res, const Context& ctx) {
    auto body = body_json(req, false);
    if (!body) {
        return common::write_error(res, body.error());
    }
    write_result(res, 200, catalog_.update_registry(ctx.captures.at(0), body.value()));
}

void CatalogApi::delete_registry(const Request&, Response& res, const Context& ctx) {
    const auto& id = ctx.captures.at(0);
    if (auto st = catalog_.delete_registry(id); !st) {
        return common::write_error(res, st.error());
    }
    common::write_json(res, 200, {{"container_registry_id", id}, {"deleted", true}});
}

void CatalogApi::write_page(const Request& req, Response& res,
                            const Result<QueryPage>& page) const {
    if (!page) {
        return common::write_error(res, page.error());
    }
    if (!page.value().next_cursor.empty()) {
        const auto& cursor = page.value().next_cursor;
        res.set_header("X-Next-Cursor", cursor);
        std::string next = req.path + "?cursor=" + common::percent_encode(cursor, false);
        for (const char* param : {"limit", "sort"}) {
            if (req.has_param(param)) {
                next += std::string("&") + param + "=" +
                        common::percent_encode(req.get_param_value(param), false);
            }
        }
        res.set_header("Link", "<" + next + ">; rel=\"next\"");
    }
    res.set_header("X-Total-Returned", std::to_string(page.value().items.size()));
    common::write_json(res, 200, json(page.value().items));
}

void CatalogApi::query(const Request& req, Response& res, const QueryFunction& run) const {
    auto filter = body_json(req, true);
    if (!filter) {
        return common::write_error(res, filter.error());
    }
    auto options = parse_query_options(req);
    if (!options) {
        return common::write_error(res, options.error());
    }
    write_page(req, res, run(filter.value(), options.value()));
}

void CatalogApi::query_registries(const Request& req, Response& res, const Context&) {
    query(req, res, [this](const json& filter, const QueryOptions& options) {
        return catalog_.query_registries(filter, options);
    });
}

Result<json> CatalogApi::check_health(const std::string& id) {
    auto record = catalog_.get_registry(id);
    if (!record) {
        return record.error();
    }
    auto result = checker_.check(record.value().value(kUrlField, std::string()));
    health_checks_.inc(common::LabelValues{result.value("status", std::string("down"))});
    auto stored = catalog_.record_health(id, result);
    if (!stored) {
        return stored.error();
    }
    return stored.value()["health"];
}

void CatalogApi::health(const Request&, Response& res, const Context& ctx) {
    write_result(res, 200, check_health(ctx.captures.at(0)));
}

void CatalogApi::upsert_model(const Request& req, Response& res, const Context&) {
    auto body = body_json(req, false);
    if (!body) {
        return common::write_error(res, body.error());
    }
    auto stored = catalog_.upsert_model(body.value());
    if (!stored) {
        return common::write_error(res, stored.error());
    }
    common::write_json(res, stored.value().second ? 201 : 200, stored.value().first);
}

void CatalogApi::get_model(const Request&, Response& res, const Context& ctx) {
    write_result(res, 200, catalog_.get_model(ctx.captures.at(0)));
}

void CatalogApi::delete_model(const Request&, Response& res, const Context& ctx) {
    const auto& id = ctx.captures.at(0);
    if (auto st = catalog_.delete_model(id); !st) {
        return common::write_error(res, st.error());
    }
    common::write_json(res, 200, {{"model_id", id}, {"deleted", true}});
}

void CatalogApi::query_models(const Request& req, Response& res, const Context&) {
    query(req, res, [this](const json& filter, const QueryOptions& options) {
        return catalog_.query_models(filter, options);
    });
}

}  // namespace aiops::catalog
