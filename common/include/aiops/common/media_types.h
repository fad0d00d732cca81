#pragma once

#include <optional>
#include <string>
#include <string_view>

// Media types and annotation keys for OCI, Docker v2 and ModelPack (CNCF model-spec) artifacts.
namespace aiops::common::media_type {

// OCI image-spec.
inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kOciLayerTar = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view kOciLayerTarGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view kOciLayerTarZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr std::string_view kOciEmpty = "application/vnd.oci.empty.v1+json";
// The OCI empty descriptor's blob is the two bytes "{}".
inline constexpr std::string_view kOciEmptyDigest =
    "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

// Docker image manifest v2 schema 2.
inline constexpr std::string_view kDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kDockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view kDockerLayerTarGzip =
    "application/vnd.docker.image.rootfs.diff.tar.gzip";

// Accept header for manifest requests: every manifest and index type we parse.
inline constexpr std::string_view kManifestAccept =
    "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json";

bool is_image_manifest(std::string_view media_type);  // OCI manifest or Docker v2 manifest
bool is_index(std::string_view media_type);           // OCI index or Docker manifest list

}  // namespace aiops::common::media_type

// Harbor's pluggable scanner API v1.0 (shared/reference/harbor-scanner.md): what the
// scanner-adapter serves and the webhook-handler's scan gate, as a client like Harbor, asks for.
namespace aiops::common::scanner_api {

inline constexpr const char* kMetadataMime =
    "application/vnd.scanner.adapter.metadata+json; version=1.0";
inline constexpr const char* kErrorMime = "application/vnd.scanner.adapter.error+json; version=1.0";
inline constexpr const char* kScanRequestMime =
    "application/vnd.scanner.adapter.scan.request+json; version=1.0";
inline constexpr const char* kScanResponseMime =
    "application/vnd.scanner.adapter.scan.response+json; version=1.0";
// The Harbor vulnerability report, with and without the version parameter (a referrer's
// artifactType carries none).
inline constexpr const char* kHarborReportType =
    "application/vnd.scanner.adapter.vuln.report.harbor+json";
inline constexpr const char* kHarborReportMime =
    "application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0";
inline constexpr const char* kGenericReportMime =
    "application/vnd.security.vulnerability.report; version=1.1";
inline constexpr const char* kSbomReportMime =
    "application/vnd.security.sbom.report+json; version=1.0";
inline constexpr const char* kSpdxMime = "application/spdx+json";
inline constexpr const char* kCycloneDxMime = "application/vnd.cyclonedx+json";

}  // namespace aiops::common::scanner_api

namespace aiops::common::modelpack {

// Two naming generations: model-spec v0.0.7+ (`vnd.cncf.model` / `org.cncf.model`, Harbor main)
// and v0.0.1–v0.0.6 (`vnd.cnai.model` / `org.cnai.model`, Harbor 2.13–2.15).
enum class Naming { kCncf, kCnaiLegacy };
enum class LayerKind { kWeight, kWeightConfig, kDoc, kCode, kDataset };
enum class LayerEncoding { kRaw, kTar, kTarGzip, kTarZstd };

struct Names {
    std::string_view manifest_artifact_type;  // manifest `artifactType`
    std::string_view config;                  // config descriptor `mediaType`
    std::string_view filepath_annotation;
    std::string_view file_metadata_annotation;
    std::string_view untested_annotation;
};

inline constexpr Names kCncfNames{
    .manifest_artifact_type = "application/vnd.cncf.model.manifest.v1+json",
    .config = "application/vnd.cncf.model.config.v1+json",
    .filepath_annotation = "org.cncf.model.filepath",
    .file_metadata_annotation = "org.cncf.model.file.metadata+json",
    .untested_annotation = "org.cncf.model.file.mediatype.untested",
};
inline constexpr Names kCnaiLegacyNames{
    .manifest_artifact_type = "application/vnd.cnai.model.manifest.v1+json",
    .config = "application/vnd.cnai.model.config.v1+json",
    .filepath_annotation = "org.cnai.model.filepath",
    .file_metadata_annotation = "org.cnai.model.file.metadata+json",
    .untested_annotation = "org.cnai.model.file.mediatype.untested",
};

const Names& names(Naming naming);

// e.g. (kCncf, kWeight, kRaw) → "application/vnd.cncf.model.weight.v1.raw".
std::string layer_media_type(Naming naming, LayerKind kind, LayerEncoding encoding);

struct LayerType {
    Naming naming;
    LayerKind kind;
    LayerEncoding encoding;
    friend bool operator==(const LayerType&, const LayerType&) = default;
};
// Inverse of layer_media_type(); nullopt for anything that is not one of the 40 layer types.
std::optional<LayerType> parse_layer_media_type(std::string_view media_type);

// Which naming a manifest artifactType or config media type belongs to, if either.
std::optional<Naming> naming_of(std::string_view artifact_or_config_type);

}  // namespace aiops::common::modelpack
