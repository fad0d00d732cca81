#define BOOST_TEST_MODULE preheat_model_layout
#include "model_layout.h"

#include <sys/stat.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <variant>

#include "fixtures/temp_dir.h"

// Laying a ModelPack model out from the cache: which layers become which files, and that nothing
// an annotation says can write outside <models-dir>/<repository>/<reference>/.
namespace {

namespace common = aiops::common;
namespace fixtures = aiops::testing;
namespace mp = common::modelpack;
using aiops::preheat::check_relative_path;
using aiops::preheat::lay_out_model;
using aiops::preheat::model_files;
using aiops::preheat::ModelFile;
using aiops::preheat::reference_dir_name;

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

nlohmann::json layer(mp::Naming naming, mp::LayerKind kind, const std::string& filepath,
                     char fill) {
    nlohmann::json descriptor{
        {"mediaType", mp::layer_media_type(naming, kind, mp::LayerEncoding::kRaw)},
        {"digest", "sha256:" + std::string(64, fill)},
        {"size", 10}};
    if (!filepath.empty()) {
        descriptor["annotations"] = {
            {std::string(mp::names(naming).filepath_annotation), filepath}};
    }
    return descriptor;
}

common::ImageManifest manifest_of(const std::string& config_type, const nlohmann::json& layers) {
    const nlohmann::json manifest{
        {"schemaVersion", 2},
        {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
        {"config",
         {{"mediaType", config_type}, {"digest", "sha256:" + std::string(64, '0')}, {"size", 2}}},
        {"layers", layers}};
    auto parsed =
        common::parse_manifest(manifest.dump(), "application/vnd.oci.image.manifest.v1+json");
    return std::get<common::ImageManifest>(parsed.value());
}

// A cache of plain files named by digest.
struct Cache {
    fixtures::TempDir dir;
    std::map<std::string, std::filesystem::path> files;
    ModelFile add(const std::string& path, const std::string& bytes) {
        const auto digest = common::compute_digest(bytes, common::DigestAlgorithm::kSha256).value();
        const auto file = dir / std::string(digest.hex());
        fixtures::write_file(file, bytes);
        files[digest.str()] = file;
        return {digest, bytes.size(), path, mp::LayerEncoding::kRaw};
    }
    aiops::preheat::CachedFile lookup() const {
        return [this](const common::Digest& digest) -> std::optional<std::filesystem::path> {
            const auto found = files.find(digest.str());
            if (found == files.end()) {
                return std::nullopt;
            }
            return found->second;
        };
    }
};

}  // namespace

BOOST_AUTO_TEST_CASE(unsafe_paths_are_refused) {
    for (const std::string path :
         {"model.safetensors", "a/b/c.json", "tokenizer/x..y", ".hidden"}) {
        BOOST_TEST(check_relative_path(path).has_value(), path);
    }
    for (const std::string& path : std::vector<std::string>{
             "", "/etc/passwd", "../x", "a/../../b", "a//b", "./a", "a/.", "a/", "a\\b",
             std::string("a\0b", 3), "a\nb", std::string(300, 'x')}) {
        BOOST_TEST(!check_relative_path(path).has_value(), path);
    }
    BOOST_TEST(reference_dir_name("sha256:abc") == "sha256-abc");
}

BOOST_AUTO_TEST_CASE(both_modelpack_namings_are_read_and_images_are_not_models) {
    auto layers =
        nlohmann::json::array({layer(mp::Naming::kCnaiLegacy, mp::LayerKind::kWeight, "w.bin", 'a'),
                               layer(mp::Naming::kCncf, mp::LayerKind::kDoc, "README.md", 'b')});
    const std::string config = "application/vnd.cnai.model.config.v1+json";
    auto files = model_files(manifest_of(config, layers));
    BOOST_TEST_REQUIRE(files.has_value());
    BOOST_TEST_REQUIRE(files->has_value());
    BOOST_TEST((*files)->size() == 2U);
    BOOST_TEST((**files)[0].path == "w.bin");

    layers.push_back(layer(mp::Naming::kCncf, mp::LayerKind::kWeight, "", 'c'));
    BOOST_TEST(!model_files(manifest_of(config, layers)).has_value());  // a raw file, no name
    layers.back() = layer(mp::Naming::kCncf, mp::LayerKind::kWeight, "../w", 'c');
    BOOST_TEST(!model_files(manifest_of(config, layers)).has_value());

    const auto image =
        manifest_of("application/vnd.oci.image.config.v1+json", nlohmann::json::array());
    BOOST_TEST(!model_files(image).value().has_value());
}

BOOST_AUTO_TEST_CASE(files_are_hard_links_into_the_cache_and_ready_comes_last) {
    Cache cache;
    fixtures::TempDir models;
    const std::vector<ModelFile> files{cache.add("model.safetensors", "weights"),
                                       cache.add("tokenizer/tokenizer.json", "{}")};
    BOOST_TEST_REQUIRE(
        lay_out_model(models.path(), "ai/llama", "v1", "sha256:m1", files, cache.lookup())
            .has_value());

    const auto dir = models / "ai" / "llama" / "v1";
    BOOST_TEST(read_file(dir / "model.safetensors") == "weights");
    BOOST_TEST(read_file(dir / "tokenizer" / "tokenizer.json") == "{}");
    BOOST_TEST(read_file(dir / ".ready") == "sha256:m1\n");
    struct stat info {};
    BOOST_TEST_REQUIRE(::stat((dir / "model.safetensors").c_str(), &info) == 0);
    BOOST_TEST(info.st_nlink == 2U);

    // The tag moved: the directory is replaced as a whole.
    const std::vector<ModelFile> moved{cache.add("model.safetensors", "weights v2")};
    BOOST_TEST_REQUIRE(
        lay_out_model(models.path(), "ai/llama", "v1", "sha256:m2", moved, cache.lookup())
            .has_value());
    BOOST_TEST(read_file(dir / "model.safetensors") == "weights v2");
    BOOST_TEST(!std::filesystem::exists(dir / "tokenizer"));
    BOOST_TEST(read_file(dir / ".ready") == "sha256:m2\n");
}

BOOST_AUTO_TEST_CASE(nothing_is_written_through_a_symlink_or_twice) {
    Cache cache;
    fixtures::TempDir models;
    fixtures::TempDir outside;
    std::filesystem::create_directories(models / "ai");
    std::filesystem::create_directory_symlink(outside.path(), models / "ai" / "evil");
    const std::vector<ModelFile> files{cache.add("x", "payload")};
    BOOST_TEST(!lay_out_model(models.path(), "ai/evil/m", "v1", "sha256:m", files, cache.lookup())
                    .has_value());
    BOOST_TEST(std::filesystem::is_empty(outside.path()));

    const std::vector<ModelFile> twice{cache.add("a/b", "1"), cache.add("a/b", "2")};
    BOOST_TEST(!lay_out_model(models.path(), "ai/twice", "v1", "sha256:t", twice, cache.lookup())
                    .has_value());
    const std::vector<ModelFile> file_then_dir{cache.add("a", "1"), cache.add("a/b", "2")};
    BOOST_TEST(
        !lay_out_model(models.path(), "ai/clash", "v1", "sha256:c", file_then_dir, cache.lookup())
             .has_value());
    BOOST_TEST(!std::filesystem::exists(models / "ai" / "clash" / "v1"));

    BOOST_TEST(!lay_out_model(models.path(), "ai/ok", "../v1", "sha256:m", files, cache.lookup())
                    .has_value());
    BOOST_TEST(!lay_out_model(models.path(), "../ai", "v1", "sha256:m", files, cache.lookup())
                    .has_value());
    const std::vector<ModelFile> missing{
        {common::Digest::parse("sha256:" + std::string(64, 'f')).value(), 1, "gone",
         mp::LayerEncoding::kRaw}};
    BOOST_TEST(lay_out_model(models.path(), "ai/gone", "v1", "sha256:g", missing, cache.lookup())
                   .error()
                   .code == common::ErrorCode::kNotFound);
}
