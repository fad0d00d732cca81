#define BOOST_TEST_MODULE webhook_devpi_fake
#include <httplib.h>

#include <boost/test/unit_test.hpp>
#include <cctype>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "aiops/common/encoding.h"
#include "fixtures/devpi_server.h"
#include "fixtures/hf_hub_server.h"  // sha256_hex
#include "fixtures/loopback_http_server.h"
#include "fixtures/process.h"
#include "fixtures/temp_dir.h"
#include "fixtures/tls_certs.h"  // run_command

// The DevPI test server (tests/fixtures/devpi_server.h) checked with real clients, curl and pip,
// against shared/reference/devpi-api.md: §1 users and login, §2 index creation (200, not 201),
// §3 upload (401 challenge, identical/409 on non-volatile, 400), §4 JSON reads, +f and +simple,
// §5 push (401 acl, 400, 404 HTML, 409, actionlog), §8a the devpi-jenkins trigger fired before
// the commit, and the test controls stop/restart/fail_next.
namespace {

namespace fixtures = aiops::testing;
using json = nlohmann::json;

constexpr const char* kWheel = "demo_pkg-1.0.0-py3-none-any.whl";

struct Answer {
    int status = 0;  // 0: no HTTP answer (connection refused)
    std::string head;
    std::string body;

    // The value of header `name` (case-insensitive), "" when absent.
    std::string header(const std::string& name) const {
        std::istringstream lines(head);
        std::string line;
        while (std::getline(lines, line)) {
            const auto colon = line.find(':');
            if (colon != name.size()) {
                continue;
            }
            bool same = true;
            for (std::size_t at = 0; at < colon; ++at) {
                same = same && std::tolower(static_cast<unsigned char>(line[at])) ==
                                   std::tolower(static_cast<unsigned char>(name[at]));
            }
            if (same) {
                const auto value = line.substr(colon + 1);
                return value.substr(
                    value.find_first_not_of(' '),
                    value.find_last_not_of("\r ") - value.find_first_not_of(' ') + 1);
            }
        }
        return "";
    }
    json body_json() const { return json::parse(body, nullptr, false); }
};

// curl -sS <args>: status, headers and body.
Answer curl(const fixtures::TempDir& dir, std::vector<std::string> args) {
    std::vector<std::string> argv = {
        fixtures::find_program("curl"), "-sS", "-o",          (dir / "curl.body").string(), "-D",
        (dir / "curl.head").string(),   "-w",  "%{http_code}"};
    argv.insert(argv.end(), args.begin(), args.end());
    std::filesystem::remove(dir / "curl.body");
    std::filesystem::remove(dir / "curl.head");
    fixtures::run_command(argv, dir / "curl.out");
    const std::string out = fixtures::read_file(dir / "curl.out");
    Answer answer;
    answer.status = out.size() >= 3 ? std::atoi(out.substr(out.size() - 3).c_str()) : 0;
    if (std::filesystem::exists(dir / "curl.head")) {
        answer.head = fixtures::read_file(dir / "curl.head");
    }
    if (std::filesystem::exists(dir / "curl.body")) {
        answer.body = fixtures::read_file(dir / "curl.body");
    }
    return answer;
}

std::string message_of(const Answer& answer) { return answer.body_json().value("message", ""); }

std::string file_path(const std::string& index, const std::string& content,
                      const std::string& filename) {
    const std::string sha256 = fixtures::sha256_hex(content);
    return index + "/+f/" + sha256.substr(0, 3) + "/" + sha256.substr(3, 13) + "/" + filename;
}

// ci (uploads, pushes) and carol (a user outside the release acl); ci/staging volatile,
// ci/release non-volatile with acl_upload [ci].
struct Devpi {
    Devpi() {
        server.add_user("ci", "ci-pw");
        server.add_user("carol", "carol-pw");
        server.create_index("ci/staging", true);
        server.create_index("ci/release", false, {"ci"});
    }
    std::string url(const std::string& path) const { return server.url() + path; }
    Answer push(const json& body, const std::vector<std::string>& auth) {
        std::vector<std::string> args = {
            "-X", "POST", "-H", "Content-Type: application/json", "--data-binary", body.dump()};
        args.insert(args.end(), auth.begin(), auth.end());
        args.push_back(url("/ci/staging"));
        return curl(dir, args);
    }
    Answer get_json(const std::string& path) {
        return curl(dir, {"-H", "Accept: application/json", url(path)});
    }

