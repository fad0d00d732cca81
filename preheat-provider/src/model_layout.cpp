#include "model_layout.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>

#include "aiops/common/registry_client.h"

namespace aiops::preheat {

using common::Error;
using common::ErrorCode;
using common::Result;
using common::Status;
namespace fs = std::filesystem;
namespace mp = common::modelpack;

namespace {

constexpr std::size_t kMaxPathBytes = 4096;
constexpr std::size_t kCopyBuffer = 1U << 20;

Error invalid(const std::string& what) { return Error{ErrorCode::kInvalidInput, what}; }

Error system_error(const std::string& what, int error) {
    return Error{ErrorCode::kInternal, what + ": " + std::strerror(error)};
}

struct Fd {
    int fd = -1;
    explicit Fd(int value) : fd(value) {}
    ~Fd() {
        if (fd >= 0) {
            ::close(fd);
        }
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
};

// Creates every directory of `relative`'s parent under `root`, refusing anything on the way
// that exists and is not a real directory (a symlink in particular).
Status make_parents(const fs::path& root, const fs::path& relative) {
    fs::path current = root;
    const auto parent = relative.parent_path();
    for (const auto& component : parent) {
        current /= component;
        struct stat info {};
        if (::lstat(current.c_str(), &info) == 0) {
            if (!S_ISDIR(info.st_mode)) {
                return invalid("'" + relative.string() + "': '" + component.string() +
                               "' exists and is not a directory");
            }
            continue;
        }
        if (errno != ENOENT || ::mkdir(current.c_str(), 0755) != 0) {
            return system_error("creating " + current.string(), errno);
        }
    }
    return {};
}

Status write_all(int fd, const char* data, std::size_t size, const fs::path& path) {
    while (size > 0) {
        const auto written = ::write(fd, data, size);
        if (written < 0) {
            if (errno == EINTR) {
                continue;
            }
            return system_error("writing " + path.string(), errno);
        }
        data += written;
        size -= static_cast<std::size_t>(written);
    }
    return {};
}

// A new regular file (never through a symlink, never over an existing entry).
Result<int> create_file(const fs::path& path) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) {
        if (errno == EEXIST) {
            return invalid("'" + path.filename().string() + "' is written twice by the model");
        }
        return system_error("creating " + path.string(), errno);
    }
    return fd;
}

Status copy_bytes(const fs::path& from, const fs::path& to) {
    Fd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
    if (in.fd < 0) {
        return system_error("opening " + from.string(), errno);
    }
    auto out_fd = create_file(to);
    if (!out_fd) {
        return out_fd.error();
    }
    Fd out(*out_fd);
    std::vector<char> buffer(kCopyBuffer);
    for (;;) {
        const auto got = ::read(in.fd, buffer.data(), buffer.size());
        if (got < 0) {
            if (errno == EINTR) {
                continue;
            }
            return system_error("reading " + from.string(), errno);
        }
        if (got == 0) {
            break;
        }
        if (auto written = write_all(out.fd, buffer.data(), static_cast<std::size_t>(got), to);
            !written) {
            return written;
        }
    }
    if (::fsync(out.fd) != 0) {
        return system_error("syncing " + to.string(), errno);
    }
    return {};
}

Status place_raw(const fs::path& root, const ModelFile& file, const fs::path& cached) {
    if (auto parents = make_parents(root, file.path); !parents) {
        return parents;
    }
    const auto target = root / file.path;
    if (::link(cached.c_str(), target.c_str()) == 0) {
        return {};
    }
    if (errno == EEXIST) {
        return invalid("'" + file.path + "' is written twice by the model");
    }
    return copy_bytes(cached, target);  // EXDEV (cache on another filesystem), EPERM, …
}

std::string normalise_entry_name(std::string name) {
    while (name.starts_with("./")) {
        name.erase(0, 2);
    }
    while (!name.empty() && name.back() == '/') {
        name.pop_back();
    }
    return name;
}

Status extract_tar(const fs::path& root, const ModelFile& file, const fs::path& cached,
                   const LayoutLimits& limits) {
    const auto layer = "layer " + file.digest.str();
    std::unique_ptr<archive, int (*)(archive*)> reader(archive_read_new(), archive_read_free);
    archive_read_support_filter_all(reader.get());
    archive_read_support_format_tar(reader.get());
    if (archive_read_open_filename(reader.get(), cached.c_str(), kCopyBuffer) != ARCHIVE_OK) {
        return invalid(layer + ": not a tar archive: " + archive_error_string(reader.get()));
    }
    std::uint64_t total = 0;
    std::size_t entries = 0;
    std::vector<char> buffer(kCopyBuffer);
    archive_entry* entry = nullptr;
    int rc = ARCHIVE_OK;
    while ((rc = archive_read_next_header(reader.get(), &entry)) == ARCHIVE_OK) {
        if (++entries > limits.max_entries) {
            return invalid(layer + ": more than " + std::to_string(limits.max_entries) +
                           " entries");
        }
        const char* raw_name = archive_entry_pathname(entry);
        const auto name = normalise_entry_name(raw_name == nullptr ? "" : raw_name);
        const auto type = archive_entry_filetype(entry);
        if (name.empty() && type == AE_IFDIR) {
            continue;  // "./"
        }
        if (auto safe = check_relative_path(name); !safe) {
            return invalid(layer + ": entry '" + name.substr(0, 256) +
                           "': " + safe.error().message);
        }
        if (type == AE_IFDIR) {
            if (auto made = make_parents(root, fs::path(name) / "x"); !made) {
                return made;
            }
            continue;
        }
        if (type != AE_IFREG) {
            return invalid(layer + ": entry '" + name.substr(0, 256) +
                           "' is a link or special file: only files and directories are laid out");
        }
        if (auto parents = make_parents(root, name); !parents) {
            return parents;
        }
        auto out_fd = create_file(root / name);
        if (!out_fd) {
            return out_fd.error();
        }
        Fd out(*out_fd);
        for (;;) {
            const auto got = archive_read_data(reader.get(), buffer.data(), buffer.size());
            if (got < 0) {
                return invalid(layer + ": " + archive_error_string(reader.get()));
            }
            if (got == 0) {
                break;
            }
            total += static_cast<std::uint64_t>(got);
            if (total > limits.max_extracted_bytes) {
                return invalid(layer + ": extracts to more than " +
                               std::to_string(limits.max_extracted_bytes) + " bytes");
            }
            if (auto written =
                    write_all(out.fd, buffer.data(), static_cast<std::size_t>(got), root / name);
                !written) {
                return written;
            }
        }
        if (::fsync(out.fd) != 0) {
            return system_error("syncing " + (root / name).string(), errno);
        }
    }
    if (rc != ARCHIVE_EOF) {
        return invalid(layer + ": " + archive_error_string(reader.get()));
    }
    return {};
}

Status sync_directory(const fs::path& path) {
    Fd dir(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir.fd < 0 || ::fsync(dir.fd) != 0) {
        return system_error("syncing " + path.string(), errno);
    }
    return {};
}

Status write_ready(const fs::path& dir, std::string_view manifest_digest) {
    const auto temp = dir / ".ready.tmp";
    ::unlink(temp.c_str());
    auto fd = create_file(temp);
    if (!fd) {
        return fd.error();
    }
    {
        Fd out(*fd);
        const std::string text = std::string(manifest_digest) + "\n";
        if (auto written = write_all(out.fd, text.data(), text.size(), temp); !written) {
            return written;
        }
        if (::fsync(out.fd) != 0) {
            return system_error("syncing " + temp.string(), errno);
        }
    }
    if (::rename(temp.c_str(), (dir / ".ready").c_str()) != 0) {
        return system_error("renaming " + temp.string(), errno);
    }
    return sync_directory(dir);
}

std::optional<std::string> read_ready(const fs::path& dir) {
    Fd in(::open((dir / ".ready").c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (in.fd < 0) {
        return std::nullopt;
    }
    char buffer[256];
    const auto got = ::read(in.fd, buffer, sizeof buffer);
    if (got <= 0) {
        return std::nullopt;
    }
    std::string text(buffer, static_cast<std::size_t>(got));
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
        text.pop_back();
    }
    return text;
}

}  // namespace

Status check_relative_path(std::string_view path) {
    if (path.empty() || path.size() > kMaxPathBytes) {
        return invalid("path must be 1-4096 bytes");
    }
    if (path.front() == '/') {
        return invalid("absolute path");
    }
    if (std::any_of(path.begin(), path.end(), [](char c) {
            return static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '\\';
        })) {
        return invalid("control character or backslash in path");
    }
    std::size_t start = 0;
    while (start <= path.size()) {
        const auto end = std::min(path.find('/', start), path.size());
        const auto component = path.substr(start, end - start);
        if (component.empty() || component == "." || component == "..") {
            return invalid("path component '" + std::string(component) +
                           "' (empty, '.' or '..') is not allowed");
        }
        if (component.size() > 255) {
            return invalid("path component longer than 255 bytes");
        }
        start = end + 1;
    }
    return {};
}

std::string reference_dir_name(std::string_view reference) {
    std::string name(reference);
    std::replace(name.begin(), name.end(), ':', '-');
    return name;
}

Result<std::optional<std::vector<ModelFile>>> model_files(const common::ImageManifest& manifest) {
    auto naming = mp::naming_of(manifest.artifact_type);
    if (!naming) {
        naming = mp::naming_of(manifest.config.media_type);
    }
    if (!naming) {
        return std::optional<std::vector<ModelFile>>{};
    }
    std::vector<ModelFile> files;
    for (const auto& layer : manifest.layers) {
        const auto type = mp::parse_layer_media_type(layer.media_type);
        if (!type) {
            continue;  // not a model file layer (e.g. a signature): nothing to lay out
        }
        std::string path;
        for (const auto generation : {*naming, mp::Naming::kCncf, mp::Naming::kCnaiLegacy}) {
            const auto found =
                layer.annotations.find(std::string(mp::names(generation).filepath_annotation));
            if (found != layer.annotations.end()) {
                path = found->second;
                break;
            }
        }
        if (path.empty() && type->encoding == mp::LayerEncoding::kRaw) {
            return invalid("layer " + layer.digest.str() +
                           ": a raw model layer needs an org.cncf.model.filepath annotation");
        }
        if (!path.empty()) {
            if (auto safe = check_relative_path(path); !safe) {
                return invalid("layer " + layer.digest.str() + ": filepath '" +
                               path.substr(0, 256) + "' is unsafe: " + safe.error().message);
            }
        }
        files.push_back({layer.digest, layer.size, path, type->encoding});
    }
    return std::optional<std::vector<ModelFile>>(std::move(files));
}

Status lay_out_model(const fs::path& models_dir, std::string_view repository,
                     std::string_view dir_name, std::string_view manifest_digest,
                     const std::vector<ModelFile>& files, const CachedFile& cached,
                     const LayoutLimits& limits) {
    if (!common::is_valid_repository_name(repository)) {
        return invalid("repository '" + std::string(repository.substr(0, 256)) + "' is not valid");
    }
    if (auto safe = check_relative_path(dir_name);
        !safe || dir_name.find('/') != std::string_view::npos || dir_name.starts_with(".")) {
        return invalid("'" + std::string(dir_name.substr(0, 256)) + "' is not a directory name");
    }
    const auto repo_dir = models_dir / std::string(repository);
    const auto final_dir = repo_dir / std::string(dir_name);
    if (read_ready(final_dir) == std::string(manifest_digest)) {
        return {};
    }
    if (auto parents = make_parents(models_dir, fs::path(std::string(repository)) / "x");
        !parents) {
        return parents;
    }
    static std::atomic<unsigned> counter{0};
    const auto temp_dir =
        repo_dir / ("." + std::string(dir_name) + ".tmp-" + std::to_string(::getpid()) + "-" +
                    std::to_string(counter.fetch_add(1)));
    std::error_code ignored;
    fs::remove_all(temp_dir, ignored);
    if (::mkdir(temp_dir.c_str(), 0755) != 0) {
        return system_error("creating " + temp_dir.string(), errno);
    }
    const auto fail = [&](Status status) {
        fs::remove_all(temp_dir, ignored);
        return status;
    };
    for (const auto& file : files) {
        const auto path = cached(file.digest);
        if (!path) {
            return fail(Error{ErrorCode::kNotFound, "layer " + file.digest.str() + " (" +
                                                        file.path + ") is not in the cache"});
        }
        auto placed = file.encoding == mp::LayerEncoding::kRaw
                          ? place_raw(temp_dir, file, *path)
                          : extract_tar(temp_dir, file, *path, limits);
        if (!placed) {
            return fail(placed);
        }
    }
    if (auto synced = sync_directory(temp_dir); !synced) {
        return fail(synced);
    }
    struct stat info {};
    if (::lstat(final_dir.c_str(), &info) == 0) {
        if (!S_ISDIR(info.st_mode)) {
            return fail(invalid(final_dir.string() + " exists and is not a directory"));
        }
        fs::remove_all(final_dir, ignored);  // an older model under a moved tag
    }
    if (::rename(temp_dir.c_str(), final_dir.c_str()) != 0) {
        return fail(system_error("renaming " + temp_dir.string(), errno));
    }
    if (auto synced = sync_directory(repo_dir); !synced) {
        return synced;
    }
    return write_ready(final_dir, manifest_digest);
}

}  // namespace aiops::preheat
