#include "registry_record.h"

#include <openssl/rand.h>

#include <array>
#include <cctype>
#include <cstdio>
#include <set>
#include <stdexcept>
#include <string_view>

#include "update_operators.h"

namespace aiops::catalog {

using common::Error;
using common::ErrorCode;
using common::Result;
using common::Status;
using json = nlohmann::json;

namespace {

constexpr std::size_t kMaxNameChars = 200;
constexpr std::size_t kMaxTags = 256;
constexpr std::size_t kMaxTagChars = 128;
constexpr std::size_t kMaxUrlChars = 2048;
constexpr std::size_t kMaxPrefixChars = 512;

const std::set<std::string, std::less<>> kClientFields = {
    "container_registry_id",         "container_registry_name",
    "container_registry_metadata",   "container_registry_tags",
    "container_registry_public_url", "container_registry_image_prefix",
    "container_registry_config",     "container_registry_storage_info"};
const std::set<std::string, std::less<>> kReadOnlyFields = {"created_at", "updated_at", "health"};

Error invalid(const std::string& field, const std::string& message) {
    return Error{ErrorCode::kInvalidInput, field + ": " + message};
}

Status check_string(const json& record, const char* field, std::size_t min_chars,
                    std::size_t max_chars) {
    const auto it = record.find(field);
    if (it == record.end()) {
        return {};
    }
    if (!it->is_string()) {
        return invalid(field, "must be a string");
    }
    const auto size = it->get_ref<const std::string&>().size();
    if (size < min_chars || size > max_chars) {
        return invalid(field, "length must be between " + std::to_string(min_chars) + " and " +
                                  std::to_string(max_chars));
    }
    return {};
}

Status check_object(const json& record, const char* field) {
    const auto it = record.find(field);
    if (it != record.end() && !it->is_object()) {
        return invalid(field, "must be an object");
    }
    return {};
}

Status check_tags(const json& record) {
    const auto it = record.find(kTagsField);
    if (it == record.end()) {
        return {};
    }
    if (!it->is_array()) {
        return invalid(kTagsField, "must be an array of strings");
    }
    if (it->size() > kMaxTags) {
        return invalid(kTagsField, "at most " + std::to_string(kMaxTags) + " tags");
    }
    for (const auto& tag : *it) {
        if (!tag.is_string() || tag.get_ref<const std::string&>().empty() ||
            tag.get_ref<const std::string&>().size() > kMaxTagChars) {
            return invalid(kTagsField, "every tag must be a string of 1.." +
                                           std::to_string(kMaxTagChars) + " characters");
        }
    }
    return {};
}

Status check_url(const json& record) {
    if (auto st = check_string(record, kUrlField, 0, kMaxUrlChars); !st) {
        return st;
    }
    const auto it = record.find(kUrlField);
    if (it == record.end() || it->get_ref<const std::string&>().empty()) {
        return {};
    }
    const std::string_view url = it->get_ref<const std::string&>();
    const bool http = url.starts_with("http://") || url.starts_with("https://");
    const auto host_start = url.find("://") + 3;
    if (!http || host_start >= url.size() || url[host_start] == '/' ||
        url.find_first_of(" \t\r\n") != std::string_view::npos) {
        return invalid(kUrlField, "must be an http:// or https:// URL with a host");
    }
    return {};
}

Status check_int_at_least(const json& info, const char* key, std::int64_t minimum) {
    const auto it = info.find(key);
    if (it == info.end()) {
        return {};
    }
    if (!it->is_number_integer() || it->get<std::int64_t>() < minimum) {
        return invalid(std::string("container_registry_storage_info.") + key,
                       "must be an integer >= " + std::to_string(minimum));
    }
    return {};
}

Status check_enum(const json& info, const char* key,
                  std::initializer_list<std::string_view> allowed) {
    const auto it = info.find(key);
    if (it == info.end()) {
        return {};
    }
    const std::string field = std::string("container_registry_storage_info.") + key;
    if (!it->is_string()) {
        return invalid(field, "must be a string");
    }
    for (auto value : allowed) {
        if (it->get_ref<const std::string&>() == value) {
            return {};
        }
    }
    std::string names;
    for (auto value : allowed) {
        names += (names.empty() ? "" : ", ") + std::string("\"") + std::string(value) + "\"";
    }
    return invalid(field, "must be one of " + names);
}

Status check_storage_info(const json& record) {
    const auto it = record.find("container_registry_storage_info");
    if (it == record.end()) {
        return {};
    }
    if (!it->is_object()) {
        return invalid("container_registry_storage_info", "must be an object");
    }
    for (const auto& [key, value] : it->items()) {
        (void)value;
        if (key != "storage_type" && key != "storage_size" && key != "memory_size" &&
            key != "registry_type") {
            return invalid("container_registry_storage_info." + key, "unknown field");
        }
    }
    if (auto st = check_enum(*it, "storage_type", {"s3", "object-store", "fs", "unknown"}); !st) {
        return st;
    }
    if (auto st = check_enum(*it, "registry_type", {"aios", "external"}); !st) {
        return st;
    }
    if (auto st = check_int_at_least(*it, "storage_size", -1); !st) {
        return st;
    }
    return check_int_at_least(*it, "memory_size", -1);
}

Status check_config(const json& record) {
    const auto it = record.find("container_registry_config");
    if (it == record.end()) {
        return {};
    }
    if (!it->is_object()) {
        return invalid("container_registry_config", "must be an object");
    }
    for (const char* key : {"auth_required", "mirror_enabled"}) {
        if (it->contains(key) && !(*it)[key].is_boolean()) {
            return invalid(std::string("container_registry_config.") + key,
                           "must be true or false");
        }
    }
    if (it->contains("storage_backend") && !(*it)["storage_backend"].is_string()) {
        return invalid("container_registry_config.storage_backend", "must be a string");
    }
    if (it->contains("max_layer_size_mb") && (!(*it)["max_layer_size_mb"].is_number_integer() ||
                                              (*it)["max_layer_size_mb"].get<std::int64_t>() < 0)) {
        return invalid("container_registry_config.max_layer_size_mb",
                       "must be a non-negative integer");
    }
    return {};
}

Status check_id(const json& record) {
    const auto it = record.find(kIdField);
    if (it == record.end()) {
        return {};
    }
    if (!it->is_string() || !is_uuid(it->get<std::string>())) {
        return invalid(kIdField, "must be a UUID string (8-4-4-4-12 hex digits)");
    }
    return {};
}

Status check_fields(const json& record, bool allow_read_only) {
    if (!record.is_object()) {
        return Error{ErrorCode::kInvalidInput, "record must be a JSON object"};
    }
    for (const auto& [key, value] : record.items()) {
        (void)value;
        if (kClientFields.contains(key)) {
            continue;
        }
        if (kReadOnlyFields.contains(key)) {
            if (allow_read_only) {
                continue;
            }
            return invalid(key, "is read-only, set by the service");
        }
        return invalid(key, "unknown field");
    }
    for (const auto& check :
         {check_id(record), check_string(record, kNameField, 1, kMaxNameChars),
          check_object(record, "container_registry_metadata"), check_tags(record),
          check_url(record),
          check_string(record, "container_registry_image_prefix", 0, kMaxPrefixChars),
          check_config(record), check_storage_info(record)}) {
        if (!check) {
            return check;
        }
    }
    return {};
}

// Top-level fields that neither a plain update nor an operator may change.
Status check_immutable(const json& current, const json& updated) {
    for (const char* field : {kIdField, "created_at", "updated_at", "health"}) {
        if (current.value(field, json()) != updated.value(field, json())) {
            return invalid(field, std::string(field) == kIdField
                                      ? "is immutable"
                                      : "is read-only, set by the service");
        }
    }
    return {};
}

}  // namespace

Status validate_registry(const json& record) {
    if (auto st = check_fields(record, /*allow_read_only=*/true); !st) {
        return st;
    }
    if (!record.contains(kNameField)) {
        return invalid(kNameField, "is required");
    }
    return {};
}

Result<json> new_registry(const json& body, const std::string& now) {
    if (auto st = check_fields(body, /*allow_read_only=*/false); !st) {
        return st.error();
    }
    if (!body.contains(kNameField)) {
        return invalid(kNameField, "is required");
    }
    json record = {{kIdField, generate_uuid_v4()},
                   {"container_registry_metadata", json::object()},
                   {kTagsField, json::array()},
                   {kUrlField, ""},
                   {"container_registry_image_prefix", ""},
                   {"container_registry_config", json::object()},
                   {"container_registry_storage_info", json::object()}};
    record.update(body);
    record["created_at"] = now;
    record["updated_at"] = now;
    record["health"] = nullptr;
    return record;
}

Result<json> update_registry(const json& current, const json& update, const std::string& now) {
    if (!update.is_object() || update.empty()) {
        return Error{ErrorCode::kInvalidInput, "update must be a non-empty JSON object"};
    }
    json updated = current;
    if (is_operator_update(update)) {
        auto applied = apply_update_operators(current, update);
        if (!applied) {
            return applied.error();
        }
        updated = std::move(applied).value();
    } else {
        for (const auto& [key, value] : update.items()) {
            updated[key] = value;
        }
    }
    if (auto st = check_immutable(current, updated); !st) {
        return st.error();
    }
    if (auto st = validate_registry(updated); !st) {
        return st.error();
    }
    updated["updated_at"] = now;
    return updated;
}

std::string generate_uuid_v4() {
    std::array<unsigned char, 16> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
        // OpenSSL's CSPRNG failing is an invariant violation (E3): never hand out a guessable id.
        throw std::runtime_error("RAND_bytes failed");
    }
    bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0F) | 0x40);
    bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3F) | 0x80);
    std::array<char, 37> text{};
    std::snprintf(text.data(), text.size(),
                  "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", bytes[0],
                  bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8],
                  bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]);
    return std::string(text.data(), 36);
}

bool is_uuid(const std::string& text) {
    if (text.size() != 36) {
        return false;
    }
    for (std::size_t idx = 0; idx < text.size(); ++idx) {
        const bool dash_position = idx == 8 || idx == 13 || idx == 18 || idx == 23;
        const char ch = text[idx];
        if (dash_position ? ch != '-' : !std::isxdigit(static_cast<unsigned char>(ch))) {
            return false;
        }
    }
    return true;
}

}  // namespace aiops::catalog