    fixtures::DevpiServer server;
    fixtures::TempDir dir;
};

const std::vector<std::string> kCiAuth = {"-u", "ci:ci-pw"};

// A jenkins job endpoint that records the devpi-jenkins multipart and, while the upload waits
// for it, what a reader of the DevPI test server sees.
class JenkinsReceiver {
public:
    // `index`: where the uploads that fire the trigger go.
    JenkinsReceiver(fixtures::DevpiServer& devpi, std::string index, int status)
        : devpi_(devpi), index_(std::move(index)), status_(status) {
        server_.server().Post("/job/([^/]+)/([^/]+)/build",
                              [this](const httplib::Request& req, httplib::Response& res) {
                                  record(req);
                                  res.status = status_;
                              });
        server_.start();
    }
    std::string url(const std::string& path) const { return server_.url(path); }

    struct Call {
        std::string pkgname, pkgversion, token, user_agent, submit, name, json_field;
        std::string file0, file0_filename;
        std::vector<std::string> files_seen;  // devpi.files() during the trigger
        int version_get_status = 0;           // GET …/<project>/<version> during the trigger
        int simple_get_status = 0;            // GET …/+simple/<project>/ during the trigger
        std::string serial_seen;              // X-Devpi-Serial during the trigger
    };
    std::vector<Call> calls() {
        std::scoped_lock lock(mutex_);
        return calls_;
    }

private:
    void record(const httplib::Request& req) {
        Call call;
        call.pkgname = req.matches[1];
        call.pkgversion = req.matches[2];
        call.token = req.get_param_value("token");
        call.user_agent = req.get_header_value("User-Agent");
        for (auto [field, value] :
             {std::pair{"Submit", &call.submit}, std::pair{"name", &call.name},
              std::pair{"json", &call.json_field}, std::pair{"file0", &call.file0}}) {
            *value = req.has_file(field) ? req.get_file_value(field).content : "<missing>";
        }
        call.file0_filename = req.get_file_value("file0").filename;
        call.files_seen = devpi_.files(index_, call.pkgname, call.pkgversion);
        httplib::Client reader(devpi_.url());
        const auto version = reader.Get("/" + index_ + "/" + call.pkgname + "/" + call.pkgversion,
                                        {{"Accept", "application/json"}});
        call.version_get_status = version ? version->status : -1;
        call.serial_seen = version ? version->get_header_value("X-Devpi-Serial") : "";
        const auto simple = reader.Get("/" + index_ + "/+simple/" + call.pkgname + "/");
        call.simple_get_status = simple ? simple->status : -1;
        std::scoped_lock lock(mutex_);
        calls_.push_back(call);
    }

    fixtures::DevpiServer& devpi_;
    std::string index_;
    int status_;
    fixtures::LoopbackHttpServer server_;
    std::mutex mutex_;
    std::vector<Call> calls_;  // guarded by mutex_
};

// pip (pip3, pip or python3 -m pip) as argv, empty when none runs.
std::vector<std::string> find_pip(const fixtures::TempDir& dir) {
    for (std::vector<std::string> candidate :
         {std::vector<std::string>{"pip3"}, {"pip"}, {"python3", "-m", "pip"}}) {
        candidate[0] = fixtures::find_program(candidate[0]);
        if (candidate[0].empty()) {
            continue;
        }
        auto version = candidate;
        version.push_back("--version");
        if (fixtures::run_command(version, dir / "pip-version.log") == 0) {
            return candidate;
        }
    }
    return {};
}

// A minimal py3-none-any wheel (METADATA, WHEEL) zipped by python3's zipfile.
std::string make_wheel(const fixtures::TempDir& dir, const std::string& path) {
    const std::string script =
        "import sys, zipfile\n"
        "d = 'demo_pkg-1.0.0.dist-info'\n"
        "with zipfile.ZipFile(sys.argv[1], 'w') as z:\n"
        "    z.writestr('demo_pkg/__init__.py', 'VALUE = 1\\n')\n"
        "    z.writestr(d + '/METADATA', 'Metadata-Version: 2.1\\nName: demo-pkg\\n"
        "Version: 1.0.0\\n')\n"
        "    z.writestr(d + '/WHEEL', 'Wheel-Version: 1.0\\nGenerator: test\\n"
        "Root-Is-Purelib: true\\nTag: py3-none-any\\n')\n"
        "    z.writestr(d + '/RECORD', '')\n";
    const int status = fixtures::run_command(
        {fixtures::find_program("python3"), "-c", script, path}, dir / "wheel.log");
    BOOST_TEST_REQUIRE(status == 0, fixtures::read_file(dir / "wheel.log"));
    return fixtures::read_file(path);
}

}  // namespace

