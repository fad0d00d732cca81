#define BOOST_TEST_MODULE gguf
#include <boost/test/unit_test.hpp>

#include "format_samples.h"
#include "formats.h"

using aiops::scanner::Findings;
using aiops::scanner::MemorySource;
using aiops::scanner::Severity;
using aiops::testing::benign_gguf;
using aiops::testing::gguf_kv;
using aiops::testing::gguf_string;
using aiops::testing::gguf_tensor;
using aiops::testing::GgufFile;
using aiops::testing::has_finding;
using aiops::testing::le32;
using aiops::testing::le64;

namespace {

constexpr auto kHeader = "AIMS-GGUF-HEADER";
constexpr auto kString = "AIMS-GGUF-STRING";
constexpr auto kArray = "AIMS-GGUF-ARRAY";
constexpr auto kType = "AIMS-GGUF-TYPE";
constexpr auto kAlignment = "AIMS-GGUF-ALIGNMENT";
constexpr auto kTensor = "AIMS-GGUF-TENSOR";
constexpr auto kTemplate = "AIMS-GGUF-CHAT-TEMPLATE";

Findings scan(const char* name, const std::string& bytes) {
    aiops::testing::save_seed("scanner_gguf", name, bytes);
    MemorySource source(bytes);
    auto findings = aiops::scanner::scan_gguf(source, "model.gguf");
    BOOST_TEST_MESSAGE(name << ":\n" << aiops::testing::describe(findings));
    return findings;
}

// The benign file with one KV appended.
std::string with_kv(const std::string& kv) {
    auto file = benign_gguf();
    file.kvs.push_back(kv);
    return file.build();
}

// A file with one F32 tensor info and `data`.
std::string with_tensors(std::vector<std::string> tensors, const std::string& data) {
    GgufFile file;
    file.kvs = {gguf_kv("general.architecture", 8, gguf_string("llama"))};
    file.tensors = std::move(tensors);
    file.data = data;
    return file.build();
}

}  // namespace

BOOST_AUTO_TEST_CASE(missing_magic_is_a_header_finding) {
    const auto findings = scan("bad_magic", "GGML" + le32(3) + le64(0) + le64(0));

    BOOST_TEST(has_finding(findings, kHeader, Severity::kHigh));
}

BOOST_AUTO_TEST_CASE(invalid_versions_are_header_findings) {
    for (const std::uint32_t version : {0U, 4U, 0xFFFFU}) {
        const auto findings = scan(("version_" + std::to_string(version)).c_str(),
                                   "GGUF" + le32(version) + le64(0) + le64(0));

        BOOST_TEST(has_finding(findings, kHeader, Severity::kHigh), "version " << version);
    }
}

BOOST_AUTO_TEST_CASE(big_endian_file_is_reported_and_not_parsed) {
    const auto findings = scan("big_endian", "GGUF" + le32(3U << 24) + le64(0) + le64(0));

    BOOST_TEST(has_finding(findings, kHeader, Severity::kMedium));
}

BOOST_AUTO_TEST_CASE(impossible_tensor_count_is_a_header_finding) {
    auto file = benign_gguf();
    file.tensor_count = 0x0fffffffffffffffULL;  // CVE-2024-21836

    const auto findings = scan("huge_tensor_count", file.build());

    BOOST_TEST(has_finding(findings, kHeader, Severity::kHigh));
}

BOOST_AUTO_TEST_CASE(impossible_kv_count_is_a_header_finding) {
    auto file = benign_gguf();
    file.kv_count = 1ULL << 40;  // CVE-2024-23605

    const auto findings = scan("huge_kv_count", file.build());

    BOOST_TEST(has_finding(findings, kHeader, Severity::kHigh));
}

BOOST_AUTO_TEST_CASE(key_length_beyond_the_file_is_a_string_finding) {
    const auto findings = scan("huge_key", with_kv(le64(0xFFFFFFFFFFFFULL) + "general.x"));

    BOOST_TEST(has_finding(findings, kString, Severity::kHigh));
}

