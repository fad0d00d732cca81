// ONNX model analysis (onnx/onnx.proto): a protobuf wire-format walk over every tensor reachable
// from the model (graph initializers, sparse initializers, node attributes with their If/Loop/Scan
// subgraphs, training graphs, function bodies) that checks external-data locations and ranges and
// collects custom operator domains. Reads the message structure only; raw_data is skipped by
// length.
#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "finding_collector.h"
#include "formats.h"
#include "protobuf_reader.h"

namespace aiops::scanner {

namespace {

constexpr std::string_view kPathRule = "AIMS-ONNX-EXTERNAL-PATH";
constexpr std::string_view kRangeRule = "AIMS-ONNX-EXTERNAL-RANGE";
constexpr std::string_view kMalformedRule = "AIMS-ONNX-MALFORMED";
constexpr std::string_view kDomainRule = "AIMS-ONNX-CUSTOM-DOMAIN";

// Subgraphs cost three levels each (graph → node → attribute); protobuf's own limit is 100.
constexpr int kMaxDepth = 64;
constexpr std::size_t kMaxKeptText = 256;                // names, op types, domains, entry keys
constexpr std::size_t kMaxLocationBytes = 4096;          // PATH_MAX
constexpr std::uint64_t kMaxExternalBytes = 1ULL << 40;  // 1 TiB
constexpr std::size_t kMaxTensorProblems = 16;  // per tensor, like FindingCollector per rule
constexpr std::size_t kMaxDomains = 64;
constexpr std::size_t kMaxOpsPerDomain = 64;
constexpr std::size_t kMaxFunctions = 4096;
constexpr std::uint64_t kExternalLocation = 1;  // TensorProto.DataLocation EXTERNAL

// ONNX's own domains, plus ONNX Runtime's contrib ops ("com.microsoft"), which ship inside
// onnxruntime: optimised exports use them everywhere and they load no library of the model's.
constexpr std::array<std::string_view, 6> kStandardDomains{
    "", "ai.onnx", "ai.onnx.ml", "ai.onnx.training", "ai.onnx.preview.training", "com.microsoft"};

// Text for a finding, quoted: control and non-ASCII bytes escaped as \xNN (the report stays valid
// UTF-8 whatever the model holds), long text cut.
std::string shown(std::string_view text, std::size_t max_bytes = 200) {
    constexpr std::string_view kHex = "0123456789abcdef";
    std::string out = "\"";
    for (const char ch : text.substr(0, max_bytes)) {
        const auto byte = static_cast<unsigned char>(ch);
        if (byte < 0x20 || byte >= 0x7f) {
            out += "\\x";
            out += kHex[byte >> 4];
            out += kHex[byte & 0xf];
        } else {
            out += ch;
        }
    }
    out += text.size() > max_bytes ? "…\"" : "\"";
    return out;
}

// "file:", "http:", "s3:" (a dotted prefix such as "w.bin:" reads as an NTFS stream instead).
bool has_scheme(std::string_view prefix) {
    return prefix.size() > 1 && std::isalpha(static_cast<unsigned char>(prefix[0])) != 0 &&
           std::all_of(prefix.begin(), prefix.end(), [](char ch) {
               return std::isalnum(static_cast<unsigned char>(ch)) != 0 || ch == '+' || ch == '-';
           });
}

// Why an external-data location is not a plain path inside the model directory, or nullopt.
std::optional<std::string> location_problem(std::string_view location) {
    if (location.empty()) {
        return "is empty";
    }
    if (std::any_of(location.begin(), location.end(), [](char ch) {
            const auto byte = static_cast<unsigned char>(ch);
            return byte < 0x20 || byte == 0x7f;
        })) {
        return "contains a NUL or control character";
    }
    if (location.front() == '/' || location.front() == '\\') {
        return "is an absolute path";
    }
    if (location.size() >= 2 && location[1] == ':' &&
        std::isalpha(static_cast<unsigned char>(location[0])) != 0) {
        return "is an absolute Windows path (drive letter)";
    }
    if (const auto colon = location.find(':'); colon != std::string_view::npos) {
        return has_scheme(location.substr(0, colon))
                   ? "has a URL scheme"
                   : "contains a colon (an NTFS alternate stream)";
    }
    for (std::size_t start = 0; start <= location.size();) {
        const auto end = std::min(location.find_first_of("/\\", start), location.size());
        if (location.substr(start, end - start) == "..") {
            return "has a '..' segment escaping the model directory";
        }
        start = end + 1;
    }
    if (location.find('\\') != std::string_view::npos) {
        return "contains a backslash (a path separator on Windows)";
    }
    return std::nullopt;
}

// A decimal byte count no larger than 1 TiB.
bool plausible_size(std::string_view text) {
    if (text.empty()) {
        return false;
    }
    std::uint64_t value = 0;
    for (const char ch : text) {
        if (ch < '0' || ch > '9') {
            return false;
        }
        value = value * 10 + static_cast<std::uint64_t>(ch - '0');
        if (value > kMaxExternalBytes) {
            return false;
        }
    }
    return true;
}

// What a message's field handler did with a field.
enum class Step { kSkip, kDone, kFail };

// A problem found in a tensor's external_data, reported with the tensor's name once it is known.
struct Problem {
    std::string_view rule;
    Severity severity = Severity::kUnknown;
    std::string title;
    std::string detail;
};

struct TensorState {
    std::string name;
    bool external = false;  // data_location EXTERNAL
    bool has_location = false;
    std::vector<Problem> problems;
    std::size_t more_problems = 0;
};

struct DomainUse {
    bool imported = false;      // by an opset_import
    std::set<std::string> ops;  // op_types of the nodes in this domain (at most kMaxOpsPerDomain)
    bool more_ops = false;
};

class OnnxWalker {
public:
    OnnxWalker(ByteSource& source, FindingCollector& out, const FormatLimits& limits)
        : reader_(source), end_(source.size()), out_(out), limits_(limits) {}

