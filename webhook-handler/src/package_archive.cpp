#include <archive.h>
#include <archive_entry.h>
#include <locale.h>  // newlocale, uselocale (POSIX)
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <utility>

#include "aiops/common/encoding.h"
#include "package_checks.h"
#include "package_text.h"

// The archive checks of package_checks.h: one streaming read (libarchive) collects every
// entry's name, kind, size and digests and the few text files, then paths, record, pth and
// metadata judge what was read.
namespace aiops::webhook {
namespace {

using common::Error;
using common::ErrorCode;
using common::Result;

constexpr std::size_t kMaxQuoted = 10;            // offending paths quoted in one detail
constexpr std::size_t kMaxTexts = 4;              // RECORD + METADATA, or PKG-INFO, plus spares
constexpr std::size_t kFileBlockBytes = 1 << 16;  // read size from a file
constexpr std::string_view kDistInfo = ".dist-info";

bool is_control(char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// The offending paths of one check: all counted, the first kMaxQuoted quoted with their reason.
class Findings {
public:
    void add(std::string_view path, std::string_view reason) {
        if (count_++ >= kMaxQuoted) {
            return;
        }
        quoted_.push_back(quote_untrusted(path));
        if (!reason.empty()) {
            quoted_.back().append(" (").append(reason).append(")");
        }
    }
    bool empty() const { return count_ == 0; }
    std::string summary(std::string_view what) const {
        std::string out = std::to_string(count_);
        out.append(" ").append(what).append(":");
        for (std::size_t index = 0; index < quoted_.size(); ++index) {
            out.append(index == 0 ? " " : ", ").append(quoted_[index]);
        }
        if (count_ > quoted_.size()) {
            out.append(", and ").append(std::to_string(count_ - quoted_.size())).append(" more");
        }
        return out;
    }

private:
    std::vector<std::string> quoted_;
    std::size_t count_ = 0;
};

CheckOutcome pass(std::string check, std::string detail) {
    return {std::move(check), true, std::move(detail)};
}
CheckOutcome fail(std::string check, std::string detail) {
    return {std::move(check), false, std::move(detail)};
}

// ---- reading the archive

enum class EntryKind { kFile, kDirectory, kSymlink, kHardlink, kSpecial };

struct RecordAlgorithm {
    std::string_view name;
    const EVP_MD* (*md)();
};
constexpr std::array<RecordAlgorithm, 3> kRecordAlgorithms{
    {{"sha256", &EVP_sha256}, {"sha384", &EVP_sha384}, {"sha512", &EVP_sha512}}};
using RecordDigests = std::array<std::string, kRecordAlgorithms.size()>;  // raw bytes

struct ArchiveEntry {
    std::string name;  // as stored; "" when libarchive could not decode it
    EntryKind kind = EntryKind::kFile;
    std::uint64_t size = 0;   // bytes read
    RecordDigests digests{};  // wheel files, when the record check runs
};

struct ArchiveScan {
    std::vector<ArchiveEntry> entries;
    std::map<std::string, std::string, std::less<>> texts;  // RECORD, METADATA, PKG-INFO by path
};

// The three digests RECORD may use, at once: RECORD is read after the files it lists.
class RecordHasher {
public:
    RecordHasher() {
        for (const auto& algorithm : kRecordAlgorithms) {
            EvpContext context(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
            ok_ = ok_ && context != nullptr &&
                  EVP_DigestInit_ex(context.get(), algorithm.md(), nullptr) == 1;
            contexts_.push_back(std::move(context));
        }
    }
    void update(const void* data, std::size_t size) {
        for (auto& context : contexts_) {
            ok_ = ok_ && EVP_DigestUpdate(context.get(), data, size) == 1;
        }
    }
    Result<RecordDigests> finish() {
        RecordDigests digests;
        for (std::size_t index = 0; index < contexts_.size() && ok_; ++index) {
            std::array<unsigned char, EVP_MAX_MD_SIZE> raw{};
            unsigned int length = 0;
            ok_ = EVP_DigestFinal_ex(contexts_[index].get(), raw.data(), &length) == 1;
            digests[index].assign(reinterpret_cast<const char*>(raw.data()), length);
        }
        if (!ok_) {
            return Error{ErrorCode::kInternal, "OpenSSL digest computation failed"};
        }
        return digests;
    }

private:
    using EvpContext = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;
    std::vector<EvpContext> contexts_;
    bool ok_ = true;
};

// libarchive converts entry names to the thread's locale charset: this thread uses C.UTF-8
// while reading, so the UTF-8 names of zips (flag 11) and pax headers decode under the C locale
// services run in. (Without C.UTF-8 such names stay undecodable and fail the paths check.)
class Utf8LocaleScope {
public:
    Utf8LocaleScope() : locale_(newlocale(LC_CTYPE_MASK, "C.UTF-8", nullptr)) {
        if (locale_ != nullptr) {
            previous_ = uselocale(locale_);
        }
    }
    ~Utf8LocaleScope() {
        if (locale_ != nullptr) {
            uselocale(previous_);
            freelocale(locale_);
        }
    }
    Utf8LocaleScope(const Utf8LocaleScope&) = delete;
    Utf8LocaleScope& operator=(const Utf8LocaleScope&) = delete;

private:
    locale_t locale_;
    locale_t previous_ = nullptr;
};

using ArchiveReader = std::unique_ptr<archive, decltype(&archive_read_free)>;

Error archive_error(archive* reader, std::string_view doing) {
    const char* message = archive_error_string(reader);
    return Error{ErrorCode::kInvalidInput,
                 std::string(doing) + ": " +
                     quote_untrusted(message != nullptr ? message : "unknown error")};
}

std::string entry_name(archive_entry* header) {
    const char* name = archive_entry_pathname(header);
    if (name == nullptr) {
        name = archive_entry_pathname_utf8(header);
    }
    return name != nullptr ? name : "";
}

EntryKind entry_kind(archive_entry* header) {
    if (archive_entry_hardlink(header) != nullptr) {
        return EntryKind::kHardlink;
    }
    switch (archive_entry_filetype(header)) {
        case AE_IFREG: return EntryKind::kFile;
        case AE_IFDIR: return EntryKind::kDirectory;
        case AE_IFLNK: return EntryKind::kSymlink;
        default: return EntryKind::kSpecial;
    }
}

// One pass over an opened reader: every entry's name, kind and size, the digests of wheel files
// (record check) and the few text files the checks parse; enforces the limits.
class ArchiveScanner {
public:
    ArchiveScanner(const DistributionFile& dist, const ArchiveCheckSettings& settings)
        : dist_(dist), settings_(settings) {}

    Result<ArchiveScan> scan(archive* reader) {
        ArchiveScan scan;
        archive_entry* header = nullptr;
        for (;;) {
            const int status = archive_read_next_header(reader, &header);
            if (status == ARCHIVE_EOF) {
                return scan;
            }
            if (status != ARCHIVE_OK && status != ARCHIVE_WARN) {
                return archive_error(reader,
                                     "reading entry " + std::to_string(scan.entries.size()));
            }
            if (scan.entries.size() >= settings_.max_entries) {
                return Error{ErrorCode::kTooLarge, "more than max_entries (" +
                                                       std::to_string(settings_.max_entries) +
                                                       ") entries"};
            }
            ArchiveEntry entry{.name = entry_name(header), .kind = entry_kind(header)};
            std::string* text = nullptr;
            if (entry.kind == EntryKind::kFile && wants_text(entry.name) &&
                scan.texts.size() < kMaxTexts && !scan.texts.contains(entry.name)) {
                text = &scan.texts[entry.name];
            }
            if (auto read = read_data(reader, entry, text); !read) {
                return read.error();
            }
            scan.entries.push_back(std::move(entry));
        }
    }

private:
    // RECORD and METADATA of a top-level .dist-info directory (wheels), a top-level directory's
    // PKG-INFO (sdists), when a check needs them.
    bool wants_text(std::string_view name) const {
        const auto slash = name.find('/');
        if (slash == std::string_view::npos ||
            name.find('/', slash + 1) != std::string_view::npos) {
            return false;
        }
        const auto base = name.substr(slash + 1);
        if (dist_.kind != "wheel") {
            return settings_.metadata && base == "PKG-INFO";
        }
        return name.substr(0, slash).ends_with(kDistInfo) &&
               ((settings_.record && base == "RECORD") ||
                (settings_.metadata && base == "METADATA"));
    }

    common::Status read_data(archive* reader, ArchiveEntry& entry, std::string* text) {
        std::optional<RecordHasher> hasher;
        if (dist_.kind == "wheel" && settings_.record && entry.kind == EntryKind::kFile) {
            hasher.emplace();
        }
        const void* block = nullptr;
        std::size_t length = 0;
        la_int64_t offset = 0;
        int status = ARCHIVE_OK;
        while ((status = archive_read_data_block(reader, &block, &length, &offset)) == ARCHIVE_OK) {
            entry.size += length;
            total_bytes_ += length;
            if (total_bytes_ > settings_.max_total_bytes) {
                return Error{ErrorCode::kTooLarge, "more than max_total_bytes (" +
                                                       std::to_string(settings_.max_total_bytes) +
                                                       ") uncompressed bytes"};
            }
            if (text != nullptr && entry.size > settings_.max_text_bytes) {
                return Error{ErrorCode::kTooLarge,
                             quote_untrusted(entry.name) + " is over max_text_bytes (" +
                                 std::to_string(settings_.max_text_bytes) + ")"};
            }
            if (text != nullptr) {
                text->append(static_cast<const char*>(block), length);
            }
            if (hasher) {
                hasher->update(block, length);
            }
        }
        if (status != ARCHIVE_EOF) {
            return archive_error(reader, "reading " + quote_untrusted(entry.name));
        }
        if (hasher) {
            auto digests = hasher->finish();
            if (!digests) {
                return digests.error();
            }
            entry.digests = std::move(*digests);
        }
        return {};
    }

    const DistributionFile& dist_;
    const ArchiveCheckSettings& settings_;
    std::uint64_t total_bytes_ = 0;
};

Result<ArchiveReader> new_reader(const DistributionFile& dist) {
    ArchiveReader reader(archive_read_new(), &archive_read_free);
    if (reader == nullptr) {
        return Error{ErrorCode::kInternal, "libarchive: out of memory"};
    }
    int status = ARCHIVE_OK;
    if (dist.archive == "zip") {
        // The central directory decides (as pip's zipfile does), with the symlink modes it holds.
        status = archive_read_support_format_zip_seekable(reader.get());
    } else if (dist.archive == "tar.gz") {
        status = archive_read_support_format_tar(reader.get());
        if (status == ARCHIVE_OK) {
            status = archive_read_support_filter_gzip(reader.get());
        }
    } else {
        return Error{ErrorCode::kInvalidInput,
                     "unknown archive type " + quote_untrusted(dist.archive)};
    }
    if (status != ARCHIVE_OK) {
        return archive_error(reader.get(), "setting up libarchive");
    }
    return reader;
}

// Opens the archive with `open(reader)` (an archive_read_open_* call) and scans it.
template <typename Open>
Result<ArchiveScan> scan_archive(const DistributionFile& dist, const ArchiveCheckSettings& settings,
                                 const Open& open) {
    const Utf8LocaleScope utf8;
    auto reader = new_reader(dist);
    if (!reader) {
        return reader.error();
    }
    if (open(reader->get()) != ARCHIVE_OK) {
        return archive_error(reader->get(), "opening the archive");
    }
    if (dist.archive == "tar.gz" && archive_filter_code(reader->get(), 0) != ARCHIVE_FILTER_GZIP) {
        return Error{ErrorCode::kInvalidInput, "a .tar.gz that is not gzip-compressed"};
    }
    return ArchiveScanner(dist, settings).scan(reader->get());
}

// ---- the checks over a scan

std::string_view strip_trailing_slash(std::string_view name) {
    while (name.ends_with('/')) {
        name.remove_suffix(1);
    }
    return name;
}

std::string_view basename(std::string_view name) {
    name = strip_trailing_slash(name);
    const auto slash = name.rfind('/');
    return slash == std::string_view::npos ? name : name.substr(slash + 1);
}

std::string_view path_problem(std::string_view name) {
    if (name.empty()) {
        return "empty or undecodable name";
    }
    if (std::any_of(name.begin(), name.end(), is_control)) {
        return "control character";
    }
    if (name.front() == '/') {
        return "absolute path";
    }
    if (name.find('\\') != std::string_view::npos) {
        return "backslash";
    }
    if (name.size() >= 2 && is_alpha(name[0]) && name[1] == ':') {
        return "drive letter";
    }
    for (std::size_t start = 0; start <= name.size();) {
        const auto end = std::min(name.find('/', start), name.size());
        if (name.substr(start, end - start) == "..") {
            return "parent component";
        }
        start = end + 1;
    }
    return {};
}

std::string_view kind_problem(EntryKind kind) {
    switch (kind) {
        case EntryKind::kSymlink: return "symlink";
        case EntryKind::kHardlink: return "hardlink";
        case EntryKind::kSpecial: return "special file";
        default: return {};
    }
}

CheckOutcome check_paths(const ArchiveScan& scan) {
    Findings findings;
    std::set<std::string_view> seen;
    for (const auto& entry : scan.entries) {
        auto problem = path_problem(entry.name);
        if (problem.empty()) {
            problem = kind_problem(entry.kind);
        }
        if (problem.empty() && !seen.insert(strip_trailing_slash(entry.name)).second) {
            problem = "duplicate";
        }
        if (!problem.empty()) {
            findings.add(entry.name, problem);
        }
    }
    if (!findings.empty()) {
        return fail("paths", findings.summary("unsafe entries"));
    }
    return pass("paths", "ok: " + std::to_string(scan.entries.size()) + " entries");
}

// The one .dist-info directory at the top level of a wheel.
Result<std::string> single_dist_info(const ArchiveScan& scan) {
    std::set<std::string_view> dirs;
    for (const auto& entry : scan.entries) {
        const auto slash = entry.name.find('/');
        const auto top = std::string_view(entry.name).substr(0, slash);
        if (slash != std::string::npos && top.ends_with(kDistInfo)) {
            dirs.insert(top);
        }
    }
    if (dirs.size() == 1) {
        return std::string(*dirs.begin());
    }
    Findings findings;
    for (const auto dir : dirs) {
        findings.add(dir, "");
    }
    return Error{ErrorCode::kInvalidInput,
                 dirs.empty() ? "no .dist-info directory at the top level"
                              : findings.summary(".dist-info directories at the top level")};
}

// The one top-level directory of an sdist.
Result<std::string> single_top_level(const ArchiveScan& scan) {
    std::set<std::string_view> tops;
    for (const auto& entry : scan.entries) {
        const auto name = strip_trailing_slash(entry.name);
        const auto slash = name.find('/');
        if (slash == std::string_view::npos && entry.kind != EntryKind::kDirectory) {
            return Error{ErrorCode::kInvalidInput, "top-level file " + quote_untrusted(name) +
                                                       " (an sdist has one top directory)"};
        }
        tops.insert(name.substr(0, slash));
    }
    if (tops.size() == 1) {
        return std::string(*tops.begin());
    }
    Findings findings;
    for (const auto top : tops) {
        findings.add(top, "");
    }
    return Error{ErrorCode::kInvalidInput,
                 tops.empty() ? "empty archive" : findings.summary("top-level directories")};
}

struct RecordRow {
    std::string path, hash, size;
};

// One CSV field at `pos` (RFC 4180: "…" with "" for a quote, as Python's csv module writes);
// `pos` ends on the ',' or line end after it. nullopt: an unterminated quote or text after it.
std::optional<std::string> read_csv_field(std::string_view text, std::size_t& pos) {
    if (pos >= text.size() || text[pos] != '"') {
        const auto end = std::min(text.find_first_of(",\r\n", pos), text.size());
        const auto start = std::exchange(pos, end);
        return std::string(text.substr(start, end - start));
    }
    std::string field;
    for (++pos; pos < text.size(); ++pos) {
        if (text[pos] != '"') {
            field += text[pos];
        } else if (pos + 1 < text.size() && text[pos + 1] == '"') {
            field += text[++pos];
        } else {
            ++pos;
            if (pos < text.size() && text[pos] != ',' && text[pos] != '\r' && text[pos] != '\n') {
                return std::nullopt;
            }
            return field;
        }
    }
    return std::nullopt;
}

// Calls `on_row(RecordRow)` for each RECORD row `path,hash,size`, blank lines skipped; an error
// names the first malformed row.
template <typename OnRow>
common::Status read_record(std::string_view text, const OnRow& on_row) {
    std::size_t row_number = 0;
    for (std::size_t pos = 0; pos < text.size();) {
        if (text[pos] == '\r' || text[pos] == '\n') {
            ++pos;
            continue;
        }
        ++row_number;
        std::vector<std::string> fields;
        bool well_formed = true;
        for (;;) {
            auto field = read_csv_field(text, pos);
            if (!field || fields.size() == 3) {
                well_formed = false;
                break;
            }
            fields.push_back(std::move(*field));
            if (pos >= text.size() || text[pos] != ',') {
                break;
            }
            ++pos;  // the ',' between fields
        }
        if (!well_formed || fields.size() != 3) {
            return Error{ErrorCode::kInvalidInput,
                         "RECORD row " + std::to_string(row_number) + ": not CSV path,hash,size"};
        }
        on_row(RecordRow{std::move(fields[0]), std::move(fields[1]), std::move(fields[2])});
    }
    return {};
}

// RECORD itself and its signatures: need no hash, and need not be listed.
bool is_record_file(std::string_view path, std::string_view dist_info) {
    if (!path.starts_with(dist_info) || !path.substr(dist_info.size()).starts_with('/')) {
        return false;
    }
    const auto base = path.substr(dist_info.size() + 1);
    return base == "RECORD" || base == "RECORD.jws" || base == "RECORD.p7s";
}

// What is wrong with the RECORD row of an archive file ("" nothing).
std::string row_problem(const RecordRow& row, const ArchiveEntry& entry,
                        std::string_view dist_info) {
    if (row.hash.empty()) {
        return is_record_file(row.path, dist_info) ? "" : "no hash in RECORD";
    }
    const auto equals = row.hash.find('=');
    const auto algorithm = std::string_view(row.hash).substr(0, equals);
    if (algorithm == "md5" || algorithm == "sha1") {
        return std::string(algorithm) + " refused, PEP 427 needs sha256 or stronger";
    }
    const auto known =
        std::find_if(kRecordAlgorithms.begin(), kRecordAlgorithms.end(),
                     [algorithm](const auto& item) { return item.name == algorithm; });
    if (equals == std::string::npos || known == kRecordAlgorithms.end()) {
        return "unsupported hash " + quote_untrusted(algorithm);
    }
    const auto& digest = entry.digests[static_cast<std::size_t>(known - kRecordAlgorithms.begin())];
    const auto listed = common::base64url_decode(std::string_view(row.hash).substr(equals + 1));
    if (!listed || listed->size() != digest.size()) {
        return "malformed " + std::string(algorithm) + " (urlsafe base64, no padding)";
    }
    std::uint64_t size = 0;
    const auto* const size_end = row.size.data() + row.size.size();
    const auto parsed = std::from_chars(row.size.data(), size_end, size);
    if (row.size.empty() || parsed.ec != std::errc{} || parsed.ptr != size_end) {
        return "size " + quote_untrusted(row.size) + " in RECORD is not a number";
    }
    if (size != entry.size) {
        return "size " + row.size + " in RECORD, " + std::to_string(entry.size) + " in the archive";
    }
    return *listed == digest ? "" : std::string(algorithm) + " mismatch";
}

// Every archive file listed with the right hash and size, every listed path in the archive.
// Memory stays in proportion to the archive's entries, whatever RECORD holds.
// Returns how many paths RECORD lists.
Result<std::size_t> verify_record(std::string_view record, const ArchiveScan& scan,
                                  std::string_view dist_info, Findings& findings) {
    std::map<std::string_view, std::vector<const ArchiveEntry*>> files;  // all copies of a name
    for (const auto& entry : scan.entries) {
        if (entry.kind == EntryKind::kFile) {
            files[entry.name].push_back(&entry);
        }
    }
    std::set<std::string_view> listed;
    auto read = read_record(record, [&](const RecordRow& row) {
        const auto file = files.find(row.path);
        if (file == files.end()) {
            findings.add(row.path, "in RECORD, not a file in the archive");
            return;
        }
        if (!listed.insert(file->first).second) {
            findings.add(row.path, "listed twice in RECORD");
            return;
        }
        for (const auto* entry : file->second) {
            if (auto problem = row_problem(row, *entry, dist_info); !problem.empty()) {
                findings.add(row.path, problem);
            }
        }
    });
    for (const auto& [name, copies] : files) {
        if (!listed.contains(name) && !is_record_file(name, dist_info)) {
            findings.add(name, "not in RECORD");
        }
    }
    if (!read) {
        return read.error();
    }
    return listed.size();
}

CheckOutcome check_record(const ArchiveScan& scan, const DistributionFile& dist) {
    if (dist.kind != "wheel") {
        return pass("record", "not a wheel");
    }
    const auto dist_info = single_dist_info(scan);
    if (!dist_info) {
        return fail("record", dist_info.error().message);
    }
    const auto record_path = *dist_info + "/RECORD";
    const auto text = scan.texts.find(record_path);
    if (text == scan.texts.end()) {
        return fail("record", "no " + quote_untrusted(record_path));
    }
    Findings findings;
    const auto listed = verify_record(text->second, scan, *dist_info, findings);
    if (!listed) {
        return fail("record", listed.error().message);
    }
    if (!findings.empty()) {
        return fail("record", findings.summary("RECORD problems"));
    }
    return pass("record", "ok: " + std::to_string(*listed) + " paths verified");
}

CheckOutcome check_pth(const ArchiveScan& scan, const ArchiveCheckSettings& settings) {
    Findings refused;
    std::size_t allowed = 0;
    for (const auto& entry : scan.entries) {
        const auto base = basename(entry.name);
        if (entry.kind == EntryKind::kDirectory || !ascii_lowercase(base).ends_with(".pth")) {
            continue;
        }
        const auto& allow = settings.pth_allow;
        if (std::find(allow.begin(), allow.end(), base) != allow.end()) {
            ++allowed;
            continue;
        }
        refused.add(entry.name, "");
    }
    if (!refused.empty()) {
        return fail("pth", refused.summary(".pth files not in pth_allow"));
    }
    return pass("pth", "ok: " + std::to_string(allowed) + " allowed .pth files");
}

// RFC 822-style headers up to the first blank line: lower-cased names, the first occurrence of
// each, continuation lines joined with a space. A line that is no header starts the body.
std::map<std::string, std::string, std::less<>> parse_headers(std::string_view text) {
    std::map<std::string, std::string, std::less<>> headers;
    std::string* last = nullptr;
    for (std::size_t pos = 0; pos < text.size();) {
        const auto end = std::min(text.find('\n', pos), text.size());
        auto line = text.substr(pos, end - pos);
        pos = end + 1;
        if (line.ends_with('\r')) {
            line.remove_suffix(1);
        }
        if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
            if (last != nullptr) {
                last->append(" ").append(trim_ascii_space(line));
            }
            continue;
        }
        const auto colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0 ||
            line.substr(0, colon).find_first_of(" \t") != std::string_view::npos) {
            break;
        }
        auto [header, inserted] = headers.try_emplace(ascii_lowercase(line.substr(0, colon)),
                                                      trim_ascii_space(line.substr(colon + 1)));
        last = inserted ? &header->second : nullptr;
    }
    return headers;
}

// Where the metadata is: the METADATA of the wheel's .dist-info (whose name must match the
// filename's), the PKG-INFO of the sdist's top-level directory.
Result<std::string> metadata_path(const ArchiveScan& scan, const DistributionFile& dist) {
    if (dist.kind != "wheel") {
        auto top = single_top_level(scan);
        if (!top) {
            return top.error();
        }
        return *top + "/PKG-INFO";
    }
    auto dist_info = single_dist_info(scan);
    if (!dist_info) {
        return dist_info.error();
    }
    const auto stem = std::string_view(*dist_info).substr(0, dist_info->size() - kDistInfo.size());
    const auto dash = stem.rfind('-');
    if (dash == std::string_view::npos ||
        normalize_project_name(stem.substr(0, dash)) != normalize_project_name(dist.name) ||
        !same_pep440_version(stem.substr(dash + 1), dist.version)) {
        return Error{ErrorCode::kInvalidInput,
                     quote_untrusted(*dist_info) + " does not match the filename's " +
                         quote_untrusted(dist.name) + " " + quote_untrusted(dist.version)};
    }
    return *dist_info + "/METADATA";
}

std::string metadata_problem(std::string_view path, std::string_view text,
                             const DistributionFile& dist) {
    const auto headers = parse_headers(text);
    const auto name = headers.find("name");
    const auto version = headers.find("version");
    if (name == headers.end() || version == headers.end()) {
        return quote_untrusted(path) + " has no Name or no Version";
    }
    if (normalize_project_name(name->second) != normalize_project_name(dist.name)) {
        return quote_untrusted(path) + " Name " + quote_untrusted(name->second) +
               " is not the filename's " + quote_untrusted(dist.name);
    }
    if (!same_pep440_version(version->second, dist.version)) {
        return quote_untrusted(path) + " Version " + quote_untrusted(version->second) +
               " is not the filename's " + quote_untrusted(dist.version);
    }
    return {};
}

CheckOutcome check_metadata(const ArchiveScan& scan, const DistributionFile& dist) {
    const auto path = metadata_path(scan, dist);
    if (!path) {
        return fail("metadata", path.error().message);
    }
    const auto text = scan.texts.find(*path);
    if (text == scan.texts.end()) {
        return fail("metadata", dist.kind == "wheel" ? "no " + quote_untrusted(*path)
                                                     : "no PKG-INFO at " + quote_untrusted(*path));
    }
    if (auto problem = metadata_problem(*path, text->second, dist); !problem.empty()) {
        return fail("metadata", problem);
    }
    return pass("metadata", "ok: " + quote_untrusted(*path) + " matches the filename");
}

std::vector<CheckOutcome> run_checks(const Result<ArchiveScan>& scan, const DistributionFile& dist,
                                     const ArchiveCheckSettings& settings) {
    if (!scan) {
        return {fail("archive", scan.error().message)};
    }
    std::vector<CheckOutcome> outcomes;
    if (settings.paths) {
        outcomes.push_back(check_paths(*scan));
    }
    if (settings.record) {
        outcomes.push_back(check_record(*scan, dist));
    }
    if (settings.pth) {
        outcomes.push_back(check_pth(*scan, settings));
    }
    if (settings.metadata) {
        outcomes.push_back(check_metadata(*scan, dist));
    }
    return outcomes;
}

}  // namespace

std::vector<CheckOutcome> check_distribution_archive(const std::filesystem::path& file,
                                                     const DistributionFile& dist,
                                                     const ArchiveCheckSettings& settings) {
    const auto scan = scan_archive(dist, settings, [&file](archive* reader) {
        return archive_read_open_filename(reader, file.c_str(), kFileBlockBytes);
    });
    return run_checks(scan, dist, settings);
}

std::vector<CheckOutcome> check_distribution_archive_bytes(std::string_view bytes,
                                                           const DistributionFile& dist,
                                                           const ArchiveCheckSettings& settings) {
    const auto scan = scan_archive(dist, settings, [bytes](archive* reader) {
        return archive_read_open_memory(reader, bytes.data(), bytes.size());
    });
    return run_checks(scan, dist, settings);
}

}  // namespace aiops::webhook