BOOST_AUTO_TEST_CASE(string_value_length_beyond_the_file_is_a_string_finding) {
    const auto findings = scan(
        "huge_string", with_kv(gguf_string("general.name") + le32(8) + le64(1ULL << 29) + "x"));

    BOOST_TEST(has_finding(findings, kString, Severity::kHigh));
}

BOOST_AUTO_TEST_CASE(unknown_value_type_is_a_type_finding) {
    const auto findings = scan("unknown_type", with_kv(gguf_kv("general.x", 13, le32(0))));

    BOOST_TEST(has_finding(findings, kType, Severity::kHigh));
}

BOOST_AUTO_TEST_CASE(nested_array_is_a_type_finding) {
    const auto inner = le32(4) + le64(1) + le32(7);
    const auto findings =
        scan("nested_array", with_kv(gguf_kv("general.x", 9, le32(9) + le64(1) + inner)));

    BOOST_TEST(has_finding(findings, kType, Severity::kHigh));
}

BOOST_AUTO_TEST_CASE(array_count_beyond_the_file_is_an_array_finding) {
    const auto findings =
        scan("huge_array", with_kv(gguf_kv("general.x", 9, le32(10) + le64(1ULL << 33) + le64(1))));

    BOOST_TEST(has_finding(findings, kArray, Severity::kHigh));
}

BOOST_AUTO_TEST_CASE(bool_other_than_zero_or_one_is_a_medium_type_finding) {
    const auto findings = scan("bad_bool", with_kv(gguf_kv("general.flag", 7, "\x02")));

    BOOST_TEST(has_finding(findings, kType, Severity::kMedium));
    BOOST_TEST(aiops::testing::count_high(findings) == 0);
}

BOOST_AUTO_TEST_CASE(alignment_that_is_not_a_power_of_two_is_an_alignment_finding) {
    for (const std::uint32_t alignment : {0U, 48U, 0xFFFFFFFFU}) {
        auto file = benign_gguf();
        file.kvs[1] = gguf_kv("general.alignment", 4, le32(alignment));

        const auto findings =
            scan(("alignment_" + std::to_string(alignment)).c_str(), file.build());

        BOOST_TEST(has_finding(findings, kAlignment, Severity::kHigh), "alignment " << alignment);
    }
}

BOOST_AUTO_TEST_CASE(alignment_of_the_wrong_type_is_an_alignment_finding) {
    auto file = benign_gguf();
    file.kvs[1] = gguf_kv("general.alignment", 10, le64(32));

    const auto findings = scan("alignment_u64", file.build());

    BOOST_TEST(has_finding(findings, kAlignment, Severity::kHigh));
}

BOOST_AUTO_TEST_CASE(too_many_dims_is_a_tensor_finding) {
    for (const std::uint32_t dims : {5U, 0xFFFFFFFFU}) {
        const auto info = gguf_string("t") + le32(dims) + le64(1) + le64(1) + le64(1) + le64(1) +
                          le64(1) + le32(0) + le64(0);

        const auto findings = scan(("n_dims_" + std::to_string(dims)).c_str(),
                                   with_tensors({info}, std::string(4, '\0')));

        BOOST_TEST(has_finding(findings, kTensor, Severity::kHigh), "n_dims " << dims);
    }
}

BOOST_AUTO_TEST_CASE(overflowing_element_count_is_a_tensor_finding) {
    const auto info = gguf_tensor("t", {1ULL << 32, 1ULL << 32, 4}, 0, 0);

    const auto findings = scan("dims_overflow", with_tensors({info}, std::string(32, '\0')));

    BOOST_TEST(has_finding(findings, kTensor, Severity::kHigh));
}

BOOST_AUTO_TEST_CASE(negative_dimension_is_a_tensor_finding) {
    const auto info = gguf_tensor("t", {~0ULL}, 0, 0);

    const auto findings = scan("dims_negative", with_tensors({info}, std::string(32, '\0')));

    BOOST_TEST(has_finding(findings, kTensor, Severity::kHigh));
}

BOOST_AUTO_TEST_CASE(unknown_or_removed_ggml_type_is_a_type_finding) {
    for (const std::uint32_t type : {4U, 40U, 0xFFFFFFFFU}) {
        const auto findings =
            scan(("ggml_type_" + std::to_string(type)).c_str(),
                 with_tensors({gguf_tensor("t", {32}, type, 0)}, std::string(32, '\0')));

        BOOST_TEST(has_finding(findings, kType, Severity::kHigh), "type " << type);
    }
}

