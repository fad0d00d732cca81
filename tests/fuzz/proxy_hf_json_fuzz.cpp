// Fuzz target: the proxy-adapter's parsers of Hugging Face Hub JSON (model info, tree page, refs)
// and manifest synthesis from whatever they accept; the same bytes also go through the README
// front-matter license reader, the date normaliser and the classification glob matcher.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model_config.h"
#include "model_manifest.h"

namespace {

namespace proxy = aiops::proxy;

const std::string kCommit = "0123456789abcdef0123456789abcdef01234567";

// A valid sha256 digest derived from a file's path, for files the tree gives no LFS sha for.
aiops::common::Digest synthetic_digest(std::string_view path) {
    std::string hex(64, '0');
    for (std::size_t index = 0; index < path.size(); ++index) {
        hex[index % 64] =
            "0123456789abcdef"[(static_cast<unsigned char>(path[index]) + index) % 16];
    }
    return aiops::common::Digest::parse("sha256:" + hex).value();
}

void build_from_info(const proxy::HfModelInfo& info, std::string_view readme) {
    proxy::ManifestInput input;
    input.repo_id = "org/model";
    input.info = info;
    input.readme = std::string(readme);
    input.config_json = info.config;
    input.files.push_back({"config.json", synthetic_digest("config.json"), 10});
    input.files.push_back({"model.safetensors", synthetic_digest("model"), 1U << 30});
    (void)proxy::build_model_artifact(input);
}

void build_from_tree(const std::vector<proxy::HfFile>& tree) {
    proxy::ManifestInput input;
    input.repo_id = "org/model";
    input.info.sha = kCommit;
    input.info.last_modified = "2024-02-19T11:06:12.000Z";
    for (const proxy::HfFile& file : tree) {
        (void)proxy::classify_file(file.path, file.content_size());
        auto digest = file.lfs_sha256 ? aiops::common::Digest::parse("sha256:" + *file.lfs_sha256)
                                      : synthetic_digest(file.path);
        input.files.push_back({file.path, digest.value(), file.content_size()});
    }
    for (const auto naming :
         {aiops::common::modelpack::Naming::kCncf, aiops::common::modelpack::Naming::kCnaiLegacy}) {
        input.naming = naming;
        (void)proxy::build_model_artifact(input);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    if (auto info = proxy::parse_model_info(bytes)) {
        build_from_info(*info, bytes);
    }
    if (auto tree = proxy::parse_tree_page(bytes)) {
        build_from_tree(*tree);
    }
    (void)proxy::parse_refs(bytes);
    (void)proxy::model_licenses(proxy::HfModelInfo{}, bytes);
    (void)proxy::normalize_rfc3339(bytes);
    const std::size_t half = bytes.size() / 2;
    (void)proxy::glob_match(bytes.substr(0, half), bytes.substr(half));
    return 0;
}
