// catalog-service end to end: the real binary over HTTP, with a real docker-registry (plain and
// token auth) to health-check. Compiled twice: storage on SQLite, and on a real redis-server
// (AIOPS_CATALOG_ON_REDIS). Both labelled integration.
#define BOOST_TEST_MODULE catalog_service
#include <httplib.h>

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "fixtures/loopback_http_server.h"
#include "fixtures/process.h"
#include "fixtures/redis_server.h"
#include "fixtures/registry_server.h"
#include "fixtures/temp_dir.h"
#include "fixtures/token_issuer.h"

using json = nlohmann::json;
using namespace std::chrono_literals;
namespace fixtures = aiops::testing;

namespace {

constexpr const char* kWriterToken = "writer-token-0123456789abcdef";
constexpr const char* kReaderToken = "reader-token-0123456789abcdef";

// The catalog-service binary with its own data dir, restartable on the same port and data.
class CatalogProcess {
public:
    explicit CatalogProcess(const std::filesystem::path& dir, const std::string& storage_url)
        : dir_(dir), port_(fixtures::free_port()) {
        fixtures::write_file(dir_ / "catalog.yaml",
                             "server:\n  listen: 127.0.0.1:" + std::to_string(port_) +
                                 "\n  data_dir: " + (dir_ / "data").string() +
                                 "\nstorage:\n  url: " + storage_url +
                                 "\nauth:\n  tokens:\n"
                                 "    - {name: ci, role: writer, token: " +
                                 kWriterToken +
                                 "}\n"
                                 "    - {name: ui, role: reader, token: " +
                                 kReaderToken +
                                 "}\n"
                                 "health:\n  interval_s: 0\n  timeout_ms: 3000\n"
                                 "  url_policy:\n    allow_loopback: true\n");
        std::filesystem::create_directories(dir_ / "data");
        start();
    }

    void start() {
        process_ = std::make_unique<fixtures::Process>(
            std::vector<std::string>{AIOPS_CATALOG_BINARY, "--config",
                                     (dir_ / "catalog.yaml").string()},
            dir_ / ("catalog-" + std::to_string(++starts_) + ".log"));
        if (!fixtures::wait_for_port(port_, 20s)) {
            throw std::runtime_error("catalog-service did not start: " + process_->log());
        }
    }

    int port() const { return port_; }
    fixtures::Process& process() { return *process_; }

private:
    std::filesystem::path dir_;
    int port_;
    int starts_ = 0;
    std::unique_ptr<fixtures::Process> process_;
};

struct Reply {
    int status = 0;
    json body;
    httplib::Headers headers;
};

struct ServiceFixture {
    ServiceFixture() {
#ifdef AIOPS_CATALOG_ON_REDIS
        redis = std::make_unique<fixtures::RedisServer>(dir.path() / "redis");
        const std::string storage_url = redis->url();
#else
        const std::string storage_url = "sqlite://" + (dir.path() / "catalog.db").string();
#endif
        service = std::make_unique<CatalogProcess>(dir.path(), storage_url);
    }

    Reply call(const std::string& method, const std::string& path, const std::string& body = "",
               const char* token = kWriterToken) {
        httplib::Client client("127.0.0.1", service->port());
        client.set_read_timeout(30, 0);
        httplib::Headers headers;
        if (token != nullptr) {
            headers.emplace("Authorization", std::string("Bearer ") + token);
        }
        httplib::Result result =
            method == "GET"    ? client.Get(path.c_str(), headers)
            : method == "POST" ? client.Post(path.c_str(), headers, body, "application/json")
            : method == "PUT"  ? client.Put(path.c_str(), headers, body, "application/json")
                               : client.Delete(path.c_str(), headers);
        BOOST_REQUIRE_MESSAGE(result, "request failed: " + path);
        Reply reply{result->status, json::parse(result->body, nullptr, false), result->headers};
        return reply;
    }

    std::string create(const json& body) {
        auto reply = call("POST", "/container_registry", body.dump());
        BOOST_REQUIRE_MESSAGE(reply.status == 201, reply.body.dump());
        return reply.body["container_registry_id"];
    }