BOOST_AUTO_TEST_CASE(users_and_indexes_are_created_as_devpi_answers_them) {
    fixtures::DevpiServer server;
    fixtures::TempDir dir;
    const auto put = [&](const std::string& path, const json& body,
                         std::vector<std::string> auth = {}) {
        std::vector<std::string> args = {"-X",
                                         "PUT",
                                         "-H",
                                         "Content-Type: application/json",
                                         "--data-binary",
                                         body.dump(),
                                         server.url() + path};
        args.insert(args.begin(), auth.begin(), auth.end());
        return curl(dir, args);
    };
    const std::vector<std::string> alice = {"-u", "alice:alicepw"};

    const auto user = put("/alice", {{"password", "alicepw"}, {"email", "alice@example.com"}});
    BOOST_TEST(user.status == 201);
    BOOST_TEST(user.body_json()["type"] == "userconfig");
    BOOST_TEST(user.body_json()["result"]["username"] == "alice");
    BOOST_TEST(put("/alice", {{"password", "x"}}).status == 409);
    const auto anonymous = put("/alice/staging", {{"type", "stage"}});
    BOOST_TEST(anonymous.status == 403);
    BOOST_TEST(message_of(anonymous) == "no permission to create index alice/staging");

    const auto serial_before = server.serial();
    const auto staging =
        put("/alice/staging", {{"type", "stage"}, {"bases", ""}, {"volatile", true}}, alice);
    BOOST_TEST(staging.status == 200);  // not the 201 of doc/curl.rst
    const json config = staging.body_json()["result"];
    BOOST_TEST(staging.body_json()["type"] == "indexconfig");
    BOOST_TEST(config["acl_upload"] == json({"alice"}));
    BOOST_TEST(config["acl_toxresult_upload"] == json({":ANONYMOUS:"}));
    BOOST_TEST(config["bases"] == json::array());
    BOOST_TEST(config["volatile"] == true);
    BOOST_TEST(config["uploadtrigger_jenkins"].is_null());
    BOOST_TEST(staging.header("X-Devpi-Serial") == std::to_string(serial_before + 1));
    BOOST_TEST(staging.header("X-Devpi-Server-Version") == "6.19.1");
    BOOST_TEST(staging.header("X-Devpi-Api-Version") == "2");
    BOOST_TEST(!staging.header("X-Devpi-Uuid").empty());

    const auto again = put("/alice/staging", {{"type", "stage"}}, alice);
    BOOST_TEST(again.status == 409);
    BOOST_TEST(message_of(again) == "index 'alice/staging' exists");
    BOOST_TEST(again.header("X-Devpi-Serial") == std::to_string(serial_before + 1));
    BOOST_TEST(message_of(put("/alice/x", {{"bases", "root/pypi"}}, alice)) ==
               "base index 'root/pypi' does not exist");
    BOOST_TEST(message_of(put("/alice/y", {{"foo", "bar"}}, alice)) ==
               "indexconfig got unexpected keyword arguments: foo=bar");
    const auto release =
        put("/alice/release",
            {{"volatile", false}, {"uploadtrigger_jenkins", "http://127.0.0.1:1/job/{pkgname}"}},
            alice);
    BOOST_TEST(release.status == 200);
    BOOST_TEST(release.body_json()["result"]["volatile"] == false);
    BOOST_TEST(release.body_json()["result"]["uploadtrigger_jenkins"] ==
               "http://127.0.0.1:1/job/{pkgname}");

    const auto read =
        curl(dir, {"-H", "Accept: application/json", server.url() + "/alice/staging"});
    BOOST_TEST(read.status == 200);
    BOOST_TEST(read.body_json()["result"]["projects"] == json::array());
    const auto missing =
        curl(dir, {"-H", "Accept: application/json", server.url() + "/alice/nosuchindex"});
    BOOST_TEST(missing.status == 404);
    BOOST_TEST(message_of(missing) == "The stage alice/nosuchindex could not be found.");
    BOOST_TEST(!missing.header("X-Devpi-Serial").empty());
}