BOOST_AUTO_TEST_CASE(partial_quantisation_block_is_a_tensor_finding) {
    const auto findings =
        scan("partial_block", with_tensors({gguf_tensor("t", {31}, 8, 0)}, std::string(34, '\0')));

    BOOST_TEST(has_finding(findings, kTensor, Severity::kHigh));
}

BOOST_AUTO_TEST_CASE(tensor_data_past_the_end_is_a_tensor_finding) {
    const auto findings = scan(
        "tensor_oob", with_tensors({gguf_tensor("t", {1024, 1024}, 0, 0)}, std::string(64, '\0')));

    BOOST_TEST(has_finding(findings, kTensor, Severity::kHigh));
}

BOOST_AUTO_TEST_CASE(overlapping_tensors_are_a_tensor_finding) {
    const auto findings =
        scan("tensor_overlap",
             with_tensors({gguf_tensor("a", {16}, 0, 0), gguf_tensor("b", {16}, 0, 32)},
                          std::string(96, '\0')));

    BOOST_TEST(has_finding(findings, kTensor, Severity::kHigh));
}

BOOST_AUTO_TEST_CASE(duplicate_tensor_names_are_a_tensor_finding) {
    const auto findings =
        scan("tensor_duplicate",
             with_tensors({gguf_tensor("a", {8}, 0, 0), gguf_tensor("a", {8}, 0, 32)},
                          std::string(64, '\0')));

    BOOST_TEST(has_finding(findings, kTensor, Severity::kHigh));
}

BOOST_AUTO_TEST_CASE(duplicate_keys_are_a_header_finding) {
    const auto findings =
        scan("duplicate_key", with_kv(gguf_kv("general.architecture", 8, gguf_string("gpt2"))));

    BOOST_TEST(has_finding(findings, kHeader, Severity::kHigh));
}

BOOST_AUTO_TEST_CASE(truncated_file_is_a_high_finding) {
    const auto bytes = benign_gguf().build();
    for (const std::size_t size : {std::size_t{200}, std::size_t{401}, bytes.size() - 120}) {
        // counts that cannot fit, an array past the end, a tensor info cut mid-field
        const auto findings =
            scan(("truncated_" + std::to_string(size)).c_str(), bytes.substr(0, size));

        BOOST_TEST(aiops::testing::count_high(findings) > 0, "size " << size);
    }
}

BOOST_AUTO_TEST_CASE(chat_template_reaching_python_internals_is_a_template_finding) {
    auto file = benign_gguf();
    file.kvs.back() = gguf_kv(
        "tokenizer.chat_template", 8,
        gguf_string(
            "{{ self.__init__.__globals__.__builtins__.__import__('os').popen('id').read() }}"));

    const auto findings = scan("chat_template_ssti", file.build());

    BOOST_TEST(has_finding(findings, kTemplate, Severity::kHigh));
}

BOOST_AUTO_TEST_CASE(benign_v3_file_with_every_kv_type_has_no_findings) {
    const auto findings = scan("benign_v3", benign_gguf().build());

    BOOST_TEST(findings.empty(), aiops::testing::describe(findings));
}

BOOST_AUTO_TEST_CASE(benign_v2_file_has_no_findings) {
    auto file = benign_gguf();
    file.version = 2;

    const auto findings = scan("benign_v2", file.build());

    BOOST_TEST(findings.empty(), aiops::testing::describe(findings));
}

BOOST_AUTO_TEST_CASE(benign_file_reads_only_header_and_metadata) {
    auto file = benign_gguf();
    file.data += std::string(30 + (1 << 20), '\0');
    file.tensors.push_back(gguf_tensor("output.weight", {1 << 18}, 0, 128));
    const auto bytes = file.build();
    MemorySource source(bytes);

    const auto findings = aiops::scanner::scan_gguf(source, "model.gguf");

    BOOST_TEST(aiops::testing::count_high(findings) == 0, aiops::testing::describe(findings));
    BOOST_TEST(source.bytes_read() < 70'000U);
}