    fixtures::TempDir dir;
#ifdef AIOPS_CATALOG_ON_REDIS
    std::unique_ptr<fixtures::RedisServer> redis;
#endif
    std::unique_ptr<CatalogProcess> service;
};

json registry(const std::string& name, json tags, const std::string& url = "") {
    return {{"container_registry_name", name},
            {"container_registry_tags", std::move(tags)},
            {"container_registry_public_url", url},
            {"container_registry_storage_info",
             {{"storage_type", "fs"}, {"storage_size", -1}, {"registry_type", "aios"}}}};
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(catalog_service, ServiceFixture)

BOOST_AUTO_TEST_CASE(writes_need_a_writer_token_and_reads_a_reader_token) {
    auto anonymous =
        call("POST", "/container_registry", registry("a", json::array()).dump(), nullptr);
    BOOST_TEST(anonymous.status == 401);
    BOOST_TEST(anonymous.body["error"]["code"] == "unauthorized");

    auto reader_write =
        call("POST", "/container_registry", registry("a", json::array()).dump(), kReaderToken);
    BOOST_TEST(reader_write.status == 403);
    BOOST_TEST(reader_write.body["error"]["code"] == "forbidden");

    const auto id = create(registry("a", {"ai"}));
    BOOST_TEST(call("GET", "/container_registry/" + id, "", kReaderToken).status == 200);
    BOOST_TEST(call("GET", "/container_registry/" + id, "", nullptr).status == 401);
    BOOST_TEST(call("DELETE", "/container_registry/" + id, "", kReaderToken).status == 403);
}

BOOST_AUTO_TEST_CASE(bad_records_get_400_naming_the_field) {
    auto unknown = registry("a", json::array());
    unknown["extra"] = true;
    auto reply = call("POST", "/container_registry", unknown.dump());
    BOOST_TEST(reply.status == 400);
    BOOST_TEST(reply.body["error"]["code"] == "invalid_input");
    BOOST_TEST(reply.body["error"]["message"].get<std::string>().find("extra") !=
               std::string::npos);

    auto bad_type = registry("a", json::array());
    bad_type["container_registry_storage_info"]["memory_size"] = "8G";
    reply = call("POST", "/container_registry", bad_type.dump());
    BOOST_TEST(reply.status == 400);
    BOOST_TEST(reply.body["error"]["message"].get<std::string>().find("memory_size") !=
               std::string::npos);

    BOOST_TEST(call("POST", "/container_registry", "{not json").status == 400);
}

BOOST_AUTO_TEST_CASE(create_get_update_delete_with_the_contract_status_codes) {
    const auto id = create(registry("internal-ai-registry", {"ai", "training"}));
    BOOST_TEST(call("POST", "/container_registry",
                    json{{"container_registry_id", id}, {"container_registry_name", "dup"}}.dump())
                   .status == 409);

    auto fetched = call("GET", "/container_registry/" + id);
    BOOST_TEST(fetched.status == 200);
    BOOST_TEST(fetched.body["container_registry_name"] == "internal-ai-registry");
    BOOST_TEST(fetched.body.contains("created_at"));

    auto updated = call("PUT", "/container_registry/" + id,
                        R"({"$set": {"container_registry_name": "updated-name",
                                     "container_registry_metadata.owner": "mlops"},
                            "$addToSet": {"container_registry_tags": "gpu"}})");
    BOOST_TEST(updated.status == 200);
    BOOST_TEST(updated.body["container_registry_name"] == "updated-name");
    BOOST_TEST(updated.body["container_registry_metadata"]["owner"] == "mlops");
    BOOST_TEST(updated.body["container_registry_tags"].size() == 3U);

    auto plain =
        call("PUT", "/container_registry/" + id, R"({"container_registry_image_prefix": "p"})");
    BOOST_TEST(plain.status == 200);
    BOOST_TEST(plain.body["container_registry_image_prefix"] == "p");

    BOOST_TEST(call("DELETE", "/container_registry/" + id).status == 200);
    auto gone = call("GET", "/container_registry/" + id);
    BOOST_TEST(gone.status == 404);
    BOOST_TEST(gone.body["error"]["code"] == "not_found");
    BOOST_TEST(call("DELETE", "/container_registry/" + id).status == 404);
    BOOST_TEST(call("PUT", "/container_registry/" + id, R"({"$set": {"a": 1}})").status == 404);
}

