#define BOOST_TEST_MODULE onnx
#include <algorithm>
#include <boost/test/unit_test.hpp>

#include "file_scanner.h"
#include "format_samples.h"
#include "formats.h"

using aiops::scanner::Findings;
using aiops::scanner::MemorySource;
using aiops::scanner::Severity;
using aiops::testing::describe;
using aiops::testing::has_finding;
using namespace std::string_literals;

namespace {

constexpr auto kPath = "AIMS-ONNX-EXTERNAL-PATH";
constexpr auto kRange = "AIMS-ONNX-EXTERNAL-RANGE";
constexpr auto kMalformed = "AIMS-ONNX-MALFORMED";
constexpr auto kDomain = "AIMS-ONNX-CUSTOM-DOMAIN";

// A tiny protobuf writer: field keys, varints and length-delimited fields.
std::string varint(std::uint64_t value) {
    std::string out;
    while (value >= 0x80) {
        out += static_cast<char>((value & 0x7f) | 0x80);
        value >>= 7;
    }
    out += static_cast<char>(value);
    return out;
}

std::string key(std::uint32_t field, std::uint32_t wire_type) {
    return varint((std::uint64_t{field} << 3) | wire_type);
}

std::string number(std::uint32_t field, std::uint64_t value) {
    return key(field, 0) + varint(value);
}

std::string delimited(std::uint32_t field, const std::string& payload) {
    return key(field, 2) + varint(payload.size()) + payload;
}

// ONNX messages (onnx/onnx.proto field numbers).
std::string entry(const std::string& entry_key, const std::string& value) {
    return delimited(1, entry_key) + delimited(2, value);  // StringStringEntryProto
}

std::string inline_tensor(const std::string& name, const std::string& raw_data) {
    return number(1, raw_data.size() / 4) + number(2, 1) + delimited(8, name) +
           delimited(9, raw_data);
}

std::string external_tensor(const std::string& name, const std::string& location,
                            const std::string& offset = "0", const std::string& length = "4096") {
    return number(1, 1024) + number(2, 1) + delimited(8, name) +
           delimited(13, entry("location", location)) + delimited(13, entry("offset", offset)) +
           delimited(13, entry("length", length)) + number(14, 1);
}

std::string node(const std::string& op_type, const std::string& domain = "",
                 const std::string& attributes = "") {
    return delimited(1, "x") + delimited(2, "y") + delimited(4, op_type) +
           (domain.empty() ? "" : delimited(7, domain)) + attributes;
}

std::string tensor_attribute(const std::string& name, const std::string& tensor) {
    return delimited(
        5, delimited(1, name) + number(20, 4) + delimited(5, tensor));  // NodeProto.attribute
}

std::string graph_attribute(const std::string& name, const std::string& graph) {
    return delimited(5, delimited(1, name) + number(20, 5) + delimited(6, graph));
}

std::string graph(const std::vector<std::string>& nodes,
                  const std::vector<std::string>& initializers = {}) {
    std::string out;
    for (const auto& one : nodes) {
        out += delimited(1, one);
    }
    out += delimited(2, "main");
    for (const auto& one : initializers) {
        out += delimited(5, one);
    }
    return out;
}

std::string opset(const std::string& domain, std::uint64_t version) {
    return delimited(1, domain) + number(2, version);
}

// ir_version, producer, opset_import, `extra` ModelProto fields, then the graph (last).
std::string model(const std::string& graph_bytes, const std::string& extra = "") {
    return number(1, 8) + delimited(2, "aiops-tests") + delimited(8, opset("", 17)) + extra +
           delimited(7, graph_bytes);
}

// A graph with plain nodes, an If with a subgraph, a Constant, an inline initializer with raw_data
// and an external one stored next to the model.
std::string benign_graph() {
    const auto then_branch = graph({node("Identity")}, {inline_tensor("then_bias", "abcd")});
    return graph(
        {node("Add"), node("LinearClassifier", "ai.onnx.ml"),
         node("If", "", graph_attribute("then_branch", then_branch)),
         node("Constant", "ai.onnx", tensor_attribute("value", inline_tensor("c", "1234")))},
        {inline_tensor("bias", std::string(16, '\x01')),
         external_tensor("weight", "weights/model.onnx_data")});
}

std::string benign_model() {
    return model(benign_graph(),
                 delimited(8, opset("ai.onnx.ml", 3)) + delimited(14, entry("author", "aiops")));
}

Findings scan(const char* name, const std::string& bytes,
              const aiops::scanner::FormatLimits& limits = {}) {
    aiops::testing::save_seed("scanner_onnx", name, bytes);
    MemorySource source(bytes);
    auto findings = aiops::scanner::scan_onnx(source, "model.onnx", limits);
    BOOST_TEST_MESSAGE(name << ":\n" << describe(findings));
    return findings;
}

std::size_t count(const Findings& findings, std::string_view rule_id) {
    return static_cast<std::size_t>(std::count_if(
        findings.begin(), findings.end(),
        [&](const aiops::scanner::Finding& finding) { return finding.rule_id == rule_id; }));
}

bool mentions(const Findings& findings, std::string_view rule_id, std::string_view text) {
    return std::any_of(findings.begin(), findings.end(), [&](const auto& finding) {
        return finding.rule_id == rule_id && finding.description.find(text) != std::string::npos;
    });
}

// A model of `prefix`, `gap` synthesised zero bytes (a raw_data payload) and `suffix`.
class SyntheticSource final : public aiops::scanner::ByteSource {
public:
    SyntheticSource(std::string prefix, std::uint64_t gap, std::string suffix)
        : prefix_(std::move(prefix)), gap_(gap), suffix_(std::move(suffix)) {}
    std::uint64_t size() const override { return prefix_.size() + gap_ + suffix_.size(); }
    aiops::common::Result<std::size_t> read(std::uint64_t offset, char* buffer,
                                            std::size_t length) override {
        if (offset >= size()) {
            return std::size_t{0};
        }
        const auto count =
            static_cast<std::size_t>(std::min<std::uint64_t>(length, size() - offset));
        const auto suffix_start = prefix_.size() + gap_;
        for (std::size_t index = 0; index < count; ++index) {
            const auto at = offset + index;
            buffer[index] = at < prefix_.size() ? prefix_[at]
                            : at < suffix_start ? '\0'
                                                : suffix_[at - suffix_start];
        }
        bytes_read_ += count;
        return count;
    }
    std::uint64_t bytes_read() const override { return bytes_read_; }

private:
    std::string prefix_;
    std::uint64_t gap_;
    std::string suffix_;
    std::uint64_t bytes_read_ = 0;
};

}  // namespace

