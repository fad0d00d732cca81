#define BOOST_TEST_MODULE zip_reader
#include <zlib.h>

#include <boost/test/unit_test.hpp>
#include <stdexcept>

#include "format_samples.h"
#include "formats.h"

using aiops::common::ErrorCode;
using aiops::scanner::ByteSource;
using aiops::scanner::FormatLimits;
using aiops::scanner::MemorySource;
using aiops::scanner::read_exact;
using aiops::scanner::Severity;
using aiops::scanner::ZipDirectory;
using aiops::testing::deflated_entry;
using aiops::testing::has_finding;
using aiops::testing::le16;
using aiops::testing::le32;
using aiops::testing::stored_entry;
using aiops::testing::zip_file;
using aiops::testing::ZipEntry;

namespace {

constexpr auto kPath = "AIMS-ZIP-PATH";
constexpr auto kBomb = "AIMS-ZIP-BOMB";
constexpr auto kMalformed = "AIMS-ZIP-MALFORMED";
constexpr auto kEncrypted = "AIMS-ZIP-ENCRYPTED";
constexpr auto kMethod = "AIMS-ZIP-METHOD";

aiops::common::Result<ZipDirectory> read_directory(const char* name, const std::string& bytes,
                                                   const FormatLimits& limits = {}) {
    aiops::testing::save_seed("scanner_zip", name, bytes);
    MemorySource source(bytes);
    auto directory = aiops::scanner::read_zip_directory(source, "model.zip", limits);
    if (directory) {
        BOOST_TEST_MESSAGE(name << ":\n" << aiops::testing::describe(directory->findings));
    }
    return directory;
}

std::string member_bytes(ByteSource& archive, const aiops::scanner::ZipMember& member) {
    auto opened = aiops::scanner::open_zip_member(archive, member);
    BOOST_TEST_REQUIRE(opened.has_value(), aiops::testing::error_of(opened));
    auto bytes = read_exact(**opened, 0, static_cast<std::size_t>((*opened)->size()));
    BOOST_TEST_REQUIRE(bytes.has_value());
    return *bytes;
}

// `total` zeros deflated in 1 MiB chunks (never holding them all).
ZipEntry zero_bomb(std::string name, std::uint64_t total) {
    z_stream stream{};
    if (deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        throw std::runtime_error("deflateInit2 failed");
    }
    const std::string zeros(1 << 20, '\0');
    std::string compressed;
    char out[1 << 16];
    std::uint32_t crc = 0;
    for (std::uint64_t done = 0; done < total; done += zeros.size()) {
        crc = static_cast<std::uint32_t>(
            crc32_z(crc, reinterpret_cast<const Bytef*>(zeros.data()), zeros.size()));
        stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(zeros.data()));
        stream.avail_in = static_cast<uInt>(zeros.size());
        const int flush = done + zeros.size() >= total ? Z_FINISH : Z_NO_FLUSH;
        do {
            stream.next_out = reinterpret_cast<Bytef*>(out);
            stream.avail_out = sizeof(out);
            deflate(&stream, flush);
            compressed.append(out, sizeof(out) - stream.avail_out);
        } while (stream.avail_out == 0);
    }
    deflateEnd(&stream);
    return ZipEntry{.name = std::move(name),
                    .stored = compressed,
                    .method = 8,
                    .crc = crc,
                    .uncompressed_size = total,
                    .flags = 0,
                    .offset_override = std::nullopt};
}

}  // namespace

BOOST_AUTO_TEST_CASE(file_without_an_end_record_is_rejected) {
    const auto directory = read_directory("not_zip", std::string(4096, 'x'));

    BOOST_TEST(!directory);
    BOOST_TEST(directory.error().code == ErrorCode::kInvalidInput);
}

BOOST_AUTO_TEST_CASE(file_shorter_than_an_end_record_is_rejected) {
    BOOST_TEST(!read_directory("tiny", "PK\x05\x06"));
}

