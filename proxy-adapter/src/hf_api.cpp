#include "hf_api.h"

#include <utility>

#include "aiops/common/json.h"

namespace aiops::proxy {
namespace {

using common::Error;
using common::ErrorCode;
using common::Result;
using nlohmann::json;

constexpr int kMaxHfJsonDepth = 64;
constexpr std::size_t kMaxFieldBytes = 64U << 10;  // one string field (id, tag, ref name, ...)
constexpr std::size_t kMaxRefs = 10000;            // branches + tags of one repo

Error malformed(std::string_view what, std::string_view field, std::string_view problem) {
    return Error{ErrorCode::kUpstream, std::string(what) + ": field '" + std::string(field) + "' " +
                                           std::string(problem)};
}

Result<json> parse_body(std::string_view what, std::string_view body, json::value_t top_type) {
    auto document =
        common::parse_json(body, {.max_bytes = kMaxHfJsonBytes, .max_depth = kMaxHfJsonDepth});
    if (!document) {
        return Error{ErrorCode::kUpstream, std::string(what) + ": " + document.error().message};
    }
    if (document->type() != top_type) {
        return Error{ErrorCode::kUpstream, std::string(what) + ": unexpected top-level JSON type"};
    }
    return document;
}

// The member `key` of `object`, or nullptr when absent or null (HF sends null for unset fields).
const json* member(const json& object, std::string_view key) {
    const auto found = object.find(key);
    if (found == object.end() || found->is_null()) {
        return nullptr;
    }
    return &*found;
}

// An optional string member ("" when absent); a non-string or oversize value is an error.
Result<std::string> string_member(const json& object, std::string_view key, std::string_view what,
                                  bool required = false) {
    const json* value = member(object, key);
    if (value == nullptr) {
        return required ? Result<std::string>(malformed(what, key, "is missing"))
                        : Result<std::string>(std::string());
    }
    if (!value->is_string()) {
        return malformed(what, key, "must be a string");
    }
    auto text = value->get<std::string>();
    if (text.size() > kMaxFieldBytes) {
        return malformed(what, key, "is too long");
    }
    return text;
}

Result<bool> bool_member(const json& object, std::string_view key, std::string_view what) {
    const json* value = member(object, key);
    if (value == nullptr) {
        return false;
    }
    if (!value->is_boolean()) {
        return malformed(what, key, "must be a boolean");
    }
    return value->get<bool>();
}

Result<std::uint64_t> count_member(const json& value, std::string_view key, std::string_view what) {
    if (!value.is_number_unsigned()) {
        return malformed(what, key, "must be a non-negative integer");
    }
    return value.get<std::uint64_t>();
}

Result<json> object_member(const json& object, std::string_view key, std::string_view what) {
    const json* value = member(object, key);
    if (value == nullptr) {
        return json::object();
    }
    if (!value->is_object()) {
        return malformed(what, key, "must be an object");
    }
    return *value;
}

bool is_lower_hex(std::string_view text, std::size_t length) {
    if (text.size() != length) {
        return false;
    }
    for (const char ch : text) {
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) {
            return false;
        }
    }
    return true;
}

bool is_repo_id_char(char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '.' || ch == '_' || ch == '-';
}

bool is_valid_repo_segment(std::string_view segment) {
    if (segment.empty() || segment.size() > 96 || segment.front() == '.' ||
        segment.front() == '-') {
        return false;
    }
    for (const char ch : segment) {
        if (!is_repo_id_char(ch)) {
            return false;
        }
    }
    return true;
}

// Length of the UTF-8 sequence starting at `text[0]` when well formed (no overlongs, no
// surrogates, ≤ U+10FFFF), else 0.
std::size_t utf8_sequence_length(std::string_view text) {
    const auto byte = [&](std::size_t index) { return static_cast<unsigned char>(text[index]); };
    const unsigned char lead = byte(0);
    std::size_t length = 0;
    unsigned char low = 0x80;
    unsigned char high = 0xBF;
    if (lead < 0x80) {
        return 1;
    }
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        low = lead == 0xE0 ? 0xA0 : 0x80;
        high = lead == 0xED ? 0x9F : 0xBF;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        low = lead == 0xF0 ? 0x90 : 0x80;
        high = lead == 0xF4 ? 0x8F : 0xBF;
    } else {
        return 0;
    }
    if (text.size() < length || byte(1) < low || byte(1) > high) {
        return 0;
    }
    for (std::size_t index = 2; index < length; ++index) {
        if (byte(index) < 0x80 || byte(index) > 0xBF) {
            return 0;
        }
    }
    return length;
}