BOOST_AUTO_TEST_CASE(benign_model_has_no_findings) {
    const auto findings = scan("benign", benign_model());

    BOOST_TEST(findings.empty(), describe(findings));
}

BOOST_AUTO_TEST_CASE(plain_relative_locations_are_accepted) {
    for (const std::string location :
         {"model.onnx_data", "weights/part-00001.bin", "./w.bin", "a..b/c..", "dir/.hidden"}) {
        const auto findings = scan("relative", model(graph({}, {external_tensor("w", location)})));

        BOOST_TEST(findings.empty(), location << ": " << describe(findings));
    }
}

BOOST_AUTO_TEST_CASE(escaping_locations_are_high_findings) {
    const std::vector<std::pair<std::string, std::string>> cases{
        {"dotdot", "../../etc/passwd"},      {"absolute", "/etc/passwd"},
        {"backslash_dotdot", "..\\x"},       {"drive", "C:\\x"},
        {"url", "file:///etc/passwd"},       {"unc", "\\\\server\\share\\w.bin"},
        {"inner_dotdot", "weights/../../x"}, {"backslash", "weights\\w.bin"},
        {"ntfs_stream", "w.bin:hidden"},     {"empty", ""},
        {"nul", "w.bin\0../../etc/passwd"s},
    };
    for (const auto& [name, location] : cases) {
        const auto findings =
            scan(("location_" + name).c_str(), model(graph({}, {external_tensor("w1", location)})));

        BOOST_TEST(count(findings, kPath) == 1U, name << ": " << describe(findings));
        BOOST_TEST(has_finding(findings, kPath, Severity::kHigh), name);
        BOOST_TEST(mentions(findings, kPath, "tensor \"w1\""), name);
    }
}