BOOST_AUTO_TEST_CASE(login_token_and_basic_authenticate_wrong_credentials_do_not) {
    Devpi devpi;
    const auto login = [&](const std::string& password) {
        return curl(devpi.dir,
                    {"-X", "POST", "-H", "Content-Type: application/json", "--data-binary",
                     json{{"user", "ci"}, {"password", password}}.dump(), devpi.url("/+login")});
    };
    const auto authstatus = [&](std::vector<std::string> args) {
        args.push_back(devpi.url("/+api"));
        return curl(devpi.dir, args).body_json()["result"]["authstatus"];
    };

    const auto refused = login("wrong");
    BOOST_TEST(refused.status == 401);
    BOOST_TEST(message_of(refused) == "user 'ci' could not be authenticated");
    const auto session = login("ci-pw");
    BOOST_TEST(session.status == 200);
    BOOST_TEST(session.body_json()["type"] == "proxyauth");
    BOOST_TEST(message_of(session) == "login successful");
    BOOST_TEST(session.body_json()["result"]["expiration"] == 36000);
    const std::string token = session.body_json()["result"]["password"];
    const std::string header = "X-Devpi-Auth: " + aiops::common::base64_encode("ci:" + token);

    BOOST_TEST(authstatus({"-H", header}) == json({"ok", "ci", json::array()}));
    BOOST_TEST(authstatus({}) == json({"noauth", "", json::array()}));
    BOOST_TEST(authstatus({"-u", "ci:ci-pw"}) == json({"ok", "ci", json::array()}));
    BOOST_TEST(authstatus({"-u", "ci:wrong"}) == json({"noauth", "", json::array()}));
    BOOST_TEST(authstatus({"-H", "X-Devpi-Auth: " + aiops::common::base64_encode("ci:forged")}) ==
               json({"noauth", "", json::array()}));
    const auto index_api = curl(devpi.dir, {devpi.url("/ci/staging/+api")}).body_json()["result"];
    BOOST_TEST(index_api["pypisubmit"] == devpi.url("/ci/staging/"));
    BOOST_TEST(index_api["simpleindex"] == devpi.url("/ci/staging/+simple/"));
}

BOOST_AUTO_TEST_CASE(uploads_need_auth_and_non_volatile_files_never_change) {
    Devpi devpi;
    const auto form = [&](const std::string& index, const std::string& file,
                          const std::string& version, std::vector<std::string> auth) {
        fixtures::write_file(devpi.dir / kWheel, file);
        std::vector<std::string> args = {"-F",
                                         ":action=file_upload",
                                         "-F",
                                         "name=demo-pkg",
                                         "-F",
                                         "version=" + version,
                                         "-F",
                                         "content=@" + (devpi.dir / kWheel).string(),
                                         devpi.url("/" + index + "/")};
        args.insert(args.begin(), auth.begin(), auth.end());
        return curl(devpi.dir, args);
    };

    const auto anonymous = form("ci/release", "wheel-1", "1.0.0", {});
    BOOST_TEST(anonymous.status == 401);
    BOOST_TEST(anonymous.header("WWW-Authenticate") == "Basic realm=\"pypi\"");
    BOOST_TEST(anonymous.header("Content-Type").rfind("text/html", 0) == 0U);
    BOOST_TEST(form("ci/release", "wheel-1", "1.0.0", {"-u", "carol:carol-pw"}).status == 403);

    const auto serial = devpi.server.serial();
    BOOST_TEST(devpi.server.upload("ci/release", "ci", "ci-pw", kWheel, "wheel-1", "demo-pkg",
                                   "1.0.0") == 200);
    BOOST_TEST(devpi.server.serial() == serial + 1);
    BOOST_TEST(devpi.server.files("ci/release", "Demo_Pkg", "1.0.0") ==
               std::vector<std::string>{kWheel});

    const auto identical = form("ci/release", "wheel-1", "1.0.0", kCiAuth);
    BOOST_TEST(identical.status == 200);
    BOOST_TEST(identical.body.find("Upload of identical file to non volatile index.") !=
               std::string::npos);
    BOOST_TEST(identical.header("X-Devpi-Serial") == std::to_string(serial + 1));
    const auto different = form("ci/release", "wheel-2", "1.0.0", kCiAuth);
    BOOST_TEST(different.status == 409);
    BOOST_TEST(different.body.find(std::string(kWheel) + " already exists in non-volatile index") !=
               std::string::npos);
    const auto misnamed = form("ci/release", "wheel-3", "3.0", kCiAuth);
    BOOST_TEST(misnamed.status == 400);
    BOOST_TEST(misnamed.body.find("filename '" + std::string(kWheel) +
                                  "' does not contain version '3.0'") != std::string::npos);
    BOOST_TEST(devpi.server.serial() == serial + 1);

    const auto project = devpi.get_json("/ci/release/demo-pkg");
    BOOST_TEST(project.status == 200);
    BOOST_TEST(project.body_json()["type"] == "projectconfig");
    const json version = project.body_json()["result"]["1.0.0"];
    BOOST_TEST(version["name"] == "demo-pkg");
    BOOST_TEST(version["summary"] == "");  // a bare curl upload leaves the metadata empty
    const json link = version["+links"][0];
    BOOST_TEST(link["href"] == devpi.url("/" + file_path("ci/release", "wheel-1", kWheel)));
    BOOST_TEST(link["hashes"]["sha256"] == fixtures::sha256_hex("wheel-1"));
    BOOST_TEST(link["hash_spec"] == "sha256=" + fixtures::sha256_hex("wheel-1"));
    BOOST_TEST(link["log"].size() == 1U);
    BOOST_TEST(link["log"][0]["what"] == "upload");
    BOOST_TEST(link["log"][0]["who"] == "ci");
    BOOST_TEST(link["log"][0]["dst"] == "ci/release");
    BOOST_TEST(link["log"][0]["when"].size() == 6U);
    BOOST_TEST(curl(devpi.dir, {devpi.url("/ci/release/demo-pkg")}).status == 415);  // */*
    BOOST_TEST(message_of(devpi.get_json("/ci/release/nosuchproject")) ==
               "no project 'nosuchproject'");
    BOOST_TEST(message_of(devpi.get_json("/ci/release/demo-pkg/9.9")) ==
               "The version 9.9 of project demo-pkg does not exist.");

    BOOST_TEST(form("ci/staging", "v1", "1.0.0", kCiAuth).status == 200);
    BOOST_TEST(form("ci/staging", "v2", "1.0.0", kCiAuth).status == 200);  // volatile: replaced
    const json log =
        devpi.get_json("/ci/staging/demo-pkg/1.0.0").body_json()["result"]["+links"][0]["log"];
    BOOST_TEST(log.size() == 3U);
    BOOST_TEST(log[1]["what"] == "overwrite");
    BOOST_TEST(log[1]["count"] == 1);
}