bool is_safe_segment(std::string_view segment) {
    return !segment.empty() && segment != "." && segment != "..";
}

// --- model info ---

common::Status parse_safetensors(const json& info, HfModelInfo& out) {
    constexpr std::string_view kWhat = "model info";
    auto safetensors = object_member(info, "safetensors", kWhat);
    if (!safetensors) {
        return safetensors.error();
    }
    auto parameters = object_member(*safetensors, "parameters", kWhat);
    if (!parameters) {
        return parameters.error();
    }
    for (const auto& [dtype, count] : parameters->items()) {
        auto value = count_member(count, "safetensors.parameters." + dtype, kWhat);
        if (!value) {
            return value.error();
        }
        out.safetensors_parameters[dtype] = *value;
    }
    if (const json* total = member(*safetensors, "total"); total != nullptr) {
        auto value = count_member(*total, "safetensors.total", kWhat);
        if (!value) {
            return value.error();
        }
        out.safetensors_total = *value;
    }
    return {};
}

Result<std::string> parse_gated(const json& info) {
    const json* gated = member(info, "gated");
    if (gated == nullptr || (gated->is_boolean() && !gated->get<bool>())) {
        return std::string();
    }
    if (gated->is_boolean()) {
        return std::string("auto");  // `true` without a mode: treat as automatic approval
    }
    return string_member(info, "gated", "model info");
}

Result<std::vector<std::string>> parse_tags(const json& info) {
    std::vector<std::string> tags;
    const json* list = member(info, "tags");
    if (list == nullptr) {
        return tags;
    }
    if (!list->is_array()) {
        return malformed("model info", "tags", "must be an array of strings");
    }
    for (const json& tag : *list) {
        if (!tag.is_string() || tag.get_ref<const std::string&>().size() > kMaxFieldBytes) {
            return malformed("model info", "tags", "must be an array of strings");
        }
        tags.push_back(tag.get<std::string>());
    }
    return tags;
}

// The plain string and boolean members; the first error wins.
common::Status parse_scalars(const json& info, HfModelInfo& out) {
    constexpr std::string_view kWhat = "model info";
    const std::pair<std::string_view, std::string*> strings[] = {
        {"lastModified", &out.last_modified},
        {"createdAt", &out.created_at},
        {"library_name", &out.library_name},
        {"pipeline_tag", &out.pipeline_tag},
    };
    for (const auto& [key, target] : strings) {
        auto value = string_member(info, key, kWhat);
        if (!value) {
            return value.error();
        }
        *target = std::move(value).value();
    }
    const std::pair<std::string_view, bool*> flags[] = {{"private", &out.is_private},
                                                        {"disabled", &out.disabled}};
    for (const auto& [key, target] : flags) {
        auto value = bool_member(info, key, kWhat);
        if (!value) {
            return value.error();
        }
        *target = *value;
    }
    return {};
}