BOOST_AUTO_TEST_CASE(tiny_file_declaring_65535_entries_is_rejected) {
    const auto bytes = std::string("PK\x05\x06", 4) + le16(0) + le16(0) + le16(0xFFFF) +
                       le16(0xFFFF) + le32(64) + le32(0) + le16(0);

    const auto directory = read_directory("many_entries_tiny", bytes);

    BOOST_TEST(!directory);
}

BOOST_AUTO_TEST_CASE(more_entries_than_the_limit_is_too_large) {
    const auto bytes =
        zip_file({stored_entry("a", "1"), stored_entry("b", "2"), stored_entry("c", "3")});

    const auto directory = read_directory("over_limit", bytes, {.max_entries = 2});

    BOOST_TEST_REQUIRE(!directory);
    BOOST_TEST(directory.error().code == ErrorCode::kTooLarge);
}

BOOST_AUTO_TEST_CASE(central_directory_outside_the_file_is_rejected) {
    auto bytes = zip_file({stored_entry("a", "1")});
    bytes.replace(bytes.size() - 6, 4, le32(0x7fffffff));  // EOCD central directory offset

    BOOST_TEST(!read_directory("cd_outside", bytes));
}

BOOST_AUTO_TEST_CASE(member_names_that_escape_are_path_findings) {
    const std::vector<std::string> names{"../../etc/passwd",      "/etc/passwd",
                                         "archive/..\\..\\x.pkl", std::string("a\0b.pkl", 7),
                                         "C:/Windows/x",          "archive/data/../../../x"};
    for (const auto& name : names) {
        const auto bytes = zip_file({stored_entry(name, "x")});

        const auto directory =
            read_directory(("path_trick_" + std::to_string(name.size())).c_str(), bytes);

        BOOST_TEST_REQUIRE(directory.has_value());
        BOOST_TEST(has_finding(directory->findings, kPath, Severity::kHigh), name);
    }
}

BOOST_AUTO_TEST_CASE(duplicate_member_names_are_path_findings) {
    const auto bytes = zip_file(
        {stored_entry("archive/data.pkl", "benign"), stored_entry("archive/data.pkl", "other")});

    const auto directory = read_directory("duplicate_names", bytes);

    BOOST_TEST_REQUIRE(directory.has_value());
    BOOST_TEST(has_finding(directory->findings, kPath, Severity::kHigh));
}

