#include "file_scanner.h"

#include <algorithm>

namespace aiops::scanner {

namespace {

constexpr std::size_t kHeadBytes = 16;
constexpr std::size_t kLegacyTorchPickles = 5;

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

bool ends_with(const std::string& text, std::string_view suffix) {
    return text.size() >= suffix.size() &&
           text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool any_suffix(const std::string& path, std::initializer_list<std::string_view> suffixes) {
    const auto name = lower(path);
    return std::any_of(suffixes.begin(), suffixes.end(),
                       [&](std::string_view suffix) { return ends_with(name, suffix); });
}

Finding error_finding(const std::string& path, const std::string& rule, Severity severity,
                      const std::string& title, const std::string& message) {
    return Finding{rule, severity, path, title, message};
}

void append(Findings& into, Findings more) {
    into.insert(into.end(), std::make_move_iterator(more.begin()),
                std::make_move_iterator(more.end()));
}

Findings scan_pickle_source(ByteSource& source, const std::string& path, const ScanLimits& limits) {
    return pickle_findings(analyse_pickle(source, limits.pickle), path);
}

Findings scan_npy(ByteSource& source, const std::string& path, const ScanLimits& limits) {
    auto header = parse_npy_header(source, limits.formats);
    if (!header) {
        return {error_finding(path, "AIMS-NPY-MALFORMED", Severity::kMedium,
                              "malformed .npy header", header.error().message)};
    }
    if (!header->object_dtype) {
        return {};
    }
    // Object arrays are pickled: numpy.load(allow_pickle=True) runs the pickle.
    Findings findings{error_finding(
        path, "AIMS-NPY-OBJECT", Severity::kMedium, "object-dtype array (pickle inside)",
        "dtype '" + header->descr + "': numpy.load with allow_pickle=True unpickles the data")};
    if (header->data_offset < source.size()) {
        SliceSource pickle(source, header->data_offset, source.size() - header->data_offset);
        append(findings, scan_pickle_source(pickle, path, limits));
    }
    return findings;
}

Findings scan_zip(ByteSource& source, const std::string& path, const ScanLimits& limits, int depth,
                  std::string& format);

Findings scan_member(ByteSource& archive, const ZipMember& member, const std::string& path,
                     const ScanLimits& limits, int depth) {
    const auto name = lower(member.name);
    const bool pickle = ends_with(name, ".pkl") || ends_with(name, ".pickle");
    const bool npy = ends_with(name, ".npy");
    const bool nested = ends_with(name, ".zip") || ends_with(name, ".pt") ||
                        ends_with(name, ".pth") || ends_with(name, ".npz");
    const bool keras_config = name == "config.json" && any_suffix(path, {".keras"});
    if (!pickle && !npy && !nested && !keras_config) {
        return {};
    }
    const std::string where = path + "!" + member.name;
    auto opened = open_zip_member(archive, member, limits.formats);
    if (!opened) {
        return {error_finding(where, "AIMS-ZIP-MEMBER", Severity::kMedium,
                              "zip member could not be read", opened.error().message)};
    }
    ByteSource& bytes = **opened;
    if (pickle) {
        return scan_pickle_source(bytes, where, limits);
    }
    if (npy) {
        return scan_npy(bytes, where, limits);
    }
    if (keras_config) {
        auto text = read_exact(bytes, 0,
                               static_cast<std::size_t>(std::min<std::uint64_t>(
                                   bytes.size(), limits.formats.max_header_bytes)));
        return text ? scan_keras_config(*text, where) : Findings{};
    }
    if (depth + 1 >= limits.max_depth) {
        return {error_finding(where, "AIMS-ZIP-NESTING", Severity::kMedium,
                              "archives nested too deep",
                              "not analysed beyond depth " + std::to_string(limits.max_depth))};
    }
    std::string ignored;
    return scan_zip(bytes, where, limits, depth + 1, ignored);
}

Findings scan_zip(ByteSource& source, const std::string& path, const ScanLimits& limits, int depth,
                  std::string& format) {
    auto directory = read_zip_directory(source, path, limits.formats);
    if (!directory) {
        return {error_finding(path, "AIMS-ZIP-MALFORMED", Severity::kMedium, "malformed zip",
                              directory.error().message)};
    }
    Findings findings = std::move(directory->findings);
    const bool torch = std::any_of(
        directory->members.begin(), directory->members.end(), [](const ZipMember& member) {
            return member.name == "data.pkl" || ends_with(member.name, "/data.pkl");
        });
    format = torch                          ? "pytorch-zip"
             : any_suffix(path, {".npz"})   ? "npz"
             : any_suffix(path, {".keras"}) ? "keras"
                                            : "zip";
    std::size_t analysed = 0;
    for (const auto& member : directory->members) {
        if (analysed++ == limits.max_members) {
            findings.push_back(error_finding(
                path, "AIMS-ZIP-MEMBERS", Severity::kMedium, "too many members to analyse",
                "only the first " + std::to_string(limits.max_members) + " members were analysed"));
            break;
        }
        append(findings, scan_member(source, member, path, limits, depth));
    }
    return findings;
}

}  // namespace

std::string detect_format(const std::string& path, std::string_view head) {
    if (head.substr(0, 2) == "PK") {
        return "zip";
    }
    if (head.substr(0, 6) == "\x93NUMPY") {
        return "npy";
    }
    if (head.substr(0, 4) == "GGUF") {
        return "gguf";
    }
    const bool pickle_magic = !head.empty() && static_cast<unsigned char>(head[0]) == 0x80;
    const bool hdf5_magic = head.substr(0, 8) == "\x89HDF\r\n\x1a\n";
    if (any_suffix(path, {".onnx"}) && !pickle_magic && !hdf5_magic) {
        return "onnx";  // protobuf has no magic: the suffix decides, before the safetensors guess
    }
    if (any_suffix(path, {".safetensors"}) || (head.size() > 8 && head[8] == '{')) {
        return "safetensors";
    }
    if (hdf5_magic) {
        return "hdf5";
    }
    if (pickle_magic ||
        any_suffix(path, {".pkl", ".pickle", ".joblib", ".dill", ".bin", ".pt", ".pth", ".ckpt"})) {
        return "pickle";
    }
    return "other";
}

FileReport scan_file(const std::string& path, ByteSource& source, const ScanLimits& limits) {
    FileReport report{path, "other", {}};
    auto head = read_exact(
        source, 0, static_cast<std::size_t>(std::min<std::uint64_t>(kHeadBytes, source.size())));
    if (!head) {
        report.findings.push_back(error_finding(path, "AIMS-FILE-UNREADABLE", Severity::kUnknown,
                                                "file could not be read", head.error().message));
        return report;
    }
    report.format = detect_format(path, *head);
    if (report.format == "zip") {
        report.findings = scan_zip(source, path, limits, 0, report.format);
    } else if (report.format == "npy") {
        report.findings = scan_npy(source, path, limits);
    } else if (report.format == "gguf") {
        report.findings = scan_gguf(source, path, limits.formats);
    } else if (report.format == "onnx") {
        report.findings = scan_onnx(source, path, limits.formats);
    } else if (report.format == "safetensors") {
        report.findings = scan_safetensors(source, path, limits.formats);
    } else if (report.format == "pickle") {
        ScanLimits pickle_limits = limits;
        if (any_suffix(path, {".bin", ".pt", ".pth", ".ckpt"})) {
            // Legacy (non-zip) torch.save: five pickles, then raw storage bytes.
            pickle_limits.pickle.max_pickles = kLegacyTorchPickles;
            pickle_limits.pickle.stop_after_max_pickles = true;
        }
        report.findings = scan_pickle_source(source, path, pickle_limits);
    }
    return report;
}

}  // namespace aiops::scanner
