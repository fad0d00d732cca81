#include "model_config.h"

#include <array>
#include <chrono>
#include <cstdio>
#include <utility>

namespace aiops::proxy {
namespace {

using common::modelpack::LayerKind;
using common::modelpack::Naming;
using nlohmann::ordered_json;

constexpr std::size_t kMaxConfigStringBytes = 256;  // family / dtype copied from config.json

// The precision enum of docs/config.md.
constexpr std::array<std::string_view, 18> kPrecisions = {
    "float32",   "float64",   "float16",    "bfloat16", "float8_e4m3", "float8_e5m2",
    "complex32", "complex64", "complex128", "int8",     "int16",       "int32",
    "int64",     "uint8",     "uint16",     "uint32",   "uint64",      "bool",
};

// Weight file suffix → config.format, in order of preference when a repo has several.
constexpr std::array<std::pair<std::string_view, std::string_view>, 9> kFormats = {{
    {".safetensors", "safetensors"},
    {".gguf", "gguf"},
    {".onnx", "onnx"},
    {".pt", "pt"},
    {".pth", "pt"},
    {".bin", "pt"},
    {".tflite", "tflite"},
    {".keras", "keras"},
    {".h5", "keras"},
}};

// Reads `count` decimal digits at `pos` (advancing it); -1 when they are not all digits.
int read_digits(std::string_view text, std::size_t& pos, std::size_t count) {
    if (pos + count > text.size()) {
        return -1;
    }
    int value = 0;
    for (std::size_t end = pos + count; pos < end; ++pos) {
        if (text[pos] < '0' || text[pos] > '9') {
            return -1;
        }
        value = value * 10 + (text[pos] - '0');
    }
    return value;
}

bool expect_char(std::string_view text, std::size_t& pos, std::string_view allowed) {
    if (pos >= text.size() || allowed.find(text[pos]) == std::string_view::npos) {
        return false;
    }
    ++pos;
    return true;
}

// The zone suffix at `pos` as an offset in minutes east of UTC; nullopt when malformed.
std::optional<int> read_offset_minutes(std::string_view text, std::size_t pos) {
    if (pos + 1 == text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
        return 0;
    }
    if (pos + 6 != text.size() || (text[pos] != '+' && text[pos] != '-')) {
        return std::nullopt;
    }
    const int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    const int hours = read_digits(text, pos, 2);
    const bool colon = expect_char(text, pos, ":");
    const int minutes = read_digits(text, pos, 2);
    if (!colon || hours < 0 || hours > 23 || minutes < 0 || minutes > 59) {
        return std::nullopt;
    }
    return sign * (hours * 60 + minutes);
}

// An RFC 3339 date-time as a UTC instant (fraction dropped); nullopt when malformed.
std::optional<std::chrono::sys_seconds> parse_rfc3339(std::string_view text) {
    namespace chrono = std::chrono;
    std::size_t pos = 0;
    const int year = read_digits(text, pos, 4);
    const bool dash1 = expect_char(text, pos, "-");
    const int month = read_digits(text, pos, 2);
    const bool dash2 = expect_char(text, pos, "-");
    const int day = read_digits(text, pos, 2);
    const bool tee = expect_char(text, pos, "Tt");
    const int hour = read_digits(text, pos, 2);
    const bool colon1 = expect_char(text, pos, ":");
    const int minute = read_digits(text, pos, 2);
    const bool colon2 = expect_char(text, pos, ":");
    const int second = read_digits(text, pos, 2);
    if (year < 0 || month < 0 || day < 0 || hour < 0 || hour > 23 || minute < 0 || minute > 59 ||
        second < 0 || second > 59 || !dash1 || !dash2 || !tee || !colon1 || !colon2) {
        return std::nullopt;
    }
    if (pos < text.size() && text[pos] == '.') {
        const std::size_t fraction_start = ++pos;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
            ++pos;
        }
        if (pos == fraction_start) {
            return std::nullopt;
        }
    }
    const auto offset = read_offset_minutes(text, pos);
    const chrono::year_month_day date{chrono::year{year},
                                      chrono::month{static_cast<unsigned>(month)},
                                      chrono::day{static_cast<unsigned>(day)}};
    if (!offset || !date.ok()) {
        return std::nullopt;
    }
    return chrono::sys_days{date} + chrono::hours{hour} + chrono::minutes{minute} +
           chrono::seconds{second} - chrono::minutes{*offset};
}

std::string lower_case(std::string_view text) {
    std::string lower(text);
    for (char& ch : lower) {
        if (ch >= 'A' && ch <= 'Z') {
            ch = static_cast<char>(ch - 'A' + 'a');
        }
    }
    return lower;
}

// A short string member of config.json (else of the model info's config subset).
std::string config_string(const ManifestInput& input, std::string_view key) {
    for (const nlohmann::json* source :
         {input.config_json ? &*input.config_json : nullptr, &input.info.config}) {
        if (source == nullptr || !source->is_object()) {
            continue;
        }
        const auto found = source->find(key);
        if (found != source->end() && found->is_string() &&
            found->get_ref<const std::string&>().size() <= kMaxConfigStringBytes) {
            return found->get<std::string>();
        }
    }
    return {};
}

bool config_has(const ManifestInput& input, std::string_view key) {
    for (const nlohmann::json* source :
         {input.config_json ? &*input.config_json : nullptr, &input.info.config}) {
        if (source != nullptr && source->is_object() && source->contains(key)) {
            return true;
        }
    }
    return false;
}

std::string weight_format(const std::vector<ArtifactLayer>& layers, Naming naming) {
    const std::string weight_type = common::modelpack::layer_media_type(
        naming, LayerKind::kWeight, common::modelpack::LayerEncoding::kRaw);
    std::size_t best = kFormats.size();
    for (const ArtifactLayer& layer : layers) {
        if (layer.media_type != weight_type) {
            continue;
        }
        const std::string path = lower_case(layer.path);
        for (std::size_t index = 0; index < best; ++index) {
            if (path.ends_with(kFormats[index].first)) {
                best = index;
            }
        }
    }
    return best < kFormats.size() ? std::string(kFormats[best].second) : std::string();
}

std::string precision(const ManifestInput& input) {
    std::string dtype = config_string(input, "torch_dtype");
    if (dtype.empty()) {
        dtype = config_string(input, "dtype");  // transformers ≥ 4.56 writes "dtype"
    }
    for (const std::string_view known : kPrecisions) {
        if (dtype == known) {
            return dtype;
        }
    }
    return {};
}

ordered_json descriptor_json(const ManifestInput& input) {
    const std::size_t slash = input.repo_id.find('/');
    ordered_json descriptor = ordered_json::object();
    if (auto created = normalize_rfc3339(input.info.last_modified)) {
        descriptor["createdAt"] = *created;
    }
    descriptor["vendor"] = input.repo_id.substr(0, slash);
    if (auto family = config_string(input, "model_type"); !family.empty()) {
        descriptor["family"] = std::move(family);
    }
    descriptor["name"] = input.repo_id.substr(slash + 1);
    if (!input.source_url.empty()) {
        descriptor["sourceURL"] = input.source_url;
    }
    descriptor["revision"] = input.info.sha;
    if (auto licenses = model_licenses(input.info, input.readme); !licenses.empty()) {
        descriptor["licenses"] = std::move(licenses);
    }
    return descriptor;
}

ordered_json config_section(const ManifestInput& input, const std::vector<ArtifactLayer>& layers) {
    ordered_json config = ordered_json::object();
    if (config_has(input, "transformers_version") || config_has(input, "architectures")) {
        config["architecture"] = "transformer";
    }
    if (auto format = weight_format(layers, input.naming); !format.empty()) {
        config["format"] = std::move(format);
    }
    if (input.info.safetensors_total && *input.info.safetensors_total > 0) {
        config["paramSize"] = param_size_label(*input.info.safetensors_total);
    }
    if (auto dtype = precision(input); !dtype.empty()) {
        config["precision"] = std::move(dtype);
    }
    return config;
}

}  // namespace

