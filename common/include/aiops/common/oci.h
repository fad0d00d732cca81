#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "aiops/common/digest.h"
#include "aiops/common/media_types.h"
#include "aiops/common/result.h"

// OCI image-spec manifests and indexes (also Docker v2 schema 2 manifests and manifest lists):
// bounded, validating parsers for bytes from the network, and canonical serialisation.
namespace aiops::common {

using Annotations = std::map<std::string, std::string>;

struct Platform {
    std::string architecture;
    std::string os;
    std::string os_version;
    std::string variant;
};

struct Descriptor {
    std::string media_type;
    Digest digest;
    std::uint64_t size = 0;
    std::vector<std::string> urls{};
    Annotations annotations{};
    std::string artifact_type{};         // empty = absent
    std::optional<Platform> platform{};  // index entries only
};

struct ImageManifest {
    std::string media_type;     // empty = absent (allowed by OCI, required by Docker)
    std::string artifact_type;  // empty = absent
    Descriptor config;
    std::vector<Descriptor> layers;
    std::optional<Descriptor> subject;
    Annotations annotations;
};

struct ImageIndex {
    std::string media_type;
    std::string artifact_type;
    std::vector<Descriptor> manifests;
    std::optional<Descriptor> subject;
    Annotations annotations;
};

using Manifest = std::variant<ImageManifest, ImageIndex>;

struct ManifestLimits {
    std::size_t max_bytes = 4U << 20;  // distribution's own manifest cap
    int max_depth = 16;
    std::size_t max_descriptors = 10000;  // layers[] / manifests[]
    std::size_t max_annotations = 1000;   // per annotations object
    std::size_t max_string_bytes = 64U << 10;
};

// kInvalidInput (message names the offending field) for anything but a valid schemaVersion 2
// manifest: wrong media type, bad digest, negative/non-integer size, non-string annotation
// values, too many layers, too large or too deep. Never throws, whatever the bytes.
Result<ImageManifest> parse_image_manifest(std::string_view bytes,
                                           const ManifestLimits& limits = {});
Result<ImageIndex> parse_image_index(std::string_view bytes, const ManifestLimits& limits = {});

// Picks the parser by `content_type` (parameters ignored) or, when that is empty or generic, by
// the body's mediaType / shape. kUnsupportedMedia for a media type that is neither.
Result<Manifest> parse_manifest(std::string_view bytes, std::string_view content_type,
                                const ManifestLimits& limits = {});

// Canonical JSON (fixed key order, no insignificant whitespace). The digest of these bytes is
// the manifest digest once pushed.
std::string serialize(const ImageManifest& manifest);
std::string serialize(const ImageIndex& index);

// A descriptor for `bytes` (sha256, size).
Result<Descriptor> describe(std::string_view media_type, std::string_view bytes);

// `type/subtype` per RFC 6838 with optional `+suffix`, ≤ 255 chars; parameters are not allowed.
bool is_valid_media_type(std::string_view media_type);

}  // namespace aiops::common