common::Status parse_identity(const json& info, HfModelInfo& out) {
    constexpr std::string_view kWhat = "model info";
    auto id = string_member(info, "id", kWhat, true);
    auto sha = string_member(info, "sha", kWhat, true);
    if (!id || !sha) {
        return !id ? id.error() : sha.error();
    }
    if (id->empty()) {
        return malformed(kWhat, "id", "is empty");
    }
    if (!is_commit_sha(*sha)) {
        return malformed(kWhat, "sha", "is not a 40-hex commit id");
    }
    out.id = std::move(id).value();
    out.sha = std::move(sha).value();
    return {};
}

common::Status parse_objects(const json& info, HfModelInfo& out) {
    auto card_data = object_member(info, "cardData", "model info");
    auto config = object_member(info, "config", "model info");
    auto gated = parse_gated(info);
    auto tags = parse_tags(info);
    if (!card_data || !config || !gated || !tags) {
        return !card_data ? card_data.error()
                          : (!config ? config.error() : (!gated ? gated.error() : tags.error()));
    }
    out.card_data = std::move(card_data).value();
    out.config = std::move(config).value();
    out.gated = std::move(gated).value();
    out.tags = std::move(tags).value();
    return {};
}

// --- tree ---

common::Status parse_lfs(const json& entry, HfFile& out) {
    constexpr std::string_view kWhat = "tree entry";
    const json* lfs = member(entry, "lfs");
    if (lfs == nullptr) {
        return {};
    }
    if (!lfs->is_object()) {
        return malformed(kWhat, "lfs", "must be an object");
    }
    auto oid = string_member(*lfs, "oid", kWhat, true);
    if (!oid || !is_lower_hex(*oid, 64)) {
        return oid ? malformed(kWhat, "lfs.oid", "is not a sha256 hex digest") : oid.error();
    }
    const json* size = member(*lfs, "size");
    if (size == nullptr) {
        return malformed(kWhat, "lfs.size", "is missing");
    }
    auto content_size = count_member(*size, "lfs.size", kWhat);
    if (!content_size) {
        return content_size.error();
    }
    out.lfs_sha256 = std::move(oid).value();
    out.lfs_size = *content_size;
    return {};
}

// A tree entry: nullopt for a directory.
Result<std::optional<HfFile>> parse_tree_entry(const json& entry) {
    constexpr std::string_view kWhat = "tree entry";
    if (!entry.is_object()) {
        return Error{ErrorCode::kUpstream, "tree entry: not an object"};
    }
    auto type = string_member(entry, "type", kWhat, true);
    auto path = string_member(entry, "path", kWhat, true);
    if (!type || !path) {
        return !type ? type.error() : path.error();
    }
    if (*type == "directory") {
        return std::optional<HfFile>();
    }
    if (*type != "file") {
        return malformed(kWhat, "type", "is neither \"file\" nor \"directory\"");
    }
    if (!is_safe_repo_path(*path)) {
        return malformed(kWhat, "path", "is not a safe repo-relative path");
    }
    HfFile file;
    file.path = std::move(path).value();
    auto oid = string_member(entry, "oid", kWhat, true);
    if (!oid || !(is_lower_hex(*oid, 40) || is_lower_hex(*oid, 64))) {
        return oid ? malformed(kWhat, "oid", "is not a git object id") : oid.error();
    }
    file.oid = std::move(oid).value();
    const json* size = member(entry, "size");
    auto value = size == nullptr ? Result<std::uint64_t>(malformed(kWhat, "size", "is missing"))
                                 : count_member(*size, "size", kWhat);
    if (!value) {
        return value.error();
    }
    file.size = *value;
    if (auto lfs = parse_lfs(entry, file); !lfs) {
        return lfs.error();
    }
    return std::optional<HfFile>(std::move(file));
}

// --- refs ---

