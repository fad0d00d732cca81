#define BOOST_TEST_MODULE proxy_hf_api
#include "hf_api.h"

#include <boost/test/unit_test.hpp>
#include <string>

namespace proxy = aiops::proxy;
using aiops::common::ErrorCode;

namespace {

const std::string kSha = "0123456789abcdef0123456789abcdef01234567";
const std::string kSha2 = "89abcdef0123456789abcdef0123456789abcdef";
const std::string kLfsOid = std::string(64, 'e');

std::string info_with(const std::string& extra) {
    return R"({"id":"org/model","sha":")" + kSha + "\"" + extra + "}";
}

std::string file_entry(const std::string& path, const std::string& extra = "") {
    return R"({"type":"file","path":")" + path + R"(","size":12,"oid":")" + std::string(40, 'a') +
           "\"" + extra + "}";
}

template <typename T>
void expect_upstream_error(const aiops::common::Result<T>& result, const std::string& fragment) {
    BOOST_TEST_REQUIRE(!result.has_value());
    BOOST_TEST(result.error().code == ErrorCode::kUpstream);
    BOOST_TEST(result.error().message.find(fragment) != std::string::npos, result.error().message);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(model_info)

BOOST_AUTO_TEST_CASE(rejects_non_json_non_object_oversize_and_deep_bodies) {
    expect_upstream_error(proxy::parse_model_info(""), "model info");
    expect_upstream_error(proxy::parse_model_info("[]"), "top-level");
    expect_upstream_error(proxy::parse_model_info(std::string(proxy::kMaxHfJsonBytes + 1, ' ')),
                          "exceeds");
    const std::string deep =
        info_with(R"(,"cardData":)" + std::string(100, '[') + std::string(100, ']'));
    expect_upstream_error(proxy::parse_model_info(deep), "depth");
}

BOOST_AUTO_TEST_CASE(rejects_missing_or_malformed_sha_and_id) {
    expect_upstream_error(proxy::parse_model_info(R"({"id":"org/model"})"), "'sha' is missing");
    expect_upstream_error(proxy::parse_model_info(R"({"id":"org/model","sha":"main"})"), "'sha'");
    expect_upstream_error(
        proxy::parse_model_info(R"({"id":"org/model","sha":")" + std::string(40, 'A') + "\"}"),
        "'sha'");
    expect_upstream_error(proxy::parse_model_info(R"({"id":"org/model","sha":42})"),
                          "'sha' must be a string");
    expect_upstream_error(proxy::parse_model_info(R"({"sha":")" + kSha + "\"}"), "'id'");
    expect_upstream_error(proxy::parse_model_info(R"({"id":"","sha":")" + kSha + "\"}"), "'id'");
}

BOOST_AUTO_TEST_CASE(rejects_fields_of_the_wrong_type) {
    expect_upstream_error(proxy::parse_model_info(info_with(R"(,"private":"yes")")), "'private'");
    expect_upstream_error(proxy::parse_model_info(info_with(R"(,"disabled":1)")), "'disabled'");
    expect_upstream_error(proxy::parse_model_info(info_with(R"(,"gated":3)")), "'gated'");
    expect_upstream_error(proxy::parse_model_info(info_with(R"(,"cardData":"mit")")), "'cardData'");
    expect_upstream_error(proxy::parse_model_info(info_with(R"(,"config":[])")), "'config'");
    expect_upstream_error(proxy::parse_model_info(info_with(R"(,"tags":"a")")), "'tags'");
    expect_upstream_error(proxy::parse_model_info(info_with(R"(,"tags":["a",1])")), "'tags'");
    expect_upstream_error(proxy::parse_model_info(info_with(R"(,"lastModified":5)")),
                          "'lastModified'");
    expect_upstream_error(proxy::parse_model_info(info_with(R"(,"safetensors":{"total":-1})")),
                          "safetensors.total");
    expect_upstream_error(
        proxy::parse_model_info(info_with(R"(,"safetensors":{"parameters":{"F16":1.5}})")),
        "safetensors.parameters.F16");
}