BOOST_AUTO_TEST_CASE(push_promotes_once_and_answers_the_contract_errors) {
    Devpi devpi;
    BOOST_TEST(devpi.server.upload("ci/staging", "ci", "ci-pw", kWheel, "wheel-bytes", "demo-pkg",
                                   "1.0.0") == 200);
    const json request = {
        {"name", "demo-pkg"}, {"version", "1.0.0"}, {"targetindex", "ci/release"}};
    const auto with = [&](const char* key, const json& value) {
        json changed = request;
        changed[key] = value;
        return changed;
    };

    const auto anonymous = devpi.push(request, {});
    BOOST_TEST(anonymous.status == 401);
    BOOST_TEST(message_of(anonymous) == "user None cannot upload to 'ci/release'");
    const auto carol = devpi.push(request, {"-u", "carol:carol-pw"});
    BOOST_TEST(carol.status == 401);
    BOOST_TEST(message_of(carol) == "user 'carol' cannot upload to 'ci/release'");
    const auto unknown_version = devpi.push(with("version", "9.9.9"), kCiAuth);
    BOOST_TEST(unknown_version.status == 400);
    BOOST_TEST(message_of(unknown_version) ==
               "there are no files for demo-pkg 9.9.9 on stage ci/staging");
    const auto unknown_target = devpi.push(with("targetindex", "ci/nope"), kCiAuth);
    BOOST_TEST(unknown_target.status == 404);
    BOOST_TEST(unknown_target.header("Content-Type").rfind("text/html", 0) == 0U);
    BOOST_TEST(unknown_target.body.find("The stage ci/nope could not be found.") !=
               std::string::npos);
    BOOST_TEST(message_of(devpi.push(with(":action", "push"), kCiAuth)) ==
               "unknown additional options: :action");
    BOOST_TEST(message_of(devpi.push(with("targetindex", "release"), kCiAuth)) ==
               "targetindex not in format user/index");

    const auto serial = devpi.server.serial();
    const auto pushed = devpi.push(request, kCiAuth);
    BOOST_TEST(pushed.status == 200);
    BOOST_TEST(pushed.body_json()["type"] == "actionlog");
    BOOST_TEST(pushed.body_json()["result"] ==
               json::parse(R"([[200,"register","demo-pkg","1.0.0","->","ci/release"],
                               [200,"store_releasefile",")" +
                           file_path("ci/release", "wheel-bytes", kWheel) + R"("]])"));
    BOOST_TEST(devpi.server.serial() == serial + 1);
    BOOST_TEST(pushed.header("X-Devpi-Serial") == std::to_string(serial + 1));
    BOOST_TEST(devpi.server.files("ci/release", "demo-pkg", "1.0.0") ==
               std::vector<std::string>{kWheel});
    BOOST_TEST(devpi.server.files("ci/staging", "demo-pkg", "1.0.0").size() == 1U);  // a copy
    const json log =
        devpi.get_json("/ci/release/demo-pkg/1.0.0").body_json()["result"]["+links"][0]["log"];
    BOOST_TEST(log.size() == 2U);
    BOOST_TEST(log[0]["what"] == "upload");
    BOOST_TEST(log[1]["what"] == "push");
    BOOST_TEST(log[1]["src"] == "ci/staging");
    BOOST_TEST(log[1]["dst"] == "ci/release");
    BOOST_TEST(log[1]["who"] == "ci");

    const auto repeated = devpi.push(request, kCiAuth);
    BOOST_TEST(repeated.status == 409);
    BOOST_TEST(message_of(repeated) ==
               std::string(kWheel) + " already exists in non-volatile index");
    BOOST_TEST(devpi.server.serial() == serial + 1);
    BOOST_TEST(devpi.server.push_requests() == 8);

    const auto file =
        curl(devpi.dir, {devpi.url("/" + file_path("ci/release", "wheel-bytes", kWheel))});
    BOOST_TEST(file.status == 200);
    BOOST_TEST(file.body == "wheel-bytes");
    BOOST_TEST(file.header("Cache-Control") == "max-age=365000000, immutable, public");
    const std::string pip_spelling =
        "/" + file_path("ci/release", "wheel-bytes", kWheel).replace(11, 2, "%2Bf");
    BOOST_TEST(curl(devpi.dir, {devpi.url(pip_spelling)}).body == "wheel-bytes");
    BOOST_TEST(
        curl(devpi.dir, {devpi.url("/ci/release/+f/000/0000000000000/" + std::string(kWheel))})
            .status == 404);

    // carol gets into the release acl with a PATCH action, then may push
    const auto patched =
        curl(devpi.dir, {"-X", "PATCH", "-u", "ci:ci-pw", "-H", "Content-Type: application/json",
                         "--data-binary", R"(["acl_upload+=carol"])", devpi.url("/ci/release")});
    BOOST_TEST(patched.status == 200);
    BOOST_TEST(patched.body_json()["result"]["acl_upload"] == json({"ci", "carol"}));
    BOOST_TEST(devpi.server.upload("ci/staging", "ci", "ci-pw", "demo_pkg-1.1.0-py3-none-any.whl",
                                   "w11", "demo-pkg", "1.1.0") == 200);
    BOOST_TEST(devpi.push(with("version", "1.1.0"), {"-u", "carol:carol-pw"}).status == 200);

    const auto remove = [&](const std::string& path) {
        return curl(devpi.dir, {"-X", "DELETE", "-u", "ci:ci-pw", devpi.url(path)});
    };
    BOOST_TEST(remove("/ci/staging/demo-pkg/1.0.0").status == 200);
    BOOST_TEST(devpi.server.files("ci/staging", "demo-pkg", "1.0.0").empty());
    const auto kept = remove("/ci/release/demo-pkg/1.0.0");
    BOOST_TEST(kept.status == 403);
    BOOST_TEST(kept.body.find("cannot delete version on non-volatile index") != std::string::npos);
    BOOST_TEST(remove("/ci/release/demo-pkg/1.0.0?force").status == 200);
    BOOST_TEST(devpi.server.files("ci/release", "demo-pkg", "1.0.0").empty());
}

