// Prints the artifacts build_model_artifact makes for a few representative repos, one JSON line
// each: {"naming":"cncf"|"cnai","config":<config blob>,"manifest":<manifest>}. Run by
// config_schema_check.py, which validates every config against the ModelPack JSON schema.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "model_manifest.h"

namespace {

namespace proxy = aiops::proxy;
namespace modelpack = aiops::common::modelpack;
using nlohmann::json;

proxy::ModelFile file(const std::string& path, char fill, std::uint64_t size) {
    return {path, aiops::common::Digest::parse("sha256:" + std::string(64, fill)).value(), size};
}

// A transformers repo with every descriptor/config field filled.
proxy::ManifestInput full_repo() {
    proxy::ManifestInput input;
    input.repo_id = "meta-llama/Llama-2-7b-hf";
    input.info.sha = "01c7f73d771dfac7d292323805ebc428287df4f9";
    input.info.last_modified = "2024-04-17T08:40:48.000+02:00";
    input.info.card_data = {{"license", {"other", "llama2"}}, {"license_name", "llama2-eula"}};
    input.info.safetensors_total = 6738415616;
    input.config_json = json{
        {"model_type", "llama"}, {"torch_dtype", "float16"}, {"transformers_version", "4.31.0"}};
    input.source_url = "https://huggingface.co/meta-llama/Llama-2-7b-hf";
    input.files = {file("model-00001-of-00002.safetensors", 'a', 9976576152),
                   file("model-00002-of-00002.safetensors", 'b', 3500296424),
                   file("model.safetensors.index.json", 'c', 26788),
                   file("config.json", 'd', 614),
                   file("tokenizer.model", 'e', 499723),
                   file("README.md", 'f', 22295),
                   file("LICENSE.txt", '0', 7020),
                   file(".gitattributes", '1', 1519)};
    return input;
}

// A GGUF-only repo with nothing but the weights and a README front matter license.
proxy::ManifestInput minimal_repo() {
    proxy::ManifestInput input;
    input.repo_id = "TheBloke/tiny-GGUF";
    input.info.sha = "ffffffffffffffffffffffffffffffffffffffff";
    input.readme = "---\nlicense: apache-2.0\n---\n# tiny\n";
    input.files = {file("tiny.Q4_0.gguf", '2', 600000000)};
    return input;
}

}  // namespace

int main() {
    int failures = 0;
    for (const auto& input : {full_repo(), minimal_repo()}) {
        for (const auto naming : {modelpack::Naming::kCncf, modelpack::Naming::kCnaiLegacy}) {
            proxy::ManifestInput named = input;
            named.naming = naming;
            const auto artifact = proxy::build_model_artifact(named);
            if (!artifact) {
                std::fprintf(stderr, "%s\n", artifact.error().message.c_str());
                ++failures;
                continue;
            }
            const json line = {{"naming", naming == modelpack::Naming::kCncf ? "cncf" : "cnai"},
                               {"config", json::parse(artifact->config)},
                               {"manifest", json::parse(artifact->manifest)}};
            std::printf("%s\n", line.dump().c_str());
        }
    }
    return failures == 0 ? 0 : 1;
}
