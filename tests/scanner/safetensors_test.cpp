#define BOOST_TEST_MODULE safetensors
#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cstring>

#include "format_samples.h"
#include "formats.h"

using aiops::scanner::Findings;
using aiops::scanner::FormatLimits;
using aiops::scanner::MemorySource;
using aiops::scanner::Severity;
using aiops::testing::has_finding;
using aiops::testing::le64;
using aiops::testing::safetensors_file;

namespace {

constexpr auto kHeader = "AIMS-SAFETENSORS-HEADER";
constexpr auto kDtype = "AIMS-SAFETENSORS-DTYPE";
constexpr auto kShape = "AIMS-SAFETENSORS-SHAPE";
constexpr auto kOffsets = "AIMS-SAFETENSORS-OFFSETS";
constexpr auto kMetadata = "AIMS-SAFETENSORS-METADATA";

Findings scan(const char* name, const std::string& bytes, const FormatLimits& limits = {}) {
    aiops::testing::save_seed("scanner_safetensors", name, bytes);
    MemorySource source(bytes);
    auto findings = aiops::scanner::scan_safetensors(source, "model.safetensors", limits);
    BOOST_TEST_MESSAGE(name << ":\n" << aiops::testing::describe(findings));
    return findings;
}

std::string one_tensor(const std::string& entry, const std::string& data) {
    return safetensors_file(R"({"w":)" + entry + "}", data);
}

// A safetensors file of `data_bytes` zero bytes after a real header, synthesised on read: a
// 1 GiB model that costs nothing to hold.
class SyntheticSource final : public aiops::scanner::ByteSource {
public:
    SyntheticSource(std::string prefix, std::uint64_t size)
        : prefix_(std::move(prefix)), size_(size) {}
    std::uint64_t size() const override { return size_; }
    aiops::common::Result<std::size_t> read(std::uint64_t offset, char* buffer,
                                            std::size_t length) override {
        if (offset >= size_) {
            return std::size_t{0};
        }
        const auto count =
            static_cast<std::size_t>(std::min<std::uint64_t>(length, size_ - offset));
        for (std::size_t index = 0; index < count; ++index) {
            const auto at = offset + index;
            buffer[index] = at < prefix_.size() ? prefix_[at] : '\0';
        }
        bytes_read_ += count;
        return count;
    }
    std::uint64_t bytes_read() const override { return bytes_read_; }

private:
    std::string prefix_;
    std::uint64_t size_;
    std::uint64_t bytes_read_ = 0;
};

}  // namespace

BOOST_AUTO_TEST_CASE(file_shorter_than_the_length_prefix_is_a_header_finding) {
    const auto findings = scan("short", "abc");

    BOOST_TEST(has_finding(findings, kHeader, Severity::kHigh));
}

BOOST_AUTO_TEST_CASE(zero_header_length_is_a_header_finding) {
    const auto findings = scan("zero_length", le64(0) + "{}");

    BOOST_TEST(has_finding(findings, kHeader, Severity::kHigh));
}

BOOST_AUTO_TEST_CASE(header_length_beyond_the_limit_is_a_header_finding) {
    const auto bytes = safetensors_file(R"({"__metadata__":{"a":"b"}})", "");

    const auto findings = scan("over_limit", bytes, {.max_header_bytes = 16});

    BOOST_TEST(has_finding(findings, kHeader, Severity::kHigh));
}

BOOST_AUTO_TEST_CASE(header_length_beyond_the_file_is_a_header_finding) {
    const auto findings = scan("past_file", le64(1ULL << 40) + R"({"a":1})");

    BOOST_TEST(has_finding(findings, kHeader, Severity::kHigh));
}

BOOST_AUTO_TEST_CASE(invalid_json_header_is_a_header_finding) {
    const auto findings = scan("invalid_json", safetensors_file(R"({"w": {"dtype": )", ""));

    BOOST_TEST(has_finding(findings, kHeader, Severity::kHigh));
}

BOOST_AUTO_TEST_CASE(header_that_is_not_an_object_is_a_header_finding) {
    const auto findings = scan("array_header", safetensors_file("[1, 2, 3]", ""));

    BOOST_TEST(has_finding(findings, kHeader, Severity::kHigh));
}

BOOST_AUTO_TEST_CASE(deeply_nested_header_is_a_header_finding) {
    const auto findings = scan(
        "deep_header",
        safetensors_file("{\"a\":" + std::string(5000, '[') + std::string(5000, ']') + "}", ""));

    BOOST_TEST(has_finding(findings, kHeader, Severity::kHigh));
}

BOOST_AUTO_TEST_CASE(duplicate_tensor_names_are_a_header_finding) {
    const auto bytes = safetensors_file(R"({"w":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},)"
                                        R"("w":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}})",
                                        "abcd");

    const auto findings = scan("duplicate_key", bytes);

    BOOST_TEST(has_finding(findings, kHeader, Severity::kHigh));
}

BOOST_AUTO_TEST_CASE(tensor_entry_without_offsets_is_a_header_finding) {
    const auto findings = scan("no_offsets", one_tensor(R"({"dtype":"U8","shape":[4]})", "abcd"));

    BOOST_TEST(has_finding(findings, kHeader, Severity::kHigh));
}

BOOST_AUTO_TEST_CASE(unknown_dtype_is_a_medium_dtype_finding) {
    const auto findings = scan(
        "unknown_dtype", one_tensor(R"({"dtype":"Q4","shape":[4],"data_offsets":[0,4]})", "abcd"));

    BOOST_TEST(has_finding(findings, kDtype, Severity::kMedium));
    BOOST_TEST(aiops::testing::count_high(findings) == 0);
}

