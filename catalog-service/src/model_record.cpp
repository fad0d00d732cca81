#include "model_record.h"

#include <openssl/evp.h>

#include <array>
#include <cctype>
#include <set>
#include <stdexcept>
#include <string_view>

namespace aiops::catalog {

using common::Error;
using common::ErrorCode;
using common::Result;
using common::Status;
using json = nlohmann::json;

namespace {

const std::set<std::string, std::less<>> kStringFields = {
    "artifact_type", "name",       "family",    "version",      "format",
    "architecture",  "param_size", "precision", "quantization", "pushed_at"};
const std::set<std::string, std::less<>> kScanStatuses = {"not_scanned", "pending", "clean",
                                                          "vulnerable", "error"};
const std::set<std::string, std::less<>> kSeverities = {"critical", "high",       "medium",
                                                        "low",      "negligible", "unknown"};
constexpr std::size_t kMaxStringChars = 1024;
constexpr std::size_t kMaxListItems = 256;

Error invalid(const std::string& field, const std::string& message) {
    return Error{ErrorCode::kInvalidInput, field + ": " + message};
}

bool is_digest(std::string_view text) {
    if (!text.starts_with("sha256:") || text.size() != 7 + 64) {
        return false;
    }
    for (char ch : text.substr(7)) {
        if (!std::isxdigit(static_cast<unsigned char>(ch)) ||
            std::isupper(static_cast<unsigned char>(ch))) {
            return false;
        }
    }
    return true;
}

bool is_repository(std::string_view name) {
    if (name.empty() || name.size() > 255 || name.front() == '/' || name.back() == '/') {
        return false;
    }
    for (char ch : name) {
        const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' ||
                        ch == '_' || ch == '-' || ch == '/';
        if (!ok) {
            return false;
        }
    }
    return name.find("//") == std::string_view::npos;
}

Status check_string_list(const json& record, const char* field) {
    const auto it = record.find(field);
    if (it == record.end()) {
        return {};
    }
    if (!it->is_array() || it->size() > kMaxListItems) {
        return invalid(field,
                       "must be an array of at most " + std::to_string(kMaxListItems) + " strings");
    }
    for (const auto& item : *it) {
        if (!item.is_string() || item.get_ref<const std::string&>().size() > kMaxStringChars) {
            return invalid(field, "must contain only strings");
        }
    }
    return {};
}

Status check_severity_summary(const json& record) {
    const auto it = record.find("severity_summary");
    if (it == record.end()) {
        return {};
    }
    if (!it->is_object()) {
        return invalid("severity_summary", "must be an object of counts");
    }
    for (const auto& [key, value] : it->items()) {
        if (!kSeverities.contains(key)) {
            return invalid("severity_summary." + key, "unknown severity");
        }
        if (!value.is_number_integer() || value.get<std::int64_t>() < 0) {
            return invalid("severity_summary." + key, "must be a non-negative integer");
        }
    }
    return {};
}

Status check_field(const std::string& key, const json& value) {
    if (key == "registry_id") {
        if (!value.is_string() || value.get_ref<const std::string&>().empty() ||
            value.get_ref<const std::string&>().size() > 200) {
            return invalid(key, "must be a string of 1..200 characters");
        }
    } else if (key == "repository") {
        if (!value.is_string() || !is_repository(value.get_ref<const std::string&>())) {
            return invalid(key, "must be an OCI repository name ([a-z0-9._-/], no leading '/')");
        }
    } else if (key == "digest") {
        if (!value.is_string() || !is_digest(value.get_ref<const std::string&>())) {
            return invalid(key, "must be sha256:<64 lowercase hex>");
        }
    } else if (kStringFields.contains(key)) {
        if (!value.is_string() || value.get_ref<const std::string&>().size() > kMaxStringChars) {
            return invalid(key, "must be a string");
        }
    } else if (key == "size_bytes") {
        if (!value.is_number_integer() || value.get<std::int64_t>() < 0) {
            return invalid(key, "must be a non-negative integer");
        }
    } else if (key == "scan_status") {
        if (!value.is_string() || !kScanStatuses.contains(value.get_ref<const std::string&>())) {
            return invalid(key, "must be one of not_scanned, pending, clean, vulnerable, error");
        }
    } else if (key != "tags" && key != "licenses" && key != "severity_summary" &&
               key != "model_id" && key != "created_at" && key != "updated_at") {
        return invalid(key, "unknown field");
    }
    return {};
}

}  // namespace

std::string model_id_for(const std::string& registry_id, const std::string& repository,
                         const std::string& digest) {
    const std::string key = registry_id + "\n" + repository + "\n" + digest;
    std::array<unsigned char, EVP_MAX_MD_SIZE> hash{};
    unsigned int length = 0;
    if (EVP_Digest(key.data(), key.size(), hash.data(), &length, EVP_sha256(), nullptr) != 1) {
        throw std::runtime_error("EVP_Digest(sha256) failed");  // E3: OpenSSL broken = bug
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string id;
    for (std::size_t idx = 0; idx < 16; ++idx) {
        id += kHex[hash[idx] >> 4];
        id += kHex[hash[idx] & 0x0F];
    }
    return id;
}

Status validate_model(const json& record) {
    if (!record.is_object()) {
        return Error{ErrorCode::kInvalidInput, "model record must be a JSON object"};
    }
    for (const auto& [key, value] : record.items()) {
        if (auto st = check_field(key, value); !st) {
            return st;
        }
    }
    for (const char* required : {"registry_id", "repository", "digest"}) {
        if (!record.contains(required)) {
            return invalid(required, "is required");
        }
    }
    for (const auto& check :
         {check_string_list(record, "tags"), check_string_list(record, "licenses"),
          check_severity_summary(record)}) {
        if (!check) {
            return check;
        }
    }
    return {};
}

Result<json> upsert_model(const json* existing, const json& body, const std::string& now) {
    if (!body.is_object()) {
        return Error{ErrorCode::kInvalidInput, "model record must be a JSON object"};
    }
    for (const char* read_only : {"model_id", "created_at", "updated_at"}) {
        if (body.contains(read_only)) {
            return invalid(read_only, "is read-only, set by the service");
        }
    }
    json record = existing != nullptr ? *existing : json::object();
    record.update(body);
    if (auto st = validate_model(record); !st) {
        return st.error();
    }
    record["model_id"] =
        model_id_for(record["registry_id"], record["repository"], record["digest"]);
    if (!record.contains("created_at")) {
        record["created_at"] = now;
    }
    if (!record.contains("scan_status")) {
        record["scan_status"] = "not_scanned";
    }
    record["updated_at"] = now;
    return record;
}

}  // namespace aiops::catalog
