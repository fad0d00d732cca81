#define BOOST_TEST_MODULE deploy_registration
#include <httplib.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "aiops/common/encoding.h"
#include "fixtures/devpi_server.h"
#include "fixtures/harbor_api_server.h"
#include "fixtures/loopback_http_server.h"
#include "fixtures/process.h"
#include "fixtures/temp_dir.h"

// deploy/harbor/register.sh and deploy/devpi/configure.sh run with bash against the Harbor REST
// API v2.0 test server (harbor_api_admin.h) and the DevPI test server (devpi_server.h): the calls
// and their bodies, nothing written on a second run or in a dry run, one stderr line for a wrong
// password or an unreachable server, and never a cookie (Harbor's CSRF check applies only to
// requests that carry its session cookie, which the fake hands out on every answer).
namespace {

namespace fixtures = aiops::testing;
using json = nlohmann::json;

constexpr const char* kAdminPassword = "Harbor12345";
constexpr const char* kScannerToken = "scanner-t0ken";
constexpr const char* kPreheatToken = "preheat-t0ken";
constexpr const char* kWebhookAuth = "Bearer hook-t0ken";
constexpr const char* kProxySecret = "proxy-s3cret";

struct Run {
    int status = -1;
    std::string out;
    std::string err;
};

int count_lines(const std::string& text) {
    return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

// `bash script args...` in a clean environment (`env`: NAME=value), stdout and stderr apart. The
// Debian tools (/usr/bin: bash, curl, python3) come first on PATH, ahead of any version manager's
// shims.
Run run_script(const fixtures::TempDir& dir, const std::string& script,
               const std::vector<std::string>& args, const std::vector<std::string>& env) {
    const char* path = std::getenv("PATH");
    std::vector<std::string> argv = {"env", "-i",
                                     std::string("PATH=/usr/bin:/bin:") + (path ? path : ""),
                                     "ERR_FILE=" + (dir / "err.log").string()};
    argv.insert(argv.end(), env.begin(), env.end());
    argv.insert(argv.end(), {"bash", "-c", R"(exec bash "$0" "$@" 2>"$ERR_FILE")", script});
    argv.insert(argv.end(), args.begin(), args.end());
    fixtures::Process process(argv, dir / "out.log");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (process.running() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    Run result;
    result.status = process.terminate();
    result.out = fixtures::read_file(dir / "out.log");
    result.err = fixtures::read_file(dir / "err.log");
    return result;
}

std::string basic(const std::string& user, const std::string& password) {
    return "Basic " + aiops::common::base64_encode(user + ":" + password);
}

// ---------------------------------------------------------------------------------------------
// Harbor

struct HarborRegistration {
    fixtures::TempDir dir;
    fixtures::HarborApiServer harbor{"http://127.0.0.1:9"};  // the artifact routes are not used

    HarborRegistration() {
        harbor.add_user("admin", kAdminPassword);
        harbor.add_robot("installer", "r0b0t-secret");
        harbor.add_project("ai");
        harbor.add_project("ml");
    }

    static std::vector<std::string> all_services() {
        return {"--projects",
                "ai,ml",
                "--scanner-url",
                "http://scanner-adapter:8083",
                "--preheat-url",
                "http://preheat-provider:8085",
                "--webhook-url",
                "http://webhook-handler:8084",
                "--proxy-url",
                "http://proxy-adapter:8082",
                "--replicate-models",
                "meta-llama/Llama-3.2-1B,Qwen/Qwen2.5-0.5B",
                "--replication-tag",
                "main",
                "--proxy-cache-project",
                "hf-proxy"};
    }

    Run run(std::vector<std::string> args, const std::string& user = "admin",
            const std::string& password = kAdminPassword,
            const std::string& preheat_token = kPreheatToken) {
        args.insert(args.begin(), {"--harbor-url", harbor.url(), "--user", user});
        return run_script(
            dir, AIOPS_REGISTER_SCRIPT, args,
            {"HARBOR_PASSWORD=" + password, std::string("AIOPS_SCANNER_TOKEN=") + kScannerToken,
             "AIOPS_PREHEAT_TOKEN=" + preheat_token,
             std::string("AIOPS_WEBHOOK_AUTH_HEADER=") + kWebhookAuth,
             "AIOPS_PROXY_ACCESS_KEY=hf-user",
             std::string("AIOPS_PROXY_ACCESS_SECRET=") + kProxySecret});
    }

    // Every request since call number `from` that is not a GET.
    std::vector<fixtures::HarborApiServer::Call> writes(std::size_t from = 0) const {
        std::vector<fixtures::HarborApiServer::Call> found;
        const auto calls = harbor.calls();
        for (std::size_t index = from; index < calls.size(); ++index) {
            if (calls[index].method != "GET") {
                found.push_back(calls[index]);
            }
        }
        return found;
    }
};

std::vector<std::string> method_paths(const std::vector<fixtures::HarborApiServer::Call>& calls) {
    std::vector<std::string> lines;
    for (const auto& call : calls) {
        lines.push_back(call.method + " " + call.path);
    }
    return lines;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(harbor_register, HarborRegistration)

BOOST_AUTO_TEST_CASE(a_wrong_password_fails_with_one_line_and_changes_nothing) {
    const Run result = run(all_services(), "admin", "not-the-password");

    BOOST_TEST(result.status != 0);
    BOOST_TEST(count_lines(result.err) == 1, result.err);
    BOOST_TEST(
        result.err.find("rejected the credentials of user admin (HTTP 401)") != std::string::npos,
        result.err);
    BOOST_TEST(result.out.empty(), result.out);
    BOOST_TEST(harbor.calls().size() == 1U);  // GET /users/current, then stop
    BOOST_TEST(writes().empty());
}

BOOST_AUTO_TEST_CASE(an_unreachable_harbor_fails_with_one_line) {
    const int closed_port = fixtures::free_port();
    const Run result =
        run_script(dir, AIOPS_REGISTER_SCRIPT,
                   {"--harbor-url", "http://127.0.0.1:" + std::to_string(closed_port), "--user",
                    "admin", "--scanner-url", "http://scanner:8083"},
                   {"HARBOR_PASSWORD=x", "AIOPS_SCANNER_TOKEN=t"});

    BOOST_TEST(result.status != 0);
    BOOST_TEST(count_lines(result.err) == 1, result.err);
    BOOST_TEST(result.err.find("cannot connect to Harbor") != std::string::npos, result.err);
}

BOOST_AUTO_TEST_CASE(a_missing_project_fails_with_one_line) {
    const Run result = run({"--projects", "ai,nope", "--webhook-url", "http://hooks:8084"});

    BOOST_TEST(result.status != 0);
    BOOST_TEST(count_lines(result.err) == 1, result.err);
    BOOST_TEST(result.err.find("Harbor project nope does not exist") != std::string::npos,
               result.err);
}

BOOST_AUTO_TEST_CASE(registers_every_service_with_the_calls_and_bodies_swagger_defines) {
    const Run result = run(all_services());

    BOOST_TEST_REQUIRE(result.status == 0, result.err);
    BOOST_TEST(result.err.empty(), result.err);
    const json state = harbor.registrations();
    BOOST_TEST_REQUIRE(state["scanners"].size() == 1U);
    BOOST_TEST_REQUIRE(state["instances"].size() == 1U);
    BOOST_TEST_REQUIRE(state["registries"].size() == 1U);
    const std::string uuid = state["scanners"][0]["uuid"];
    const int instance_id = state["instances"][0]["id"];
    const int registry_id = state["registries"][0]["id"];
    const auto calls = writes();
    const std::vector<std::string> expected = {"POST /api/v2.0/scanners",
                                               "PUT /api/v2.0/projects/ai/scanner",
                                               "PUT /api/v2.0/projects/ml/scanner",
                                               "POST /api/v2.0/p2p/preheat/instances",
                                               "POST /api/v2.0/projects/ai/preheat/policies",
                                               "POST /api/v2.0/projects/ml/preheat/policies",
                                               "POST /api/v2.0/projects/ai/webhook/policies",
                                               "POST /api/v2.0/projects/ml/webhook/policies",
                                               "POST /api/v2.0/registries",
                                               "POST /api/v2.0/replication/policies",
                                               "POST /api/v2.0/projects"};
    BOOST_TEST(method_paths(calls) == expected, boost::test_tools::per_element());
    BOOST_TEST_REQUIRE(calls.size() == expected.size());
    for (const auto& call : calls) {
        BOOST_TEST(call.status == (call.method == "POST" ? 201 : 200), call.path);
    }

    const json scanner = json::parse(calls[0].body);
    BOOST_TEST(scanner["name"] == "aiops-model-scanner");
    BOOST_TEST(scanner["url"] == "http://scanner-adapter:8083");
    BOOST_TEST(scanner["auth"] == "Bearer");
    BOOST_TEST(scanner["access_credential"] == kScannerToken);
    BOOST_TEST(json::parse(calls[1].body) == (json{{"uuid", uuid}}));
    BOOST_TEST(state["project_scanners"] == (json{{"ai", uuid}, {"ml", uuid}}));

    const json instance = json::parse(calls[3].body);
    BOOST_TEST(instance["vendor"] == "dragonfly");
    BOOST_TEST(instance["endpoint"] == "http://preheat-provider:8085");
    BOOST_TEST(instance["auth_mode"] == "OAUTH");
    BOOST_TEST(instance["auth_info"] == (json{{"token", kPreheatToken}}));
    BOOST_TEST(instance["enabled"] == true);

    const json policy = json::parse(calls[4].body);  // filters, trigger, extra_attrs: JSON strings
    BOOST_TEST(policy["name"] == "aiops-preheat");
    BOOST_TEST(policy["provider_id"] == instance_id);
    BOOST_TEST(json::parse(policy["filters"].get<std::string>()) ==
               json::parse(R"([{"type":"repository","value":"**"},{"type":"tag","value":"**"}])"));
    BOOST_TEST(json::parse(policy["trigger"].get<std::string>())["type"] == "event_based");
    BOOST_TEST(json::parse(policy["extra_attrs"].get<std::string>()) ==
               (json{{"scope", "all_peers"}}));
    const json stored_policy = state["preheat_policies"]["ml"][0];
    BOOST_TEST(stored_policy["project_id"] == state["projects"]["ml"]["project_id"]);

    const json webhook = json::parse(calls[6].body);
    BOOST_TEST(webhook["name"] == "aiops-webhook-handler");
    BOOST_TEST(webhook["enabled"] == true);
    BOOST_TEST(webhook["event_types"] ==
               json::parse(R"(["PUSH_ARTIFACT","DELETE_ARTIFACT","SCANNING_COMPLETED",
                              "SCANNING_FAILED","REPLICATION"])"));
    BOOST_TEST(webhook["targets"] == json::parse(R"([{"type":"http",
        "address":"http://webhook-handler:8084/harbor","auth_header":"Bearer hook-t0ken",
        "skip_cert_verify":false,"payload_format":"Default"}])"));

    const json registry = json::parse(calls[8].body);
    BOOST_TEST(registry["type"] == "docker-registry");
    BOOST_TEST(registry["url"] == "http://proxy-adapter:8082");
    BOOST_TEST(
        registry["credential"] ==
        (json{{"type", "basic"}, {"access_key", "hf-user"}, {"access_secret", kProxySecret}}));

    const json rule = json::parse(calls[9].body);
    BOOST_TEST(rule["src_registry"] == (json{{"id", registry_id}}));
    BOOST_TEST(!rule.contains("dest_registry"));  // pull into the local Harbor
    BOOST_TEST(rule["dest_namespace"] == "models");
    BOOST_TEST(rule["trigger"] == (json{{"type", "manual"}}));
    BOOST_TEST(rule["filters"] == json::parse(R"([
        {"type":"name","value":"{meta-llama/Llama-3.2-1B,Qwen/Qwen2.5-0.5B}"},
        {"type":"tag","value":"main","decoration":"matches"}])"));
    BOOST_TEST(rule["deletion"] == false);
    BOOST_TEST(rule["copy_by_chunk"] == true);

    BOOST_TEST(json::parse(calls[10].body) == (json{{"project_name", "hf-proxy"},
                                                    {"registry_id", registry_id},
                                                    {"metadata", {{"public", "false"}}}}));
    BOOST_TEST(state["projects"]["hf-proxy"]["registry_id"] == registry_id);

    for (const auto& call : harbor.calls()) {  // Basic every time, the sid cookie never returned
        BOOST_TEST(call.authorization == basic("admin", kAdminPassword), call.path);
        BOOST_TEST(!call.had_cookie, call.path);
    }
    for (const char* secret :
         {kScannerToken, kPreheatToken, "hook-t0ken", kProxySecret, kAdminPassword}) {
        BOOST_TEST(result.out.find(secret) == std::string::npos, secret);
    }
    BOOST_TEST(result.out.find("scanner aiops-model-scanner: created") != std::string::npos,
               result.out);
}

BOOST_AUTO_TEST_CASE(a_second_run_makes_no_creating_or_changing_call) {
    BOOST_TEST_REQUIRE(run(all_services()).status == 0);
    const auto before = harbor.calls().size();
    const json state = harbor.registrations();

    const Run again = run(all_services());

    BOOST_TEST_REQUIRE(again.status == 0, again.err);
    BOOST_TEST(method_paths(writes(before)).empty(), boost::test_tools::per_element());
    BOOST_TEST(harbor.registrations() == state);
    BOOST_TEST(again.out.find("created") == std::string::npos, again.out);
    BOOST_TEST(again.out.find("replication rule aiops-hf-models: unchanged") != std::string::npos,
               again.out);
}

BOOST_AUTO_TEST_CASE(a_changed_setting_is_updated_in_place) {
    BOOST_TEST_REQUIRE(run(all_services()).status == 0);
    const json state = harbor.registrations();
    const auto before = harbor.calls().size();
    auto args = all_services();
    args.insert(args.end(), {"--scanner-url", "http://scanner-2:8083", "--preheat-scope",
                             "all_seed_peers", "--webhook-events", "PUSH_ARTIFACT", "--proxy-url",
                             "http://proxy-2:8082", "--replication-tag", "v1"});

    const Run result = run(args, "admin", kAdminPassword, "rotated-preheat-t0ken");

    BOOST_TEST_REQUIRE(result.status == 0, result.err);
    const auto calls = writes(before);
    const std::string uuid = state["scanners"][0]["uuid"];
    const std::string instance_id = state["instances"][0]["id"].dump();
    const std::vector<std::string> expected = {
        "PUT /api/v2.0/scanners/" + uuid,
        "PUT /api/v2.0/p2p/preheat/instances/aiops-preheat",
        "PUT /api/v2.0/projects/ai/preheat/policies/aiops-preheat",
        "PUT /api/v2.0/projects/ml/preheat/policies/aiops-preheat",
        "PUT /api/v2.0/projects/ai/webhook/policies/" +
            state["webhook_policies"]["ai"][0]["id"].dump(),
        "PUT /api/v2.0/projects/ml/webhook/policies/" +
            state["webhook_policies"]["ml"][0]["id"].dump(),
        "PUT /api/v2.0/registries/" + state["registries"][0]["id"].dump(),
        "PUT /api/v2.0/replication/policies/" + state["replication_policies"][0]["id"].dump()};
    BOOST_TEST(method_paths(calls) == expected, boost::test_tools::per_element());
    BOOST_TEST_REQUIRE(calls.size() == expected.size());
    BOOST_TEST(json::parse(calls[1].body)["id"].dump() == instance_id);  // Harbor updates by id
    const json policy = json::parse(calls[3].body);
    BOOST_TEST(policy["project_id"] == state["projects"]["ml"]["project_id"]);
    BOOST_TEST(json::parse(calls[6].body) ==  // RegistryUpdate: flat
               json::parse(R"({"name":"aiops-proxy-adapter","url":"http://proxy-2:8082",
        "description":"aiops-cache proxy-adapter: Hugging Face models as OCI artifacts",
        "insecure":false,"credential_type":"basic","access_key":"hf-user",
        "access_secret":"proxy-s3cret"})"));
    const json after = harbor.registrations();
    BOOST_TEST(after["scanners"].size() == 1U);
    BOOST_TEST(after["scanners"][0]["url"] == "http://scanner-2:8083");
    BOOST_TEST(after["instances"][0]["auth_info"]["token"] == "rotated-preheat-t0ken");
    BOOST_TEST(json::parse(after["preheat_policies"]["ai"][0]["extra_attrs"].get<std::string>()) ==
               (json{{"scope", "all_seed_peers"}}));
    BOOST_TEST(after["webhook_policies"]["ml"][0]["event_types"] ==
               json::parse(R"(["PUSH_ARTIFACT"])"));
    BOOST_TEST(after["registries"][0]["url"] == "http://proxy-2:8082");
    BOOST_TEST(after["replication_policies"][0]["filters"][1]["value"] == "v1");
}

BOOST_AUTO_TEST_CASE(a_dry_run_prints_every_call_with_secrets_masked_and_changes_nothing) {
    const Run result = run([] {
        auto args = HarborRegistration::all_services();
        args.push_back("--dry-run");
        return args;
    }());

    BOOST_TEST_REQUIRE(result.status == 0, result.err);
    BOOST_TEST(writes().empty());
    BOOST_TEST(harbor.registrations()["scanners"].empty());
    const std::string api = harbor.url() + "/api/v2.0";
    for (const std::string& line : std::vector<std::string>{
             "GET " + api + "/scanners?q=name%3Daiops-model-scanner",
             "POST " + api + R"(/scanners {"name":"aiops-model-scanner")",
             R"("access_credential":"***")", R"("auth_info":{"token":"***"})",
             R"("auth_header":"***")", R"("access_secret":"***")",
             "PUT " + api + "/projects/ai/scanner", "POST " + api + "/projects/ml/webhook/policies",
             "POST " + api + "/replication/policies", "POST " + api + "/projects ",
             "# dry run: not sent"}) {
        BOOST_TEST(result.out.find(line) != std::string::npos, line);
    }
    for (const char* secret :
         {kScannerToken, kPreheatToken, "hook-t0ken", kProxySecret, kAdminPassword}) {
        BOOST_TEST(result.out.find(secret) == std::string::npos, secret);
    }
}

BOOST_AUTO_TEST_CASE(the_scanner_becomes_the_system_default_once) {
    const std::vector<std::string> args = {"--scanner-url", "http://scanner-adapter:8083",
                                           "--scanner-default"};
    BOOST_TEST_REQUIRE(run(args).status == 0);
    const auto after_first = harbor.calls().size();

    BOOST_TEST_REQUIRE(run(args).status == 0);

    const json state = harbor.registrations();
    BOOST_TEST(state["default_scanner"] == state["scanners"][0]["uuid"]);
    const std::vector<std::string> first = method_paths(writes());
    BOOST_TEST(first.size() == 2U);  // POST /scanners, PATCH /scanners/<uuid> {"is_default":true}
    BOOST_TEST(first.back() ==
               "PATCH /api/v2.0/scanners/" + state["default_scanner"].get<std::string>());
    BOOST_TEST(writes(after_first).empty());
}

BOOST_AUTO_TEST_CASE(a_robot_account_is_accepted) {
    const Run result = run({"--webhook-url", "http://hooks:8084", "--projects", "ai"},
                           "robot$installer", "r0b0t-secret");

    BOOST_TEST(result.status == 0, result.err);
    BOOST_TEST(harbor.calls().front().status == 412);  // /users/current: no local user
    BOOST_TEST(harbor.registrations()["webhook_policies"]["ai"].size() == 1U);
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------
// DevPI

namespace {

constexpr const char* kOwnerPassword = "ci-passw0rd";
constexpr const char* kHookToken = "hook-t0ken";
const std::string kTrigger = "/devpi/ci/staging/{pkgname}/{pkgversion}?token=hook-t0ken";

struct DevpiConfiguration {
    fixtures::TempDir dir;
    fixtures::DevpiServer devpi;

    DevpiConfiguration() { devpi.add_user("ci", kOwnerPassword); }

    Run run(std::vector<std::string> extra = {}, const std::string& password = kOwnerPassword,
            const std::string& webhook_url = "http://webhook-handler:8084") {
        std::vector<std::string> args = {
            "--devpi-url",      devpi.url(), "--user",        "ci",
            "--promotion-user", "bot",       "--webhook-url", webhook_url};
        args.insert(args.end(), extra.begin(), extra.end());
        return run_script(dir, AIOPS_CONFIGURE_SCRIPT, args,
                          {"DEVPI_PASSWORD=" + password, "DEVPI_PROMOTION_PASSWORD=bot-passw0rd",
                           std::string("AIOPS_DEVPI_HOOK_TOKEN=") + kHookToken});
    }

    std::vector<fixtures::DevpiServer::Call> writes(std::size_t from = 0) const {
        std::vector<fixtures::DevpiServer::Call> found;
        const auto calls = devpi.calls();
        for (std::size_t index = from; index < calls.size(); ++index) {
            if (calls[index].method != "GET") {
                found.push_back(calls[index]);
            }
        }
        return found;
    }

    json config(const std::string& path) const {  // read back through devpi's JSON API
        httplib::Client client(devpi.url());
        const auto answer = client.Get(path.c_str(), {{"Accept", "application/json"}});
        BOOST_TEST_REQUIRE(static_cast<bool>(answer));
        BOOST_TEST_REQUIRE(answer->status == 200, path + ": " + answer->body);
        return json::parse(answer->body)["result"];
    }
};

std::vector<std::string> method_paths(const std::vector<fixtures::DevpiServer::Call>& calls) {
    std::vector<std::string> lines;
    for (const auto& call : calls) {
        lines.push_back(call.method + " " + call.path);
    }
    return lines;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(devpi_configure, DevpiConfiguration)

BOOST_AUTO_TEST_CASE(a_wrong_password_fails_with_one_line_and_changes_nothing) {
    const auto serial = devpi.serial();

    const Run result = run({}, "wrong");

    BOOST_TEST(result.status != 0);
    BOOST_TEST(count_lines(result.err) == 1, result.err);
    BOOST_TEST(result.err.find("rejected the password of user ci (HTTP 401)") != std::string::npos,
               result.err);
    BOOST_TEST(method_paths(devpi.calls()) == std::vector<std::string>{"POST /+login"},
               boost::test_tools::per_element());
    BOOST_TEST(devpi.serial() == serial);
}

BOOST_AUTO_TEST_CASE(an_unreachable_devpi_fails_with_one_line) {
    const int closed_port = fixtures::free_port();
    const Run result = run_script(
        dir, AIOPS_CONFIGURE_SCRIPT,
        {"--devpi-url", "http://127.0.0.1:" + std::to_string(closed_port), "--user", "ci"},
        {"DEVPI_PASSWORD=x"});

    BOOST_TEST(result.status != 0);
    BOOST_TEST(count_lines(result.err) == 1, result.err);
    BOOST_TEST(result.err.find("cannot connect to devpi") != std::string::npos, result.err);
}

BOOST_AUTO_TEST_CASE(creates_the_user_the_mirror_and_both_indexes) {
    const Run result = run();

    BOOST_TEST_REQUIRE(result.status == 0, result.err);
    const auto script_calls = devpi.calls();
    const auto calls = writes();
    const std::vector<std::string> expected = {"POST /+login", "PUT /bot", "PUT /ci/pypi",
                                               "PUT /ci/staging", "PUT /ci/release"};
    BOOST_TEST(method_paths(calls) == expected, boost::test_tools::per_element());
    BOOST_TEST_REQUIRE(calls.size() == expected.size());
    BOOST_TEST(json::parse(calls[0].body) == (json{{"user", "ci"}, {"password", kOwnerPassword}}));
    BOOST_TEST(json::parse(calls[1].body) == (json{{"password", "bot-passw0rd"}}));
    BOOST_TEST(calls[1].status == 201);
    for (std::size_t index = 2; index < calls.size(); ++index) {
        BOOST_TEST(calls[index].status == 200, calls[index].path);  // devpi: 200, not 201
    }
    const json mirror = json::parse(calls[2].body);
    BOOST_TEST(mirror["type"] == "mirror");
    BOOST_TEST(mirror["mirror_url"] == "https://pypi.org/simple/");
    BOOST_TEST(json::parse(calls[3].body) ==
               (json{{"type", "stage"},
                     {"bases", {"ci/pypi"}},
                     {"volatile", true},
                     {"uploadtrigger_jenkins", "http://webhook-handler:8084" + kTrigger}}));
    BOOST_TEST(json::parse(calls[4].body) == (json{{"type", "stage"},
                                                   {"bases", json::array()},
                                                   {"volatile", false},
                                                   {"acl_upload", {"ci", "bot"}}}));

    const json staging = config("/ci/staging");
    BOOST_TEST(staging["bases"] == (json{"ci/pypi"}));
    BOOST_TEST(staging["volatile"] == true);
    BOOST_TEST(staging["uploadtrigger_jenkins"] == "http://webhook-handler:8084" + kTrigger);
    const json release = config("/ci/release");
    BOOST_TEST(release["volatile"] == false);
    BOOST_TEST(release["acl_upload"] == (json{"ci", "bot"}));
    BOOST_TEST(config("/ci/pypi")["type"] == "mirror");
    BOOST_TEST(config("/bot")["username"] == "bot");
    for (const auto& call : script_calls) {
        BOOST_TEST(!call.had_cookie, call.path);
        BOOST_TEST(call.authorization.empty(), call.path);  // X-Devpi-Auth from /+login instead
        if (call.path != "/+login") {
            BOOST_TEST(!call.devpi_auth.empty(), call.path);
        }
    }
    for (const char* secret : {kOwnerPassword, "bot-passw0rd", kHookToken}) {
        BOOST_TEST(result.out.find(secret) == std::string::npos, secret);
    }
}

BOOST_AUTO_TEST_CASE(a_second_run_makes_no_creating_or_changing_call) {
    BOOST_TEST_REQUIRE(run().status == 0);
    const auto serial = devpi.serial();
    const auto before = devpi.calls().size();

    const Run again = run();

    BOOST_TEST_REQUIRE(again.status == 0, again.err);
    BOOST_TEST(method_paths(writes(before)) == std::vector<std::string>{"POST /+login"},
               boost::test_tools::per_element());
    BOOST_TEST(devpi.serial() == serial);
    BOOST_TEST(again.out.find("index ci/staging: unchanged") != std::string::npos, again.out);
}

BOOST_AUTO_TEST_CASE(existing_indexes_are_patched_with_only_the_missing_settings) {
    devpi.create_index("ci/staging", true);
    devpi.create_index("ci/release", true);

    const Run result = run();

    BOOST_TEST_REQUIRE(result.status == 0, result.err);
    const auto calls = writes();
    const std::vector<std::string> expected = {"POST /+login", "PUT /bot", "PUT /ci/pypi",
                                               "PATCH /ci/staging", "PATCH /ci/release"};
    BOOST_TEST(method_paths(calls) == expected, boost::test_tools::per_element());
    BOOST_TEST_REQUIRE(calls.size() == expected.size());
    BOOST_TEST(
        json::parse(calls[3].body) ==
        (json{"bases+=ci/pypi", "uploadtrigger_jenkins=http://webhook-handler:8084" + kTrigger}));
    BOOST_TEST(json::parse(calls[4].body) == (json{"volatile=False", "acl_upload+=bot"}));
    BOOST_TEST(config("/ci/staging")["bases"] == (json{"ci/pypi"}));
    BOOST_TEST(config("/ci/release")["volatile"] == false);
    BOOST_TEST(config("/ci/release")["acl_upload"] == (json{"ci", "bot"}));
}

BOOST_AUTO_TEST_CASE(a_dry_run_prints_every_call_with_secrets_masked_and_changes_nothing) {
    const auto serial = devpi.serial();

    const Run result = run({"--dry-run"});

    BOOST_TEST_REQUIRE(result.status == 0, result.err);
    BOOST_TEST(method_paths(writes()) == std::vector<std::string>{"POST /+login"},
               boost::test_tools::per_element());
    BOOST_TEST(devpi.serial() == serial);
    for (const std::string& line : std::vector<std::string>{
             "POST " + devpi.url() + R"(/+login {"user":"ci","password":"***"})",
             "PUT " + devpi.url() + R"(/bot {"password":"***"})",
             "PUT " + devpi.url() + "/ci/staging", "token=***",
             "PUT " + devpi.url() + "/ci/release", "# dry run: not sent"}) {
        BOOST_TEST(result.out.find(line) != std::string::npos, line);
    }
    for (const char* secret : {kOwnerPassword, "bot-passw0rd", kHookToken}) {
        BOOST_TEST(result.out.find(secret) == std::string::npos, secret);
    }
}

BOOST_AUTO_TEST_CASE(an_upload_to_staging_reaches_the_webhook_handler_route) {
    fixtures::LoopbackHttpServer handler;
    std::mutex mutex;
    std::vector<std::string> targets;  // guarded by mutex
    handler.server().Post(".*", [&](const httplib::Request& req, httplib::Response& res) {
        std::scoped_lock lock(mutex);
        targets.push_back(req.target);
        res.status = 202;
    });
    handler.start();
    BOOST_TEST_REQUIRE(run({}, kOwnerPassword, handler.url("")).status == 0);

    const int status =
        devpi.upload("ci/staging", "ci", kOwnerPassword, "demo_pkg-1.0.0-py3-none-any.whl",
                     "wheel-bytes", "Demo_Pkg", "1.0.0");

    BOOST_TEST(status == 200);
    std::scoped_lock lock(mutex);
    BOOST_TEST(
        targets == std::vector<std::string>{"/devpi/ci/staging/demo-pkg/1.0.0?token=hook-t0ken"},
        boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