BOOST_AUTO_TEST_CASE(description_names_the_exact_location) {
    const auto findings =
        scan("location_named", model(graph({}, {external_tensor("emb", "../../etc/passwd")})));

    BOOST_TEST(mentions(findings, kPath, "\"../../etc/passwd\""), describe(findings));
    BOOST_TEST(mentions(findings, kPath, "CVE-2024-27318"));
}

BOOST_AUTO_TEST_CASE(url_schemes_and_ntfs_streams_are_told_apart) {
    const auto url =
        scan("location_https", model(graph({}, {external_tensor("w", "https://x/w")})));
    const auto stream =
        scan("location_stream", model(graph({}, {external_tensor("w", "w.bin:s")})));

    BOOST_TEST(mentions(url, kPath, "has a URL scheme"), describe(url));
    BOOST_TEST(mentions(stream, kPath, "NTFS alternate stream"), describe(stream));
}

BOOST_AUTO_TEST_CASE(control_characters_are_escaped_in_the_description) {
    const auto findings =
        scan("location_newline", model(graph({}, {external_tensor("w", "w.bin\n../x")})));

    BOOST_TEST(mentions(findings, kPath, "\"w.bin\\x0a../x\""), describe(findings));
}

BOOST_AUTO_TEST_CASE(non_ascii_bytes_are_escaped_so_reports_stay_utf8) {
    const auto findings =
        scan("location_latin1", model(graph({}, {external_tensor("w\xe9", "/\xff")})));

    BOOST_TEST(mentions(findings, kPath, "tensor \"w\\xe9\": external_data location \"/\\xff\""),
               describe(findings));
}

BOOST_AUTO_TEST_CASE(bad_tensor_inside_an_if_subgraph_is_found) {
    const auto else_branch = graph({node("Identity")}, {external_tensor("sub", "/etc/shadow")});
    const auto bytes = model(graph({node("If", "", graph_attribute("else_branch", else_branch))}));

    const auto findings = scan("if_subgraph", bytes);

    BOOST_TEST(has_finding(findings, kPath, Severity::kHigh), describe(findings));
    BOOST_TEST(mentions(findings, kPath, "\"/etc/shadow\""));
}

BOOST_AUTO_TEST_CASE(bad_tensor_inside_a_function_body_is_found) {
    const auto body =
        node("Constant", "", tensor_attribute("value", external_tensor("fn_w", "../secret.bin")));
    const auto function = delimited(1, "MyFn") + delimited(4, "x") + delimited(5, "y") +
                          delimited(7, body) + delimited(9, opset("", 17)) +
                          delimited(10, "local.fn");
    const auto bytes = model(graph({node("MyFn", "local.fn")}),
                             delimited(8, opset("local.fn", 1)) + delimited(25, function));

    const auto findings = scan("function_body", bytes);

    BOOST_TEST(has_finding(findings, kPath, Severity::kHigh), describe(findings));
    BOOST_TEST(mentions(findings, kPath, "tensor \"fn_w\""));
    BOOST_TEST(count(findings, kDomain) == 0U);  // local.fn is the model's own function
}

