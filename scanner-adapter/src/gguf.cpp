// GGUF header, metadata and tensor-info validation (shared/reference/modelspec-hf-scanning.md
// §3.6, mirroring ggml's gguf.cpp checks and the known parser-overflow patterns). Reads the header
// sequentially through a bounded buffer; never the tensor data.
#include <array>
#include <limits>
#include <optional>
#include <set>
#include <string_view>
#include <vector>

#include "finding_collector.h"
#include "formats.h"
#include "source_reader.h"

namespace aiops::scanner {

namespace {

constexpr std::string_view kHeaderRule = "AIMS-GGUF-HEADER";
constexpr std::string_view kStringRule = "AIMS-GGUF-STRING";
constexpr std::string_view kArrayRule = "AIMS-GGUF-ARRAY";
constexpr std::string_view kTypeRule = "AIMS-GGUF-TYPE";
constexpr std::string_view kAlignmentRule = "AIMS-GGUF-ALIGNMENT";
constexpr std::string_view kTensorRule = "AIMS-GGUF-TENSOR";
constexpr std::string_view kTemplateRule = "AIMS-GGUF-CHAT-TEMPLATE";

constexpr std::uint64_t kMaxStringBytes = 1ULL << 30;    // GGUF_MAX_STRING_LENGTH
constexpr std::uint64_t kMaxArrayElements = 1ULL << 30;  // GGUF_MAX_ARRAY_ELEMENTS
constexpr std::uint64_t kMaxKeyBytes = 65535;
constexpr std::uint64_t kMaxTensorName = 63;  // GGML_MAX_NAME - 1
constexpr std::uint64_t kMaxTemplateBytes = 4U << 20;
constexpr std::uint32_t kMaxDims = 4;  // GGML_MAX_DIMS
constexpr std::uint32_t kTypeString = 8;
constexpr std::uint32_t kTypeArray = 9;
constexpr std::uint32_t kTypeUint32 = 4;
constexpr std::uint32_t kTypeBool = 7;
constexpr std::uint64_t kDefaultAlignment = 32;

// Bytes of each fixed-size KV value type (0 for STRING and ARRAY).
constexpr std::array<std::uint64_t, 13> kValueBytes{1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};

// ggml types: elements per block and bytes per block; {0, 0} = removed or unknown.
struct GgmlType {
    std::uint64_t block = 0;
    std::uint64_t bytes = 0;
};
constexpr std::array<GgmlType, 40> kGgmlTypes{{
    {1, 4},    {1, 2},    {32, 18},  {32, 20},   {0, 0},     {0, 0},     {32, 22},   {32, 24},
    {32, 34},  {32, 36},  {256, 84}, {256, 110}, {256, 144}, {256, 176}, {256, 210}, {256, 292},
    {256, 66}, {256, 74}, {256, 98}, {256, 50},  {32, 18},   {256, 110}, {256, 82},  {256, 136},
    {1, 1},    {1, 2},    {1, 4},    {1, 8},     {1, 8},     {256, 56},  {1, 2},     {0, 0},
    {0, 0},    {0, 0},    {256, 54}, {256, 66},  {0, 0},     {0, 0},     {0, 0},     {32, 17},
}};

// Jinja constructs that reach Python internals (`selectattr`/`namespace` are ordinary template
// code).
constexpr std::array<std::string_view, 21> kTemplateGadgets{
    "__class__", "__globals__", "__builtins__",     "__import__", "__subclasses__", "__mro__",
    "__base__",  "__init__",    "__getattribute__", "__dict__",   "__code__",       "|attr",
    "lipsum",    "cycler",      "joiner",           "popen",      "subprocess",     "os.system",
    "eval(",     "exec(",       "import_module",
};

std::optional<std::uint64_t> checked_mul(std::uint64_t left, std::uint64_t right,
                                         std::uint64_t max) {
    if (right != 0 && left > max / right) {
        return std::nullopt;
    }
    return left * right;
}

std::uint64_t pad_to(std::uint64_t value, std::uint64_t alignment) {
    const auto rest = value % alignment;
    if (rest == 0 || value > std::numeric_limits<std::uint64_t>::max() - alignment) {
        return value;
    }
    return value + alignment - rest;
}

std::string printable(std::string_view text) {
    std::string out;
    for (char ch : text.substr(0, 80)) {
        out += (ch >= 0x20 && ch < 0x7f) ? ch : '?';
    }
    return out;
}

struct TensorSpan {
    std::string name;
    std::uint64_t offset = 0;
    std::uint64_t bytes = 0;
};

class GgufParser {
public:
    GgufParser(ByteSource& source, FindingCollector& out, const FormatLimits& limits)
        : source_(source), reader_(source, 0, source.size()), out_(out), limits_(limits) {}