BOOST_AUTO_TEST_CASE(shape_not_matching_the_byte_span_is_a_shape_finding) {
    const auto findings = scan(
        "shape_mismatch",
        one_tensor(R"({"dtype":"F32","shape":[2,2],"data_offsets":[0,8]})", std::string(8, '\0')));

    BOOST_TEST(has_finding(findings, kShape, Severity::kHigh));
}

BOOST_AUTO_TEST_CASE(negative_dimension_is_a_shape_finding) {
    const auto findings = scan(
        "negative_dim", one_tensor(R"({"dtype":"U8","shape":[-4],"data_offsets":[0,4]})", "abcd"));

    BOOST_TEST(has_finding(findings, kShape, Severity::kHigh));
}

BOOST_AUTO_TEST_CASE(overflowing_shape_product_is_a_shape_finding) {
    const auto entry = R"({"dtype":"F64","shape":[4294967296,4294967296,16],"data_offsets":[0,8]})";

    const auto findings = scan("overflow_shape", one_tensor(entry, std::string(8, '\0')));

    BOOST_TEST(has_finding(findings, kShape, Severity::kHigh));
}

BOOST_AUTO_TEST_CASE(offsets_past_the_data_section_are_an_offsets_finding) {
    const auto findings = scan(
        "offsets_oob", one_tensor(R"({"dtype":"U8","shape":[64],"data_offsets":[0,64]})", "abcd"));

    BOOST_TEST(has_finding(findings, kOffsets, Severity::kHigh));
}

BOOST_AUTO_TEST_CASE(reversed_offsets_are_an_offsets_finding) {
    const auto findings =
        scan("offsets_reversed",
             one_tensor(R"({"dtype":"U8","shape":[0],"data_offsets":[4,0]})", "abcd"));

    BOOST_TEST(has_finding(findings, kOffsets, Severity::kHigh));
}

BOOST_AUTO_TEST_CASE(overlapping_tensors_are_an_offsets_finding) {
    const auto bytes = safetensors_file(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},)"
                                        R"("b":{"dtype":"U8","shape":[4],"data_offsets":[2,6]}})",
                                        "abcdef");

    const auto findings = scan("overlap", bytes);

    BOOST_TEST(has_finding(findings, kOffsets, Severity::kHigh));
}

BOOST_AUTO_TEST_CASE(gap_between_tensors_is_an_offsets_finding) {
    const auto bytes = safetensors_file(R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},)"
                                        R"("b":{"dtype":"U8","shape":[2],"data_offsets":[4,6]}})",
                                        "abXXef");

    const auto findings = scan("gap", bytes);

    BOOST_TEST(has_finding(findings, kOffsets, Severity::kHigh));
}

BOOST_AUTO_TEST_CASE(trailing_bytes_after_the_last_tensor_are_an_offsets_finding) {
    const auto findings =
        scan("trailing", one_tensor(R"({"dtype":"U8","shape":[2],"data_offsets":[0,2]})",
                                    "ab<script>hidden</script>"));

    BOOST_TEST(has_finding(findings, kOffsets, Severity::kHigh));
}

BOOST_AUTO_TEST_CASE(metadata_with_non_string_values_is_a_metadata_finding) {
    const auto bytes = safetensors_file(R"({"__metadata__":{"format":"pt","layers":12},)"
                                        R"("w":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}})",
                                        "ab");

    const auto findings = scan("metadata_int", bytes);

    BOOST_TEST(has_finding(findings, kMetadata, Severity::kMedium));
    BOOST_TEST(aiops::testing::count_high(findings) == 0);
}

BOOST_AUTO_TEST_CASE(two_hundred_bad_tensors_give_a_bounded_report) {
    std::string header = "{";
    for (int index = 0; index < 200; ++index) {
        header +=
            "\"t" + std::to_string(index) + R"(":{"dtype":"U8","shape":[9],"data_offsets":[0,1]},)";
    }
    header.back() = '}';

    const auto findings = scan("many_bad", safetensors_file(header, "a"));

    BOOST_TEST(has_finding(findings, kShape, Severity::kHigh));
    BOOST_TEST(findings.size() < 64U);
}

BOOST_AUTO_TEST_CASE(benign_multi_tensor_file_has_no_findings) {
    const auto findings = scan("benign", aiops::testing::benign_safetensors());

    BOOST_TEST(findings.empty(), aiops::testing::describe(findings));
}

BOOST_AUTO_TEST_CASE(empty_and_rank_zero_tensors_are_legal) {
    const auto bytes =
        safetensors_file(R"({"empty":{"dtype":"F32","shape":[0,8],"data_offsets":[0,0]},)"
                         R"("scalar":{"dtype":"F64","shape":[],"data_offsets":[0,8]},)"
                         R"("nibbles":{"dtype":"F4","shape":[4],"data_offsets":[8,10]}})",
                         std::string(10, '\0'));

    const auto findings = scan("edge_shapes", bytes);

    BOOST_TEST(findings.empty(), aiops::testing::describe(findings));
}

BOOST_AUTO_TEST_CASE(large_model_costs_only_its_header) {
    constexpr std::uint64_t kDataBytes = 1ULL << 30;
    const auto header = safetensors_file(
        R"({"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[268435456],)"
        R"("data_offsets":[0,1073741824]}})",
        "");
    SyntheticSource source(header, header.size() + kDataBytes);

    const auto findings = aiops::scanner::scan_safetensors(source, "big.safetensors");

    BOOST_TEST(findings.empty(), aiops::testing::describe(findings));
    BOOST_TEST(source.bytes_read() == header.size());
}