BOOST_AUTO_TEST_CASE(bad_tensors_in_sparse_attribute_and_training_graphs_are_found) {
    const auto sparse = delimited(1, external_tensor("values", "/v")) +
                        delimited(2, inline_tensor("indices", "0000")) + number(3, 8);
    const auto sparse_node = delimited(1, "y") + delimited(4, "Constant") +
                             delimited(5, delimited(1, "sparse_value") + delimited(22, sparse));
    const auto training = delimited(2, graph({}, {external_tensor("momentum", "../m")}));
    const auto bytes = model(graph({sparse_node}), delimited(20, training)) +
                       delimited(7, delimited(15, delimited(2, external_tensor("idx", "C:/i"))));

    const auto findings = scan("sparse_training", bytes);

    BOOST_TEST(count(findings, kPath) == 3U, describe(findings));
    BOOST_TEST(mentions(findings, kPath, "tensor \"values\""));
    BOOST_TEST(mentions(findings, kPath, "tensor \"momentum\""));
    BOOST_TEST(mentions(findings, kPath, "tensor \"idx\""));
}

BOOST_AUTO_TEST_CASE(external_tensor_without_location_is_medium) {
    const auto tensor = number(1, 4) + number(2, 1) + delimited(8, "lost") +
                        delimited(13, entry("offset", "0")) + number(14, 1);

    const auto findings = scan("no_location", model(graph({}, {tensor})));

    BOOST_TEST(count(findings, kPath) == 1U, describe(findings));
    BOOST_TEST(has_finding(findings, kPath, Severity::kMedium));
}

BOOST_AUTO_TEST_CASE(invalid_offsets_and_lengths_are_range_findings) {
    const std::vector<std::pair<std::string, std::string>> bad{
        {"abc", "4096"}, {"0", "-1"}, {"0", "2000000000000"}, {"", "16"}, {"0x10", "16"}};
    for (const auto& [offset, length] : bad) {
        const auto findings =
            scan("range", model(graph({}, {external_tensor("w", "w.bin", offset, length)})));

        BOOST_TEST(count(findings, kRange) == 1U, offset << "/" << length << describe(findings));
        BOOST_TEST(has_finding(findings, kRange, Severity::kMedium));
    }
    const auto fine = scan(
        "range_ok", model(graph({}, {external_tensor("w", "w.bin", "4096", "1099511627776")})));
    BOOST_TEST(fine.empty(), describe(fine));
}

BOOST_AUTO_TEST_CASE(truncated_model_is_malformed_at_every_cut) {
    const auto bytes = benign_model();
    const auto graph_start = bytes.size() - delimited(7, benign_graph()).size();

    for (auto cut = graph_start + 1; cut < bytes.size(); ++cut) {
        const auto truncated = bytes.substr(0, cut);
        if (cut % 16 == 0) {
            aiops::testing::save_seed("scanner_onnx", "truncated_" + std::to_string(cut),
                                      truncated);
        }
        MemorySource source(truncated);

        const auto findings = aiops::scanner::scan_onnx(source, "model.onnx");

        BOOST_TEST(has_finding(findings, kMalformed, Severity::kMedium), "cut at " << cut);
    }
}

BOOST_AUTO_TEST_CASE(length_past_the_end_is_malformed) {
    const auto findings = scan("length_past_end", number(1, 8) + key(7, 2) + varint(1000) + "abc");

    BOOST_TEST(has_finding(findings, kMalformed, Severity::kMedium), describe(findings));
}

BOOST_AUTO_TEST_CASE(length_past_the_parent_message_is_malformed) {
    const auto graph_bytes = key(5, 2) + varint(100) + "abc";  // initializer longer than its graph

    const auto findings = scan("length_past_parent", model(graph_bytes) + delimited(2, "more"));

    BOOST_TEST(has_finding(findings, kMalformed, Severity::kMedium), describe(findings));
}

