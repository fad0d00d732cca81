#include "artifact_scan.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "aiops/common/json.h"
#include "aiops/common/media_types.h"
#include "aiops/common/oci.h"

namespace aiops::scanner {

using common::Digest;
using common::Error;
using common::ErrorCode;
using common::Result;
using common::Status;

namespace {

constexpr std::size_t kConfigMaxBytes = 4U << 20;
constexpr std::size_t kCopyBuffer = 1U << 20;

bool unsafe_path(std::string_view path) {
    if (path.empty() || path.front() == '/' || path.find('\\') != std::string_view::npos) {
        return true;
    }
    std::size_t start = 0;
    while (start <= path.size()) {
        const auto end = std::min(path.find('/', start), path.size());
        if (path.substr(start, end - start) == "..") {
            return true;
        }
        start = end + 1;
    }
    return false;
}

// A temp file removed on destruction.
class TempFile {
public:
    explicit TempFile(const std::filesystem::path& dir) {
        std::error_code ignored;
        std::filesystem::create_directories(dir, ignored);
        auto pattern = (dir / "scan-XXXXXX").string();
        fd_ = mkstemp(pattern.data());
        path_ = pattern;
    }
    ~TempFile() {
        if (fd_ >= 0) {
            ::close(fd_);
            ::unlink(path_.c_str());
        }
    }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;
    bool ok() const { return fd_ >= 0; }
    int fd() const { return fd_; }
    const std::filesystem::path& path() const { return path_; }
    bool write(const void* data, std::size_t size) {
        const char* bytes = static_cast<const char*>(data);
        while (size > 0) {
            const ssize_t written = ::write(fd_, bytes, size);
            if (written <= 0) {
                return false;
            }
            bytes += written;
            size -= static_cast<std::size_t>(written);
        }
        return true;
    }

private:
    int fd_ = -1;
    std::filesystem::path path_;
};

struct Collector {
    ArtifactScan& scan;
    void add(Finding finding, const std::string& layer) {
        scan.findings.push_back(std::move(finding));
        scan.layer_of_finding.push_back(layer);
    }
    void add_all(Findings findings, const std::string& layer) {
        for (auto& finding : findings) {
            add(std::move(finding), layer);
        }
    }
};

std::string filepath_of(const common::Descriptor& layer) {
    for (const auto naming :
         {common::modelpack::Naming::kCncf, common::modelpack::Naming::kCnaiLegacy}) {
        const auto key = std::string(common::modelpack::names(naming).filepath_annotation);
        if (auto it = layer.annotations.find(key); it != layer.annotations.end()) {
            return it->second;
        }
    }
    return {};
}

void check_licenses(const std::vector<std::string>& licenses, const LicensePolicy& policy,
                    const std::string& config_digest, Collector& out) {
    const auto matches = [](const std::vector<std::string>& globs, const std::string& id) {
        std::string lowered = id;
        std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        return std::any_of(globs.begin(), globs.end(), [&](const std::string& glob) {
            return fnmatch(glob.c_str(), lowered.c_str(), 0) == 0;
        });
    };
    for (const auto& id : licenses) {
        if (matches(policy.deny, id)) {
            out.add({"AIMS-LICENSE-DENIED", Severity::kHigh, "model config",
                     "licence " + id + " is denied by policy",
                     "The model declares licence " + id +
                         ", which matches the deny list of this scanner's licence policy."},
                    config_digest);
        } else if (matches(policy.warn, id)) {
            out.add({"AIMS-LICENSE-WARN", Severity::kLow, "model config",
                     "licence " + id + " needs review",
                     "The model declares licence " + id + ", on the policy's warn list."},
                    config_digest);
        }
    }
}

void scan_config(common::RegistryClient& client, const std::string& repository,
                 const common::ImageManifest& manifest, const ArtifactScanSettings& settings,
                 ArtifactScan& scan, Collector& out) {
    if (!common::modelpack::naming_of(manifest.config.media_type) ||
        manifest.config.size > kConfigMaxBytes) {
        return;
    }
    auto bytes = client.fetch_blob(repository, manifest.config.digest, kConfigMaxBytes);
    if (!bytes) {
        return;
    }
    scan.bytes_read += bytes->size();
    auto config = common::parse_json(*bytes);
    if (!config || !config->is_object()) {
        out.add({"AIMS-MODEL-CONFIG", Severity::kMedium, "model config",
                 "ModelPack config is not valid JSON",
                 config ? "not an object" : config.error().message},
                manifest.config.digest.str());
        return;
    }
    const auto descriptor = config->value("descriptor", nlohmann::json::object());
    if (descriptor.is_object() && descriptor.contains("licenses") &&
        descriptor["licenses"].is_array()) {
        for (const auto& id : descriptor["licenses"]) {
            if (id.is_string()) {
                scan.licenses.push_back(id.get<std::string>());
            }
        }
    }
    check_licenses(scan.licenses, settings.licenses, manifest.config.digest.str(), out);
}

// Whole-layer streaming for tar layers: spool (digest verified), then walk entries.
Status scan_tar_layer(common::RegistryClient& client, const std::string& repository,
                      const common::Descriptor& layer, const ArtifactScanSettings& settings,
                      ArtifactScan& scan, Collector& out);

void scan_raw_layer(common::RegistryClient& client, const std::string& repository,
                    const common::Descriptor& layer, const ArtifactScanSettings& settings,
                    ArtifactScan& scan, Collector& out) {
    const auto path = filepath_of(layer);
    const auto digest = layer.digest.str();
    if (path.empty()) {
        out.add({"AIMS-MODEL-NO-PATH", Severity::kMedium, digest, "model layer without a filepath",
                 "Layer " + digest +
                     " has no org.cncf.model.filepath annotation: loaders "
                     "cannot place it, and it cannot be attributed."},
                digest);
    } else if (unsafe_path(path)) {
        out.add({"AIMS-MODEL-PATH-ESCAPE", Severity::kHigh, path,
                 "model file path escapes the model directory",
                 "The filepath annotation '" + path +
                     "' is absolute or contains '..' or '\\': extracting it writes outside the "
                     "model root (modctl joins it unchecked)."},
                digest);
    }
    RegistryBlobSource source(client, repository, layer.digest, layer.size, settings.spool_dir,
                              settings.max_spool_bytes);
    auto report = scan_file(path.empty() ? digest : path, source, settings.limits);
    scan.bytes_read += source.bytes_read();
    scan.files.push_back({report.path, digest, report.format, layer.size, digest});
    out.add_all(std::move(report.findings), digest);
}

}  // namespace

RegistryBlobSource::RegistryBlobSource(common::RegistryClient& client, std::string repository,
                                       common::Digest digest, std::uint64_t size,
                                       std::filesystem::path spool_dir,
                                       std::uint64_t max_spool_bytes, std::size_t block_bytes)
    : client_(client),
      repository_(std::move(repository)),
      digest_(std::move(digest)),
      size_(size),
      spool_dir_(std::move(spool_dir)),
      max_spool_bytes_(max_spool_bytes),
      block_bytes_(block_bytes) {}

Result<std::size_t> RegistryBlobSource::read(std::uint64_t offset, char* buffer,
                                             std::size_t length) {
    if (offset >= size_ || length == 0) {
        return std::size_t{0};
    }
    const bool cached =
        !block_.empty() && offset >= block_offset_ && offset < block_offset_ + block_.size();
    if (!cached && range_ignored_ && !spool_) {
        if (auto spooled = spool_whole_blob(); !spooled) {
            return spooled.error();
        }
    }
    if (!cached && spool_) {
        return spool_->read(offset, buffer, length);
    }
    if (!cached) {
        const std::uint64_t start = offset - offset % block_bytes_;
        // A large read goes out as one range; small ones are rounded up to a block.
        const std::uint64_t want = std::max<std::uint64_t>(block_bytes_, offset - start + length);
        auto read = client_.read_blob_range_or_whole(repository_, digest_, start,
                                                     std::min<std::uint64_t>(want, size_ - start));
        if (!read) {
            return read.error();
        }
        if (read->bytes.empty()) {
            return std::size_t{0};
        }
        // A 200 streamed everything before `start` too (skipped, but it crossed the network).
        bytes_read_ += read->bytes.size() + (read->range_ignored ? start : 0);
        range_ignored_ = read->range_ignored;
        block_ = std::move(read->bytes);
        block_offset_ = start;
    }
    const auto within = static_cast<std::size_t>(offset - block_offset_);
    const auto count = std::min(length, block_.size() - within);
    std::memcpy(buffer, block_.data() + within, count);
    return count;
}

Status RegistryBlobSource::spool_whole_blob() {
    if (size_ > max_spool_bytes_) {
        return Error{ErrorCode::kTooLarge, "the registry ignores Range requests and blob " +
                                               digest_.str() + " (" + std::to_string(size_) +
                                               " bytes) exceeds the spool limit (" +
                                               std::to_string(max_spool_bytes_) + " bytes)"};
    }
    TempFile spool(spool_dir_);
    if (!spool.ok()) {
        return Error{ErrorCode::kInternal, "cannot create a spool file in " + spool_dir_.string()};
    }
    bool written = true;
    auto received = client_.get_blob(repository_, digest_, [&](std::string_view chunk) {
        written = spool.write(chunk.data(), chunk.size());
        return written;
    });
    if (!received) {
        return received.error();
    }
    if (!written) {
        return Error{ErrorCode::kInternal, "cannot write the spool file in " + spool_dir_.string()};
    }
    bytes_read_ += *received;
    auto opened = FileSource::open(spool.path());  // its own descriptor outlives the unlink
    if (!opened) {
        return opened.error();
    }
    spool_ = std::move(opened).value();
    return {};
}

Result<std::unique_ptr<FileSource>> FileSource::open(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return Error{ErrorCode::kInternal,
                     "cannot open " + path.string() + ": " + std::strerror(errno)};
    }
    struct stat info {};
    if (::fstat(fd, &info) != 0) {
        ::close(fd);
        return Error{ErrorCode::kInternal, "cannot stat " + path.string()};
    }
    return std::unique_ptr<FileSource>(
        new FileSource(fd, static_cast<std::uint64_t>(info.st_size)));
}