BOOST_AUTO_TEST_CASE(jenkins_trigger_is_posted_inside_the_upload_before_the_commit) {
    Devpi devpi;
    JenkinsReceiver jenkins(devpi.server, "ci/triggered", 200);
    devpi.server.create_index("ci/triggered", true, {},
                              jenkins.url("/job/{pkgname}/{pkgversion}/build?token=s3cret"));
    devpi.server.create_index("ci/watched", false, {},
                              jenkins.url("/job/{pkgname}/{pkgversion}/build?token=s3cret"));
    const auto serial = devpi.server.serial();

    // staging has no trigger; the upload to ci/triggered fires it
    BOOST_TEST(devpi.server.upload("ci/staging", "ci", "ci-pw", kWheel, "w", "Demo_Pkg", "1.0.0") ==
               200);
    BOOST_TEST(jenkins.calls().empty());
    BOOST_TEST(devpi.server.upload("ci/triggered", "ci", "ci-pw", kWheel, "w", "Demo_Pkg",
                                   "1.0.0") == 200);

    const auto calls = jenkins.calls();
    BOOST_TEST_REQUIRE(calls.size() == 1U);
    const auto& call = calls[0];
    BOOST_TEST(call.pkgname == "demo-pkg");  // PEP 503 normalized
    BOOST_TEST(call.pkgversion == "1.0.0");
    BOOST_TEST(call.token == "s3cret");  // the template's query string is kept
    BOOST_TEST(call.user_agent.rfind("devpi-devpi-jenkins/3.0.1", 0) == 0U);
    BOOST_TEST(call.submit == "Build");
    BOOST_TEST(call.name == "jobscript.py");
    BOOST_TEST(json::parse(call.json_field) ==
               json::parse(R"({"parameter": {"name": "jobscript.py", "file": "file0"}})"));
    BOOST_TEST(call.file0_filename == "file0");
    BOOST_TEST(call.file0.find("indexurl = \"" + devpi.url("/ci/triggered") + "\"") !=
               std::string::npos);
    BOOST_TEST(call.file0.find("testspec = \"demo-pkg==1.0.0\"") != std::string::npos);
    BOOST_TEST(call.files_seen.empty());  // stored, not committed
    BOOST_TEST(call.version_get_status == 404);
    BOOST_TEST(call.simple_get_status == 404);
    BOOST_TEST(call.serial_seen == std::to_string(serial + 1));
    BOOST_TEST(devpi.server.serial() == serial + 2);
    BOOST_TEST(devpi.server.files("ci/triggered", "demo-pkg", "1.0.0") ==
               std::vector<std::string>{kWheel});

    // a push into an index with a trigger does not fire it
    const auto pushed = devpi.push(
        {{"name", "demo-pkg"}, {"version", "1.0.0"}, {"targetindex", "ci/watched"}}, kCiAuth);
    BOOST_TEST(pushed.status == 200);
    BOOST_TEST(jenkins.calls().size() == 1U);
}