    void run() {
        (void)model(end_);
        report_domains();
    }

private:
    bool model(std::uint64_t end);
    bool training_info(std::uint64_t end);
    bool function(std::uint64_t end);
    bool graph(std::uint64_t end);
    bool node(std::uint64_t end);
    bool attribute(std::uint64_t end);
    bool sparse_tensor(std::uint64_t end);
    bool tensor(std::uint64_t end);
    bool external_entry(std::uint64_t end, TensorState& tensor);
    bool opset_import(std::uint64_t end);

    template <typename Handler>
    bool walk(std::uint64_t end, Handler&& handler);
    template <typename Body>
    Step nested(const ProtoField& field, std::string_view what, Body&& body);
    Step message(const ProtoField& field, std::string_view what,
                 bool (OnnxWalker::*parse)(std::uint64_t)) {
        return nested(field, what,
                      [this, parse](std::uint64_t end) { return (this->*parse)(end); });
    }
    Step text(const ProtoField& field, std::string_view what, std::string& out,
              std::size_t max_bytes = kMaxKeptText);
    bool expect_wire_type(const ProtoField& field, std::uint32_t expected, std::string_view what);
    bool malformed(std::string title, std::string description);
    bool failed(const common::Error& error);

    void check_entry(const std::string& key, const std::string& value, bool overlong,
                     TensorState& tensor);
    void report_tensor(TensorState& tensor, bool parsed);
    void use_domain(const std::string& domain, const std::string* op_type);
    void report_domains();

