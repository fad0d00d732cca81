#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "aiops/common/digest.h"
#include "aiops/common/http_client.h"
#include "aiops/common/registry_client.h"
#include "aiops/common/result.h"
#include "byte_source.h"
#include "file_scanner.h"

// One OCI artifact in a registry → findings for every model file in it. Pulls with the foundation
// RegistryClient (Harbor's robot Basic credential exchanged at the token realm, a Bearer used
// as-is, manifest digest verified, 307s to storage followed without Authorization):
//   * ModelPack raw layers (`*.v1.raw`): the blob is the file; read with HTTP Range through a
//     block cache, so only the bytes the analysers ask for cross the network;
//   * tar layers (images with baked-in weights, ModelPack `.tar[+gzip|+zstd]`): streamed whole to a
//     spool file (digest verified), walked with libarchive, each model file extracted to a temp
//     file and analysed; entry paths are checked;
//   * the ModelPack config: licences against the policy; layer filepaths checked.
namespace aiops::scanner {

// Reads a registry blob with Range requests, `block_bytes` at a time, keeping the last block.
// When the registry turns out to ignore Range (a 200 with the whole blob: Harbor proxy-cache
// projects), the next read that misses the block streams the blob once into a spool file in
// `spool_dir` (digest verified; kTooLarge past `max_spool_bytes`) and serves every later read
// from it, instead of re-downloading the blob's head for each range.
class RegistryBlobSource final : public ByteSource {
public:
    RegistryBlobSource(common::RegistryClient& client, std::string repository,
                       common::Digest digest, std::uint64_t size, std::filesystem::path spool_dir,
                       std::uint64_t max_spool_bytes, std::size_t block_bytes = 256U << 10);
    std::uint64_t size() const override { return size_; }
    common::Result<std::size_t> read(std::uint64_t offset, char* buffer,
                                     std::size_t length) override;
    std::uint64_t bytes_read() const override { return bytes_read_; }
    bool spooled() const { return spool_ != nullptr; }

private:
    common::Status spool_whole_blob();

    common::RegistryClient& client_;
    std::string repository_;
    common::Digest digest_;
    std::uint64_t size_;
    std::filesystem::path spool_dir_;
    std::uint64_t max_spool_bytes_;
    std::size_t block_bytes_;
    std::uint64_t block_offset_ = 0;
    std::string block_;
    std::uint64_t bytes_read_ = 0;
    bool range_ignored_ = false;
    std::unique_ptr<ByteSource> spool_;  // the whole blob, once range_ignored_ made it worth it
};

// A local file (spooled tar entries), read with pread.
class FileSource final : public ByteSource {
public:
    static common::Result<std::unique_ptr<FileSource>> open(const std::filesystem::path& path);
    ~FileSource() override;
    FileSource(const FileSource&) = delete;
    FileSource& operator=(const FileSource&) = delete;
    std::uint64_t size() const override { return size_; }
    common::Result<std::size_t> read(std::uint64_t offset, char* buffer,
                                     std::size_t length) override;
    std::uint64_t bytes_read() const override { return bytes_read_; }

private:
    FileSource(int fd, std::uint64_t size) : fd_(fd), size_(size) {}
    int fd_;
    std::uint64_t size_;
    std::uint64_t bytes_read_ = 0;
};

struct LicensePolicy {
    std::vector<std::string> deny;  // globs on SPDX ids, e.g. "cc-by-nc-*" → High
    std::vector<std::string> warn;  // → Low
};

struct ArtifactScanSettings {
    ScanLimits limits;
    LicensePolicy licenses;
    std::filesystem::path spool_dir;              // temp files for tar layers
    std::uint64_t max_spool_bytes = 64ULL << 30;  // a tar layer larger than this is not analysed
    std::uint64_t max_entry_bytes = 64ULL << 30;  // one extracted tar entry
};

struct ScannedFile {
    std::string path;
    std::string layer_digest;
    std::string format;
    std::uint64_t size = 0;
    std::string sha256;  // raw layers: the layer digest; tar entries: computed on extraction
};

struct ArtifactScan {
    std::string manifest_digest;
    std::string media_type;
    std::string artifact_type;
    std::vector<std::string> licenses;
    std::vector<ScannedFile> files;
    std::vector<Finding> findings;              // every file's, plus artifact-level ones
    std::vector<std::string> layer_of_finding;  // parallel to findings: the layer digest
    std::uint64_t artifact_bytes = 0;           // config + layers
    std::uint64_t bytes_read = 0;               // bytes pulled from the registry
};

common::Result<ArtifactScan> scan_artifact(common::RegistryClient& client,
                                           const std::string& repository, const std::string& digest,
                                           const ArtifactScanSettings& settings);

}  // namespace aiops::scanner