BOOST_AUTO_TEST_CASE(queries_filter_page_and_reject_malformed_bodies) {
    create(registry("r1", {"ai", "internal"}));
    create(registry("r2", {"ai"}));
    create(registry("r3", {"other"}));

    auto tags = call("POST", "/container_registries",
                     R"({"container_registry_tags": {"$in": ["ai", "internal"]}})", kReaderToken);
    BOOST_TEST(tags.status == 200);
    BOOST_TEST(tags.body.size() == 2U);

    auto first = call("POST", "/container_registries?limit=2", "{}");
    BOOST_TEST(first.body.size() == 2U);
    BOOST_REQUIRE(first.headers.count("Link") == 1U);
    const auto link = first.headers.find("Link");
    const auto next = link->second.substr(1, link->second.find('>') - 1);
    auto second = call("POST", next, "{}");
    BOOST_TEST(second.body.size() == 1U);
    BOOST_TEST(second.headers.count("Link") == 0U);

    // The seed document's own example carries a stray ']': 400 with the parse position.
    auto malformed = call("POST", "/container_registries",
                          R"({"container_registry_tags": {"$in": ["ai", "internal"]}]})");
    BOOST_TEST(malformed.status == 400);
    BOOST_TEST(malformed.body["error"]["message"].get<std::string>().find("column") !=
               std::string::npos);

    BOOST_TEST(call("POST", "/container_registries", R"({"a": {"$where": 1}})").status == 400);
    BOOST_TEST(call("POST", "/container_registries?limit=5000", "{}").status == 400);
    BOOST_TEST(call("POST", "/container_registries?limit=x", "{}").status == 400);
}

BOOST_AUTO_TEST_CASE(concurrent_puts_on_one_record_lose_no_update) {
    const auto id = create(registry("hot", json::array()));
    std::vector<std::thread> writers;
    std::atomic<int> ok{0};
    for (int thread_idx = 0; thread_idx < 4; ++thread_idx) {
        writers.emplace_back([&, thread_idx] {
            for (int idx = 0; idx < 10; ++idx) {
                httplib::Client client("127.0.0.1", service->port());
                client.set_read_timeout(30, 0);  // httplib's 5 s default is short under ASan
                const json body = {{"$addToSet",
                                    {{"container_registry_tags", "t" + std::to_string(thread_idx) +
                                                                     "-" + std::to_string(idx)}}}};
                auto result = client.Put(("/container_registry/" + id).c_str(),
                                         {{"Authorization", std::string("Bearer ") + kWriterToken}},
                                         body.dump(), "application/json");
                if (result && result->status == 200) {
                    ++ok;
                }
            }
        });
    }
    for (auto& writer : writers) {
        writer.join();
    }

    BOOST_TEST(ok.load() == 40);
    BOOST_TEST(call("GET", "/container_registry/" + id).body["container_registry_tags"].size() ==
               40U);
}