BOOST_AUTO_TEST_CASE(parses_every_field_and_ignores_unknown_ones) {
    const std::string body = info_with(
        R"(,"lastModified":"2024-02-19T11:06:12.000Z","createdAt":"2022-03-02T23:29:04.000Z",)"
        R"("private":true,"gated":"manual","disabled":false,"cardData":{"license":"mit"},)"
        R"("config":{"model_type":"bert"},"safetensors":{"parameters":{"F32":110000000,)"
        R"("BF16":5},"total":110000005},"tags":["transformers","license:mit"],)"
        R"("library_name":"transformers","pipeline_tag":"fill-mask","siblings":[],"likes":3)");

    const auto info = proxy::parse_model_info(body);

    BOOST_TEST_REQUIRE(info.has_value(), (info ? "" : info.error().message));
    BOOST_TEST(info->id == "org/model");
    BOOST_TEST(info->sha == kSha);
    BOOST_TEST(info->last_modified == "2024-02-19T11:06:12.000Z");
    BOOST_TEST(info->created_at == "2022-03-02T23:29:04.000Z");
    BOOST_TEST(info->is_private);
    BOOST_TEST(info->gated == "manual");
    BOOST_TEST(!info->disabled);
    BOOST_TEST(info->card_data.at("license") == "mit");
    BOOST_TEST(info->config.at("model_type") == "bert");
    BOOST_TEST_REQUIRE(info->safetensors_total.has_value());
    BOOST_TEST(*info->safetensors_total == 110000005U);
    BOOST_TEST(info->safetensors_parameters.at("F32") == 110000000U);
    BOOST_TEST(info->safetensors_parameters.at("BF16") == 5U);
    BOOST_TEST(info->tags.size() == 2U);
    BOOST_TEST(info->library_name == "transformers");
    BOOST_TEST(info->pipeline_tag == "fill-mask");
}

BOOST_AUTO_TEST_CASE(treats_absent_null_and_false_fields_as_unset) {
    const auto info = proxy::parse_model_info(
        info_with(R"(,"gated":false,"cardData":null,"library_name":null,"safetensors":null)"));

    BOOST_TEST_REQUIRE(info.has_value());
    BOOST_TEST(info->gated.empty());
    BOOST_TEST(info->card_data.is_object());
    BOOST_TEST(info->card_data.empty());
    BOOST_TEST(info->library_name.empty());
    BOOST_TEST(!info->safetensors_total.has_value());
    BOOST_TEST(info->last_modified.empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(tree_page)

BOOST_AUTO_TEST_CASE(rejects_non_array_oversize_and_malformed_entries) {
    expect_upstream_error(proxy::parse_tree_page("{}"), "top-level");
    expect_upstream_error(proxy::parse_tree_page("[1]"), "not an object");
    expect_upstream_error(proxy::parse_tree_page(R"([{"path":"a"}])"), "'type'");
    expect_upstream_error(proxy::parse_tree_page(R"([{"type":"link","path":"a"}])"), "'type'");
    expect_upstream_error(proxy::parse_tree_page(R"([{"type":"file","size":1}])"), "'path'");
    expect_upstream_error(proxy::parse_tree_page(R"([{"type":"file","path":"a","oid":")" +
                                                 std::string(40, 'a') + "\"}]"),
                          "'size'");
    expect_upstream_error(
        proxy::parse_tree_page(R"([{"type":"file","path":"a","size":"12","oid":")" +
                               std::string(40, 'a') + "\"}]"),
        "'size'");
    expect_upstream_error(proxy::parse_tree_page(R"([{"type":"file","path":"a","size":1}])"),
                          "'oid'");
    expect_upstream_error(
        proxy::parse_tree_page(R"([{"type":"file","path":"a","size":1,"oid":"xyz"}])"), "'oid'");
    std::string many = "[";
    for (std::size_t index = 0; index <= proxy::kMaxRepoFiles; ++index) {
        many += (index == 0 ? "" : ",") + std::string(R"({"type":"directory","path":"d"})");
    }
    expect_upstream_error(proxy::parse_tree_page(many + "]"), "entries");
}

