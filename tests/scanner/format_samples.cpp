#include "format_samples.h"

#include <zlib.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "fixtures/temp_dir.h"

namespace aiops::testing {

namespace {

template <typename T>
std::string little_endian(T value) {
    std::string out;
    for (std::size_t index = 0; index < sizeof(T); ++index) {
        out += static_cast<char>((value >> (8 * index)) & 0xFF);
    }
    return out;
}

std::string float_bytes(std::size_t count) {
    std::string out;
    for (std::size_t index = 0; index < count; ++index) {
        out += le32(0x3f800000U + static_cast<std::uint32_t>(index));  // 1.0f, 1.0000001f, …
    }
    return out;
}

}  // namespace

std::string le16(std::uint16_t value) { return little_endian(value); }
std::string le32(std::uint32_t value) { return little_endian(value); }
std::string le64(std::uint64_t value) { return little_endian(value); }

void save_seed(std::string_view target, std::string_view name, const std::string& bytes) {
    const char* dir = std::getenv("AIOPS_FORMAT_CORPUS_DIR");
    constexpr std::size_t kMaxSeedBytes = 256U << 10;
    if (dir == nullptr || bytes.size() > kMaxSeedBytes) {
        return;
    }
    write_file(std::filesystem::path(dir) / target / name, bytes);
}

bool has_finding(const scanner::Findings& findings, std::string_view rule_id,
                 scanner::Severity severity) {
    for (const auto& finding : findings) {
        if (finding.rule_id == rule_id && finding.severity == severity) {
            return true;
        }
    }
    return false;
}

int count_high(const scanner::Findings& findings) {
    int high = 0;
    for (const auto& finding : findings) {
        high += finding.severity >= scanner::Severity::kHigh ? 1 : 0;
    }
    return high;
}

std::string describe(const scanner::Findings& findings) {
    std::ostringstream out;
    for (const auto& finding : findings) {
        out << finding.rule_id << " [" << static_cast<int>(finding.severity) << "] "
            << finding.title << " — " << finding.description << "\n";
    }
    return out.str();
}

std::string safetensors_file(std::string header_json, const std::string& data) {
    while (header_json.size() % 8 != 0) {
        header_json += ' ';
    }
    return le64(header_json.size()) + header_json + data;
}

std::string benign_safetensors() {
    const std::string header =
        R"({"__metadata__":{"format":"pt","source":"aiops tests"},)"
        R"("model.embed.weight":{"dtype":"F32","shape":[4,3],"data_offsets":[0,48]},)"
        R"("model.norm.weight":{"dtype":"F16","shape":[4],"data_offsets":[48,56]},)"
        R"("model.position_ids":{"dtype":"I64","shape":[1,2],"data_offsets":[56,72]}})";
    return safetensors_file(header, float_bytes(12) + std::string(8, '\x3c') + le64(0) + le64(1));
}

std::string gguf_string(std::string_view text) { return le64(text.size()) + std::string(text); }

std::string gguf_kv(std::string_view key, std::uint32_t type, const std::string& value) {
    return gguf_string(key) + le32(type) + value;
}

std::string gguf_tensor(std::string_view name, const std::vector<std::uint64_t>& dims,
                        std::uint32_t type, std::uint64_t offset) {
    std::string out = gguf_string(name) + le32(static_cast<std::uint32_t>(dims.size()));
    for (const auto dim : dims) {
        out += le64(dim);
    }
    return out + le32(type) + le64(offset);
}

std::string GgufFile::build() const {
    std::string out = "GGUF" + le32(version) + le64(tensor_count.value_or(tensors.size())) +
                      le64(kv_count.value_or(kvs.size()));
    for (const auto& kv : kvs) {
        out += kv;
    }
    for (const auto& tensor : tensors) {
        out += tensor;
    }
    while (alignment != 0 && out.size() % alignment != 0) {
        out += '\0';
    }
    return out + data;
}

GgufFile benign_gguf() {
    GgufFile file;
    file.kvs = {
        gguf_kv("general.architecture", 8, gguf_string("llama")),
        gguf_kv("general.alignment", 4, le32(32)),
        gguf_kv("test.u8", 0, "\x07"),
        gguf_kv("test.i8", 1, "\xff"),
        gguf_kv("test.u16", 2, le16(513)),
        gguf_kv("test.i16", 3, le16(0xfffe)),
        gguf_kv("test.i32", 5, le32(0xfffffffd)),
        gguf_kv("test.f32", 6, le32(0x3f800000)),
        gguf_kv("test.bool", 7, std::string(1, '\x01')),
        gguf_kv("test.u64", 10, le64(1ULL << 40)),
        gguf_kv("test.i64", 11, le64(~0ULL)),
        gguf_kv("test.f64", 12, le64(0x3ff0000000000000ULL)),
        gguf_kv("tokenizer.ggml.tokens", 9,
                le32(8) + le64(3) + gguf_string("<s>") + gguf_string("</s>") + gguf_string("hi")),
        gguf_kv("tokenizer.ggml.scores", 9, le32(6) + le64(3) + le32(0) + le32(0) + le32(0)),
        gguf_kv(
            "tokenizer.chat_template", 8,
            gguf_string("{% set system = messages|selectattr('role', 'equalto', 'system')|list %}"
                        "{% set ns = namespace(first=true) %}"
                        "{% for message in messages %}<|{{ message['role'] }}|>"
                        "{{ message['content'] }}{% endfor %}")),
    };
    // 4×3 F32 (48 bytes, padded to 64) then a Q8_0 block row of 32 (34 bytes).
    file.tensors = {gguf_tensor("token_embd.weight", {4, 3}, 0, 0),
                    gguf_tensor("blk.0.attn_q.weight", {32}, 8, 64)};
    file.data = float_bytes(12) + std::string(16, '\0') + std::string(34, '\x11');
    return file;
}

std::string npy_file(std::string_view dict, const std::string& payload, int major) {
    const std::size_t preamble = major == 1 ? 10 : 12;
    std::string header(dict);
    while ((preamble + header.size() + 1) % 64 != 0) {
        header += ' ';
    }
    header += '\n';
    std::string out = "\x93NUMPY";
    out += static_cast<char>(major);
    out += '\0';
    out += major == 1 ? le16(static_cast<std::uint16_t>(header.size()))
                      : le32(static_cast<std::uint32_t>(header.size()));
    return out + header + payload;
}

std::string deflate_raw(const std::string& data) {
    z_stream stream{};
    if (deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        throw std::runtime_error("deflateInit2 failed");
    }
    std::string out(deflateBound(&stream, data.size()), '\0');
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    stream.avail_in = static_cast<uInt>(data.size());
    stream.next_out = reinterpret_cast<Bytef*>(out.data());
    stream.avail_out = static_cast<uInt>(out.size());
    const int status = deflate(&stream, Z_FINISH);
    out.resize(stream.total_out);
    deflateEnd(&stream);
    if (status != Z_STREAM_END) {
        throw std::runtime_error("deflate failed");
    }
    return out;
}

std::uint32_t crc32_of(const std::string& data) {
    return static_cast<std::uint32_t>(
        crc32_z(0L, reinterpret_cast<const Bytef*>(data.data()), data.size()));
}

ZipEntry stored_entry(std::string name, const std::string& data) {
    return ZipEntry{.name = std::move(name),
                    .stored = data,
                    .method = 0,
                    .crc = crc32_of(data),
                    .uncompressed_size = data.size(),
                    .flags = 0,
                    .offset_override = std::nullopt};
}

ZipEntry deflated_entry(std::string name, const std::string& data) {
    auto entry = stored_entry(std::move(name), data);
    entry.stored = deflate_raw(data);
    entry.method = 8;
    return entry;
}

namespace {

constexpr std::uint32_t kSaturated = 0xFFFFFFFF;

std::string zip64_sizes_extra(const ZipEntry& entry, std::optional<std::uint64_t> offset) {
    std::string body = le64(entry.uncompressed_size) + le64(entry.stored.size());
    if (offset) {
        body += le64(*offset);
    }
    return le16(1) + le16(static_cast<std::uint16_t>(body.size())) + body;
}

std::string local_header(const ZipEntry& entry, bool zip64) {
    const auto extra = zip64 ? zip64_sizes_extra(entry, std::nullopt) : std::string();
    return le32(0x04034b50) + le16(zip64 ? 45 : 20) + le16(entry.flags) + le16(entry.method) +
           le16(0) + le16(0x21) + le32(entry.crc) +
           le32(zip64 ? kSaturated : static_cast<std::uint32_t>(entry.stored.size())) +
           le32(zip64 ? kSaturated : static_cast<std::uint32_t>(entry.uncompressed_size)) +
           le16(static_cast<std::uint16_t>(entry.name.size())) +
           le16(static_cast<std::uint16_t>(extra.size())) + entry.name + extra;
}

std::string central_header(const ZipEntry& entry, std::uint64_t offset, bool zip64) {
    const auto extra = zip64 ? zip64_sizes_extra(entry, offset) : std::string();
    return le32(0x02014b50) + le16(0x031e) + le16(zip64 ? 45 : 20) + le16(entry.flags) +
           le16(entry.method) + le16(0) + le16(0x21) + le32(entry.crc) +
           le32(zip64 ? kSaturated : static_cast<std::uint32_t>(entry.stored.size())) +
           le32(zip64 ? kSaturated : static_cast<std::uint32_t>(entry.uncompressed_size)) +
           le16(static_cast<std::uint16_t>(entry.name.size())) +
           le16(static_cast<std::uint16_t>(extra.size())) + le16(0) + le16(0) + le16(0) + le32(0) +
           le32(zip64 ? kSaturated : static_cast<std::uint32_t>(offset)) + entry.name + extra;
}

}  // namespace

std::string zip_file(const std::vector<ZipEntry>& entries, const ZipOptions& options) {
    std::string out;
    std::string central;
    for (const auto& entry : entries) {
        const auto offset = entry.offset_override.value_or(out.size());
        out += local_header(entry, options.zip64) + entry.stored;
        central += central_header(entry, offset, options.zip64);
    }
    const std::uint64_t count = entries.size();
    const std::uint64_t central_offset = out.size();
    out += central;
    if (options.zip64) {
        const std::uint64_t record_offset = out.size();
        out += le32(0x06064b50) + le64(44) + le16(45) + le16(45) + le32(0) + le32(0) + le64(count) +
               le64(count) + le64(central.size()) + le64(central_offset);
        out += le32(0x07064b50) + le32(0) + le64(record_offset) + le32(1);
    }
    const auto short_count =
        options.zip64 ? std::uint16_t{0xFFFF}
                      : static_cast<std::uint16_t>(std::min<std::uint64_t>(count, 0xFFFF));
    out += le32(0x06054b50) + le16(0) + le16(0) + le16(short_count) + le16(short_count) +
           le32(options.zip64 ? kSaturated : static_cast<std::uint32_t>(central.size())) +
           le32(options.zip64 ? kSaturated : static_cast<std::uint32_t>(central_offset)) +
           le16(static_cast<std::uint16_t>(options.comment.size())) + options.comment;
    return out;
}

std::string torch_zip(bool deflate_pickle) {
    const std::string pickle =
        "\x80\x02"
        "ccollections\nOrderedDict\nq\x00)Rq\x01.";
    const std::string storage = std::string(64, '\x01');
    return zip_file({deflate_pickle ? deflated_entry("archive/data.pkl", pickle)
                                    : stored_entry("archive/data.pkl", pickle),
                     stored_entry("archive/byteorder", "little"),
                     stored_entry("archive/data/0", storage),
                     stored_entry("archive/version", "3\n"),
                     stored_entry("archive/.data/serialization_id", "1234567890")});
}

}  // namespace aiops::testing