FileSource::~FileSource() { ::close(fd_); }

Result<std::size_t> FileSource::read(std::uint64_t offset, char* buffer, std::size_t length) {
    if (offset >= size_) {
        return std::size_t{0};
    }
    const ssize_t got = ::pread(fd_, buffer, length, static_cast<off_t>(offset));
    if (got < 0) {
        return Error{ErrorCode::kInternal, std::string("pread: ") + std::strerror(errno)};
    }
    bytes_read_ += static_cast<std::uint64_t>(got);
    return static_cast<std::size_t>(got);
}

namespace {

// Extracts the current entry into a temp file and analyses it.
void scan_tar_entry(archive* reader, const std::string& entry_path, const std::string& layer,
                    const ArtifactScanSettings& settings, ArtifactScan& scan, Collector& out) {
    TempFile spooled(settings.spool_dir);
    if (!spooled.ok()) {
        return;
    }
    common::Sha256Hasher hasher;
    std::uint64_t total = 0;
    const void* block = nullptr;
    std::size_t size = 0;
    la_int64_t offset = 0;
    int rc = ARCHIVE_OK;
    while ((rc = archive_read_data_block(reader, &block, &size, &offset)) == ARCHIVE_OK) {
        total += size;
        if (total > settings.max_entry_bytes || !spooled.write(block, size)) {
            return;
        }
        hasher.update({static_cast<const char*>(block), size});
    }
    if (rc != ARCHIVE_EOF) {
        out.add({"AIMS-TAR-MALFORMED", Severity::kMedium, entry_path, "tar entry unreadable",
                 archive_error_string(reader) != nullptr ? archive_error_string(reader) : "?"},
                layer);
        return;
    }
    auto source = FileSource::open(spooled.path());
    if (!source) {
        return;
    }
    auto report = scan_file(entry_path, **source, settings.limits);
    auto digest = hasher.finish();
    scan.files.push_back({entry_path, layer, report.format, total, digest ? digest->str() : ""});
    out.add_all(std::move(report.findings), layer);
}

bool worth_analysing(const std::string& path) {
    const auto format = detect_format(path, "");
    return format != "other";
}

Status walk_tar(const std::filesystem::path& spool, const std::string& layer,
                const ArtifactScanSettings& settings, ArtifactScan& scan, Collector& out) {
    std::unique_ptr<archive, int (*)(archive*)> reader(archive_read_new(), archive_read_free);
    archive_read_support_filter_all(reader.get());
    archive_read_support_format_tar(reader.get());
    if (archive_read_open_filename(reader.get(), spool.c_str(), kCopyBuffer) != ARCHIVE_OK) {
        return Error{ErrorCode::kInvalidInput,
                     std::string("not a tar layer: ") + archive_error_string(reader.get())};
    }
    archive_entry* entry = nullptr;
    int rc = ARCHIVE_OK;
    while ((rc = archive_read_next_header(reader.get(), &entry)) == ARCHIVE_OK) {
        const char* raw_name = archive_entry_pathname(entry);
        std::string path = raw_name != nullptr ? raw_name : "";
        const auto type = archive_entry_filetype(entry);
        const char* target = archive_entry_symlink(entry);
        const bool link_escapes = type == AE_IFLNK && target != nullptr && unsafe_path(target);
        if (unsafe_path(path) || link_escapes) {
            out.add({"AIMS-TAR-PATH", Severity::kHigh, path, "tar entry escapes the root",
                     "Entry '" + path + "' is absolute, contains '..' or links outside."},
                    layer);
        }
        if (type == AE_IFREG && worth_analysing(path)) {
            scan_tar_entry(reader.get(), path, layer, settings, scan, out);
        }
    }
    if (rc != ARCHIVE_EOF) {
        out.add({"AIMS-TAR-MALFORMED", Severity::kMedium, layer, "tar layer ends in an error",
                 archive_error_string(reader.get()) != nullptr ? archive_error_string(reader.get())
                                                               : "?"},
                layer);
    }
    return {};
}

Status scan_tar_layer(common::RegistryClient& client, const std::string& repository,
                      const common::Descriptor& layer, const ArtifactScanSettings& settings,
                      ArtifactScan& scan, Collector& out) {
    const auto digest = layer.digest.str();
    if (layer.size > settings.max_spool_bytes) {
        out.add({"AIMS-LAYER-TOO-LARGE", Severity::kUnknown, digest, "layer not analysed",
                 "Layer of " + std::to_string(layer.size) + " bytes exceeds the spool limit."},
                digest);
        return {};
    }
    TempFile spool(settings.spool_dir);
    if (!spool.ok()) {
        return Error{ErrorCode::kInternal,
                     "cannot create a spool file in " + settings.spool_dir.string()};
    }
    bool written = true;
    auto received = client.get_blob(repository, layer.digest, [&](std::string_view chunk) {
        written = spool.write(chunk.data(), chunk.size());
        return written;
    });
    if (!received) {
        return received.error();
    }
    scan.bytes_read += *received;
    if (auto walked = walk_tar(spool.path(), digest, settings, scan, out); !walked) {
        out.add({"AIMS-LAYER-FORMAT", Severity::kUnknown, digest, "layer format not analysed",
                 "Layer " + digest + " (" + layer.media_type + "): " + walked.error().message},
                digest);
    }
    return {};
}

}  // namespace

