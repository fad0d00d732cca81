#define BOOST_TEST_MODULE proxy_hf_hub_server_test
#include "fixtures/hf_hub_server.h"

#include <httplib.h>

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "fixtures/temp_dir.h"

// Self-test of the Hugging Face Hub test server against its contract
// (shared/reference/modelspec-hf-scanning.md §2), with a real HTTP client.
namespace {

using aiops::testing::HfHubServer;
using aiops::testing::HfRepo;
using aiops::testing::HfRepoFile;
using nlohmann::json;

const std::string kCommit = "0123456789abcdef0123456789abcdef01234567";
const std::string kPrCommit = "89abcdef0123456789abcdef0123456789abcdef";
const std::string kToken = "hf_allowed_token";

std::string pseudo_random(std::size_t bytes, std::uint64_t seed) {
    std::string text;
    for (std::uint64_t state = seed; text.size() < bytes;) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        text.push_back(static_cast<char>(state >> 56));
    }
    return text;
}

struct HubFixture {
    aiops::testing::TempDir dir;
    HfHubServer hub;
    const std::string weights = pseudo_random(4096, 7);
    const std::uint64_t big_size = (2u << 20) + 3;  // odd: the last chunk is short
    httplib::Client client{hub.endpoint()};

    HubFixture() {
        aiops::testing::write_pseudo_random_file(dir / "big.bin", big_size, 42);
        HfRepo tiny;
        tiny.id = "acme/tiny";
        tiny.files = {{"config.json", R"({"model_type":"llama"})", {}, false},
                      {"README.md", "# tiny\n", {}, false},
                      {"tokenizer.json", "{}", {}, false},
                      {"nested/a.txt", "a", {}, false},
                      {"nested/deeper/b.txt", "bb", {}, false},
                      {"model.safetensors", weights, {}, true},
                      {"big.bin", "", dir / "big.bin", true}};
        tiny.branches = {{"main", kCommit}, {"refs/pr/1", kPrCommit}};
        tiny.tags = {{"v1.0", kCommit}};
        tiny.card_data = {{"license", "apache-2.0"}};
        tiny.config = {{"model_type", "llama"}, {"architectures", {"LlamaForCausalLM"}}};
        tiny.safetensors_total = 1234;
        hub.add_repo(tiny);

        HfRepo gated;
        gated.id = "acme/gated";
        gated.gated = "manual";
        gated.files = {{"config.json", "{}", {}, false}};
        hub.add_repo(gated);

        HfRepo hidden;
        hidden.id = "acme/private";
        hidden.private_repo = true;
        hidden.files = {{"config.json", "{}", {}, false}};
        hub.add_repo(hidden);
        hub.allow_token(kToken);
    }

    httplib::Headers bearer(const std::string& token) const {
        return {{"Authorization", "Bearer " + token}};
    }

    // Follows a 302 Location on the CDN with a fresh client (no Authorization).
    httplib::Result cdn_get(const std::string& location, const httplib::Headers& headers = {}) {
        BOOST_REQUIRE(location.rfind(hub.cdn_endpoint(), 0) == 0);
        httplib::Client cdn(hub.cdn_endpoint());
        return cdn.Get(location.substr(hub.cdn_endpoint().size()), headers);
    }

    std::string location_of(const std::string& path) {
        auto redirect = client.Get(path);
        BOOST_REQUIRE(redirect);
        BOOST_REQUIRE_EQUAL(redirect->status, 302);
        return redirect->get_header_value("Location");
    }
};

