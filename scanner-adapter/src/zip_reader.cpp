// Zip archives through the central directory (shared/reference/modelspec-hf-scanning.md §3.2):
// the end-of-central-directory record in the last 64 KiB + 22 bytes, the zip64 locator and record,
// the central directory (bounded by max_entries and its declared size), and a member's local
// header only when that member is opened. Deflated members are inflated with zlib under a size and
// ratio cap and their CRC-32 checked.
#include <zlib.h>

#include <algorithm>
#include <optional>
#include <set>
#include <string_view>
#include <vector>

#include "finding_collector.h"
#include "formats.h"
#include "source_reader.h"

namespace aiops::scanner {

namespace {

using common::Error;
using common::ErrorCode;
using common::Result;

constexpr std::string_view kPathRule = "AIMS-ZIP-PATH";
constexpr std::string_view kBombRule = "AIMS-ZIP-BOMB";
constexpr std::string_view kMalformedRule = "AIMS-ZIP-MALFORMED";
constexpr std::string_view kEncryptedRule = "AIMS-ZIP-ENCRYPTED";
constexpr std::string_view kMethodRule = "AIMS-ZIP-METHOD";

constexpr std::uint32_t kEocdSignature = 0x06054b50;
constexpr std::uint32_t kZip64EocdSignature = 0x06064b50;
constexpr std::uint32_t kZip64LocatorSignature = 0x07064b50;
constexpr std::uint32_t kCentralSignature = 0x02014b50;
constexpr std::uint32_t kLocalSignature = 0x04034b50;
constexpr std::uint64_t kEocdBytes = 22;
constexpr std::uint64_t kMaxCommentBytes = 65535;
constexpr std::uint64_t kLocatorBytes = 20;
constexpr std::uint64_t kZip64EocdBytes = 56;
constexpr std::uint64_t kCentralBytes = 46;
constexpr std::uint64_t kLocalBytes = 30;
constexpr std::uint32_t kSaturated32 = 0xFFFFFFFF;
constexpr std::uint16_t kZip64ExtraId = 0x0001;
constexpr std::size_t kInflateChunk = 64U << 10;

struct CentralDirectory {
    std::uint64_t entries = 0;
    std::uint64_t size = 0;
    std::uint64_t offset = 0;
    std::uint64_t end_limit = 0;  // the CD must end before the (zip64) EOCD record
};

std::string printable(std::string_view text) {
    std::string out;
    for (char ch : text.substr(0, 120)) {
        const auto byte = static_cast<unsigned char>(ch);
        if (byte < 0x20 || byte == 0x7f) {
            constexpr std::string_view kHex = "0123456789abcdef";
            out += "\\x";
            out += kHex[byte >> 4];
            out += kHex[byte & 0xF];
        } else {
            out += ch;
        }
    }
    return out + (text.size() > 120 ? "…" : "");
}

Error malformed(const std::string& why) { return Error{ErrorCode::kInvalidInput, "zip: " + why}; }

// Offsets of EOCD signatures in `tail` whose comment length fits, last first.
std::vector<std::size_t> eocd_candidates(const std::string& tail) {
    std::vector<std::size_t> found;
    for (std::size_t at = tail.size() - kEocdBytes + 1; at-- > 0;) {
        if (load_le<std::uint32_t>(tail.data() + at) == kEocdSignature &&
            at + kEocdBytes + load_le<std::uint16_t>(tail.data() + at + 20) <= tail.size()) {
            found.push_back(at);
        }
    }
    return found;
}

// The EOCD the way miniz and Python find it (the last signature), with findings when other
// readers could pick another one.
Result<CentralDirectory> find_eocd(ByteSource& source, FindingCollector& out) {
    const auto tail_bytes = std::min<std::uint64_t>(source.size(), kEocdBytes + kMaxCommentBytes);
    if (tail_bytes < kEocdBytes) {
        return malformed("file too short for an end-of-central-directory record");
    }
    auto tail = read_exact(source, source.size() - tail_bytes, tail_bytes);
    if (!tail) {
        return tail.error();
    }
    const auto candidates = eocd_candidates(*tail);
    if (candidates.empty()) {
        return malformed("no end-of-central-directory record");
    }
    const char* eocd = tail->data() + candidates.front();
    const auto exact = [&](std::size_t at) {
        return at + kEocdBytes + load_le<std::uint16_t>(tail->data() + at + 20) == tail->size();
    };
    const auto consistent = std::count_if(candidates.begin(), candidates.end(), exact);
    if (consistent > 1 || !exact(candidates.front())) {
        out.add(kMalformedRule, Severity::kMedium,
                "zip has ambiguous end-of-central-directory records",
                std::to_string(candidates.size()) +
                    " EOCD signatures in the tail (comment tricks / trailing data): readers that "
                    "validate the comment length pick a different central directory");
    }
    CentralDirectory directory;
    directory.entries = load_le<std::uint16_t>(eocd + 10);
    directory.size = load_le<std::uint32_t>(eocd + 12);
    directory.offset = load_le<std::uint32_t>(eocd + 16);
    directory.end_limit = source.size() - tail_bytes + candidates.front();
    return directory;
}

// zip64: the locator just before the EOCD points at the zip64 EOCD record.
common::Status apply_zip64(ByteSource& source, CentralDirectory& directory) {
    if (directory.end_limit < kLocatorBytes) {
        return {};
    }
    auto locator = read_exact(source, directory.end_limit - kLocatorBytes, kLocatorBytes);
    if (!locator) {
        return locator.error();
    }
    if (load_le<std::uint32_t>(locator->data()) != kZip64LocatorSignature) {
        return {};
    }
    const auto record_offset = load_le<std::uint64_t>(locator->data() + 8);
    if (record_offset > directory.end_limit - kLocatorBytes ||
        directory.end_limit - kLocatorBytes - record_offset < kZip64EocdBytes) {
        return malformed("zip64 end-of-central-directory record out of bounds");
    }
    auto record = read_exact(source, record_offset, kZip64EocdBytes);
    if (!record) {
        return record.error();
    }
    if (load_le<std::uint32_t>(record->data()) != kZip64EocdSignature) {
        return malformed("bad zip64 end-of-central-directory signature");
    }
    directory.entries = load_le<std::uint64_t>(record->data() + 32);
    directory.size = load_le<std::uint64_t>(record->data() + 40);
    directory.offset = load_le<std::uint64_t>(record->data() + 48);
    directory.end_limit = record_offset;
    return {};
}

common::Status check_bounds(const CentralDirectory& directory, const FormatLimits& limits) {
    if (directory.entries > limits.max_entries) {
        return Error{ErrorCode::kTooLarge, "zip: " + std::to_string(directory.entries) +
                                               " entries exceed the limit " +
                                               std::to_string(limits.max_entries)};
    }
    if (directory.offset > directory.end_limit ||
        directory.size > directory.end_limit - directory.offset) {
        return malformed("central directory [" + std::to_string(directory.offset) + ", +" +
                         std::to_string(directory.size) + ") lies outside the archive");
    }
    if (directory.size > limits.max_header_bytes) {
        return Error{ErrorCode::kTooLarge, "zip: central directory of " +
                                               std::to_string(directory.size) +
                                               " bytes exceeds the limit"};
    }
    if (directory.entries > directory.size / kCentralBytes) {
        return malformed("a " + std::to_string(directory.size) +
                         "-byte central directory cannot hold " +
                         std::to_string(directory.entries) + " entries");
    }
    return {};
}

// Replaces saturated 32-bit fields with the zip64 extended-information extra field's values.
common::Status apply_zip64_extra(std::string_view extra, ZipMember& member) {
    while (extra.size() >= 4) {
        const auto id = load_le<std::uint16_t>(extra.data());
        const auto size = load_le<std::uint16_t>(extra.data() + 2);
        if (size > extra.size() - 4) {
            return malformed("extra field of " + printable(member.name) + " overruns its bounds");
        }
        auto data = extra.substr(4, size);
        extra.remove_prefix(4U + size);
        if (id != kZip64ExtraId) {
            continue;
        }
        for (auto* field :
             {&member.uncompressed_size, &member.compressed_size, &member.local_header_offset}) {
            if (*field != kSaturated32) {
                continue;
            }
            if (data.size() < 8) {
                return malformed("zip64 extra field of " + printable(member.name) + " too short");
            }
            *field = load_le<std::uint64_t>(data.data());
            data.remove_prefix(8);
        }
    }
    return {};
}

struct CentralEntry {
    ZipMember member;
    std::uint16_t flags = 0;
};

Result<CentralEntry> read_central_entry(SourceReader& reader) {
    auto fixed = reader.bytes(kCentralBytes);
    if (!fixed) {
        return fixed.error();
    }
    const char* field = fixed->data();
    if (load_le<std::uint32_t>(field) != kCentralSignature) {
        return malformed("bad central directory signature at offset " +
                         std::to_string(reader.position() - kCentralBytes));
    }
    CentralEntry entry;
    entry.flags = load_le<std::uint16_t>(field + 8);
    entry.member.method = load_le<std::uint16_t>(field + 10);
    entry.member.crc32 = load_le<std::uint32_t>(field + 16);
    entry.member.compressed_size = load_le<std::uint32_t>(field + 20);
    entry.member.uncompressed_size = load_le<std::uint32_t>(field + 24);
    entry.member.local_header_offset = load_le<std::uint32_t>(field + 42);
    entry.member.encrypted = (entry.flags & 0x1U) != 0;
    auto name = reader.bytes(load_le<std::uint16_t>(field + 28));
    auto extra = name ? reader.bytes(load_le<std::uint16_t>(field + 30)) : name;
    if (!extra) {
        return extra.error();
    }
    entry.member.name = std::move(*name);
    if (auto status = apply_zip64_extra(*extra, entry.member); !status) {
        return status.error();
    }
    if (auto skipped = reader.skip(load_le<std::uint16_t>(field + 32)); !skipped) {
        return skipped.error();
    }
    return entry;
}

// Why a member name is dangerous to extract or load, or nullopt.
std::optional<std::string> path_problem(std::string_view name) {
    if (name.empty()) {
        return "an empty name";
    }
    if (std::any_of(name.begin(), name.end(), [](char ch) {
            const auto byte = static_cast<unsigned char>(ch);
            return byte < 0x20 || byte == 0x7f;
        })) {
        return "a NUL or control character";
    }
    if (name.find('\\') != std::string_view::npos) {
        return "a backslash (a path separator on Windows)";
    }
    if (name.front() == '/' || (name.size() >= 2 && name[1] == ':')) {
        return "an absolute path";
    }
    for (std::size_t start = 0; start <= name.size();) {
        const auto end = std::min(name.find('/', start), name.size());
        if (name.substr(start, end - start) == "..") {
            return "a '..' segment escaping the extraction directory";
        }
        start = end + 1;
    }
    return std::nullopt;
}

void check_member(const CentralEntry& entry, const CentralDirectory& directory,
                  const FormatLimits& limits, FindingCollector& out) {
    const auto& member = entry.member;
    const auto name = printable(member.name);
    if (auto problem = path_problem(member.name)) {
        out.add(kPathRule, Severity::kHigh, "zip member name has " + *problem,
                "member \"" + name + "\" has " + *problem);
    }
    if (member.encrypted || (entry.flags & 0x40U) != 0) {
        out.add(kEncryptedRule, Severity::kMedium, "zip member is encrypted",
                "member \"" + name + "\" is encrypted: its content cannot be analysed");
    }
    const auto ratio_cap =
        static_cast<double>(member.compressed_size) * limits.max_compression_ratio;
    if (member.method == 8 && static_cast<double>(member.uncompressed_size) > ratio_cap) {
        out.add(kBombRule, Severity::kHigh, "zip member declares a bomb-like compression ratio",
                "member \"" + name + "\" declares " + std::to_string(member.uncompressed_size) +
                    " bytes from " + std::to_string(member.compressed_size) + " (limit ratio " +
                    std::to_string(static_cast<int>(limits.max_compression_ratio)) + ")");
    } else if (member.method == 0 && member.compressed_size != member.uncompressed_size) {
        out.add(kMalformedRule, Severity::kMedium, "stored zip member has inconsistent sizes",
                "member \"" + name + "\" is stored but declares " +
                    std::to_string(member.compressed_size) + " → " +
                    std::to_string(member.uncompressed_size) + " bytes");
    } else if (member.method != 0 && member.method != 8) {
        out.add(kMethodRule, Severity::kMedium, "zip member uses an unsupported compression method",
                "member \"" + name + "\" uses method " + std::to_string(member.method) +
                    ": its content was not analysed");
    }
    const auto min_end = member.local_header_offset + kLocalBytes + member.name.size();
    if (member.local_header_offset > directory.offset ||
        member.compressed_size > directory.offset - std::min(min_end, directory.offset)) {
        out.add(kMalformedRule, Severity::kMedium, "zip member data runs outside the archive data",
                "member \"" + name + "\" at offset " + std::to_string(member.local_header_offset) +
                    " with " + std::to_string(member.compressed_size) +
                    " bytes overruns the central directory at " + std::to_string(directory.offset));
    }
}

// Members sharing bytes (the overlapping-files bomb, polyglots) and repeated names.
void check_members(const std::vector<ZipMember>& members, FindingCollector& out) {
    std::set<std::string_view> names;
    std::vector<const ZipMember*> by_offset;
    for (const auto& member : members) {
        if (!names.insert(member.name).second) {
            out.add(kPathRule, Severity::kHigh, "zip member name is duplicated",
                    "two members are named \"" + printable(member.name) +
                        "\": extractors and loaders disagree on which one wins");
        }
        by_offset.push_back(&member);
    }
    std::sort(by_offset.begin(), by_offset.end(),
              [](const ZipMember* left, const ZipMember* right) {
                  return left->local_header_offset < right->local_header_offset;
              });
    for (std::size_t index = 1; index < by_offset.size(); ++index) {
        const auto& previous = *by_offset[index - 1];
        const auto& current = *by_offset[index];
        const auto gap = current.local_header_offset - previous.local_header_offset;
        const auto header_bytes = kLocalBytes + previous.name.size();
        if (gap < header_bytes || gap - header_bytes < previous.compressed_size) {
            out.add(kMalformedRule, Severity::kMedium, "zip members overlap",
                    "\"" + printable(previous.name) + "\" and \"" + printable(current.name) +
                        "\" share bytes (overlapping members: zip bomb or polyglot)");
        }
    }
}

// A member inflated into memory.
class InflatedSource final : public ByteSource {
public:
    explicit InflatedSource(std::string bytes) : bytes_(std::move(bytes)), view_(bytes_) {}
    std::uint64_t size() const override { return view_.size(); }
    Result<std::size_t> read(std::uint64_t offset, char* buffer, std::size_t length) override {
        return view_.read(offset, buffer, length);
    }
    std::uint64_t bytes_read() const override { return view_.bytes_read(); }

private:
    std::string bytes_;
    MemorySource view_;
};

struct InflateStream {
    z_stream stream{};
    bool ready = false;
    InflateStream() { ready = inflateInit2(&stream, -15) == Z_OK; }
    ~InflateStream() {
        if (ready) {
            inflateEnd(&stream);
        }
    }
    InflateStream(const InflateStream&) = delete;
    InflateStream& operator=(const InflateStream&) = delete;
};

Error too_large(const ZipMember& member, const std::string& why) {
    return Error{ErrorCode::kTooLarge, "zip member \"" + printable(member.name) + "\" " + why};
}

// One inflate step over the compressed bytes in `input`; appends to `out`.
common::Status inflate_chunk(InflateStream& inflater, std::string& input, bool last_input,
                             const ZipMember& member, std::string& out, bool& done) {
    char output[kInflateChunk];
    inflater.stream.next_in = reinterpret_cast<Bytef*>(input.data());
    inflater.stream.avail_in = static_cast<uInt>(input.size());
    do {
        inflater.stream.next_out = reinterpret_cast<Bytef*>(output);
        inflater.stream.avail_out = sizeof(output);
        const int status = inflate(&inflater.stream, Z_NO_FLUSH);
        if (status != Z_OK && status != Z_STREAM_END && status != Z_BUF_ERROR) {
            return malformed("member \"" + printable(member.name) + "\" has corrupt deflate data");
        }
        out.append(output, sizeof(output) - inflater.stream.avail_out);
        if (out.size() > member.uncompressed_size) {
            return too_large(member, "inflates past its declared " +
                                         std::to_string(member.uncompressed_size) +
                                         " bytes (zip bomb)");
        }
        done = status == Z_STREAM_END;
        if (status == Z_BUF_ERROR && last_input && inflater.stream.avail_in == 0) {
            return malformed("member \"" + printable(member.name) + "\" deflate data is truncated");
        }
    } while (!done && inflater.stream.avail_out == 0);
    return {};
}

Result<std::string> inflate_member(ByteSource& archive, std::uint64_t data_start,
                                   const ZipMember& member) {
    InflateStream inflater;
    if (!inflater.ready) {
        return Error{ErrorCode::kInternal, "zlib inflateInit2 failed"};
    }
    std::string out;
    bool done = false;
    for (std::uint64_t consumed = 0; !done;) {
        if (consumed == member.compressed_size) {
            return malformed("member \"" + printable(member.name) + "\" deflate data is truncated");
        }
        const auto chunk =
            std::min<std::uint64_t>(kInflateChunk, member.compressed_size - consumed);
        auto input = read_exact(archive, data_start + consumed, static_cast<std::size_t>(chunk));
        if (!input) {
            return input.error();
        }
        consumed += chunk;
        if (auto status = inflate_chunk(inflater, *input, consumed == member.compressed_size,
                                        member, out, done);
            !status) {
            return status.error();
        }
    }
    return out;
}

Result<std::unique_ptr<ByteSource>> open_deflated(ByteSource& archive, std::uint64_t data_start,
                                                  const ZipMember& member,
                                                  const FormatLimits& limits) {
    if (member.uncompressed_size > limits.max_member_bytes ||
        static_cast<double>(member.uncompressed_size) >
            static_cast<double>(member.compressed_size) * limits.max_compression_ratio) {
        return too_large(member, "declares " + std::to_string(member.uncompressed_size) +
                                     " bytes from " + std::to_string(member.compressed_size) +
                                     " (size or ratio limit; zip bomb)");
    }
    auto bytes = inflate_member(archive, data_start, member);
    if (!bytes) {
        return bytes.error();
    }
    if (bytes->size() != member.uncompressed_size) {
        return malformed("member \"" + printable(member.name) + "\" inflates to " +
                         std::to_string(bytes->size()) + " bytes, not the declared " +
                         std::to_string(member.uncompressed_size));
    }
    const auto crc = crc32_z(0L, reinterpret_cast<const Bytef*>(bytes->data()), bytes->size());
    if (crc != member.crc32) {
        return malformed("member \"" + printable(member.name) + "\" fails its CRC-32 check");
    }
    return std::unique_ptr<ByteSource>(std::make_unique<InflatedSource>(std::move(*bytes)));
}

}  // namespace

Result<ZipDirectory> read_zip_directory(ByteSource& source, const std::string& path,
                                        const FormatLimits& limits) {
    FindingCollector out(path);
    auto directory = find_eocd(source, out);
    if (!directory) {
        return directory.error();
    }
    if (auto status = apply_zip64(source, *directory); !status) {
        return status.error();
    }
    if (auto status = check_bounds(*directory, limits); !status) {
        return status.error();
    }
    ZipDirectory result;
    SourceReader reader(source, directory->offset, directory->offset + directory->size);
    for (std::uint64_t index = 0; index < directory->entries; ++index) {
        auto entry = read_central_entry(reader);
        if (!entry) {
            return entry.error();
        }
        check_member(*entry, *directory, limits, out);
        result.members.push_back(std::move(entry->member));
    }
    check_members(result.members, out);
    result.findings = out.take();
    return result;
}

Result<std::unique_ptr<ByteSource>> open_zip_member(ByteSource& archive, const ZipMember& member,
                                                    const FormatLimits& limits) {
    auto local = read_exact(archive, member.local_header_offset, kLocalBytes);
    if (!local) {
        return local.error();
    }
    if (load_le<std::uint32_t>(local->data()) != kLocalSignature) {
        return malformed("no local header for member \"" + printable(member.name) + "\"");
    }
    const auto data_start = member.local_header_offset + kLocalBytes +
                            load_le<std::uint16_t>(local->data() + 26) +
                            load_le<std::uint16_t>(local->data() + 28);
    if (data_start > archive.size() || member.compressed_size > archive.size() - data_start) {
        return malformed("member \"" + printable(member.name) + "\" data lies past the archive");
    }
    if (member.encrypted) {
        return Error{ErrorCode::kUnsupportedMedia,
                     "zip member \"" + printable(member.name) + "\" is encrypted"};
    }
    if (member.method == 8) {
        return open_deflated(archive, data_start, member, limits);
    }
    if (member.method != 0) {
        return Error{ErrorCode::kUnsupportedMedia, "zip member \"" + printable(member.name) +
                                                       "\" uses compression method " +
                                                       std::to_string(member.method)};
    }
    if (member.compressed_size != member.uncompressed_size) {
        return malformed("stored member \"" + printable(member.name) + "\" has inconsistent sizes");
    }
    return std::unique_ptr<ByteSource>(
        std::make_unique<SliceSource>(archive, data_start, member.compressed_size));
}

}  // namespace aiops::scanner