BOOST_AUTO_TEST_CASE(a_failing_trigger_does_not_fail_the_upload) {
    Devpi devpi;
    JenkinsReceiver jenkins(devpi.server, "ci/failing", 500);
    const std::string failing = jenkins.url("/job/{pkgname}/{pkgversion}/build");
    const std::string refused =
        "http://127.0.0.1:" + std::to_string(fixtures::free_port()) + "/job/{pkgname}";
    devpi.server.create_index("ci/failing", true, {}, failing);
    devpi.server.create_index("ci/refused", true, {}, refused);
    fixtures::write_file(devpi.dir / kWheel, "w");
    const auto upload = [&](const std::string& index) {
        return curl(devpi.dir,
                    {"-u", "ci:ci-pw", "-F", ":action=file_upload", "-F", "name=demo-pkg", "-F",
                     "version=1.0.0", "-F", "content=@" + (devpi.dir / kWheel).string(),
                     devpi.url("/" + index + "/")});
    };

    const auto answered_500 = upload("ci/failing");
    BOOST_TEST(answered_500.status == 200);
    BOOST_TEST(answered_500.body.find(
                   "OK, but a trigger plugin failed: ('%s: failed to trigger jenkins at %s', "
                   "'demo-pkg', '" +
                   jenkins.url("/job/demo-pkg/1.0.0/build") + "')") != std::string::npos);
    BOOST_TEST(jenkins.calls().size() == 1U);
    BOOST_TEST(devpi.server.files("ci/failing", "demo-pkg", "1.0.0").size() == 1U);
    // views.py logs the upload only after the trigger succeeded
    BOOST_TEST(devpi.get_json("/ci/failing/demo-pkg/1.0.0")
                   .body_json()["result"]["+links"][0]["log"]
                   .empty());

    const auto not_listening = upload("ci/refused");
    BOOST_TEST(not_listening.status == 200);
    BOOST_TEST(not_listening.body.find("failed to connect to jenkins at %s', 'demo-pkg'") !=
               std::string::npos);
    BOOST_TEST(devpi.server.files("ci/refused", "demo-pkg", "1.0.0").size() == 1U);
}

