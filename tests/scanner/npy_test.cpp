#define BOOST_TEST_MODULE npy
#include <boost/test/unit_test.hpp>

#include "format_samples.h"
#include "formats.h"

using aiops::common::ErrorCode;
using aiops::scanner::MemorySource;
using aiops::scanner::NpyHeader;
using aiops::testing::le16;
using aiops::testing::le32;
using aiops::testing::npy_file;

namespace {

aiops::common::Result<NpyHeader> parse(const char* name, const std::string& bytes) {
    aiops::testing::save_seed("scanner_npy", name, bytes);
    MemorySource source(bytes);
    return aiops::scanner::parse_npy_header(source);
}

std::string float_payload() { return std::string(12 * 4, '\0'); }

}  // namespace

BOOST_AUTO_TEST_CASE(missing_magic_is_rejected) {
    const auto header = parse("bad_magic", "PK\x03\x04 not numpy at all");

    BOOST_TEST(!header);
    BOOST_TEST(header.error().code == ErrorCode::kInvalidInput);
}

BOOST_AUTO_TEST_CASE(unknown_version_is_rejected) {
    auto bytes = npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", "");
    bytes[6] = '\x09';

    BOOST_TEST(!parse("bad_version", bytes));
}

BOOST_AUTO_TEST_CASE(header_length_beyond_the_file_is_rejected) {
    const auto bytes = std::string("\x93NUMPY\x01\x00", 8) + le16(60000) + "{'descr': '<f4'";

    BOOST_TEST(!parse("header_past_file", bytes));
}

BOOST_AUTO_TEST_CASE(header_length_beyond_the_limit_is_rejected) {
    const auto bytes = std::string("\x93NUMPY\x02\x00", 8) + le32(0x7fffffff) + "{";
    MemorySource source(bytes);

    const auto header = aiops::scanner::parse_npy_header(source, {.max_header_bytes = 1024});

    BOOST_TEST(!header);
}

BOOST_AUTO_TEST_CASE(header_that_is_not_a_dict_literal_is_rejected) {
    for (const auto* dict :
         {"__import__('os').system('id')", "{'descr': '<f4', 'shape': (3,)",
          "{'descr': <f4, 'fortran_order': False, 'shape': (3,)}",
          "{'descr': '<f4', 'fortran_order': False, 'shape': (3,)} extra",
          "{'descr': '<f4', 'fortran_order': 0, 'shape': (3,)}",
          "{'descr': '<f4', 'fortran_order': False, 'shape': (-3,)}",
          "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}",
          "{'descr': '<f4', 'fortran_order': False}",
          "{'descr': '<f4', 'descr': '|O', 'fortran_order': False, 'shape': ()}",
          "{'descr': '<f4', 'fortran_order': False, 'shape': (), 'x': 1}",
          "{'descr': [[[[[[[[[['a', '<f4']]]]]]]]]], 'fortran_order': False, "
          "'shape': ()}"}) {
        const auto header =
            parse(("bad_dict_" + std::to_string(std::string_view(dict).size())).c_str(),
                  npy_file(dict, ""));

        BOOST_TEST(!header, dict);
    }
}

BOOST_AUTO_TEST_CASE(object_dtype_is_detected_with_the_pickle_offset) {
    const auto pickle = std::string(
        "\x80\x02"
        "cposix\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85R.");
    const auto bytes = npy_file("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", pickle);

    const auto header = parse("object_array", bytes);

    BOOST_TEST_REQUIRE(header.has_value());
    BOOST_TEST(header->object_dtype);
    BOOST_TEST(header->data_offset % 64 == 0U);
    BOOST_TEST(bytes.substr(header->data_offset) == pickle);
}

BOOST_AUTO_TEST_CASE(object_field_in_a_structured_dtype_is_detected) {
    const auto bytes = npy_file(
        "{'descr': [('x', '<f4'), ('payload', 'O'), ('pos', '<i8', (2,))], "
        "'fortran_order': False, 'shape': (2,), }",
        "\x80\x02N.", 2);

    const auto header = parse("structured_object", bytes);

    BOOST_TEST_REQUIRE(header.has_value());
    BOOST_TEST(header->object_dtype);
}

BOOST_AUTO_TEST_CASE(float_array_header_is_parsed) {
    const auto bytes =
        npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }", float_payload());

    const auto header = parse("float_array", bytes);

    BOOST_TEST_REQUIRE(header.has_value(), aiops::testing::error_of(header));
    BOOST_TEST(header->descr == "<f4");
    BOOST_TEST(!header->fortran_order);
    BOOST_TEST(header->shape == (std::vector<std::uint64_t>{3, 4}));
    BOOST_TEST(!header->object_dtype);
    BOOST_TEST(header->data_offset == bytes.size() - float_payload().size());
}

BOOST_AUTO_TEST_CASE(version_two_header_python2_longs_and_scalars_are_parsed) {
    const auto bytes =
        npy_file("{\"descr\": \"<i8\", \"fortran_order\": True, \"shape\": (2L, 3L)}",
                 std::string(48, '\0'), 2);

    const auto header = parse("v2_longs", bytes);

    BOOST_TEST_REQUIRE(header.has_value(), aiops::testing::error_of(header));
    BOOST_TEST(header->fortran_order);
    BOOST_TEST(header->shape == (std::vector<std::uint64_t>{2, 3}));
    BOOST_TEST(header->data_offset == bytes.size() - 48);
}

BOOST_AUTO_TEST_CASE(scalar_shape_is_an_empty_tuple) {
    const auto header = parse(
        "scalar", npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (), }", "12345678"));

    BOOST_TEST_REQUIRE(header.has_value());
    BOOST_TEST(header->shape.empty());
}