    ProtoReader reader_;
    std::uint64_t end_;
    FindingCollector& out_;
    const FormatLimits& limits_;
    int depth_ = 0;
    std::uint64_t messages_ = 0;
    std::map<std::string, DomainUse> domains_;  // custom domains (at most kMaxDomains)
    std::size_t unlisted_domains_ = 0;
    std::set<std::pair<std::string, std::string>> functions_;  // model-local (domain, name)
};

bool OnnxWalker::malformed(std::string title, std::string description) {
    out_.add(kMalformedRule, Severity::kMedium, std::move(title),
             std::move(description) + "; the rest of the model was not analysed");
    return false;
}

// A wire-format error (kInvalidInput) or a transport error of the source.
bool OnnxWalker::failed(const common::Error& error) {
    if (error.code == common::ErrorCode::kInvalidInput) {
        return malformed("ONNX protobuf is malformed", error.message);
    }
    out_.add(kMalformedRule, Severity::kUnknown, "ONNX model could not be read", error.message);
    return false;
}

// Walks the fields up to `end`; `handler` parses the fields it knows and returns kSkip for the
// others, whose payload is skipped without being read.
template <typename Handler>
bool OnnxWalker::walk(std::uint64_t end, Handler&& handler) {
    while (reader_.position() < end) {
        const auto field = reader_.next_field(end);
        if (!field) {
            return failed(field.error());
        }
        if (handler(*field) == Step::kFail) {
            return false;
        }
        if (field->wire_type == kWireLengthDelimited) {
            if (auto finished = reader_.finish(*field); !finished) {
                return failed(finished.error());
            }
        }
    }
    return true;
}

bool OnnxWalker::expect_wire_type(const ProtoField& field, std::uint32_t expected,
                                  std::string_view what) {
    if (field.wire_type == expected) {
        return true;
    }
    return malformed("ONNX field has the wrong wire type",
                     std::string(what) + " (field " + std::to_string(field.number) +
                         ") at offset " + std::to_string(field.offset) + " has wire type " +
                         std::to_string(field.wire_type) + ", expected " +
                         std::to_string(expected));
}

template <typename Body>
Step OnnxWalker::nested(const ProtoField& field, std::string_view what, Body&& body) {
    if (!expect_wire_type(field, kWireLengthDelimited, what)) {
        return Step::kFail;
    }
    if (depth_ >= kMaxDepth) {
        malformed("ONNX messages are nested too deep",
                  std::string(what) + " at offset " + std::to_string(field.offset) +
                      " is nested more than " + std::to_string(kMaxDepth) + " messages deep");
        return Step::kFail;
    }
    if (++messages_ > limits_.max_entries) {
        malformed("ONNX model has too many messages", "more than " +
                                                          std::to_string(limits_.max_entries) +
                                                          " nodes, tensors, attributes and graphs");
        return Step::kFail;
    }
    ++depth_;
    const bool parsed = body(field.end);
    --depth_;
    return parsed ? Step::kDone : Step::kFail;
}

// Keeps the first max_bytes of a string field; walk() skips the rest.
Step OnnxWalker::text(const ProtoField& field, std::string_view what, std::string& out,
                      std::size_t max_bytes) {
    if (!expect_wire_type(field, kWireLengthDelimited, what)) {
        return Step::kFail;
    }
    auto bytes = reader_.prefix(field, max_bytes);
    if (!bytes) {
        failed(bytes.error());
        return Step::kFail;
    }
    out = std::move(*bytes);
    return Step::kDone;
}

bool OnnxWalker::model(std::uint64_t end) {
    return walk(end, [this](const ProtoField& field) {
        switch (field.number) {
            case 7: return message(field, "ModelProto.graph", &OnnxWalker::graph);
            case 8: return message(field, "ModelProto.opset_import", &OnnxWalker::opset_import);
            case 20: return message(field, "ModelProto.training_info", &OnnxWalker::training_info);
            case 25: return message(field, "ModelProto.functions", &OnnxWalker::function);
            default: return Step::kSkip;
        }
    });
}

bool OnnxWalker::training_info(std::uint64_t end) {
    return walk(end, [this](const ProtoField& field) {
        switch (field.number) {
            case 1: return message(field, "TrainingInfoProto.initialization", &OnnxWalker::graph);
            case 2: return message(field, "TrainingInfoProto.algorithm", &OnnxWalker::graph);
            default: return Step::kSkip;
        }
    });
}

bool OnnxWalker::function(std::uint64_t end) {
    std::string name;
    std::string domain;
    const bool parsed = walk(end, [&](const ProtoField& field) {
        switch (field.number) {
            case 1: return text(field, "FunctionProto.name", name);
            case 7: return message(field, "FunctionProto.node", &OnnxWalker::node);
            case 9: return message(field, "FunctionProto.opset_import", &OnnxWalker::opset_import);
            case 10: return text(field, "FunctionProto.domain", domain);
            case 11: return message(field, "FunctionProto.attribute_proto", &OnnxWalker::attribute);
            default: return Step::kSkip;
        }
    });
    if (parsed && functions_.size() < kMaxFunctions) {
        functions_.emplace(std::move(domain), std::move(name));
    }
    return parsed;
}

bool OnnxWalker::graph(std::uint64_t end) {
    return walk(end, [this](const ProtoField& field) {
        switch (field.number) {
            case 1: return message(field, "GraphProto.node", &OnnxWalker::node);
            case 5: return message(field, "GraphProto.initializer", &OnnxWalker::tensor);
            case 15:
                return message(field, "GraphProto.sparse_initializer", &OnnxWalker::sparse_tensor);
            default: return Step::kSkip;
        }
    });
}

bool OnnxWalker::node(std::uint64_t end) {
    std::string op_type;
    std::string domain;
    const bool parsed = walk(end, [&](const ProtoField& field) {
        switch (field.number) {
            case 4: return text(field, "NodeProto.op_type", op_type);
            case 5: return message(field, "NodeProto.attribute", &OnnxWalker::attribute);
            case 7: return text(field, "NodeProto.domain", domain);
            default: return Step::kSkip;
        }
    });
    use_domain(domain, &op_type);
    return parsed;
}

bool OnnxWalker::attribute(std::uint64_t end) {
    return walk(end, [this](const ProtoField& field) {
        switch (field.number) {
            case 5: return message(field, "AttributeProto.t", &OnnxWalker::tensor);
            case 6: return message(field, "AttributeProto.g", &OnnxWalker::graph);
            case 10: return message(field, "AttributeProto.tensors", &OnnxWalker::tensor);
            case 11: return message(field, "AttributeProto.graphs", &OnnxWalker::graph);
            case 22:
                return message(field, "AttributeProto.sparse_tensor", &OnnxWalker::sparse_tensor);
            case 23:
                return message(field, "AttributeProto.sparse_tensors", &OnnxWalker::sparse_tensor);
            default: return Step::kSkip;
        }
    });
}

bool OnnxWalker::sparse_tensor(std::uint64_t end) {
    return walk(end, [this](const ProtoField& field) {
        switch (field.number) {
            case 1: return message(field, "SparseTensorProto.values", &OnnxWalker::tensor);
            case 2: return message(field, "SparseTensorProto.indices", &OnnxWalker::tensor);
            default: return Step::kSkip;
        }
    });
}

bool OnnxWalker::opset_import(std::uint64_t end) {
    std::string domain;
    const bool parsed = walk(end, [&](const ProtoField& field) {
        return field.number == 1 ? text(field, "OperatorSetIdProto.domain", domain) : Step::kSkip;
    });
    use_domain(domain, nullptr);
    return parsed;
}

bool OnnxWalker::tensor(std::uint64_t end) {
    TensorState state;
    const bool parsed = walk(end, [&](const ProtoField& field) {
        switch (field.number) {
            case 8: return text(field, "TensorProto.name", state.name);
            case 13:
                return nested(field, "TensorProto.external_data", [&](std::uint64_t entry_end) {
                    return external_entry(entry_end, state);
                });
            case 14:
                if (!expect_wire_type(field, kWireVarint, "TensorProto.data_location")) {
                    return Step::kFail;
                }
                state.external = field.value == kExternalLocation;
                return Step::kDone;
            default: return Step::kSkip;  // raw_data (9) and the typed data fields, unread
        }
    });
    report_tensor(state, parsed);
    return parsed;
}

bool OnnxWalker::external_entry(std::uint64_t end, TensorState& tensor) {
    std::string key;
    std::string value;
    bool overlong = false;
    const bool parsed = walk(end, [&](const ProtoField& field) {
        switch (field.number) {
            case 1: return text(field, "StringStringEntryProto.key", key);
            case 2:
                overlong = field.length > kMaxLocationBytes;
                return text(field, "StringStringEntryProto.value", value, kMaxLocationBytes);
            default: return Step::kSkip;
        }
    });
    if (parsed) {
        check_entry(key, value, overlong, tensor);
    }
    return parsed;
}

void OnnxWalker::check_entry(const std::string& key, const std::string& value, bool overlong,
                             TensorState& tensor) {
    std::optional<Problem> problem;
    if (key == "location") {
        tensor.has_location = true;
        if (overlong) {
            problem = Problem{
                kPathRule, Severity::kMedium, "ONNX external data location is overlong",
                "an external_data location longer than " + std::to_string(kMaxLocationBytes) +
                    " bytes (PATH_MAX): " + shown(value, 80)};
        } else if (auto why = location_problem(value)) {
            problem = Problem{kPathRule, Severity::kHigh,
                              "ONNX external data location escapes the model directory",
                              "external_data location " + shown(value) + " " + *why +
                                  ": ONNX loaders join the location to the model directory and "
                                  "read that file (path traversal: CVE-2022-25882, "
                                  "CVE-2024-27318)"};
        }
    } else if ((key == "offset" || key == "length") && !plausible_size(value)) {
        problem =
            Problem{kRangeRule, Severity::kMedium, "ONNX external data " + key + " is invalid",
                    "external_data " + key + " " + shown(value) +
                        " is not a decimal byte count up to 1 TiB"};
    }
    if (!problem) {
        return;
    }
    if (tensor.problems.size() < kMaxTensorProblems) {
        tensor.problems.push_back(std::move(*problem));
    } else {
        ++tensor.more_problems;
    }
}

void OnnxWalker::report_tensor(TensorState& tensor, bool parsed) {
    const auto name = "tensor " + shown(tensor.name, 80);
    for (auto& problem : tensor.problems) {
        out_.add(problem.rule, problem.severity, std::move(problem.title),
                 name + ": " + problem.detail);
    }
    if (tensor.more_problems > 0) {
        out_.add(kPathRule, Severity::kHigh, "ONNX tensor has many bad external data entries",
                 name + " has " + std::to_string(tensor.more_problems) +
                     " more external_data problems than listed");
    }
    if (parsed && tensor.external && !tensor.has_location) {
        out_.add(kPathRule, Severity::kMedium, "ONNX external tensor has no location",
                 name +
                     " has data_location EXTERNAL but no external_data location "
                     "(a malformed tensor loaders reject or misread)");
    }
}

void OnnxWalker::use_domain(const std::string& domain, const std::string* op_type) {
    if (std::find(kStandardDomains.begin(), kStandardDomains.end(), domain) !=
        kStandardDomains.end()) {
        return;
    }
    auto found = domains_.find(domain);
    if (found == domains_.end()) {
        if (domains_.size() == kMaxDomains) {
            ++unlisted_domains_;
            return;
        }
        found = domains_.emplace(domain, DomainUse{}).first;
    }
    auto& use = found->second;
    if (op_type == nullptr) {
        use.imported = true;
    } else if (use.ops.size() < kMaxOpsPerDomain) {
        use.ops.insert(*op_type);
    } else if (!use.ops.contains(*op_type)) {
        use.more_ops = true;
    }
}

// One finding per custom domain whose operators are not all model-local functions (those are
// ONNX subgraphs, not native code).
void OnnxWalker::report_domains() {
    for (const auto& [domain, use] : domains_) {
        std::string native_ops;
        for (const auto& op_type : use.ops) {
            if (!functions_.contains({domain, op_type})) {
                native_ops += native_ops.empty() ? "" : ", ";
                native_ops += shown(op_type, 40);
            }
        }
        const auto local = functions_.lower_bound({domain, ""});
        const bool function_domain = local != functions_.end() && local->first == domain;
        if (native_ops.empty() && !use.more_ops && (!use.imported || function_domain)) {
            continue;
        }
        std::string detail = native_ops.empty() ? "imported by opset_import" : "ops " + native_ops;
        if (use.more_ops) {
            detail += " and more";
        }
        out_.add(kDomainRule, Severity::kLow,
                 "ONNX model uses custom operator domain " + shown(domain, 80),
                 "domain " + shown(domain) + " (" + detail +
                     "): custom operators run native code from a library the user must register "
                     "with the runtime (onnxruntime register_custom_ops_library)");
    }
    if (unlisted_domains_ > 0) {
        out_.add(kDomainRule, Severity::kLow, "ONNX model uses many custom operator domains",
                 std::to_string(unlisted_domains_) + " more custom domain uses beyond the first " +
                     std::to_string(kMaxDomains) + " domains");
    }
}

}  // namespace

Findings scan_onnx(ByteSource& source, const std::string& path, const FormatLimits& limits) {
    FindingCollector out(path);
    OnnxWalker(source, out, limits).run();
    return out.take();
}

}  // namespace aiops::scanner