    void run() {
        if (header() && metadata() && tensor_infos()) {
            tensor_layout();
        }
    }

private:
    bool header();
    bool counts();
    bool metadata();
    bool key_value();
    bool value(std::uint32_t type, const std::string& key);
    bool array(const std::string& key);
    bool string(std::uint64_t max_bytes, std::string_view what, std::string* keep);
    bool alignment(std::uint32_t type);
    void chat_template(const std::string& key, const std::string& text);
    bool tensor_infos();
    bool tensor_info();
    void tensor_name(const std::string& name);
    std::optional<std::uint64_t> tensor_bytes(const std::string& name,
                                              const std::vector<std::uint64_t>& dims,
                                              std::uint32_t type);
    void tensor_layout();

    template <typename T>
    std::optional<T> take(common::Result<T> read);
    std::optional<std::uint64_t> length() {
        if (wide_) {
            return take(reader_.u64());
        }
        const auto narrow = take(reader_.u32());  // v1: 32-bit counts and lengths
        return narrow ? std::optional<std::uint64_t>(*narrow) : std::nullopt;
    }
    bool truncated(const common::Error& error);

    ByteSource& source_;
    SourceReader reader_;
    FindingCollector& out_;
    const FormatLimits& limits_;
    bool wide_ = true;  // v2+: 64-bit counts and lengths
    std::uint64_t tensor_count_ = 0;
    std::uint64_t kv_count_ = 0;
    std::uint64_t alignment_ = kDefaultAlignment;
    std::set<std::string> keys_;
    std::set<std::string> tensor_names_;
    std::vector<TensorSpan> tensors_;
    bool layout_known_ = true;
};

bool GgufParser::truncated(const common::Error& error) {
    if (error.code == common::ErrorCode::kInvalidInput) {
        out_.add(kHeaderRule, Severity::kHigh, "GGUF file is truncated",
                 error.message + " (a field runs past the end of the file)");
    } else {
        out_.add(kHeaderRule, Severity::kUnknown, "GGUF file could not be read", error.message);
    }
    return false;
}

template <typename T>
std::optional<T> GgufParser::take(common::Result<T> read) {
    if (!read) {
        truncated(read.error());
        return std::nullopt;
    }
    return *read;
}

bool GgufParser::header() {
    auto magic = reader_.bytes(4);
    if (!magic || *magic != "GGUF") {
        out_.add(kHeaderRule, Severity::kHigh, "GGUF magic is missing",
                 "the file must start with \"GGUF\"");
        return false;
    }
    const auto version = take(reader_.u32());
    if (!version) {
        return false;
    }
    if ((*version & 0xFFFFU) == 0 && *version != 0) {
        out_.add(kHeaderRule, Severity::kMedium, "GGUF file is big-endian",
                 "version " + std::to_string(*version) +
                     " is byte-swapped: a big-endian file, which little-endian loaders reject; "
                     "its metadata was not analysed");
        return false;
    }
    if (*version == 0 || *version > 3) {
        out_.add(kHeaderRule, Severity::kHigh, "GGUF version is invalid",
                 "version " + std::to_string(*version) + " (valid: 1–3)");
        return false;
    }
    wide_ = *version >= 2;
    return counts();
}

bool GgufParser::counts() {
    const auto tensors = length();
    const auto kvs = tensors ? length() : std::nullopt;
    if (!kvs) {
        return false;
    }
    tensor_count_ = *tensors;
    kv_count_ = *kvs;
    // Smallest possible entries: a KV is key length + type + 1-byte value; a tensor info is name
    // length + n_dims + type + offset.
    const std::uint64_t kv_min = wide_ ? 13 : 9;
    const std::uint64_t tensor_min = wide_ ? 24 : 20;
    const auto remaining = reader_.remaining();
    const bool impossible =
        tensor_count_ > limits_.max_entries || kv_count_ > limits_.max_entries ||
        tensor_count_ > remaining / tensor_min || kv_count_ > remaining / kv_min ||
        tensor_count_ * tensor_min + kv_count_ * kv_min > remaining;
    if (impossible) {
        out_.add(kHeaderRule, Severity::kHigh, "GGUF tensor/kv counts are impossible",
                 "tensor_count " + std::to_string(tensor_count_) + " and kv_count " +
                     std::to_string(kv_count_) + " cannot fit in " + std::to_string(remaining) +
                     " bytes (limit " + std::to_string(limits_.max_entries) +
                     " entries): the unchecked-count heap overflows of CVE-2024-21836/23605");
        return false;
    }
    return true;
}

bool GgufParser::metadata() {
    for (std::uint64_t index = 0; index < kv_count_; ++index) {
        if (!key_value()) {
            return false;
        }
        if (reader_.position() > limits_.max_header_bytes) {
            out_.add(kHeaderRule, Severity::kMedium, "GGUF metadata exceeds the scan limit",
                     "metadata passes " + std::to_string(limits_.max_header_bytes) +
                         " bytes; the rest of the file was not analysed");
            return false;
        }
    }
    return true;
}

bool GgufParser::key_value() {
    std::string key;
    if (!string(kMaxKeyBytes, "key", &key)) {
        return false;
    }
    if (!keys_.insert(key).second) {
        out_.add(kHeaderRule, Severity::kHigh, "GGUF metadata repeats key " + printable(key),
                 "duplicate keys are rejected by ggml; other readers keep either copy");
    }
    const auto type = take(reader_.u32());
    return type && value(*type, key);
}

bool GgufParser::string(std::uint64_t max_bytes, std::string_view what, std::string* keep) {
    const auto size = length();
    if (!size) {
        return false;
    }
    if (*size > max_bytes || *size > reader_.remaining()) {
        out_.add(kStringRule, Severity::kHigh, "GGUF " + std::string(what) + " length is invalid",
                 std::string(what) + " length " + std::to_string(*size) + " at offset " +
                     std::to_string(reader_.position()) + " exceeds the limit " +
                     std::to_string(max_bytes) + " or the " + std::to_string(reader_.remaining()) +
                     " bytes left (CVE-2024-23496: unchecked gguf string length)");
        return false;
    }
    if (keep == nullptr) {
        auto skipped = reader_.skip(*size);
        return skipped || truncated(skipped.error());
    }
    auto text = take(reader_.bytes(*size));
    if (!text) {
        return false;
    }
    *keep = std::move(*text);
    return true;
}

bool GgufParser::value(std::uint32_t type, const std::string& key) {
    if (type >= kValueBytes.size()) {
        out_.add(kTypeRule, Severity::kHigh, "GGUF key " + printable(key) + " has an unknown type",
                 "value type " + std::to_string(type) + " (valid: 0–12)");
        return false;
    }
    if (key == "general.alignment") {
        return alignment(type);
    }
    if (type == kTypeArray) {
        return array(key);
    }
    if (type == kTypeString) {
        const bool is_template = key.starts_with("tokenizer.chat_template");
        std::string text;
        if (!string(is_template ? kMaxTemplateBytes : kMaxStringBytes, "string value",
                    is_template ? &text : nullptr)) {
            return false;
        }
        chat_template(key, text);
        return true;
    }
    if (type == kTypeBool) {
        const auto flag = take(reader_.u8());
        if (flag && *flag > 1) {
            out_.add(kTypeRule, Severity::kMedium, "GGUF key " + printable(key) + " is a bad bool",
                     "bool value " + std::to_string(*flag) + " (only 0 and 1 are valid)");
        }
        return flag.has_value();
    }
    auto skipped = reader_.skip(kValueBytes[type]);
    return skipped || truncated(skipped.error());
}

bool GgufParser::array(const std::string& key) {
    const auto element_type = take(reader_.u32());
    const auto count = element_type ? length() : std::nullopt;
    if (!count) {
        return false;
    }
    if (*element_type == kTypeArray || *element_type >= kValueBytes.size()) {
        out_.add(kTypeRule, Severity::kHigh,
                 "GGUF array " + printable(key) + " has an invalid element type",
                 "element type " + std::to_string(*element_type) +
                     (*element_type == kTypeArray ? " (nested arrays are rejected by ggml)"
                                                  : " (valid: 0–8, 10–12)"));
        return false;
    }
    const auto element_bytes = *element_type == kTypeString ? 8 : kValueBytes[*element_type];
    if (*count > kMaxArrayElements || *count > reader_.remaining() / element_bytes) {
        out_.add(kArrayRule, Severity::kHigh, "GGUF array " + printable(key) + " is too long",
                 std::to_string(*count) + " elements of " + std::to_string(element_bytes) +
                     " bytes do not fit in the " + std::to_string(reader_.remaining()) +
                     " bytes left (CVE-2024-21825: unchecked array size)");
        return false;
    }
    if (*element_type != kTypeString) {
        auto skipped = reader_.skip(*count * element_bytes);
        return skipped || truncated(skipped.error());
    }
    for (std::uint64_t index = 0; index < *count; ++index) {
        if (!string(kMaxStringBytes, "array string", nullptr)) {
            return false;
        }
        if (reader_.position() > limits_.max_header_bytes) {
            return true;  // metadata() reports the cap
        }
    }
    return true;
}

bool GgufParser::alignment(std::uint32_t type) {
    if (type != kTypeUint32) {
        out_.add(kAlignmentRule, Severity::kHigh, "GGUF general.alignment is not a UINT32",
                 "value type " + std::to_string(type) + "; loaders that read it as u32 misparse");
        return value(type, "general.alignment (ignored)");
    }
    const auto declared = take(reader_.u32());
    if (!declared) {
        return false;
    }
    if (*declared == 0 || (*declared & (*declared - 1)) != 0) {
        out_.add(kAlignmentRule, Severity::kHigh, "GGUF general.alignment is not a power of two",
                 "alignment " + std::to_string(*declared) +
                     " breaks GGML_PAD arithmetic (GHSA-96jg-mvhq-q7q7)");
        layout_known_ = false;
        return true;
    }
    if (*declared % 8 != 0) {
        out_.add(kAlignmentRule, Severity::kMedium, "GGUF general.alignment is not a multiple of 8",
                 "alignment " + std::to_string(*declared));
    }
    alignment_ = *declared;
    return true;
}

void GgufParser::chat_template(const std::string& key, const std::string& text) {
    for (const auto gadget : kTemplateGadgets) {
        const auto at = text.find(gadget);
        if (at == std::string::npos) {
            continue;
        }
        const auto from = at > 30 ? at - 30 : 0;
        out_.add(kTemplateRule, Severity::kHigh,
                 "GGUF " + printable(key) + " uses the Jinja gadget " + std::string(gadget),
                 "chat templates run in the loader's Jinja environment (CVE-2024-34359); found " +
                     std::string(gadget) + " in …" + printable(text.substr(from, 80)) + "…");
        return;
    }
}

bool GgufParser::tensor_infos() {
    for (std::uint64_t index = 0; index < tensor_count_; ++index) {
        if (!tensor_info()) {
            return false;
        }
    }
    return true;
}

void GgufParser::tensor_name(const std::string& name) {
    if (name.size() > kMaxTensorName) {
        out_.add(kTensorRule, Severity::kMedium, "GGUF tensor name is too long",
                 std::to_string(name.size()) + " bytes > " + std::to_string(kMaxTensorName) +
                     " (GGML_MAX_NAME): " + printable(name));
    }
    if (!tensor_names_.insert(name).second) {
        out_.add(kTensorRule, Severity::kHigh, "GGUF tensor " + printable(name) + " is duplicated",
                 "two tensor infos share a name; loaders pick different ones");
    }
}

bool GgufParser::tensor_info() {
    std::string name;
    if (!string(kMaxKeyBytes, "tensor name", &name)) {
        return false;
    }
    tensor_name(name);
    const auto n_dims = take(reader_.u32());
    if (!n_dims) {
        return false;
    }
    if (*n_dims > kMaxDims) {
        out_.add(kTensorRule, Severity::kHigh,
                 "GGUF tensor " + printable(name) + " has too many dims",
                 "n_dims " + std::to_string(*n_dims) +
                     " > GGML_MAX_DIMS 4 (fixed-size ne[] arrays overflow in readers that trust "
                     "it)");
        return false;
    }
    std::vector<std::uint64_t> dims;
    for (std::uint32_t dim = 0; dim < *n_dims; ++dim) {
        const auto extent = length();  // u32 in v1
        if (!extent) {
            return false;
        }
        dims.push_back(*extent);
    }
    const auto type = take(reader_.u32());
    const auto offset = type ? take(reader_.u64()) : std::nullopt;
    if (!offset) {
        return false;
    }
    if (const auto bytes = tensor_bytes(name, dims, *type)) {
        tensors_.push_back(TensorSpan{name, *offset, *bytes});
    } else {
        layout_known_ = false;
    }
    return true;
}

std::optional<std::uint64_t> GgufParser::tensor_bytes(const std::string& name,
                                                      const std::vector<std::uint64_t>& dims,
                                                      std::uint32_t type) {
    const auto title = "GGUF tensor " + printable(name);
    if (type >= kGgmlTypes.size() || kGgmlTypes[type].block == 0) {
        out_.add(kTypeRule, Severity::kHigh, title + " has an unknown ggml type",
                 "type " + std::to_string(type) + " is not a ggml type (or a removed one)");
        return std::nullopt;
    }
    constexpr auto kMaxElements =
        static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    std::optional<std::uint64_t> elements = 1;
    for (const auto extent : dims) {
        if (extent > kMaxElements) {
            out_.add(kTensorRule, Severity::kHigh, title + " has a negative dimension",
                     "dimension " + std::to_string(static_cast<std::int64_t>(extent)) +
                         " (ne[] is int64 in ggml; CVE-2024-21802)");
            return std::nullopt;
        }
        elements = elements ? checked_mul(*elements, extent, kMaxElements) : std::nullopt;
    }
    const auto [block, block_bytes] = kGgmlTypes[type];
    const auto first = dims.empty() ? 1 : dims.front();
    const auto bytes =
        elements ? checked_mul(*elements / block, block_bytes, kMaxElements) : std::nullopt;
    if (!bytes) {
        out_.add(kTensorRule, Severity::kHigh, title + " has an overflowing element count",
                 "dims product overflows int64 (GHSA-vgg9-87g3-85w8, CVE-2024-21802)");
        return std::nullopt;
    }
    if (first % block != 0) {
        out_.add(kTensorRule, Severity::kHigh, title + " has a partial block",
                 "ne[0] " + std::to_string(first) + " is not a multiple of the block size " +
                     std::to_string(block));
        return std::nullopt;
    }
    return bytes;
}

void GgufParser::tensor_layout() {
    const auto data_start = pad_to(reader_.position(), alignment_);
    const auto file_size = source_.size();
    const auto data_bytes = data_start <= file_size ? file_size - data_start : 0;
    std::uint64_t expected = 0;
    for (const auto& tensor : tensors_) {
        const auto title = "GGUF tensor " + printable(tensor.name);
        if (tensor.offset > data_bytes || tensor.bytes > data_bytes - tensor.offset) {
            out_.add(kTensorRule, Severity::kHigh, title + " lies outside the file",
                     "data [" + std::to_string(tensor.offset) + ", +" +
                         std::to_string(tensor.bytes) + ") past the " + std::to_string(data_bytes) +
                         "-byte data section (out-of-bounds read)");
            continue;
        }
        if (!layout_known_) {
            continue;
        }
        if (tensor.offset % alignment_ != 0) {
            out_.add(kTensorRule, Severity::kHigh, title + " is misaligned",
                     "offset " + std::to_string(tensor.offset) + " is not a multiple of " +
                         std::to_string(alignment_));
        } else if (tensor.offset < expected) {
            out_.add(kTensorRule, Severity::kHigh, title + " overlaps the previous tensor",
                     "offset " + std::to_string(tensor.offset) + ", expected " +
                         std::to_string(expected));
        } else if (tensor.offset > expected) {
            out_.add(kTensorRule, Severity::kMedium, title + " leaves a gap",
                     "offset " + std::to_string(tensor.offset) + ", expected " +
                         std::to_string(expected) + " (ggml rejects non-contiguous data)");
        }
        expected = pad_to(tensor.offset + tensor.bytes, alignment_);
    }
}

}  // namespace

Findings scan_gguf(ByteSource& source, const std::string& path, const FormatLimits& limits) {
    FindingCollector out(path);
    GgufParser(source, out, limits).run();
    return out.take();
}

}  // namespace aiops::scanner
