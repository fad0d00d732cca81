#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aiops/common/result.h"

// Parsers of the Hugging Face Hub API's JSON (shared/reference/modelspec-hf-scanning.md §2). Every
// input is untrusted bytes from the network: bounded (JSON size/depth via common::parse_json),
// type-checked field by field, never throwing; a malformed body is kUpstream with a message naming
// the field. Unknown fields are ignored.
namespace aiops::proxy {

inline constexpr std::size_t kMaxHfJsonBytes = 32U << 20;  // a tree page or model info
inline constexpr std::size_t kMaxRepoFiles = 10000;        // files listed for one commit

// GET /api/models/{repo}[/revision/{rev}] (§2.2).
struct HfModelInfo {
    std::string id;             // "org/name"
    std::string sha;            // the commit the revision resolved to: 40 lowercase hex
    std::string last_modified;  // RFC 3339 as sent ("" when absent)
    std::string created_at;
    bool is_private = false;
    std::string gated;  // "" (not gated), "auto" or "manual"
    bool disabled = false;
    nlohmann::json card_data = nlohmann::json::object();          // model-card YAML as JSON
    nlohmann::json config = nlohmann::json::object();             // subset of config.json
    std::optional<std::uint64_t> safetensors_total;               // safetensors.total parameters
    std::map<std::string, std::uint64_t> safetensors_parameters;  // dtype → count
    std::vector<std::string> tags;
    std::string library_name;
    std::string pipeline_tag;
};

// One file of GET /api/models/{repo}/tree/{rev}?recursive=true (§2.3). Directories are dropped.
struct HfFile {
    std::string path;  // repo-relative, '/' separators, validated (see is_safe_repo_path)
    std::uint64_t size = 0;
    std::string oid;                        // git blob sha1 (of the pointer for LFS files)
    std::optional<std::string> lfs_sha256;  // 64 lowercase hex: sha256 of the content
    std::optional<std::uint64_t> lfs_size;  // content size of an LFS file
    std::uint64_t content_size() const { return lfs_size.value_or(size); }
};

// GET /api/models/{repo}/refs: branches and tags with their commits.
struct HfRef {
    std::string name;  // "main", "v1.0"
    std::string target_commit;
    bool is_tag = false;
};

common::Result<HfModelInfo> parse_model_info(std::string_view body);
// One page of the tree listing; files in the order sent. Entries with unsafe paths (absolute, "..",
// empty segments, control characters, backslashes) are an error, not silently dropped.
common::Result<std::vector<HfFile>> parse_tree_page(std::string_view body);
common::Result<std::vector<HfRef>> parse_refs(std::string_view body);

// A repo-relative path we can put in an annotation and that no client may turn into an escape:
// 1..1024 bytes of valid UTF-8, no leading '/', no '\\', no "." or ".." or empty segment, no
// control characters.
bool is_safe_repo_path(std::string_view path);
// "org/name": two segments of [A-Za-z0-9._-], 1..96 chars each, not starting with '.' or '-'.
bool is_valid_repo_id(std::string_view repo_id);
// 40 lowercase hex characters.
bool is_commit_sha(std::string_view text);

}  // namespace aiops::proxy
