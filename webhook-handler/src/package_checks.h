#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "aiops/common/result.h"

// The checks a DevPI wheel or sdist passes before it is promoted from a staging index to a
// release index: its filename (PEP 427 / sdist grammar, PEP 503 name, PEP 440 version), the
// version policy, and one streaming read of the archive (safe paths, RECORD hashes, no .pth
// files, METADATA / PKG-INFO agreeing with the filename). Pure functions over untrusted bytes
// (fuzzed): every failure names what is wrong.
namespace aiops::webhook {

// PEP 503 normalisation: lowercase, runs of '-', '_', '.' become one '-'.
std::string normalize_project_name(std::string_view name);

struct DistributionFile {
    std::string kind;                                     // "wheel" or "sdist"
    std::string name;                                     // as written in the filename
    std::string version;                                  // as written in the filename
    std::string build{};                                  // wheel build tag ("" none)
    std::string python_tag{}, abi_tag{}, platform_tag{};  // wheel only
    std::string archive{};                                // "zip" (wheels, .zip sdists) or "tar.gz"
};

// Wheels `{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl` (PEP 427; the build tag
// starts with a digit); sdists `{name}-{version}.tar.gz` / `.zip`, where a legacy name may
// contain '-' (split at the last '-' that a valid PEP 440 version follows). No '/', '\\' or
// control characters.
common::Result<DistributionFile> parse_distribution_filename(std::string_view filename);

struct Pep440Version {
    std::string normalized;  // canonical form: "1!2.0rc1.post0.dev3+ubuntu.1"
    std::uint64_t epoch = 0;
    bool pre = false, post = false, dev = false, local = false;
};
common::Result<Pep440Version> parse_pep440(std::string_view version);

struct VersionPolicy {
    bool allow_dev = false;
    bool allow_local = false;
    bool allow_pre = true;
    bool allow_post = true;
};

struct CheckOutcome {
    std::string check;  // filename, version_policy, archive, paths, record, pth, metadata
    bool passed = false;
    std::string detail;  // why it failed (at most 10 paths quoted), or a short "ok: …" summary
};

struct ArchiveCheckSettings {
    bool paths = true, record = true, pth = true, metadata = true;
    std::vector<std::string> pth_allow{};  // .pth basenames allowed ("distutils-precedence.pth")
    std::uint64_t max_entries = 100000;
    std::uint64_t max_total_bytes = 8ULL << 30;  // sum of the uncompressed entry bytes read
    std::uint64_t max_text_bytes = 4ULL << 20;   // RECORD, METADATA, PKG-INFO held in memory
};

// The filename parses, its normalized name is normalize_project_name(project) and its version
// is `version` after PEP 440 normalisation.
CheckOutcome check_filename(std::string_view filename, std::string_view project,
                            std::string_view version);
// Dev, local, pre- and post-releases as the policy allows.
CheckOutcome check_version_policy(std::string_view version, const VersionPolicy& policy);

// Reads the archive once, streaming, and returns one outcome per enabled check, in the order
// paths, record, pth, metadata. An archive that cannot be read, is malformed or truncated, or
// exceeds a limit gives a single failed "archive" outcome instead.
std::vector<CheckOutcome> check_distribution_archive(const std::filesystem::path& file,
                                                     const DistributionFile& dist,
                                                     const ArchiveCheckSettings& settings);
// The same over bytes in memory.
std::vector<CheckOutcome> check_distribution_archive_bytes(std::string_view bytes,
                                                           const DistributionFile& dist,
                                                           const ArchiveCheckSettings& settings);

}  // namespace aiops::webhook