BOOST_AUTO_TEST_CASE(groups_and_wrong_wire_types_are_malformed) {
    const std::vector<std::pair<std::string, std::string>> cases{
        {"group", number(1, 8) + key(5, 3) + key(5, 4)},
        {"wire_6", number(1, 8) + key(3, 6)},
        {"graph_as_varint", number(1, 8) + number(7, 5)},
        {"location_as_varint", model(graph({}, {number(14, 1) + number(13, 7)}))},
        {"data_location_as_bytes", model(graph({}, {delimited(14, "\x01")}))},
        {"field_zero", key(0, 0) + varint(1)},
        {"overlong_varint", number(1, 8) + key(1, 0) + std::string(11, '\xff')},
        {"truncated_fixed64", number(1, 8) + key(3, 1) + "abc"},
    };
    for (const auto& [name, bytes] : cases) {
        const auto findings = scan(("wire_" + name).c_str(), bytes);

        BOOST_TEST(has_finding(findings, kMalformed, Severity::kMedium),
                   name << ": " << describe(findings));
    }
}

BOOST_AUTO_TEST_CASE(unknown_fields_of_every_wire_type_are_skipped) {
    const auto unknown = number(99, 1) + key(98, 1) + std::string(8, 'x') + key(97, 5) + "abcd" +
                         delimited(96, "payload");
    const auto bytes =
        model(graph({node("Add") + unknown}, {inline_tensor("b", "abcd") + unknown}), unknown);

    const auto findings = scan("unknown_fields", bytes);

    BOOST_TEST(findings.empty(), describe(findings));
}

BOOST_AUTO_TEST_CASE(findings_before_an_error_are_kept) {
    const auto bytes =
        model(graph({}, {external_tensor("early", "/etc/passwd")})) + key(9, 3) + "garbage";

    const auto findings = scan("error_after_finding", bytes);

    BOOST_TEST(has_finding(findings, kPath, Severity::kHigh), describe(findings));
    BOOST_TEST(has_finding(findings, kMalformed, Severity::kMedium));
}

BOOST_AUTO_TEST_CASE(deep_nesting_is_an_error_finding_not_a_stack_overflow) {
    auto nested = graph({node("Identity")});
    for (int level = 0; level < 200; ++level) {
        nested = graph({node("If", "", graph_attribute("then_branch", nested))});
    }

    const auto findings = scan("deep_nesting", model(nested));

    BOOST_TEST(has_finding(findings, kMalformed, Severity::kMedium), describe(findings));
    BOOST_TEST(mentions(findings, kMalformed, "nested more than"));
}

BOOST_AUTO_TEST_CASE(fifteen_levels_of_subgraphs_are_analysed) {
    auto nested = graph({node("Identity")}, {external_tensor("deep", "/deep")});
    for (int level = 0; level < 15; ++level) {
        nested = graph({node("Loop", "", graph_attribute("body", nested))});
    }

    const auto findings = scan("fifteen_levels", model(nested));

    BOOST_TEST(count(findings, kMalformed) == 0U, describe(findings));
    BOOST_TEST(mentions(findings, kPath, "tensor \"deep\""));
}

BOOST_AUTO_TEST_CASE(too_many_messages_is_malformed) {
    const std::vector<std::string> nodes(20, node("Relu"));

    const auto findings = scan("many_nodes", model(graph(nodes)), {.max_entries = 10});

    BOOST_TEST(has_finding(findings, kMalformed, Severity::kMedium), describe(findings));
    BOOST_TEST(mentions(findings, kMalformed, "more than 10"));
}

BOOST_AUTO_TEST_CASE(custom_domain_is_a_low_finding_reported_once) {
    const auto bytes = model(
        graph({node("EvilOp", "com.evil"), node("EvilOp", "com.evil"), node("Other", "com.evil"),
               node("Relu", "ai.onnx"), node("Gradient", "ai.onnx.preview.training")}),
        delimited(8, opset("com.evil", 1)) + delimited(8, opset("ai.onnx.ml", 3)));

    const auto findings = scan("custom_domain", bytes);

    BOOST_TEST(count(findings, kDomain) == 1U, describe(findings));
    BOOST_TEST(has_finding(findings, kDomain, Severity::kLow));
    BOOST_TEST(mentions(findings, kDomain, "\"com.evil\""));
    BOOST_TEST(mentions(findings, kDomain, "\"EvilOp\", \"Other\""));
}