BOOST_AUTO_TEST_CASE(rejects_bad_lfs_objects) {
    expect_upstream_error(proxy::parse_tree_page("[" + file_entry("a", R"(,"lfs":"x")") + "]"),
                          "'lfs'");
    expect_upstream_error(
        proxy::parse_tree_page("[" + file_entry("a", R"(,"lfs":{"oid":"abc","size":1})") + "]"),
        "lfs.oid");
    expect_upstream_error(
        proxy::parse_tree_page(
            "[" + file_entry("a", R"(,"lfs":{"oid":")" + std::string(64, 'E') + R"(","size":1})") +
            "]"),
        "lfs.oid");
    expect_upstream_error(
        proxy::parse_tree_page("[" + file_entry("a", R"(,"lfs":{"oid":")" + kLfsOid + "\"}") + "]"),
        "lfs.size");
    expect_upstream_error(
        proxy::parse_tree_page(
            "[" + file_entry("a", R"(,"lfs":{"oid":")" + kLfsOid + R"(","size":-5})") + "]"),
        "lfs.size");
}

BOOST_AUTO_TEST_CASE(rejects_unsafe_paths_instead_of_dropping_them) {
    for (const std::string path : {"/etc/passwd", "../x", "a/../../x", "a//b", "a/./b", "a/",
                                   R"(a\\b)", R"(a\u0000b)", R"(a\nb)", "."}) {
        expect_upstream_error(proxy::parse_tree_page("[" + file_entry(path) + "]"), "'path'");
    }
}

BOOST_AUTO_TEST_CASE(keeps_files_in_order_and_drops_directories) {
    const std::string body =
        "[" + file_entry("config.json") + R"(,{"type":"directory","path":"onnx","oid":")" +
        std::string(40, 'b') + R"(","size":0},)" +
        file_entry("onnx/model.onnx",
                   R"(,"lfs":{"oid":")" + kLfsOid +
                       R"(","size":498000000,"pointerSize":134},"xetHash":"x")") +
        "]";

    const auto files = proxy::parse_tree_page(body);

    BOOST_TEST_REQUIRE(files.has_value(), (files ? "" : files.error().message));
    BOOST_TEST_REQUIRE(files->size() == 2U);
    BOOST_TEST((*files)[0].path == "config.json");
    BOOST_TEST((*files)[0].size == 12U);
    BOOST_TEST((*files)[0].oid == std::string(40, 'a'));
    BOOST_TEST(!(*files)[0].lfs_sha256.has_value());
    BOOST_TEST((*files)[0].content_size() == 12U);
    BOOST_TEST((*files)[1].path == "onnx/model.onnx");
    BOOST_TEST((*files)[1].lfs_sha256.value() == kLfsOid);
    BOOST_TEST((*files)[1].content_size() == 498000000U);
}

BOOST_AUTO_TEST_CASE(accepts_an_empty_page) {
    const auto files = proxy::parse_tree_page("[]");

    BOOST_TEST_REQUIRE(files.has_value());
    BOOST_TEST(files->empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(refs)

BOOST_AUTO_TEST_CASE(rejects_malformed_refs) {
    expect_upstream_error(proxy::parse_refs("[]"), "top-level");
    expect_upstream_error(proxy::parse_refs(R"({"tags":[]})"), "'branches'");
    expect_upstream_error(proxy::parse_refs(R"({"branches":{}})"), "'branches'");
    expect_upstream_error(proxy::parse_refs(R"({"branches":[1]})"), "'branches'");
    expect_upstream_error(proxy::parse_refs(R"({"branches":[{"name":"main"}]})"), "targetCommit");
    expect_upstream_error(
        proxy::parse_refs(R"({"branches":[{"name":"main","targetCommit":"abc"}]})"),
        "targetCommit");
    expect_upstream_error(
        proxy::parse_refs(R"({"branches":[{"name":"","targetCommit":")" + kSha + "\"}]}"),
        "'name'");
    expect_upstream_error(
        proxy::parse_refs(R"({"branches":[],"tags":[{"name":7,"targetCommit":")" + kSha + "\"}]}"),
        "'name'");
}

