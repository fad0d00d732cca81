#include "aiops/common/oci.h"

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>

#include "aiops/common/json.h"

namespace aiops::common {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

Error invalid(const std::string& path, std::string_view what) {
    return Error{ErrorCode::kInvalidInput, "manifest " + path + ": " + std::string(what)};
}

bool is_restricted_name_char(char character, bool first) {
    const bool alnum = (character >= 'a' && character <= 'z') ||
                       (character >= 'A' && character <= 'Z') ||
                       (character >= '0' && character <= '9');
    if (first || alnum) {
        return alnum;
    }
    return std::string_view("!#$&-^_.+").find(character) != std::string_view::npos;
}

bool is_restricted_name(std::string_view name) {
    if (name.empty() || name.size() > 127) {
        return false;
    }
    for (std::size_t index = 0; index < name.size(); ++index) {
        if (!is_restricted_name_char(name[index], index == 0)) {
            return false;
        }
    }
    return true;
}

const json* find_member(const json& object, const std::string& key) {
    const auto found = object.find(key);
    return found == object.end() ? nullptr : &*found;
}

// A string member: absent → "" (or an error when required); present but not a string → error.
Result<std::string> string_member(const json& object, const std::string& key,
                                  const std::string& path, const ManifestLimits& limits,
                                  bool required) {
    const json* value = find_member(object, key);
    if (value == nullptr) {
        if (required) {
            return invalid(path + key, "is required");
        }
        return std::string();
    }
    if (!value->is_string()) {
        return invalid(path + key, "must be a string");
    }
    const auto& text = value->get_ref<const std::string&>();
    if (text.size() > limits.max_string_bytes) {
        return invalid(path + key, "is too long");
    }
    return text;
}

Result<std::string> media_type_member(const json& object, const std::string& key,
                                      const std::string& path, const ManifestLimits& limits,
                                      bool required) {
    auto text = string_member(object, key, path, limits, required);
    if (text && !text->empty() && !is_valid_media_type(*text)) {
        return invalid(path + key, "is not a valid media type");
    }
    if (text && required && text->empty()) {
        return invalid(path + key, "must not be empty");
    }
    return text;
}

Result<std::uint64_t> size_member(const json& object, const std::string& path) {
    const json* value = find_member(object, "size");
    if (value == nullptr) {
        return invalid(path + "size", "is required");
    }
    constexpr auto kMaxSize = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (!value->is_number_unsigned() || value->get<std::uint64_t>() > kMaxSize) {
        return invalid(path + "size", "must be a non-negative 64-bit integer");
    }
    return value->get<std::uint64_t>();
}

Result<Annotations> annotations_member(const json& object, const std::string& path,
                                       const ManifestLimits& limits) {
    const json* value = find_member(object, "annotations");
    Annotations annotations;
    if (value == nullptr || value->is_null()) {
        return annotations;
    }
    if (!value->is_object()) {
        return invalid(path + "annotations", "must be an object");
    }
    if (value->size() > limits.max_annotations) {
        return invalid(path + "annotations", "has too many entries");
    }
    for (const auto& [key, entry] : value->items()) {
        if (!entry.is_string()) {
            return invalid(path + "annotations." + key.substr(0, 64), "value must be a string");
        }
        const auto& text = entry.get_ref<const std::string&>();
        if (key.size() > limits.max_string_bytes || text.size() > limits.max_string_bytes) {
            return invalid(path + "annotations", "entry is too long");
        }
        annotations.emplace(key, text);
    }
    return annotations;
}

Result<std::vector<std::string>> urls_member(const json& object, const std::string& path,
                                             const ManifestLimits& limits) {
    std::vector<std::string> urls;
    const json* value = find_member(object, "urls");
    if (value == nullptr || value->is_null()) {
        return urls;
    }
    if (!value->is_array() || value->size() > limits.max_annotations) {
        return invalid(path + "urls", "must be a short array of strings");
    }
    for (const auto& entry : *value) {
        if (!entry.is_string() ||
            entry.get_ref<const std::string&>().size() > limits.max_string_bytes) {
            return invalid(path + "urls", "must be a short array of strings");
        }
        urls.push_back(entry.get<std::string>());
    }
    return urls;
}

Result<std::optional<Platform>> platform_member(const json& object, const std::string& path,
                                                const ManifestLimits& limits) {
    const json* value = find_member(object, "platform");
    if (value == nullptr || value->is_null()) {
        return std::optional<Platform>();
    }
    if (!value->is_object()) {
        return invalid(path + "platform", "must be an object");
    }
    const std::string inner = path + "platform.";
    auto architecture = string_member(*value, "architecture", inner, limits, true);
    auto os = string_member(*value, "os", inner, limits, true);
    auto os_version = string_member(*value, "os.version", inner, limits, false);
    auto variant = string_member(*value, "variant", inner, limits, false);
    for (const auto* field : {&architecture, &os, &os_version, &variant}) {
        if (!*field) {
            return field->error();
        }
    }
    return std::optional<Platform>(Platform{std::move(architecture).value(), std::move(os).value(),
                                            std::move(os_version).value(),
                                            std::move(variant).value()});
}

Result<Descriptor> parse_descriptor(const json& value, const std::string& where,
                                    const ManifestLimits& limits) {
    if (!value.is_object()) {
        return invalid(where, "must be an object");
    }
    const std::string path = where + ".";
    auto media_type = media_type_member(value, "mediaType", path, limits, true);
    auto digest_text = string_member(value, "digest", path, limits, true);
    auto size = size_member(value, path);
    auto artifact_type = media_type_member(value, "artifactType", path, limits, false);
    auto annotations = annotations_member(value, path, limits);
    auto urls = urls_member(value, path, limits);
    auto platform = platform_member(value, path, limits);
    if (!media_type || !digest_text || !artifact_type) {
        return !media_type ? media_type.error()
                           : (!digest_text ? digest_text.error() : artifact_type.error());
    }
    auto digest = Digest::parse(*digest_text);
    if (!digest) {
        return invalid(path + "digest", digest.error().message);
    }
    if (!size || !annotations || !urls || !platform) {
        return !size ? size.error()
                     : (!annotations ? annotations.error()
                                     : (!urls ? urls.error() : platform.error()));
    }
    return Descriptor{std::move(media_type).value(),
                      std::move(digest).value(),
                      *size,
                      std::move(urls).value(),
                      std::move(annotations).value(),
                      std::move(artifact_type).value(),
                      std::move(platform).value()};
}

Result<std::vector<Descriptor>> descriptor_array(const json& object, const std::string& key,
                                                 const ManifestLimits& limits) {
    const json* value = find_member(object, key);
    if (value == nullptr || !value->is_array()) {
        return invalid(key, "must be an array");
    }
    if (value->size() > limits.max_descriptors) {
        return invalid(key, "has more than " + std::to_string(limits.max_descriptors) + " entries");
    }
    std::vector<Descriptor> descriptors;
    descriptors.reserve(value->size());
    for (std::size_t index = 0; index < value->size(); ++index) {
        auto descriptor =
            parse_descriptor((*value)[index], key + "[" + std::to_string(index) + "]", limits);
        if (!descriptor) {
            return descriptor.error();
        }
        descriptors.push_back(std::move(descriptor).value());
    }
    return descriptors;
}

Result<std::optional<Descriptor>> subject_member(const json& object, const ManifestLimits& limits) {
    const json* value = find_member(object, "subject");
    if (value == nullptr || value->is_null()) {
        return std::optional<Descriptor>();
    }
    auto subject = parse_descriptor(*value, "subject", limits);
    if (!subject) {
        return subject.error();
    }
    return std::optional<Descriptor>(std::move(subject).value());
}

Status check_schema_version(const json& document) {
    if (!document.is_object()) {
        return invalid("document", "must be a JSON object");
    }
    const json* version = find_member(document, "schemaVersion");
    if (version == nullptr || !version->is_number_unsigned() ||
        version->get<std::uint64_t>() != 2) {
        return invalid("schemaVersion", "must be 2");
    }
    return {};
}

Result<ImageManifest> manifest_from_json(const json& document, const ManifestLimits& limits) {
    if (auto version = check_schema_version(document); !version) {
        return version.error();
    }
    auto media_type = media_type_member(document, "mediaType", "", limits, false);
    if (!media_type) {
        return media_type.error();
    }
    if (!media_type->empty() && !media_type::is_image_manifest(*media_type)) {
        return invalid("mediaType", "is not an image manifest type");
    }
    auto artifact_type = media_type_member(document, "artifactType", "", limits, false);
    const json* config_json = find_member(document, "config");
    if (!artifact_type || config_json == nullptr) {
        return !artifact_type ? artifact_type.error() : invalid("config", "is required");
    }
    auto config = parse_descriptor(*config_json, "config", limits);
    auto layers = descriptor_array(document, "layers", limits);
    auto subject = subject_member(document, limits);
    auto annotations = annotations_member(document, "", limits);
    if (!config || !layers || !subject || !annotations) {
        return !config ? config.error()
                       : (!layers ? layers.error()
                                  : (!subject ? subject.error() : annotations.error()));
    }
    return ImageManifest{std::move(media_type).value(), std::move(artifact_type).value(),
                         std::move(config).value(),     std::move(layers).value(),
                         std::move(subject).value(),    std::move(annotations).value()};
}

Result<ImageIndex> index_from_json(const json& document, const ManifestLimits& limits) {
    if (auto version = check_schema_version(document); !version) {
        return version.error();
    }
    auto media_type = media_type_member(document, "mediaType", "", limits, false);
    if (!media_type) {
        return media_type.error();
    }
    if (!media_type->empty() && !media_type::is_index(*media_type)) {
        return invalid("mediaType", "is not an index type");
    }
    auto artifact_type = media_type_member(document, "artifactType", "", limits, false);
    auto manifests = descriptor_array(document, "manifests", limits);
    auto subject = subject_member(document, limits);
    auto annotations = annotations_member(document, "", limits);
    if (!artifact_type || !manifests || !subject || !annotations) {
        return !artifact_type ? artifact_type.error()
                              : (!manifests ? manifests.error()
                                            : (!subject ? subject.error() : annotations.error()));
    }
    return ImageIndex{std::move(media_type).value(), std::move(artifact_type).value(),
                      std::move(manifests).value(), std::move(subject).value(),
                      std::move(annotations).value()};
}

Result<json> parse_document(std::string_view bytes, const ManifestLimits& limits) {
    if (bytes.size() > limits.max_bytes) {
        return Error{ErrorCode::kTooLarge,
                     "manifest exceeds " + std::to_string(limits.max_bytes) + " bytes"};
    }
    auto document =
        parse_json(bytes, {.max_bytes = limits.max_bytes, .max_depth = limits.max_depth});
    if (!document) {
        return Error{ErrorCode::kInvalidInput,
                     "manifest is not valid JSON: " + document.error().message};
    }
    return document;
}

std::string base_media_type(std::string_view content_type) {
    const std::size_t end = content_type.find(';');
    std::string_view base = content_type.substr(0, end);
    while (!base.empty() && (base.back() == ' ' || base.back() == '\t')) {
        base.remove_suffix(1);
    }
    while (!base.empty() && (base.front() == ' ' || base.front() == '\t')) {
        base.remove_prefix(1);
    }
    std::string lower(base);
    for (char& character : lower) {
        if (character >= 'A' && character <= 'Z') {
            character = static_cast<char>(character - 'A' + 'a');
        }
    }
    return lower;
}

// For a generic Content-Type: the body's own mediaType, else its shape.
bool looks_like_index(const json& document) {
    if (!document.is_object()) {
        return false;
    }
    const json* media_type = find_member(document, "mediaType");
    if (media_type != nullptr && media_type->is_string()) {
        return media_type::is_index(media_type->get_ref<const std::string&>());
    }
    return document.contains("manifests") && !document.contains("config");
}

ordered_json descriptor_json(const Descriptor& descriptor);

void put_common(ordered_json& out, const std::optional<Descriptor>& subject,
                const Annotations& annotations) {
    if (subject) {
        out["subject"] = descriptor_json(*subject);
    }
    if (!annotations.empty()) {
        out["annotations"] = annotations;
    }
}

ordered_json descriptor_json(const Descriptor& descriptor) {
    ordered_json out;
    out["mediaType"] = descriptor.media_type;
    if (!descriptor.artifact_type.empty()) {
        out["artifactType"] = descriptor.artifact_type;
    }
    out["digest"] = descriptor.digest.str();
    out["size"] = descriptor.size;
    if (!descriptor.urls.empty()) {
        out["urls"] = descriptor.urls;
    }
    if (!descriptor.annotations.empty()) {
        out["annotations"] = descriptor.annotations;
    }
    if (descriptor.platform) {
        ordered_json platform;
        platform["architecture"] = descriptor.platform->architecture;
        platform["os"] = descriptor.platform->os;
        if (!descriptor.platform->os_version.empty()) {
            platform["os.version"] = descriptor.platform->os_version;
        }
        if (!descriptor.platform->variant.empty()) {
            platform["variant"] = descriptor.platform->variant;
        }
        out["platform"] = std::move(platform);
    }
    return out;
}

ordered_json header_json(const std::string& media_type, const std::string& artifact_type) {
    ordered_json out;
    out["schemaVersion"] = 2;
    if (!media_type.empty()) {
        out["mediaType"] = media_type;
    }
    if (!artifact_type.empty()) {
        out["artifactType"] = artifact_type;
    }
    return out;
}

}  // namespace

