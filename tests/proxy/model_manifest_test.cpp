#define BOOST_TEST_MODULE proxy_model_manifest
#include "model_manifest.h"

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "aiops/common/oci.h"
#include "model_config.h"

namespace proxy = aiops::proxy;
namespace common = aiops::common;
namespace modelpack = aiops::common::modelpack;
using common::ErrorCode;
using modelpack::LayerKind;
using nlohmann::json;

namespace {

const std::string kSha = "0123456789abcdef0123456789abcdef01234567";
constexpr std::uint64_t kMiB = 1024 * 1024;

common::Digest digest_of(char fill) {
    return common::Digest::parse("sha256:" + std::string(64, fill)).value();
}

proxy::ModelFile model_file(const std::string& path, char fill, std::uint64_t size = 100) {
    return proxy::ModelFile{path, digest_of(fill), size};
}

proxy::ManifestInput bert_input() {
    proxy::ManifestInput input;
    input.repo_id = "google-bert/bert-base-uncased";
    input.info.id = input.repo_id;
    input.info.sha = kSha;
    input.info.last_modified = "2024-02-19T11:06:12.000Z";
    input.info.card_data = {{"license", "apache-2.0"}};
    input.info.safetensors_total = 110106428;
    input.files = {model_file("README.md", 'a', 8041),
                   model_file("model.safetensors", 'b', 440449768),
                   model_file("config.json", 'c', 570),
                   model_file(".gitattributes", 'd', 491),
                   model_file("tokenizer.json", 'e', 466062),
                   model_file("coreml/fill-mask/float32_model.mlpackage/Manifest.json", 'f', 617),
                   model_file("LICENSE", '1', 11357),
                   model_file("modeling.py", '2', 3000)};
    input.config_json = json{{"architectures", {"BertForMaskedLM"}},
                             {"model_type", "bert"},
                             {"torch_dtype", "float32"},
                             {"transformers_version", "4.6.0.dev0"}};
    input.source_url = "https://huggingface.co/google-bert/bert-base-uncased";
    return input;
}

void expect_invalid(const proxy::ManifestInput& input, ErrorCode code, const std::string& text) {
    const auto artifact = proxy::build_model_artifact(input);
    BOOST_TEST_REQUIRE(!artifact.has_value());
    BOOST_TEST(artifact.error().code == code);
    BOOST_TEST(artifact.error().message.find(text) != std::string::npos, artifact.error().message);
}

json config_of(const proxy::ManifestInput& input) {
    const auto artifact = proxy::build_model_artifact(input);
    BOOST_TEST_REQUIRE(artifact.has_value(), (artifact ? "" : artifact.error().message));
    return json::parse(artifact->config);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(classification)

BOOST_AUTO_TEST_CASE(skips_hidden_cache_and_compiled_files) {
    for (const char* path : {".gitattributes", ".git/config", "a/.hidden/model.bin", ".env",
                             "__pycache__/x.py", "src/__pycache__/y.json", "mod.pyc", "MOD.PYO",
                             "ext.pyd", "Modelfile", "sub/modelfile"}) {
        BOOST_TEST(!proxy::classify_file(path, 10).has_value(), path);
    }
}

BOOST_AUTO_TEST_CASE(matches_modctl_table_with_config_weight_code_doc_precedence) {
    const std::pair<const char*, LayerKind> cases[] = {
        {"config.json", LayerKind::kWeightConfig},
        {"model.safetensors.index.json", LayerKind::kWeightConfig},
        {"tokenizer.json", LayerKind::kWeightConfig},
        {"tokenizer.model", LayerKind::kWeightConfig},
        {"tekken_tokenizer.model.v3", LayerKind::kWeightConfig},
        {"vocab.txt", LayerKind::kWeightConfig},
        {"merges.txt", LayerKind::kWeightConfig},
        {"spiece.model", LayerKind::kWeightConfig},
        {"sentencepiece.bpe.model", LayerKind::kWeightConfig},
        {"chat_template.jinja", LayerKind::kWeightConfig},
        {"config.json.bak", LayerKind::kWeightConfig},
        {"generation_config.yaml", LayerKind::kWeightConfig},
        {"model.meta", LayerKind::kWeightConfig},  // *.meta is config and weight: config wins
        {"pom.xml", LayerKind::kWeightConfig},     // *.xml is config and doc: config wins
        {"model.safetensors", LayerKind::kWeight},
        {"Model-00001-of-00002.SafeTensors", LayerKind::kWeight},
        {"pytorch_model.bin", LayerKind::kWeight},
        {"pytorch_model.bin.1", LayerKind::kWeight},
        {"llama-7b.Q4_K_M.gguf", LayerKind::kWeight},
        {"onnx/model.onnx", LayerKind::kWeight},
        {"model.onnx_data", LayerKind::kWeight},
        {"tf_model.h5", LayerKind::kWeight},
        {"variables.data-00000-of-00001", LayerKind::kWeight},
        {"tensor00_01", LayerKind::kWeight},
        {"flax_model.msgpack", LayerKind::kWeight},
        {"spm.model", LayerKind::kWeight},
        {"train.parquet", LayerKind::kWeight},
        {"modeling_bert.py", LayerKind::kCode},
        {"notebook.ipynb", LayerKind::kCode},
        {"requirements.txt", LayerKind::kCode},  // code's requirements*.txt before doc's *.txt
        {"Makefile", LayerKind::kCode},
        {"Dockerfile.gpu", LayerKind::kCode},
        {"CMakeLists.txt", LayerKind::kCode},
        {"kernels/libattn.so", LayerKind::kCode},
        {"run.R", LayerKind::kCode},
        {"README.md", LayerKind::kDoc},
        {"README", LayerKind::kDoc},
        {"LICENSE", LayerKind::kDoc},
        {"LICENSE.txt", LayerKind::kDoc},
        {"notes.txt", LayerKind::kDoc},
        {"paper.pdf", LayerKind::kDoc},
        {"images/arch.PNG", LayerKind::kDoc},
        {"events.out.tfevents.1700000000.host", LayerKind::kDoc},
        {"dev-requirements.in", LayerKind::kDoc},
    };
    for (const auto& [path, kind] : cases) {
        const auto classified = proxy::classify_file(path, 10);
        BOOST_TEST_REQUIRE(classified.has_value(), path);
        BOOST_TEST((*classified == kind), path);
    }
}

BOOST_AUTO_TEST_CASE(unmatched_files_are_weights_only_above_128_mib) {
    BOOST_TEST((proxy::classify_file("blob", 128 * kMiB + 1) == LayerKind::kWeight));
    BOOST_TEST((proxy::classify_file("blob", 128 * kMiB) == LayerKind::kCode));
    BOOST_TEST((proxy::classify_file("weights/shard_0", 0) == LayerKind::kCode));
    BOOST_TEST((proxy::classify_file("README.md", 500 * kMiB) == LayerKind::kDoc));
}

BOOST_AUTO_TEST_CASE(glob_matches_go_filepath_match_semantics) {
    BOOST_TEST(proxy::glob_match("*.json", "config.json"));
    BOOST_TEST(proxy::glob_match("*.json", ".json"));
    BOOST_TEST(!proxy::glob_match("*.json", "config.jsonl"));
    BOOST_TEST(proxy::glob_match("*tokenizer.model*", "tokenizer.model"));
    BOOST_TEST(proxy::glob_match("a?c", "abc"));
    BOOST_TEST(!proxy::glob_match("a?c", "ac"));
    BOOST_TEST(proxy::glob_match("tensor[0-9]*_[0-9]*", "tensor12_3"));
    BOOST_TEST(!proxy::glob_match("tensor[0-9]*_[0-9]*", "tensorx_3"));
    BOOST_TEST(proxy::glob_match("[^a]b", "cb"));
    BOOST_TEST(!proxy::glob_match("[!a]b", "ab"));
    BOOST_TEST(proxy::glob_match("[]]", "]"));
    BOOST_TEST(!proxy::glob_match("[a", "a"));  // malformed class never matches
    BOOST_TEST(!proxy::glob_match("*", "a/b"));
    BOOST_TEST(proxy::glob_match("**x*", "abxcd"));
    BOOST_TEST(proxy::glob_match("", ""));
    BOOST_TEST(!proxy::glob_match("", "a"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(build_rejects)

BOOST_AUTO_TEST_CASE(empty_repo_and_repo_with_only_skipped_files) {
    proxy::ManifestInput input = bert_input();
    input.files.clear();
    expect_invalid(input, ErrorCode::kInvalidInput, "no file");

    input.files = {model_file(".gitattributes", 'a'), model_file("__pycache__/x.pyc", 'b')};
    expect_invalid(input, ErrorCode::kInvalidInput, "no file");
}

BOOST_AUTO_TEST_CASE(unsafe_and_repeated_paths) {
    for (const char* path : {"../escape.bin", "/abs.bin", "a//b.bin", "a\\b.bin", ""}) {
        proxy::ManifestInput input = bert_input();
        input.files.push_back(model_file(path, '9'));
        expect_invalid(input, ErrorCode::kInvalidInput, "unsafe");
    }
    proxy::ManifestInput input = bert_input();
    input.files.push_back(model_file("config.json", '9'));
    expect_invalid(input, ErrorCode::kInvalidInput, "twice");
}

BOOST_AUTO_TEST_CASE(bad_repo_id_bad_commit_and_too_many_files) {
    proxy::ManifestInput input = bert_input();
    input.repo_id = "bert-base-uncased";
    expect_invalid(input, ErrorCode::kInvalidInput, "repo id");

    input = bert_input();
    input.info.sha = "main";
    expect_invalid(input, ErrorCode::kInvalidInput, "sha");

    input = bert_input();
    input.files.clear();
    for (std::size_t index = 0; index <= proxy::kMaxRepoFiles; ++index) {
        input.files.push_back(model_file("f" + std::to_string(index) + ".json", 'a'));
    }
    expect_invalid(input, ErrorCode::kTooLarge, "files");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(build_artifact)

BOOST_AUTO_TEST_CASE(orders_layers_config_weight_code_doc_sorted_by_path) {
    const auto artifact = proxy::build_model_artifact(bert_input());

    BOOST_TEST_REQUIRE(artifact.has_value(), (artifact ? "" : artifact.error().message));
    std::vector<std::string> paths;
    std::vector<std::string> media_types;
    for (const auto& layer : artifact->layers) {
        paths.push_back(layer.path);
        media_types.push_back(layer.media_type);
    }
    const std::vector<std::string> expected_paths = {
        "config.json",    "coreml/fill-mask/float32_model.mlpackage/Manifest.json",
        "tokenizer.json", "model.safetensors",
        "modeling.py",    "LICENSE",
        "README.md"};
    BOOST_TEST(paths == expected_paths, boost::test_tools::per_element());
    const std::string prefix = "application/vnd.cncf.model.";
    const std::vector<std::string> expected_types = {prefix + "weight.config.v1.raw",
                                                     prefix + "weight.config.v1.raw",
                                                     prefix + "weight.config.v1.raw",
                                                     prefix + "weight.v1.raw",
                                                     prefix + "code.v1.raw",
                                                     prefix + "doc.v1.raw",
                                                     prefix + "doc.v1.raw"};
    BOOST_TEST(media_types == expected_types, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(manifest_is_a_valid_oci_manifest_with_annotated_raw_layers) {
    const auto artifact = proxy::build_model_artifact(bert_input());
    BOOST_TEST_REQUIRE(artifact.has_value());

    const auto manifest = common::parse_image_manifest(artifact->manifest);

    BOOST_TEST_REQUIRE(manifest.has_value(), (manifest ? "" : manifest.error().message));
    BOOST_TEST(manifest->media_type == "application/vnd.oci.image.manifest.v1+json");
    BOOST_TEST(manifest->artifact_type == "application/vnd.cncf.model.manifest.v1+json");
    BOOST_TEST(manifest->config.media_type == "application/vnd.cncf.model.config.v1+json");
    BOOST_TEST(manifest->config.digest == artifact->config_digest);
    BOOST_TEST(manifest->config.size == artifact->config.size());
    BOOST_TEST(artifact->config_digest == common::compute_digest(artifact->config).value());
    BOOST_TEST(artifact->manifest_digest == common::compute_digest(artifact->manifest).value());
    BOOST_TEST(manifest->annotations.at("org.opencontainers.image.revision") == kSha);
    BOOST_TEST(manifest->annotations.at("org.opencontainers.image.source") ==
               "https://huggingface.co/google-bert/bert-base-uncased");
    BOOST_TEST_REQUIRE(manifest->layers.size() == 7U);
    const auto& weight = manifest->layers[3];
    BOOST_TEST(weight.digest == digest_of('b'));
    BOOST_TEST(weight.size == 440449768U);
    BOOST_TEST(weight.annotations.at("org.cncf.model.filepath") == "model.safetensors");
    BOOST_TEST(weight.annotations.at("org.cncf.model.file.metadata+json") ==
               R"({"name":"model.safetensors","mode":420,"uid":0,"gid":0,"size":440449768,)"
               R"("mtime":"2024-02-19T11:06:12Z","typeflag":0})");
    const auto& nested = manifest->layers[1];
    BOOST_TEST(json::parse(nested.annotations.at("org.cncf.model.file.metadata+json")).at("name") ==
               "Manifest.json");
}

BOOST_AUTO_TEST_CASE(same_input_in_any_order_gives_identical_bytes_and_digests) {
    const proxy::ManifestInput input = bert_input();
    const auto first = proxy::build_model_artifact(input);
    std::mt19937 shuffler(42);

    for (int round = 0; round < 5; ++round) {
        proxy::ManifestInput shuffled = input;
        std::shuffle(shuffled.files.begin(), shuffled.files.end(), shuffler);
        const auto again = proxy::build_model_artifact(shuffled);

        BOOST_TEST_REQUIRE(again.has_value());
        BOOST_TEST(again->manifest == first->manifest);
        BOOST_TEST(again->manifest_digest == first->manifest_digest);
        BOOST_TEST(again->config == first->config);
        BOOST_TEST(again->config_digest == first->config_digest);
    }
    BOOST_TEST(first->manifest.find_first_of("\n ") == std::string::npos);
    BOOST_TEST(first->config.find('\n') == std::string::npos);
}

BOOST_AUTO_TEST_CASE(writes_the_full_config_for_a_transformers_repo) {
    const json config = config_of(bert_input());

    const json expected = json::parse(R"({
        "descriptor": {"createdAt": "2024-02-19T11:06:12Z", "vendor": "google-bert",
                       "family": "bert", "name": "bert-base-uncased",
                       "sourceURL": "https://huggingface.co/google-bert/bert-base-uncased",
                       "revision": "0123456789abcdef0123456789abcdef01234567",
                       "licenses": ["apache-2.0"]},
        "config": {"architecture": "transformer", "format": "safetensors", "paramSize": "110M",
                   "precision": "float32"},
        "modelfs": {"type": "layers", "diffIds": []}})");
    BOOST_TEST(config.at("descriptor") == expected.at("descriptor"));
    BOOST_TEST(config.at("config") == expected.at("config"));
    BOOST_TEST(config.at("modelfs").at("type") == "layers");
    const auto artifact = proxy::build_model_artifact(bert_input());
    const json& diff_ids = config.at("modelfs").at("diffIds");
    BOOST_TEST_REQUIRE(diff_ids.size() == artifact->layers.size());
    for (std::size_t index = 0; index < diff_ids.size(); ++index) {
        BOOST_TEST(diff_ids[index] == artifact->layers[index].digest.str());
    }
    BOOST_TEST(artifact->config.starts_with(R"({"descriptor":{"createdAt":)"));
}

BOOST_AUTO_TEST_CASE(omits_what_the_repo_does_not_say) {
    proxy::ManifestInput input = bert_input();
    input.info.last_modified = "yesterday";
    input.info.card_data = json::object();
    input.info.safetensors_total.reset();
    input.config_json.reset();
    input.source_url.clear();
    input.files = {model_file("ggml-model-q4_0.gguf", 'a'), model_file("notes.md", 'b')};

    const json config = config_of(input);
    const auto artifact = proxy::build_model_artifact(input);

    BOOST_TEST(config.at("descriptor") ==
               json::parse(R"({"vendor":"google-bert","name":"bert-base-uncased",)"
                           R"("revision":"0123456789abcdef0123456789abcdef01234567"})"));
    BOOST_TEST(config.at("config") == json::parse(R"({"format":"gguf"})"));
    BOOST_TEST(artifact->manifest.find("1970-01-01T00:00:00Z") != std::string::npos);
    BOOST_TEST(artifact->manifest.find("org.opencontainers.image.source") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(reads_family_and_architecture_from_model_info_and_ignores_odd_dtypes) {
    proxy::ManifestInput input = bert_input();
    input.config_json = json{{"torch_dtype", "auto"}};
    input.info.config = {{"model_type", "llama"}, {"architectures", {"LlamaForCausalLM"}}};
    input.files.push_back(model_file("pytorch_model.bin", '7'));
    input.files.push_back(model_file("model.onnx", '8'));

    const json config = config_of(input);

    BOOST_TEST(config.at("descriptor").at("family") == "llama");
    BOOST_TEST(config.at("config").at("architecture") == "transformer");
    BOOST_TEST(config.at("config").at("format") == "safetensors");  // preferred over onnx and pt
    BOOST_TEST(!config.at("config").contains("precision"));
}

BOOST_AUTO_TEST_CASE(legacy_naming_swaps_every_string_and_uses_diff_ids) {
    proxy::ManifestInput input = bert_input();
    input.naming = modelpack::Naming::kCnaiLegacy;

    const auto artifact = proxy::build_model_artifact(input);
    const auto cncf = proxy::build_model_artifact(bert_input());

    BOOST_TEST_REQUIRE(artifact.has_value());
    const auto manifest = common::parse_image_manifest(artifact->manifest);
    BOOST_TEST_REQUIRE(manifest.has_value());
    BOOST_TEST(manifest->artifact_type == "application/vnd.cnai.model.manifest.v1+json");
    BOOST_TEST(manifest->config.media_type == "application/vnd.cnai.model.config.v1+json");
    BOOST_TEST(manifest->layers[0].media_type == "application/vnd.cnai.model.weight.config.v1.raw");
    BOOST_TEST(manifest->layers[0].annotations.at("org.cnai.model.filepath") == "config.json");
    BOOST_TEST(manifest->layers[0].annotations.count("org.cnai.model.file.metadata+json") == 1U);
    BOOST_TEST(artifact->manifest.find("cncf") == std::string::npos);
    const json config = json::parse(artifact->config);
    BOOST_TEST(config.at("modelfs").contains("diff_ids"));
    BOOST_TEST(!config.at("modelfs").contains("diffIds"));
    BOOST_TEST(artifact->manifest_digest != cncf->manifest_digest);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(licenses)

BOOST_AUTO_TEST_CASE(reads_card_data_string_list_and_other_with_license_name) {
    proxy::HfModelInfo info;
    info.card_data = {{"license", "mit"}};
    BOOST_TEST(proxy::model_licenses(info, "") == std::vector<std::string>{"mit"});

    info.card_data = {{"license", {"mit", "apache-2.0", "mit", 7}}};
    BOOST_TEST(proxy::model_licenses(info, "") == (std::vector<std::string>{"apache-2.0", "mit"}));

    info.card_data = {{"license", "other"}, {"license_name", "llama3"}};
    BOOST_TEST(proxy::model_licenses(info, "") == std::vector<std::string>{"llama3"});

    info.card_data = {{"license", "other"}};
    BOOST_TEST(proxy::model_licenses(info, "") == std::vector<std::string>{"other"});
}

BOOST_AUTO_TEST_CASE(falls_back_to_the_readme_front_matter) {
    proxy::HfModelInfo info;
    const std::string readme =
        "---\r\nlanguage: en\r\nlicense:\r\n  - cc-by-4.0\r\n  - other\r\n"
        "license_name: custom-eula\r\n---\r\n# Model\nlicense: mit\n";

    BOOST_TEST(proxy::model_licenses(info, readme) ==
               (std::vector<std::string>{"cc-by-4.0", "custom-eula"}));

    info.card_data = {{"license", "mit"}};
    BOOST_TEST(proxy::model_licenses(info, readme) == std::vector<std::string>{"mit"});
}

BOOST_AUTO_TEST_CASE(ignores_broken_unterminated_oversize_and_deep_front_matter) {
    const proxy::HfModelInfo info;
    const std::string padding = "# " + std::string(70 * 1024, 'x') + "\n";
    for (const std::string& readme :
         {std::string("---\nlicense: [mit\n---\n"), std::string("---\nlicense: mit\n"),
          std::string("# Title\n---\nlicense: mit\n---\n"), std::string("---\n- mit\n---\n"),
          "---\n" + padding + "license: mit\n---\n",
          "---\nlicense: " + std::string(5000, '[') + std::string(5000, ']') + "\n---\n"}) {
        BOOST_TEST(proxy::model_licenses(info, readme).empty(), readme.substr(0, 40));
    }
    BOOST_TEST(proxy::model_licenses(info, "---\nlicense: mit\n---") ==
               std::vector<std::string>{"mit"});
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(labels_and_dates)

BOOST_AUTO_TEST_CASE(param_size_labels) {
    const std::pair<std::uint64_t, const char*> cases[] = {
        {0, "0"},
        {999, "999"},
        {1000, "1.0K"},
        {1500, "1.5K"},
        {9949, "9.9K"},
        {9950, "10K"},
        {124439808, "124M"},
        {999499999, "999M"},
        {999500000, "1.0B"},
        {6738415616, "6.7B"},
        {70553706496, "71B"},
        {1000000000000, "1.0T"},
        {18446744073709551615ULL, "18447Q"},
    };
    for (const auto& [parameters, label] : cases) {
        BOOST_TEST(proxy::param_size_label(parameters) == label, parameters);
    }
}

BOOST_AUTO_TEST_CASE(normalizes_rfc3339_to_utc_seconds) {
    BOOST_TEST(proxy::normalize_rfc3339("2024-02-19T11:06:12.000Z").value() ==
               "2024-02-19T11:06:12Z");
    BOOST_TEST(proxy::normalize_rfc3339("2024-02-19t11:06:12z").value() == "2024-02-19T11:06:12Z");
    BOOST_TEST(proxy::normalize_rfc3339("2024-03-01T00:30:00+01:00").value() ==
               "2024-02-29T23:30:00Z");
    BOOST_TEST(proxy::normalize_rfc3339("2023-12-31T23:00:00-02:30").value() ==
               "2024-01-01T01:30:00Z");
    for (const char* bad :
         {"", "2024-02-30T00:00:00Z", "2023-02-29T00:00:00Z", "2024-02-19", "2024-02-19T24:00:00Z",
          "2024-02-19T11:06:12", "2024-02-19T11:06:12.Z", "2024-02-19 11:06:12Z",
          "2024-02-19T11:06:12+0100", "2024-02-19T11:06:12Zjunk", "0000-01-01T00:00:00+00:01"}) {
        BOOST_TEST(!proxy::normalize_rfc3339(bad).has_value(), bad);
    }
}

BOOST_AUTO_TEST_SUITE_END()