Result<ArtifactScan> scan_artifact(common::RegistryClient& client, const std::string& repository,
                                   const std::string& digest,
                                   const ArtifactScanSettings& settings) {
    auto response = client.get_manifest(repository, digest);
    if (!response) {
        return response.error();
    }
    auto manifest = common::parse_image_manifest(response->bytes);
    if (!manifest) {
        return manifest.error();
    }
    ArtifactScan scan;
    scan.manifest_digest = response->digest.str();
    scan.media_type = response->media_type;
    scan.artifact_type =
        manifest->artifact_type.empty() ? manifest->config.media_type : manifest->artifact_type;
    scan.artifact_bytes = manifest->config.size;
    Collector out{scan};
    scan_config(client, repository, *manifest, settings, scan, out);
    for (const auto& layer : manifest->layers) {
        scan.artifact_bytes += layer.size;
        const auto type = common::modelpack::parse_layer_media_type(layer.media_type);
        if (type && type->encoding == common::modelpack::LayerEncoding::kRaw) {
            scan_raw_layer(client, repository, layer, settings, scan, out);
            continue;
        }
        if (auto done = scan_tar_layer(client, repository, layer, settings, scan, out); !done) {
            return done.error();
        }
    }
    return scan;
}

}  // namespace aiops::scanner