json body_json(const httplib::Result& result) {
    BOOST_REQUIRE(result);
    return json::parse(result->body);
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(hf_hub_server, HubFixture)

BOOST_AUTO_TEST_CASE(unknown_repo_is_the_ambiguous_401_repo_not_found) {
    for (const std::string path : {"/api/models/acme/nope", "/api/models/acme/nope/tree/main",
                                   "/acme/nope/resolve/main/config.json"}) {
        auto result = client.Get(path);

        BOOST_REQUIRE(result);
        BOOST_TEST(result->status == 401);
        BOOST_TEST(result->get_header_value("X-Error-Code") == "RepoNotFound");
        BOOST_TEST(json::parse(result->body).contains("error"));
    }
}

BOOST_AUTO_TEST_CASE(unknown_revision_and_file_are_404_with_their_error_codes) {
    auto revision = client.Get("/api/models/acme/tiny/revision/nope");
    auto entry = client.Get("/acme/tiny/resolve/main/missing.txt");
    auto tree_dir = client.Get("/api/models/acme/tiny/tree/main/missing");

    BOOST_REQUIRE(revision && entry && tree_dir);
    BOOST_TEST(revision->status == 404);
    BOOST_TEST(revision->get_header_value("X-Error-Code") == "RevisionNotFound");
    BOOST_TEST(entry->status == 404);
    BOOST_TEST(entry->get_header_value("X-Error-Code") == "EntryNotFound");
    BOOST_TEST(tree_dir->get_header_value("X-Error-Code") == "EntryNotFound");
}

BOOST_AUTO_TEST_CASE(gated_repo_shows_metadata_but_content_needs_an_authorized_token) {
    const std::string path = "/acme/gated/resolve/main/config.json";

    auto info = body_json(client.Get("/api/models/acme/gated"));
    auto anonymous = client.Get(path);
    auto unapproved = client.Get(path, bearer("hf_someone_else"));
    auto approved = client.Get(path, bearer(kToken));

    BOOST_TEST(info["gated"] == "manual");
    BOOST_REQUIRE(anonymous && unapproved && approved);
    BOOST_TEST(anonymous->status == 401);
    BOOST_TEST(anonymous->get_header_value("X-Error-Code") == "GatedRepo");
    BOOST_TEST(unapproved->status == 403);
    BOOST_TEST(unapproved->get_header_value("X-Error-Code") == "GatedRepo");
    BOOST_TEST(unapproved->get_header_value("X-Error-Message")
                   .find("Access to model acme/gated is restricted and you are not in the "
                         "authorized list") == 0);
    BOOST_TEST(approved->status == 200);
    BOOST_TEST(approved->body == "{}");
}

BOOST_AUTO_TEST_CASE(private_repo_is_repo_not_found_without_an_allowed_token) {
    auto anonymous = client.Get("/api/models/acme/private");
    auto stranger = client.Get("/acme/private/resolve/main/config.json", bearer("hf_nope"));
    auto owner = client.Get("/api/models/acme/private", bearer(kToken));

    BOOST_REQUIRE(anonymous && stranger && owner);
    BOOST_TEST(anonymous->status == 401);
    BOOST_TEST(anonymous->get_header_value("X-Error-Code") == "RepoNotFound");
    BOOST_TEST(stranger->status == 401);
    BOOST_TEST(owner->status == 200);
    BOOST_TEST(json::parse(owner->body)["private"] == true);
}

BOOST_AUTO_TEST_CASE(rate_limited_requests_get_429_with_retry_after_then_recover) {
    hub.rate_limit_next(2, 7);

    auto first = client.Get("/api/models/acme/tiny");
    auto second = client.Get("/acme/tiny/resolve/main/config.json");
    auto third = client.Get("/api/models/acme/tiny");

    BOOST_REQUIRE(first && second && third);
    BOOST_TEST(first->status == 429);
    BOOST_TEST(first->get_header_value("Retry-After") == "7");
    BOOST_TEST(first->get_header_value("RateLimit") == "\"api\";r=0;t=7");
    BOOST_TEST(first->get_header_value("RateLimit-Policy") ==
               "\"fixed window\";\"api\";q=1000;w=300");
    BOOST_TEST(second->status == 429);
    BOOST_TEST(second->get_header_value("RateLimit") == "\"resolvers\";r=0;t=7");
    BOOST_TEST(third->status == 200);
    BOOST_TEST(hub.api_requests() == 2u);
}

BOOST_AUTO_TEST_CASE(cut_file_closes_the_connection_after_n_body_bytes_once) {
    const std::string location = location_of("/acme/tiny/resolve/main/model.safetensors");
    hub.cut_file_after("acme/tiny", "model.safetensors", 100, 1);

    auto cut = cdn_get(location);
    auto whole = cdn_get(location);

    BOOST_TEST((!cut || cut->body.size() < weights.size()));
    BOOST_REQUIRE(whole);
    BOOST_TEST(whole->body == weights);
    BOOST_TEST(hub.content_gets("acme/tiny", "model.safetensors") == 2u);
}

BOOST_AUTO_TEST_CASE(cut_file_applies_to_non_lfs_resolve_bodies_too) {
    hub.cut_file_after("acme/tiny", "README.md", 3);
    std::string received;

    auto result =
        client.Get("/acme/tiny/resolve/main/README.md", [&](const char* data, std::size_t length) {
            received.append(data, length);
            return true;
        });

    BOOST_TEST(!result);
    BOOST_TEST(received == "# t");
}

BOOST_AUTO_TEST_CASE(corrupt_file_serves_other_bytes_of_the_same_length) {
    const std::string location = location_of("/acme/tiny/resolve/main/model.safetensors");
    hub.corrupt_file("acme/tiny", "model.safetensors");

    auto corrupted = cdn_get(location);
    hub.clear_faults();
    auto healthy = cdn_get(location);

    BOOST_REQUIRE(corrupted && healthy);
    BOOST_TEST(corrupted->body.size() == weights.size());
    BOOST_TEST(corrupted->body != weights);
    BOOST_TEST(aiops::testing::sha256_hex(corrupted->body) != aiops::testing::sha256_hex(weights));
    BOOST_TEST(healthy->body == weights);
}

BOOST_AUTO_TEST_CASE(stop_refuses_connections_and_restart_serves_on_the_same_ports) {
    const std::string endpoint = hub.endpoint();
    const std::string cdn_endpoint = hub.cdn_endpoint();

    hub.stop();
    auto while_down = client.Get("/api/models/acme/tiny");
    hub.restart();
    auto after = client.Get("/api/models/acme/tiny");

    BOOST_TEST(!while_down);
    BOOST_TEST(while_down.error() == httplib::Error::Connection);
    BOOST_REQUIRE(after);
    BOOST_TEST(after->status == 200);
    BOOST_TEST(hub.endpoint() == endpoint);
    BOOST_TEST(hub.cdn_endpoint() == cdn_endpoint);
}

BOOST_AUTO_TEST_CASE(cdn_rejects_a_tampered_signature) {
    std::string location = location_of("/acme/tiny/resolve/main/model.safetensors");
    location.back() = location.back() == '0' ? '1' : '0';

    auto result = cdn_get(location);

    BOOST_REQUIRE(result);
    BOOST_TEST(result->status == 403);
}

BOOST_AUTO_TEST_CASE(empty_files_are_served_with_content_length_zero) {
    HfRepo empty;
    empty.id = "acme/empty";
    empty.files = {{".gitkeep", "", {}, false}, {"empty.bin", "", {}, true}};
    hub.add_repo(empty);

    auto git_file = client.Get("/acme/empty/resolve/main/.gitkeep");
    auto lfs_file = cdn_get(location_of("/acme/empty/resolve/main/empty.bin"));

    BOOST_REQUIRE(git_file && lfs_file);
    BOOST_TEST(git_file->status == 200);
    BOOST_TEST(git_file->get_header_value("Content-Length") == "0");
    BOOST_TEST(lfs_file->status == 200);
    BOOST_TEST(lfs_file->body.empty());
}

BOOST_AUTO_TEST_CASE(model_info_reports_commit_card_data_config_and_siblings) {
    auto info = body_json(client.Get("/api/models/acme/tiny"));
    auto with_blobs = body_json(client.Get("/api/models/acme/tiny/revision/v1.0?blobs=true"));

    BOOST_TEST(info["id"] == "acme/tiny");
    BOOST_TEST(info["author"] == "acme");
    BOOST_TEST(info["sha"] == kCommit);
    BOOST_TEST(info["lastModified"] == "2024-02-19T11:06:12.000Z");
    BOOST_TEST(info["private"] == false);
    BOOST_TEST(info["gated"] == false);
    BOOST_TEST(info["disabled"] == false);
    BOOST_TEST(info["cardData"]["license"] == "apache-2.0");
    BOOST_TEST(info["config"]["model_type"] == "llama");
    BOOST_TEST(info["safetensors"]["total"] == 1234);
    BOOST_TEST(info["safetensors"]["parameters"]["F32"] == 1234);
    const auto& tags = info["tags"];
    BOOST_TEST((std::find(tags.begin(), tags.end(), "license:apache-2.0") != tags.end()));
    BOOST_TEST(info["siblings"].size() == 7u);
    BOOST_TEST(!info["siblings"][0].contains("blobId"));
    const std::string sha256 = aiops::testing::sha256_hex(weights);
    const std::string pointer = aiops::testing::lfs_pointer(sha256, weights.size());
    bool saw_lfs = false;
    for (const auto& sibling : with_blobs["siblings"]) {
        if (sibling["rfilename"] == "model.safetensors") {
            saw_lfs = true;
            BOOST_TEST(sibling["size"] == weights.size());
            BOOST_TEST(sibling["blobId"] == aiops::testing::git_blob_sha1_hex(pointer));
            BOOST_TEST(sibling["lfs"]["sha256"] == sha256);
            BOOST_TEST(sibling["lfs"]["size"] == weights.size());
            BOOST_TEST(sibling["lfs"]["pointerSize"] == pointer.size());
        }
    }
    BOOST_TEST(saw_lfs);
}

BOOST_AUTO_TEST_CASE(revision_is_one_encoded_segment_branch_tag_or_commit) {
    auto pull_request = body_json(client.Get("/api/models/acme/tiny/revision/refs%2Fpr%2F1"));
    auto by_commit = body_json(client.Get("/api/models/acme/tiny/revision/" + kCommit));
    auto unencoded = client.Get("/api/models/acme/tiny/revision/refs/pr/1");

    BOOST_TEST(pull_request["sha"] == kPrCommit);
    BOOST_TEST(by_commit["sha"] == kCommit);
    BOOST_REQUIRE(unencoded);
    BOOST_TEST(unencoded->status == 404);
}

BOOST_AUTO_TEST_CASE(tree_pages_follow_link_next_and_list_files_and_directories) {
    hub.set_tree_page_size(2);
    std::string path = "/api/models/acme/tiny/tree/main?recursive=true&expand=false";
    std::vector<json> entries;
    int pages = 0;

    while (!path.empty()) {
        auto result = client.Get(path);
        BOOST_REQUIRE(result);
        BOOST_REQUIRE_EQUAL(result->status, 200);
        for (const auto& entry : json::parse(result->body)) {
            entries.push_back(entry);
        }
        ++pages;
        const std::string link = result->get_header_value("Link");
        path.clear();
        if (!link.empty()) {
            BOOST_TEST(link.find(">; rel=\"next\"") != std::string::npos);
            BOOST_TEST(link.find("recursive=true") != std::string::npos);
            const std::string url = link.substr(1, link.find('>') - 1);
            BOOST_REQUIRE(url.rfind(hub.endpoint(), 0) == 0);
            path = url.substr(hub.endpoint().size());
        }
    }

    BOOST_TEST(pages == 5);  // 7 files + 2 directories, 2 per page
    std::set<std::string> directories;
    for (const auto& entry : entries) {
        if (entry["type"] == "directory") {
            directories.insert(entry["path"].get<std::string>());
        }
        if (entry["path"] == "README.md") {
            BOOST_TEST(entry["oid"] == aiops::testing::git_blob_sha1_hex("# tiny\n"));
            BOOST_TEST(entry["size"] == 7);
            BOOST_TEST(!entry.contains("lfs"));
        }
        if (entry["path"] == "model.safetensors") {
            const std::string sha256 = aiops::testing::sha256_hex(weights);
            const std::string pointer = aiops::testing::lfs_pointer(sha256, weights.size());
            BOOST_TEST(entry["lfs"]["oid"] == sha256);
            BOOST_TEST(entry["lfs"]["size"] == weights.size());
            BOOST_TEST(entry["lfs"]["pointerSize"] == pointer.size());
            BOOST_TEST(entry["oid"] == aiops::testing::git_blob_sha1_hex(pointer));
        }
    }
    BOOST_TEST(entries.size() == 9u);
    BOOST_TEST((directories == std::set<std::string>{"nested", "nested/deeper"}));
}

BOOST_AUTO_TEST_CASE(tree_of_a_subdirectory_lists_only_its_children) {
    auto direct = body_json(client.Get("/api/models/acme/tiny/tree/main/nested"));
    auto recursive = body_json(client.Get("/api/models/acme/tiny/tree/main/nested?recursive=true"));

    BOOST_TEST(direct.size() == 2u);  // nested/a.txt, nested/deeper
    BOOST_TEST(recursive.size() == 3u);
}

BOOST_AUTO_TEST_CASE(refs_list_branches_and_tags_with_target_commits) {
    auto refs = body_json(client.Get("/api/models/acme/tiny/refs"));
    auto with_prs = body_json(client.Get("/api/models/acme/tiny/refs?include_prs=true"));

    BOOST_TEST(refs["branches"].size() == 1u);
    BOOST_TEST(refs["branches"][0]["name"] == "main");
    BOOST_TEST(refs["branches"][0]["ref"] == "refs/heads/main");
    BOOST_TEST(refs["branches"][0]["targetCommit"] == kCommit);
    BOOST_TEST(refs["tags"][0]["ref"] == "refs/tags/v1.0");
    BOOST_TEST(refs["converts"].empty());
    BOOST_TEST(with_prs["pullRequests"][0]["targetCommit"] == kPrCommit);
}

BOOST_AUTO_TEST_CASE(resolve_of_a_git_file_answers_200_with_the_git_sha1_etag) {
    const std::string path = "/acme/tiny/resolve/" + kCommit + "/config.json";
    const std::string etag =
        "\"" + aiops::testing::git_blob_sha1_hex(R"({"model_type":"llama"})") + "\"";

    auto get = client.Get(path);
    auto head = client.Head(path, {{"Accept-Encoding", "identity"}});
    auto range = client.Get(path, {{"Range", "bytes=2-11"}});
    auto not_modified = client.Get(path, {{"If-None-Match", etag}});

    BOOST_REQUIRE(get && head && range && not_modified);
    BOOST_TEST(get->status == 200);
    BOOST_TEST(get->body == R"({"model_type":"llama"})");
    BOOST_TEST(get->get_header_value("ETag") == etag);
    BOOST_TEST(get->get_header_value("X-Repo-Commit") == kCommit);
    BOOST_TEST(head->status == 200);
    BOOST_TEST(head->get_header_value("Content-Length") == "22");
    BOOST_TEST(range->status == 206);
    BOOST_TEST(range->body == "model_type");
    BOOST_TEST(not_modified->status == 304);
    BOOST_TEST(hub.content_gets("acme/tiny", "config.json") == 2u);
}

BOOST_AUTO_TEST_CASE(resolve_of_an_lfs_file_redirects_to_the_cdn_with_linked_headers) {
    const std::string sha256 = aiops::testing::sha256_hex(weights);

    auto head = client.Head("/acme/tiny/resolve/main/model.safetensors", bearer(kToken));
    BOOST_REQUIRE(head);
    const std::string location = head->get_header_value("Location");
    auto content = cdn_get(location);

    BOOST_TEST(head->status == 302);
    BOOST_TEST(head->get_header_value("X-Repo-Commit") == kCommit);
    BOOST_TEST(head->get_header_value("X-Linked-Etag") == "\"" + sha256 + "\"");
    BOOST_TEST(head->get_header_value("X-Linked-Size") == std::to_string(weights.size()));
    BOOST_TEST(location.find(hub.cdn_endpoint() + "/repos/" + sha256 + "?") == 0u);
    BOOST_TEST(location.find("X-Amz-Signature=") != std::string::npos);
    BOOST_REQUIRE(content);
    BOOST_TEST(content->status == 200);
    BOOST_TEST(content->get_header_value("Accept-Ranges") == "bytes");
    BOOST_TEST(!content->has_header("X-Linked-Etag"));
    BOOST_TEST(aiops::testing::sha256_hex(content->body) == sha256);
    BOOST_TEST(hub.authorization_headers_seen_by_cdn().empty());
}

BOOST_AUTO_TEST_CASE(cdn_answers_ranges_with_206_and_unsatisfiable_ones_with_416) {
    const std::string location = location_of("/acme/tiny/resolve/main/model.safetensors");

    auto middle = cdn_get(location, {{"Range", "bytes=100-199"}});
    auto tail = cdn_get(location, {{"Range", "bytes=4000-"}});
    auto beyond = cdn_get(location, {{"Range", "bytes=4096-"}});

    BOOST_REQUIRE(middle && tail && beyond);
    BOOST_TEST(middle->status == 206);
    BOOST_TEST(middle->body == weights.substr(100, 100));
    BOOST_TEST(middle->get_header_value("Content-Range") == "bytes 100-199/4096");
    BOOST_TEST(tail->status == 206);
    BOOST_TEST(tail->body == weights.substr(4000));
    BOOST_TEST(beyond->status == 416);
    BOOST_TEST(beyond->get_header_value("Content-Range") == "bytes */4096");
}

BOOST_AUTO_TEST_CASE(disk_backed_lfs_file_streams_with_its_sha256) {
    const std::string location = location_of("/acme/tiny/resolve/main/big.bin");

    auto content = cdn_get(location);
    auto last_bytes = cdn_get(location, {{"Range", "bytes=-5"}});

    BOOST_REQUIRE(content && last_bytes);
    BOOST_TEST(content->body.size() == big_size);
    BOOST_TEST(aiops::testing::sha256_hex(content->body) ==
               aiops::testing::sha256_file_hex(dir / "big.bin"));
    BOOST_TEST(last_bytes->body == content->body.substr(big_size - 5));
    BOOST_TEST(location.find(aiops::testing::sha256_file_hex(dir / "big.bin")) !=
               std::string::npos);
    BOOST_TEST(hub.authorization_headers_seen_by_cdn().empty());
}

BOOST_AUTO_TEST_CASE(cdn_records_an_authorization_header_a_client_leaks) {
    const std::string location = location_of("/acme/tiny/resolve/main/model.safetensors");

    auto leaked = cdn_get(location, bearer(kToken));

    BOOST_REQUIRE(leaked);
    BOOST_TEST(hub.authorization_headers_seen_by_cdn() ==
               std::vector<std::string>{"Bearer " + kToken});
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(hash_helpers_match_the_reference_examples) {
    const std::string pointer = aiops::testing::lfs_pointer(std::string(64, 'd'), 497764107);

    BOOST_TEST(aiops::testing::git_blob_sha1_hex("Hello, World!") ==
               "b45ef6fec89518d314f546fd6c3025367b721684");
    BOOST_TEST(pointer.size() == 134u);
    BOOST_TEST(aiops::testing::sha256_hex("") ==
               "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}
