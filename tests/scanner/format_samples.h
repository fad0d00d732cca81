#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aiops/common/result.h"
#include "finding.h"

// Builders of real-shaped model files for the format analyser tests (safetensors, GGUF, .npy,
// zip): the tests write benign files and one malicious/malformed variant per rule with these.
// With AIOPS_FORMAT_CORPUS_DIR set, every sample a test analyses is also saved as a fuzz seed.
namespace aiops::testing {

std::string le16(std::uint16_t value);
std::string le32(std::uint32_t value);
std::string le64(std::uint64_t value);

// Saves `bytes` as tests/fuzz/corpus/<target>/<name> when AIOPS_FORMAT_CORPUS_DIR is set.
void save_seed(std::string_view target, std::string_view name, const std::string& bytes);

// Findings helpers.
bool has_finding(const scanner::Findings& findings, std::string_view rule_id,
                 scanner::Severity severity);
int count_high(const scanner::Findings& findings);  // High or Critical
std::string describe(const scanner::Findings& findings);
// The error message of a failed result, "" for a value (for test messages).
template <typename T>
std::string error_of(const common::Result<T>& result) {
    return result ? std::string() : result.error().message;
}

// safetensors: u64 header length + header (space-padded to 8) + data.
std::string safetensors_file(std::string header_json, const std::string& data);
std::string benign_safetensors();  // three F32/F16/I64 tensors and __metadata__

// GGUF v1–v3 pieces and a file assembled from them.
std::string gguf_string(std::string_view text);
std::string gguf_kv(std::string_view key, std::uint32_t type, const std::string& value);
std::string gguf_tensor(std::string_view name, const std::vector<std::uint64_t>& dims,
                        std::uint32_t type, std::uint64_t offset);
struct GgufFile {
    std::uint32_t version = 3;
    std::vector<std::string> kvs;
    std::vector<std::string> tensors;
    std::string data;
    std::uint64_t alignment = 32;
    std::optional<std::uint64_t> tensor_count;  // override the real counts
    std::optional<std::uint64_t> kv_count;
    std::string build() const;
};
GgufFile benign_gguf();  // every KV type incl. arrays, two tensors with alignment padding

// .npy: preamble and dict padded to 64 bytes, then the payload.
std::string npy_file(std::string_view dict, const std::string& payload, int major = 1);

// Zip archives: stored or deflated members, overridable fields for malformed variants.
std::string deflate_raw(const std::string& data);
std::uint32_t crc32_of(const std::string& data);
struct ZipEntry {
    std::string name;
    std::string stored;  // the member's bytes as written (compressed when method 8)
    std::uint16_t method = 0;
    std::uint32_t crc = 0;
    std::uint64_t uncompressed_size = 0;
    std::uint16_t flags = 0;
    std::optional<std::uint64_t> offset_override;  // central directory's local header offset
};
ZipEntry stored_entry(std::string name, const std::string& data);
ZipEntry deflated_entry(std::string name, const std::string& data);
struct ZipOptions {
    std::string comment;
    bool zip64 = false;
};
std::string zip_file(const std::vector<ZipEntry>& entries, const ZipOptions& options = {});
std::string torch_zip(bool deflate_pickle);  // archive/data.pkl, byteorder, version, data/0

}  // namespace aiops::testing