BOOST_AUTO_TEST_CASE(data_survives_a_clean_restart_and_a_kill_9_during_a_write_burst) {
    const auto kept = create(registry("kept", {"x"}));
    BOOST_TEST(service->process().terminate() == 0);
    service->start();
    BOOST_TEST(call("GET", "/container_registry/" + kept).status == 200);

    std::mutex mutex;
    std::vector<std::string> acked;  // guarded by mutex
    std::atomic<bool> stop{false};
    std::atomic<bool> writer_done{false};
    std::thread writer([&] {
        for (int idx = 0; !stop.load(); ++idx) {
            httplib::Client client("127.0.0.1", service->port());
            client.set_read_timeout(30, 0);
            auto result = client.Post(
                "/container_registry", {{"Authorization", std::string("Bearer ") + kWriterToken}},
                registry("burst-" + std::to_string(idx), {"burst"}).dump(), "application/json");
            if (!result) {
                writer_done = true;
                return;  // the server is gone
            }
            if (result->status == 201) {
                std::scoped_lock lock(mutex);
                acked.push_back(json::parse(result->body)["container_registry_id"]);
            }
        }
    });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    bool enough = false;
    while (!writer_done.load() && std::chrono::steady_clock::now() < deadline) {
        {
            std::scoped_lock lock(mutex);
            if (acked.size() >= 30) {
                enough = true;
                break;
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    service->process().kill9();
    stop = true;
    writer.join();
    BOOST_TEST_REQUIRE(enough, "fewer than 30 acknowledged writes in 60 s");
    service->start();

    for (const auto& id : acked) {
        BOOST_TEST(call("GET", "/container_registry/" + id).status == 200,
                   "acked " << id << " lost");
    }
    auto burst =
        call("POST", "/container_registries?limit=1000", R"({"container_registry_tags": "burst"})");
    BOOST_TEST(burst.body.size() >= acked.size());
}

BOOST_AUTO_TEST_CASE(health_checks_tell_registries_from_everything_else) {
    fixtures::RegistryServer plain;
    fixtures::TokenIssuer issuer;
    fixtures::RegistryServer token_auth({.token_issuer = &issuer});
    fixtures::LoopbackHttpServer not_a_registry;
    not_a_registry.server().Get("/v2/", [](const httplib::Request&, httplib::Response& res) {
        res.status = 404;
        res.set_content("<html>nginx</html>", "text/html");
    });
    not_a_registry.start();
    const int closed_port = fixtures::free_port();

    const auto plain_id = create(registry("plain", json::array(), plain.url()));
    const auto token_id = create(registry("token", json::array(), token_auth.url() + "/"));
    const auto web_id = create(registry("web", json::array(), not_a_registry.url("")));
    const auto closed_id = create(
        registry("closed", json::array(), "http://127.0.0.1:" + std::to_string(closed_port)));
    const auto no_url_id = create(registry("nourl", json::array()));

    auto up = call("GET", "/check_container_health/" + plain_id, "", kReaderToken);
    BOOST_TEST(up.status == 200);
    BOOST_TEST(up.body["status"] == "up");
    BOOST_TEST(up.body["oci_compliant"] == true);
    BOOST_TEST(up.body["http_status"] == 200);
    BOOST_TEST(up.body["auth_scheme"] == "none");
    BOOST_TEST(up.body["latency_ms"].is_number());

    auto token = call("GET", "/check_container_health/" + token_id);
    BOOST_TEST(token.body["status"] == "up");
    BOOST_TEST(token.body["http_status"] == 401);
    BOOST_TEST(token.body["auth_scheme"] == "bearer");
    BOOST_TEST(token.body["api_version"] == "registry/2.0");

    auto web = call("GET", "/check_container_health/" + web_id);
    BOOST_TEST(web.body["status"] == "down");
    BOOST_TEST(web.body["reachable"] == true);
    BOOST_TEST(web.body["oci_compliant"] == false);

    auto closed = call("GET", "/check_container_health/" + closed_id);
    BOOST_TEST(closed.body["status"] == "down");
    BOOST_TEST(closed.body["reachable"] == false);
    BOOST_TEST(!closed.body["error"].get<std::string>().empty());

    BOOST_TEST(call("GET", "/check_container_health/" + no_url_id).body["status"] == "down");
    BOOST_TEST(call("GET", "/check_container_health/nope").status == 404);

    auto down = call("POST", "/container_registries", R"({"health.status": "down"})");
    BOOST_TEST(down.body.size() == 3U);
    auto stored = call("GET", "/container_registry/" + plain_id);
    BOOST_TEST(stored.body["health"]["history"].size() == 1U);
}

BOOST_AUTO_TEST_CASE(models_are_upserted_queried_and_deleted) {
    const json model = {{"registry_id", "harbor-prod"},
                        {"repository", "hf/org/model"},
                        {"digest", "sha256:" + std::string(64, 'c')},
                        {"tags", {"main"}},
                        {"format", "safetensors"},
                        {"licenses", {"apache-2.0"}}};
    auto created = call("POST", "/models", model.dump());
    BOOST_TEST(created.status == 201);
    auto again = call("POST", "/models", model.dump());
    BOOST_TEST(again.status == 200);
    BOOST_TEST(again.body["model_id"] == created.body["model_id"]);

    auto query = call("POST", "/models/query",
                      R"({"licenses": "apache-2.0", "tags": {"$all": ["main"]}})", kReaderToken);
    BOOST_TEST(query.status == 200);
    BOOST_TEST(query.body.size() == 1U);

    const std::string id = created.body["model_id"];
    BOOST_TEST(call("GET", "/models/" + id, "", kReaderToken).status == 200);
    BOOST_TEST(call("DELETE", "/models/" + id).status == 200);
    BOOST_TEST(call("GET", "/models/" + id).status == 404);
    BOOST_TEST(call("POST", "/models", R"({"registry_id": "x"})").status == 400);
}

BOOST_AUTO_TEST_CASE(serves_its_openapi_document_and_operational_endpoints) {
    httplib::Client client("127.0.0.1", service->port());
    auto openapi = client.Get("/openapi.yaml");
    BOOST_REQUIRE(openapi);
    BOOST_TEST(openapi->status == 200);
    BOOST_TEST(openapi->body.find("/check_container_health/{id}") != std::string::npos);
    BOOST_TEST(client.Get("/healthz")->status == 200);
    BOOST_TEST(client.Get("/readyz")->status == 200);
    auto metrics = client.Get("/metrics");
    BOOST_TEST(metrics->body.find("http_requests_total") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