BOOST_AUTO_TEST_CASE(gigabyte_deflate_bomb_is_a_bomb_finding_and_too_large_to_open) {
    const auto bytes = zip_file({zero_bomb("archive/data.pkl", 1ULL << 30)});
    MemorySource source(bytes);

    const auto directory = aiops::scanner::read_zip_directory(source, "bomb.zip");
    BOOST_TEST_REQUIRE(directory.has_value());
    const auto opened = aiops::scanner::open_zip_member(source, directory->members.at(0));

    BOOST_TEST(has_finding(directory->findings, kBomb, Severity::kHigh));
    BOOST_TEST_REQUIRE(!opened);
    BOOST_TEST(opened.error().code == ErrorCode::kTooLarge);
    BOOST_TEST(source.bytes_read() < 100'000U);
}

BOOST_AUTO_TEST_CASE(member_inflating_past_its_declared_size_is_too_large) {
    auto entry = zero_bomb("weights.npy", 4U << 20);
    entry.uncompressed_size = entry.stored.size() * 100;  // lies: a plausible ratio
    const auto bytes = zip_file({entry});
    MemorySource source(bytes);
    const auto directory = read_directory("lying_bomb", bytes);
    BOOST_TEST_REQUIRE(directory.has_value());

    const auto opened = aiops::scanner::open_zip_member(source, directory->members.at(0));

    BOOST_TEST_REQUIRE(!opened);
    BOOST_TEST(opened.error().code == ErrorCode::kTooLarge);
}

BOOST_AUTO_TEST_CASE(member_failing_its_crc_cannot_be_opened) {
    auto entry = deflated_entry("archive/data.pkl", "\x80\x02}q\x00.");
    entry.crc ^= 1;
    const auto bytes = zip_file({entry});
    MemorySource source(bytes);
    const auto directory = read_directory("bad_crc", bytes);
    BOOST_TEST_REQUIRE(directory.has_value());

    const auto opened = aiops::scanner::open_zip_member(source, directory->members.at(0));

    BOOST_TEST_REQUIRE(!opened);
    BOOST_TEST(opened.error().code == ErrorCode::kInvalidInput);
}

BOOST_AUTO_TEST_CASE(corrupt_deflate_data_cannot_be_opened) {
    auto entry = deflated_entry("archive/data.pkl", std::string(1000, 'a'));
    entry.stored = std::string(entry.stored.size(), '\xff');
    const auto bytes = zip_file({entry});
    MemorySource source(bytes);
    const auto directory = read_directory("corrupt_deflate", bytes);
    BOOST_TEST_REQUIRE(directory.has_value());

    BOOST_TEST(!aiops::scanner::open_zip_member(source, directory->members.at(0)));
}

BOOST_AUTO_TEST_CASE(encrypted_member_is_reported_and_not_opened) {
    auto entry = stored_entry("archive/data.pkl", "ciphertext");
    entry.flags = 1;
    const auto bytes = zip_file({entry});
    MemorySource source(bytes);
    const auto directory = read_directory("encrypted", bytes);
    BOOST_TEST_REQUIRE(directory.has_value());

    const auto opened = aiops::scanner::open_zip_member(source, directory->members.at(0));

    BOOST_TEST(has_finding(directory->findings, kEncrypted, Severity::kMedium));
    BOOST_TEST_REQUIRE(!opened);
    BOOST_TEST(opened.error().code == ErrorCode::kUnsupportedMedia);
}

BOOST_AUTO_TEST_CASE(unsupported_compression_method_is_reported) {
    auto entry = stored_entry("archive/data.pkl", "BZh91AY&SY");
    entry.method = 12;

    const auto directory = read_directory("bzip2_method", zip_file({entry}));

    BOOST_TEST_REQUIRE(directory.has_value());
    BOOST_TEST(has_finding(directory->findings, kMethod, Severity::kMedium));
}

BOOST_AUTO_TEST_CASE(stored_member_with_different_sizes_is_malformed) {
    auto entry = stored_entry("archive/data.pkl", "abcdef");
    entry.uncompressed_size = 3;

    const auto directory = read_directory("stored_sizes", zip_file({entry}));

    BOOST_TEST_REQUIRE(directory.has_value());
    BOOST_TEST(has_finding(directory->findings, kMalformed, Severity::kMedium));
}

BOOST_AUTO_TEST_CASE(members_sharing_bytes_are_malformed) {
    auto second = stored_entry("b.pkl", "bbbbbbbb");
    second.offset_override = 0;  // central directory points both members at the first

    const auto directory =
        read_directory("overlap", zip_file({stored_entry("a.pkl", "aaaaaaaa"), second}));

    BOOST_TEST_REQUIRE(directory.has_value());
    BOOST_TEST(has_finding(directory->findings, kMalformed, Severity::kMedium));
}

BOOST_AUTO_TEST_CASE(end_record_hidden_in_the_comment_is_malformed) {
    const auto fake_eocd = std::string("PK\x05\x06", 4) + le16(0) + le16(0) + le16(0) + le16(0) +
                           le32(0) + le32(0) + le16(0);

    const auto directory = read_directory(
        "eocd_in_comment",
        zip_file({stored_entry("archive/data.pkl", "x")}, {.comment = fake_eocd, .zip64 = false}));

    BOOST_TEST_REQUIRE(directory.has_value());
    BOOST_TEST(has_finding(directory->findings, kMalformed, Severity::kMedium));
}

BOOST_AUTO_TEST_CASE(trailing_bytes_after_the_end_record_are_malformed) {
    const auto bytes = zip_file({stored_entry("archive/data.pkl", "x")}) + "trailing";

    const auto directory = read_directory("eocd_trailing", bytes);

    BOOST_TEST_REQUIRE(directory.has_value());
    BOOST_TEST(directory->members.size() == 1U);
    BOOST_TEST(has_finding(directory->findings, kMalformed, Severity::kMedium));
}

BOOST_AUTO_TEST_CASE(member_with_a_bogus_local_header_cannot_be_opened) {
    auto entry = stored_entry("a.pkl", "aaaa");
    entry.offset_override = 2;
    const auto bytes = zip_file({entry});
    MemorySource source(bytes);
    const auto directory = read_directory("bogus_local", bytes);
    BOOST_TEST_REQUIRE(directory.has_value());

    BOOST_TEST(!aiops::scanner::open_zip_member(source, directory->members.at(0)));
}

BOOST_AUTO_TEST_CASE(torch_style_archives_have_no_findings_and_open_their_members) {
    for (const bool deflate : {false, true}) {
        const auto bytes = aiops::testing::torch_zip(deflate);
        MemorySource source(bytes);

        const auto directory = read_directory(deflate ? "torch_deflated" : "torch_stored", bytes);

        BOOST_TEST_REQUIRE(directory.has_value());
        BOOST_TEST(directory->findings.empty(), aiops::testing::describe(directory->findings));
        BOOST_TEST_REQUIRE(directory->members.size() == 5U);
        BOOST_TEST(directory->members[0].name == "archive/data.pkl");
        BOOST_TEST(directory->members[0].method == (deflate ? 8 : 0));
        BOOST_TEST(member_bytes(source, directory->members[0]).starts_with("\x80\x02"));
        BOOST_TEST(member_bytes(source, directory->members[1]) == "little");
    }
}

BOOST_AUTO_TEST_CASE(zip64_archive_is_read_through_its_zip64_records) {
    const auto bytes = zip_file({stored_entry("archive/data.pkl", "\x80\x02N."),
                                 deflated_entry("archive/data/0", std::string(4096, '\x01'))},
                                {.comment = "", .zip64 = true});
    MemorySource source(bytes);

    const auto directory = read_directory("zip64", bytes);

    BOOST_TEST_REQUIRE(directory.has_value());
    BOOST_TEST(directory->findings.empty(), aiops::testing::describe(directory->findings));
    BOOST_TEST_REQUIRE(directory->members.size() == 2U);
    BOOST_TEST(directory->members[1].uncompressed_size == 4096U);
    BOOST_TEST(member_bytes(source, directory->members[1]) == std::string(4096, '\x01'));
}

BOOST_AUTO_TEST_CASE(zip_inside_a_zip_is_read_through_the_member_source) {
    const auto inner = zip_file({stored_entry("../../evil.pkl", "\x80\x02N.")});
    for (const bool deflate : {false, true}) {
        const auto outer = zip_file({deflate ? deflated_entry("nested/inner.zip", inner)
                                             : stored_entry("nested/inner.zip", inner)});
        MemorySource source(outer);
        const auto directory = read_directory(deflate ? "nested_deflated" : "nested_stored", outer);
        BOOST_TEST_REQUIRE(directory.has_value());
        auto member = aiops::scanner::open_zip_member(source, directory->members.at(0));
        BOOST_TEST_REQUIRE(member.has_value());

        const auto nested = aiops::scanner::read_zip_directory(**member, "nested/inner.zip");

        BOOST_TEST_REQUIRE(nested.has_value());
        BOOST_TEST(nested->members.at(0).name == "../../evil.pkl");
        BOOST_TEST(has_finding(nested->findings, kPath, Severity::kHigh));
        BOOST_TEST(member_bytes(**member, nested->members.at(0)) == "\x80\x02N.");
    }
}

BOOST_AUTO_TEST_CASE(large_stored_archive_costs_only_its_directory) {
    const auto bytes = zip_file({stored_entry("archive/data.pkl", "\x80\x02N."),
                                 stored_entry("archive/data/0", std::string(8U << 20, '\x02')),
                                 stored_entry("archive/byteorder", "little")});
    MemorySource source(bytes);

    const auto directory = aiops::scanner::read_zip_directory(source, "big.pt");
    BOOST_TEST_REQUIRE(directory.has_value());
    const auto pickle = member_bytes(source, directory->members.at(0));

    BOOST_TEST(pickle == "\x80\x02N.");
    BOOST_TEST(source.bytes_read() < 70'000U);
}