BOOST_AUTO_TEST_CASE(lists_branches_then_tags_and_ignores_converts) {
    const std::string body = R"({"branches":[{"name":"main","ref":"refs/heads/main",)"
                             R"("targetCommit":")" +
                             kSha +
                             R"("}],"converts":[{"name":"x","targetCommit":"bad"}],)"
                             R"("tags":[{"name":"v1.0","targetCommit":")" +
                             kSha2 + "\"}]}";

    const auto refs = proxy::parse_refs(body);

    BOOST_TEST_REQUIRE(refs.has_value(), (refs ? "" : refs.error().message));
    BOOST_TEST_REQUIRE(refs->size() == 2U);
    BOOST_TEST((*refs)[0].name == "main");
    BOOST_TEST((*refs)[0].target_commit == kSha);
    BOOST_TEST(!(*refs)[0].is_tag);
    BOOST_TEST((*refs)[1].name == "v1.0");
    BOOST_TEST((*refs)[1].target_commit == kSha2);
    BOOST_TEST((*refs)[1].is_tag);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(validators)

BOOST_AUTO_TEST_CASE(safe_repo_paths) {
    BOOST_TEST(proxy::is_safe_repo_path("config.json"));
    BOOST_TEST(proxy::is_safe_repo_path("onnx/model.onnx"));
    BOOST_TEST(proxy::is_safe_repo_path("..hidden/x..y"));
    BOOST_TEST(proxy::is_safe_repo_path("d\xC3\xA9j\xC3\xA0/vu.md"));  // UTF-8
    BOOST_TEST(proxy::is_safe_repo_path(std::string(1024, 'a')));
    BOOST_TEST(!proxy::is_safe_repo_path(std::string(1025, 'a')));
    BOOST_TEST(!proxy::is_safe_repo_path(""));
    BOOST_TEST(!proxy::is_safe_repo_path("/abs"));
    BOOST_TEST(!proxy::is_safe_repo_path(".."));
    BOOST_TEST(!proxy::is_safe_repo_path("a/.."));
    BOOST_TEST(!proxy::is_safe_repo_path("./a"));
    BOOST_TEST(!proxy::is_safe_repo_path("a//b"));
    BOOST_TEST(!proxy::is_safe_repo_path("a/"));
    BOOST_TEST(!proxy::is_safe_repo_path("a\\b"));
    BOOST_TEST(!proxy::is_safe_repo_path(std::string("a\0b", 3)));
    BOOST_TEST(!proxy::is_safe_repo_path("a\x7f"));
    BOOST_TEST(!proxy::is_safe_repo_path("a\xC3"));          // truncated UTF-8
    BOOST_TEST(!proxy::is_safe_repo_path("a\xC0\xAF"));      // overlong '/'
    BOOST_TEST(!proxy::is_safe_repo_path("a\xED\xA0\x80"));  // surrogate
}

BOOST_AUTO_TEST_CASE(repo_ids) {
    BOOST_TEST(proxy::is_valid_repo_id("google-bert/bert-base-uncased"));
    BOOST_TEST(proxy::is_valid_repo_id("Org_1/model.v2"));
    BOOST_TEST(proxy::is_valid_repo_id(std::string(96, 'a') + "/" + std::string(96, 'b')));
    BOOST_TEST(!proxy::is_valid_repo_id(std::string(97, 'a') + "/b"));
    BOOST_TEST(!proxy::is_valid_repo_id("gpt2"));
    BOOST_TEST(!proxy::is_valid_repo_id("a/b/c"));
    BOOST_TEST(!proxy::is_valid_repo_id("/b"));
    BOOST_TEST(!proxy::is_valid_repo_id("a/"));
    BOOST_TEST(!proxy::is_valid_repo_id("../b"));
    BOOST_TEST(!proxy::is_valid_repo_id("-a/b"));
    BOOST_TEST(!proxy::is_valid_repo_id("a/b c"));
}

BOOST_AUTO_TEST_CASE(commit_shas) {
    BOOST_TEST(proxy::is_commit_sha(kSha));
    BOOST_TEST(!proxy::is_commit_sha(kSha.substr(1)));
    BOOST_TEST(!proxy::is_commit_sha(kSha + "0"));
    BOOST_TEST(!proxy::is_commit_sha(std::string(40, 'A')));
    BOOST_TEST(!proxy::is_commit_sha(std::string(40, 'g')));
}

BOOST_AUTO_TEST_SUITE_END()