common::Status parse_ref_list(const json& refs, std::string_view key, bool is_tag,
                              std::vector<HfRef>& out) {
    constexpr std::string_view kWhat = "refs";
    const json* list = member(refs, key);
    if (list == nullptr) {
        return {};
    }
    if (!list->is_array()) {
        return malformed(kWhat, key, "must be an array");
    }
    for (const json& entry : *list) {
        if (!entry.is_object()) {
            return malformed(kWhat, key, "must hold objects");
        }
        auto name = string_member(entry, "name", kWhat, true);
        auto commit = string_member(entry, "targetCommit", kWhat, true);
        if (!name || !commit) {
            return !name ? name.error() : commit.error();
        }
        if (name->empty() || !is_commit_sha(*commit)) {
            return malformed(kWhat, name->empty() ? "name" : "targetCommit",
                             name->empty() ? "is empty" : "is not a 40-hex commit id");
        }
        if (out.size() >= kMaxRefs) {
            return Error{ErrorCode::kUpstream, "refs: more than " + std::to_string(kMaxRefs)};
        }
        out.push_back(HfRef{std::move(name).value(), std::move(commit).value(), is_tag});
    }
    return {};
}

}  // namespace

common::Result<HfModelInfo> parse_model_info(std::string_view body) {
    auto document = parse_body("model info", body, json::value_t::object);
    if (!document) {
        return document.error();
    }
    HfModelInfo info;
    if (auto identity = parse_identity(*document, info); !identity) {
        return identity.error();
    }
    if (auto scalars = parse_scalars(*document, info); !scalars) {
        return scalars.error();
    }
    if (auto objects = parse_objects(*document, info); !objects) {
        return objects.error();
    }
    if (auto safetensors = parse_safetensors(*document, info); !safetensors) {
        return safetensors.error();
    }
    return info;
}

common::Result<std::vector<HfFile>> parse_tree_page(std::string_view body) {
    auto document = parse_body("tree page", body, json::value_t::array);
    if (!document) {
        return document.error();
    }
    if (document->size() > kMaxRepoFiles) {
        return Error{ErrorCode::kUpstream,
                     "tree page: more than " + std::to_string(kMaxRepoFiles) + " entries"};
    }
    std::vector<HfFile> files;
    for (const json& entry : *document) {
        auto file = parse_tree_entry(entry);
        if (!file) {
            return file.error();
        }
        if (file->has_value()) {
            files.push_back(std::move(**file));
        }
    }
    return files;
}

common::Result<std::vector<HfRef>> parse_refs(std::string_view body) {
    auto document = parse_body("refs", body, json::value_t::object);
    if (!document) {
        return document.error();
    }
    if (member(*document, "branches") == nullptr) {
        return malformed("refs", "branches", "is missing");
    }
    std::vector<HfRef> refs;
    if (auto branches = parse_ref_list(*document, "branches", false, refs); !branches) {
        return branches.error();
    }
    if (auto tags = parse_ref_list(*document, "tags", true, refs); !tags) {
        return tags.error();
    }
    return refs;
}

bool is_safe_repo_path(std::string_view path) {
    if (path.empty() || path.size() > 1024 || path.front() == '/') {
        return false;
    }
    std::size_t segment_start = 0;
    for (std::size_t index = 0; index < path.size();) {
        const auto byte = static_cast<unsigned char>(path[index]);
        if (byte < 0x20 || byte == 0x7F || byte == '\\') {
            return false;
        }
        if (byte == '/') {
            if (!is_safe_segment(path.substr(segment_start, index - segment_start))) {
                return false;
            }
            segment_start = index + 1;
        }
        const std::size_t length = utf8_sequence_length(path.substr(index));
        if (length == 0) {
            return false;
        }
        index += length;
    }
    return is_safe_segment(path.substr(segment_start));
}

bool is_valid_repo_id(std::string_view repo_id) {
    const std::size_t slash = repo_id.find('/');
    if (slash == std::string_view::npos) {
        return false;
    }
    return is_valid_repo_segment(repo_id.substr(0, slash)) &&
           is_valid_repo_segment(repo_id.substr(slash + 1));
}

bool is_commit_sha(std::string_view text) { return is_lower_hex(text, 40); }

}  // namespace aiops::proxy