std::optional<std::string> normalize_rfc3339(std::string_view text) {
    namespace chrono = std::chrono;
    const auto utc = parse_rfc3339(text);
    if (!utc) {
        return std::nullopt;
    }
    const auto utc_days = chrono::floor<chrono::days>(*utc);
    const chrono::year_month_day date{utc_days};
    const chrono::hh_mm_ss time_of_day{*utc - utc_days};
    const int year = static_cast<int>(date.year());
    if (year < 0 || year > 9999) {
        return std::nullopt;
    }
    std::array<char, 32> buffer{};
    const int written =
        std::snprintf(buffer.data(), buffer.size(), "%04d-%02u-%02uT%02d:%02d:%02dZ", year,
                      static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                      static_cast<int>(time_of_day.hours().count()),
                      static_cast<int>(time_of_day.minutes().count()),
                      static_cast<int>(time_of_day.seconds().count()));
    if (written <= 0 || static_cast<std::size_t>(written) >= buffer.size()) {
        return std::nullopt;
    }
    return std::string(buffer.data(), static_cast<std::size_t>(written));
}

std::string param_size_label(std::uint64_t parameters) {
    constexpr std::array<char, 5> kScales = {'K', 'M', 'B', 'T', 'Q'};
    if (parameters < 1000) {
        return std::to_string(parameters);
    }
    std::uint64_t unit = 1000;
    std::size_t scale = 0;
    while (scale + 1 < kScales.size() && parameters / unit >= 1000) {
        unit *= 1000;
        ++scale;
    }
    if (parameters / unit < 10) {
        const std::uint64_t tenths = (parameters + unit / 20) / (unit / 10);  // rounded
        if (tenths < 100) {
            return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + kScales[scale];
        }
    }
    const std::uint64_t whole = parameters / unit + (parameters % unit >= unit / 2 ? 1 : 0);
    if (whole >= 1000 && scale + 1 < kScales.size()) {
        return "1.0" + std::string(1, kScales[scale + 1]);  // 999.6M rounds up to 1.0B
    }
    return std::to_string(whole) + kScales[scale];
}

std::string model_config_json(const ManifestInput& input,
                              const std::vector<ArtifactLayer>& layers) {
    ordered_json diff_ids = ordered_json::array();
    for (const ArtifactLayer& layer : layers) {
        diff_ids.push_back(layer.digest.str());
    }
    ordered_json modelfs = ordered_json::object();
    modelfs["type"] = "layers";
    modelfs[input.naming == Naming::kCncf ? "diffIds" : "diff_ids"] = std::move(diff_ids);
    ordered_json config = ordered_json::object();
    config["descriptor"] = descriptor_json(input);
    config["config"] = config_section(input, layers);
    config["modelfs"] = std::move(modelfs);
    return config.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

}  // namespace aiops::proxy
