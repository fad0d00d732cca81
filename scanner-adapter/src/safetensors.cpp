// safetensors header validation (shared/reference/modelspec-hf-scanning.md §3.5, mirroring
// safetensors `Metadata::validate`): reads 8 bytes and the JSON header, never the tensor data.
#include <algorithm>
#include <array>
#include <limits>
#include <optional>
#include <set>
#include <string_view>
#include <tuple>
#include <vector>

#include "aiops/common/json.h"
#include "finding_collector.h"
#include "formats.h"
#include "source_reader.h"

namespace aiops::scanner {

namespace {

using nlohmann::json;

constexpr std::string_view kHeaderRule = "AIMS-SAFETENSORS-HEADER";
constexpr std::string_view kDtypeRule = "AIMS-SAFETENSORS-DTYPE";
constexpr std::string_view kShapeRule = "AIMS-SAFETENSORS-SHAPE";
constexpr std::string_view kOffsetsRule = "AIMS-SAFETENSORS-OFFSETS";
constexpr std::string_view kMetadataRule = "AIMS-SAFETENSORS-METADATA";
constexpr int kMaxHeaderDepth = 16;

struct Dtype {
    std::string_view name;
    std::uint64_t bits;
};
constexpr std::array<Dtype, 22> kDtypes{{
    {"F4", 4},          {"F6_E2M3", 6}, {"F6_E3M2", 6}, {"BOOL", 8},    {"U8", 8},
    {"I8", 8},          {"F8_E5M2", 8}, {"F8_E4M3", 8}, {"F8_E8M0", 8}, {"F8_E4M3FNUZ", 8},
    {"F8_E5M2FNUZ", 8}, {"I16", 16},    {"U16", 16},    {"F16", 16},    {"BF16", 16},
    {"I32", 32},        {"U32", 32},    {"F32", 32},    {"I64", 64},    {"U64", 64},
    {"F64", 64},        {"C64", 64},
}};

std::uint64_t dtype_bits(std::string_view name) {
    for (const auto& dtype : kDtypes) {
        if (dtype.name == name) {
            return dtype.bits;
        }
    }
    return 0;
}

struct Span {
    std::string name;
    std::uint64_t begin = 0;
    std::uint64_t end = 0;
};

std::string shown(std::string_view text) {
    constexpr std::size_t kMaxShown = 80;
    std::string out = "\"";
    out += text.substr(0, kMaxShown);
    return out + (text.size() > kMaxShown ? "…\"" : "\"");
}

// Keys that occur twice in one JSON object (nlohmann keeps the last one; other parsers the first).
std::vector<std::string> duplicate_keys(std::string_view text) {
    std::vector<std::set<std::string>> open_objects;
    std::vector<std::string> duplicates;
    json::parser_callback_t callback = [&](int /*depth*/, json::parse_event_t event, json& parsed) {
        if (event == json::parse_event_t::object_start) {
            open_objects.emplace_back();
        } else if (event == json::parse_event_t::object_end && !open_objects.empty()) {
            open_objects.pop_back();
        } else if (event == json::parse_event_t::key && !open_objects.empty() &&
                   !open_objects.back().insert(parsed.get<std::string>()).second) {
            duplicates.push_back(parsed.get<std::string>());
        }
        return event != json::parse_event_t::value;  // keys only: values are not kept
    };
    const auto keys_only = json::parse(text, callback, false);
    (void)keys_only;
    return duplicates;
}

// Checked product of the dims times the dtype's bits; nullopt on a bad dim or overflow.
std::optional<std::uint64_t> shape_bits(const json& shape, std::uint64_t bits) {
    std::uint64_t product = bits;
    for (const auto& dim : shape) {
        if (!dim.is_number_unsigned()) {
            return std::nullopt;
        }
        const auto value = dim.get<std::uint64_t>();
        if (value != 0 && product > std::numeric_limits<std::uint64_t>::max() / value) {
            return std::nullopt;
        }
        product *= value;
    }
    return product;
}

bool is_offset_pair(const json& offsets) {
    return offsets.is_array() && offsets.size() == 2 && offsets[0].is_number_unsigned() &&
           offsets[1].is_number_unsigned();
}

void check_shape(const std::string& name, const json& info, std::uint64_t bits, const Span& span,
                 FindingCollector& out) {
    const auto& shape = info["shape"];
    const auto total_bits = shape_bits(shape, bits);
    if (!total_bits) {
        out.add(kShapeRule, Severity::kHigh,
                "safetensors tensor " + shown(name) + " has a bad shape",
                "shape " + shape.dump() + " has a negative, non-integer or overflowing dimension");
        return;
    }
    if (*total_bits % 8 != 0 || *total_bits / 8 != span.end - span.begin) {
        out.add(kShapeRule, Severity::kHigh,
                "safetensors tensor " + shown(name) + " shape does not match its byte span",
                "shape " + shape.dump() + " × " + std::to_string(bits) +
                    " bits = " + std::to_string(*total_bits) + " bits, but data_offsets span " +
                    std::to_string(span.end - span.begin) + " bytes");
    }
}

// One tensor entry; returns its span when the offsets are usable.
std::optional<Span> check_tensor(const std::string& name, const json& info, FindingCollector& out) {
    if (!info.is_object() || !info.contains("dtype") || !info["dtype"].is_string() ||
        !info.contains("shape") || !info["shape"].is_array() || !info.contains("data_offsets")) {
        out.add(kHeaderRule, Severity::kHigh, "safetensors tensor " + shown(name) + " is malformed",
                "each tensor needs dtype (string), shape (array) and data_offsets; found " +
                    shown(info.dump()));
        return std::nullopt;
    }
    const auto& offsets = info["data_offsets"];
    if (!is_offset_pair(offsets) ||
        offsets[0].get<std::uint64_t>() > offsets[1].get<std::uint64_t>()) {
        out.add(kOffsetsRule, Severity::kHigh,
                "safetensors tensor " + shown(name) + " has invalid data_offsets",
                "data_offsets must be [begin, end] with 0 ≤ begin ≤ end; found " + offsets.dump());
        return std::nullopt;
    }
    Span span{name, offsets[0].get<std::uint64_t>(), offsets[1].get<std::uint64_t>()};
    const auto& dtype = info["dtype"].get_ref<const std::string&>();
    if (const auto bits = dtype_bits(dtype); bits != 0) {
        check_shape(name, info, bits, span, out);
    } else {
        out.add(kDtypeRule, Severity::kMedium,
                "safetensors tensor " + shown(name) + " has unknown dtype " + shown(dtype),
                "loaders reject dtypes outside the safetensors list (F4 … C64)");
    }
    return span;
}

void check_metadata(const json& metadata, FindingCollector& out) {
    const bool string_map =
        metadata.is_object() && std::all_of(metadata.begin(), metadata.end(),
                                            [](const json& value) { return value.is_string(); });
    if (!string_map) {
        out.add(kMetadataRule, Severity::kMedium, "safetensors __metadata__ is not string → string",
                "__metadata__ must map strings to strings; found " + shown(metadata.dump()));
    }
}

// Sorted spans must tile [0, data_bytes) exactly: no overlap, no hole, nothing past the end.
void check_layout(std::vector<Span>& spans, std::uint64_t data_bytes, FindingCollector& out) {
    std::sort(spans.begin(), spans.end(), [](const Span& left, const Span& right) {
        return std::tie(left.begin, left.end) < std::tie(right.begin, right.end);
    });
    std::uint64_t expected = 0;
    std::string previous = "the start of the data section";
    for (const auto& span : spans) {
        if (span.end > data_bytes) {
            out.add(kOffsetsRule, Severity::kHigh,
                    "safetensors tensor " + shown(span.name) + " lies outside the file",
                    "data_offsets end " + std::to_string(span.end) + " > data section of " +
                        std::to_string(data_bytes) + " bytes");
        }
        if (span.begin < expected) {
            out.add(
                kOffsetsRule, Severity::kHigh,
                "safetensors tensor " + shown(span.name) + " overlaps " + previous,
                "begins at " + std::to_string(span.begin) + " before " + std::to_string(expected));
        } else if (span.begin > expected) {
            out.add(kOffsetsRule, Severity::kHigh,
                    "safetensors tensor " + shown(span.name) + " leaves a gap after " + previous,
                    "bytes [" + std::to_string(expected) + ", " + std::to_string(span.begin) +
                        ") belong to no tensor (hidden data / polyglot)");
        }
        expected = std::max(expected, span.end);
        previous = "tensor " + shown(span.name);
    }
    if (expected < data_bytes) {
        out.add(kOffsetsRule, Severity::kHigh, "safetensors data section has trailing bytes",
                "tensors cover " + std::to_string(expected) + " of " + std::to_string(data_bytes) +
                    " data bytes; the rest belongs to no tensor");
    }
}

void check_header(const json& header, std::uint64_t data_bytes, const FormatLimits& limits,
                  FindingCollector& out) {
    if (header.size() > limits.max_entries) {
        out.add(kHeaderRule, Severity::kHigh, "safetensors header has too many entries",
                std::to_string(header.size()) + " entries > limit " +
                    std::to_string(limits.max_entries));
        return;
    }
    std::vector<Span> spans;
    for (const auto& [name, info] : header.items()) {
        if (name == "__metadata__") {
            check_metadata(info, out);
        } else if (auto span = check_tensor(name, info, out)) {
            spans.push_back(std::move(*span));
        }
    }
    check_layout(spans, data_bytes, out);
}

// Reads and parses the JSON header; nullopt (with a finding) when it is unusable.
std::optional<json> read_header(ByteSource& source, std::uint64_t length, FindingCollector& out) {
    auto text = read_exact(source, 8, static_cast<std::size_t>(length));
    if (!text) {
        out.add(kHeaderRule, Severity::kUnknown, "safetensors header could not be read",
                text.error().message);
        return std::nullopt;
    }
    if (text->empty() || text->front() != '{') {
        out.add(kHeaderRule, Severity::kHigh, "safetensors header does not start with '{'",
                "the header must be a JSON object; it starts with " + shown(text->substr(0, 16)));
        return std::nullopt;
    }
    auto parsed =
        common::parse_json(*text, {.max_bytes = text->size(), .max_depth = kMaxHeaderDepth});
    if (!parsed || !parsed->is_object()) {
        out.add(
            kHeaderRule, Severity::kHigh, "safetensors header is not a JSON object",
            parsed ? "the header is " + std::string(parsed->type_name()) : parsed.error().message);
        return std::nullopt;
    }
    for (const auto& key : duplicate_keys(*text)) {
        out.add(kHeaderRule, Severity::kHigh, "safetensors header repeats key " + shown(key),
                "duplicate keys are forbidden: parsers disagree on which one wins");
    }
    return std::move(parsed).value();
}

}  // namespace

Findings scan_safetensors(ByteSource& source, const std::string& path, const FormatLimits& limits) {
    FindingCollector out(path);
    auto prefix = read_exact(source, 0, 8);
    if (!prefix) {
        out.add(kHeaderRule, Severity::kHigh, "safetensors file is shorter than 8 bytes",
                prefix.error().message);
        return out.take();
    }
    const auto length = load_le<std::uint64_t>(prefix->data());
    const auto available = source.size() - 8;
    if (length == 0 || length > limits.max_header_bytes || length > available) {
        out.add(kHeaderRule, Severity::kHigh, "safetensors header length is invalid",
                "header length " + std::to_string(length) + " (limit " +
                    std::to_string(limits.max_header_bytes) + ", " + std::to_string(available) +
                    " bytes after the length prefix)");
        return out.take();
    }
    if (auto header = read_header(source, length, out)) {
        check_header(*header, available - length, limits, out);
    }
    return out.take();
}

}  // namespace aiops::scanner