bool is_valid_media_type(std::string_view media_type) {
    if (media_type.size() > 255) {
        return false;
    }
    const std::size_t slash = media_type.find('/');
    if (slash == std::string_view::npos) {
        return false;
    }
    return is_restricted_name(media_type.substr(0, slash)) &&
           is_restricted_name(media_type.substr(slash + 1));
}

Result<ImageManifest> parse_image_manifest(std::string_view bytes, const ManifestLimits& limits) {
    auto document = parse_document(bytes, limits);
    if (!document) {
        return document.error();
    }
    return manifest_from_json(*document, limits);
}

Result<ImageIndex> parse_image_index(std::string_view bytes, const ManifestLimits& limits) {
    auto document = parse_document(bytes, limits);
    if (!document) {
        return document.error();
    }
    return index_from_json(*document, limits);
}

Result<Manifest> parse_manifest(std::string_view bytes, std::string_view content_type,
                                const ManifestLimits& limits) {
    const std::string type = base_media_type(content_type);
    const bool generic = type.empty() || type == "application/json" ||
                         type == "application/octet-stream" || type == "text/plain";
    if (!generic && !media_type::is_image_manifest(type) && !media_type::is_index(type)) {
        return Error{ErrorCode::kUnsupportedMedia,
                     "unsupported manifest media type: " + type.substr(0, 128)};
    }
    auto document = parse_document(bytes, limits);
    if (!document) {
        return document.error();
    }
    const bool index = generic ? looks_like_index(*document) : media_type::is_index(type);
    if (index) {
        auto parsed = index_from_json(*document, limits);
        return parsed ? Result<Manifest>(Manifest(std::move(parsed).value())) : parsed.error();
    }
    auto parsed = manifest_from_json(*document, limits);
    return parsed ? Result<Manifest>(Manifest(std::move(parsed).value())) : parsed.error();
}

std::string serialize(const ImageManifest& manifest) {
    ordered_json out = header_json(manifest.media_type, manifest.artifact_type);
    out["config"] = descriptor_json(manifest.config);
    out["layers"] = ordered_json::array();
    for (const auto& layer : manifest.layers) {
        out["layers"].push_back(descriptor_json(layer));
    }
    put_common(out, manifest.subject, manifest.annotations);
    return out.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

std::string serialize(const ImageIndex& index) {
    ordered_json out = header_json(index.media_type, index.artifact_type);
    out["manifests"] = ordered_json::array();
    for (const auto& entry : index.manifests) {
        out["manifests"].push_back(descriptor_json(entry));
    }
    put_common(out, index.subject, index.annotations);
    return out.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

Result<Descriptor> describe(std::string_view media_type, std::string_view bytes) {
    if (!is_valid_media_type(media_type)) {
        return Error{ErrorCode::kInvalidInput, "invalid media type"};
    }
    auto digest = compute_digest(bytes);
    if (!digest) {
        return digest.error();
    }
    return Descriptor{.media_type = std::string(media_type),
                      .digest = std::move(digest).value(),
                      .size = bytes.size()};
}

}  // namespace aiops::common