BOOST_AUTO_TEST_CASE(simple_pages_link_the_files_relatively) {
    Devpi devpi;
    BOOST_TEST(devpi.server.upload("ci/staging", "ci", "ci-pw", kWheel, "w", "demo-pkg", "1.0.0") ==
               200);
    const std::string sha256 = fixtures::sha256_hex("w");
    const std::string href =
        "../../+f/" + sha256.substr(0, 3) + "/" + sha256.substr(3, 13) + "/" + std::string(kWheel);

    const auto html = curl(devpi.dir, {devpi.url("/ci/staging/+simple/demo-pkg/")});
    BOOST_TEST(html.status == 200);
    BOOST_TEST(html.body.find("href=\"" + href + "#sha256=" + sha256 + "\"") != std::string::npos);
    const auto pep691 =
        curl(devpi.dir, {"-H",
                         "Accept: application/vnd.pypi.simple.v1+json, "
                         "application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01",
                         devpi.url("/ci/staging/+simple/demo-pkg/")});
    BOOST_TEST(pep691.header("Content-Type") == "application/vnd.pypi.simple.v1+json");
    BOOST_TEST(pep691.body_json()["files"][0]["url"] == href);
    BOOST_TEST(pep691.body_json()["files"][0]["hashes"]["sha256"] == sha256);
    const auto listing = curl(devpi.dir, {devpi.url("/ci/staging/+simple/")});
    BOOST_TEST(listing.body.find("<a href=\"demo-pkg/\">demo-pkg</a>") != std::string::npos);
    BOOST_TEST(curl(devpi.dir, {devpi.url("/ci/release/+simple/demo-pkg/")}).status == 404);
}

BOOST_AUTO_TEST_CASE(pip_downloads_the_promoted_wheel_and_not_the_unpromoted_one) {
    Devpi devpi;
    const auto pip = find_pip(devpi.dir);
    if (pip.empty()) {
        BOOST_TEST_MESSAGE("pip not found (pip3, pip, python3 -m pip): skipped");
        return;
    }
    const std::string wheel = make_wheel(devpi.dir, (devpi.dir / kWheel).string());
    BOOST_TEST(devpi.server.upload("ci/staging", "ci", "ci-pw", kWheel, wheel, "demo-pkg",
                                   "1.0.0") == 200);
    const auto download = [&](const std::string& index, const std::string& spec,
                              const std::string& into) {
        auto argv = pip;
        for (const std::string arg : {"download", "--isolated", "--no-cache-dir",
                                      "--disable-pip-version-check", "--no-deps", "--index-url"}) {
            argv.push_back(arg);
        }
        argv.insert(argv.end(), {devpi.url("/" + index + "/+simple/"), spec, "-d",
                                 (devpi.dir / into).string()});
        return fixtures::run_command(argv, devpi.dir / (into + ".log"));
    };

    BOOST_TEST(download("ci/release", "demo-pkg", "before") != 0);  // not promoted yet
    BOOST_TEST(
        devpi
            .push({{"name", "demo-pkg"}, {"version", "1.0.0"}, {"targetindex", "ci/release"}},
                  kCiAuth)
            .status == 200);
    const int status = download("ci/release", "demo-pkg", "after");
    BOOST_TEST(status == 0, fixtures::read_file(devpi.dir / "after.log"));
    BOOST_TEST(std::filesystem::exists(devpi.dir / "after" / kWheel));
    if (std::filesystem::exists(devpi.dir / "after" / kWheel)) {
        BOOST_TEST(fixtures::read_file(devpi.dir / "after" / kWheel) == wheel);
    }
}

BOOST_AUTO_TEST_CASE(stop_restart_and_proxy_errors) {
    Devpi devpi;
    const std::string url = devpi.server.url();
    const auto serial = devpi.server.serial();

    devpi.server.stop();
    BOOST_TEST(devpi.get_json("/ci/staging").status == 0);  // connection refused
    BOOST_TEST(devpi.server.upload("ci/staging", "ci", "ci-pw", kWheel, "w", "demo-pkg", "1.0.0") ==
               -1);
    devpi.server.restart();
    BOOST_TEST(devpi.server.url() == url);
    const auto back = devpi.get_json("/ci/staging");
    BOOST_TEST(back.status == 200);
    BOOST_TEST(back.header("X-Devpi-Serial") == std::to_string(serial));

    devpi.server.fail_next(2, 502);
    for (int proxied = 0; proxied < 2; ++proxied) {
        const auto failed = devpi.get_json("/ci/staging");
        BOOST_TEST(failed.status == 502);
        BOOST_TEST(failed.header("Content-Type").rfind("text/html", 0) == 0U);
        BOOST_TEST(failed.header("X-Devpi-Serial").empty());  // a proxy's page, not devpi's
    }
    BOOST_TEST(devpi.get_json("/ci/staging").status == 200);
}