BOOST_AUTO_TEST_CASE(imported_custom_domain_without_nodes_is_reported) {
    const auto findings = scan(
        "custom_import", model(graph({node("Relu")}), delimited(8, opset("ai.onnx.contrib", 1))));

    BOOST_TEST(count(findings, kDomain) == 1U, describe(findings));
    BOOST_TEST(mentions(findings, kDomain, "imported by opset_import"));
}

BOOST_AUTO_TEST_CASE(model_local_functions_are_not_custom_code_but_other_ops_are) {
    const auto function =
        delimited(1, "MyFn") + delimited(7, node("Relu")) + delimited(10, "local.fn");
    const auto local_only = model(graph({node("MyFn", "local.fn")}),
                                  delimited(8, opset("local.fn", 1)) + delimited(25, function));
    const auto mixed = model(graph({node("MyFn", "local.fn"), node("Native", "local.fn")}),
                             delimited(8, opset("local.fn", 1)) + delimited(25, function));

    const auto clean = scan("local_function", local_only);
    const auto flagged = scan("local_function_and_native", mixed);

    BOOST_TEST(clean.empty(), describe(clean));
    BOOST_TEST(count(flagged, kDomain) == 1U, describe(flagged));
    BOOST_TEST(mentions(flagged, kDomain, "\"Native\""));
    BOOST_TEST(!mentions(flagged, kDomain, "\"MyFn\""));
}

BOOST_AUTO_TEST_CASE(large_raw_data_is_skipped_not_read) {
    constexpr std::uint64_t kRawBytes = 64ULL << 20;
    const auto after = delimited(5, external_tensor("after_big", "../../etc/passwd"));
    const auto big_head =
        delimited(8, "big") + key(9, 2) + varint(kRawBytes);  // raw_data payload next
    const auto big_tensor_bytes = big_head.size() + kRawBytes;
    const auto initializer_head = key(5, 2) + varint(big_tensor_bytes);
    const auto graph_bytes = initializer_head.size() + big_tensor_bytes + after.size();
    SyntheticSource source(
        number(1, 8) + key(7, 2) + varint(graph_bytes) + initializer_head + big_head, kRawBytes,
        after);

    const auto findings = aiops::scanner::scan_onnx(source, "big.onnx");

    BOOST_TEST(mentions(findings, kPath, "tensor \"after_big\""), describe(findings));
    BOOST_TEST(count(findings, kMalformed) == 0U);
    BOOST_TEST(source.size() > kRawBytes);
    BOOST_TEST(source.bytes_read() < 200'000U);
}

BOOST_AUTO_TEST_CASE(scan_file_dispatches_onnx_by_suffix) {
    const auto bad = model(graph({}, {external_tensor("w", "../../etc/passwd")}));
    MemorySource source(bad);

    const auto report = aiops::scanner::scan_file("models/Model.ONNX", source);

    BOOST_TEST(report.format == "onnx");
    BOOST_TEST(has_finding(report.findings, kPath, Severity::kHigh), describe(report.findings));
}

BOOST_AUTO_TEST_CASE(detect_format_prefers_magic_then_the_onnx_suffix) {
    using aiops::scanner::detect_format;
    const std::string brace_at_8 = "\x08\x08\x12\x04mode{xxxxxxx";  // '{' where safetensors has it

    BOOST_TEST(detect_format("model.onnx", benign_model().substr(0, 16)) == "onnx");
    BOOST_TEST(detect_format("model.onnx", brace_at_8) == "onnx");
    BOOST_TEST(detect_format("model.onnx", "\x80\x04\x95") == "pickle");
    BOOST_TEST(detect_format("model.onnx", "PK\x03\x04") == "zip");
    BOOST_TEST(detect_format("model.onnx_data", brace_at_8) == "safetensors");
}
