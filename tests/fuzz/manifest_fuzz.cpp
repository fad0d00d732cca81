// Fuzz target: OCI manifest / index parsing of registry responses (aiops::common::parse_manifest).
#include <cstdint>
#include <string_view>
#include <variant>

#include "aiops/common/oci.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    const aiops::common::ManifestLimits limits{.max_bytes = 1 << 16, .max_depth = 16};
    if (auto manifest = aiops::common::parse_image_manifest(bytes, limits)) {
        (void)aiops::common::serialize(*manifest);
    }
    if (auto index = aiops::common::parse_image_index(bytes, limits)) {
        (void)aiops::common::serialize(*index);
    }
    (void)aiops::common::parse_manifest(bytes, "", limits);
    (void)aiops::common::is_valid_media_type(bytes);
    (void)aiops::common::Digest::parse(bytes);
    return 0;
}
