#define BOOST_TEST_MODULE common_digest
#include "aiops/common/digest.h"

#include <boost/test/unit_test.hpp>
#include <string>

using aiops::common::compute_digest;
using aiops::common::Digest;
using aiops::common::DigestAlgorithm;
using aiops::common::DigestHasher;
using aiops::common::ErrorCode;
using aiops::common::Sha256Hasher;

namespace {
const std::string kEmptySha256 =
    "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const std::string kAbcSha256 =
    "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
const std::string kAbcSha512 =
    "sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
    "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";
}  // namespace

BOOST_AUTO_TEST_SUITE(digest_parse)

BOOST_AUTO_TEST_CASE(rejects_missing_or_unknown_algorithm) {
    for (const char* text :
         {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
          "md5:d41d8cd98f00b204e9800998ecf8427e", "sha256",
          "SHA256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
          "sha384:abc"}) {
        const auto digest = Digest::parse(text);
        BOOST_TEST_REQUIRE(!digest.has_value(), text);
        BOOST_TEST(digest.error().code == ErrorCode::kInvalidInput);
    }
}

BOOST_AUTO_TEST_CASE(rejects_wrong_length_uppercase_and_non_hex) {
    const std::string hex64 = kEmptySha256.substr(7);
    for (const std::string& text :
         {"sha256:" + hex64.substr(1), "sha256:" + hex64 + "0", "sha256:E3B0" + hex64.substr(4),
          "sha256:g" + hex64.substr(1), "sha256:" + hex64.substr(0, 63) + "\n", "sha512:" + hex64,
          "sha256: " + hex64.substr(1), kEmptySha256 + std::string(1, '\0')}) {
        BOOST_TEST(!Digest::parse(text).has_value(), text);
    }
}

BOOST_AUTO_TEST_CASE(accepts_sha256_and_sha512_and_exposes_parts) {
    const auto sha256 = Digest::parse(kAbcSha256);
    const auto sha512 = Digest::parse(kAbcSha512);

    BOOST_TEST_REQUIRE(sha256.has_value());
    BOOST_TEST_REQUIRE(sha512.has_value());
    BOOST_TEST(sha256->str() == kAbcSha256);
    BOOST_TEST(sha256->algorithm_name() == "sha256");
    BOOST_TEST(sha256->hex() == kAbcSha256.substr(7));
    BOOST_TEST((sha512->algorithm() == DigestAlgorithm::kSha512));
    BOOST_TEST(sha512->hex().size() == 128U);
    BOOST_TEST(aiops::common::is_valid_digest(kAbcSha512));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(hasher)

BOOST_AUTO_TEST_CASE(matches_fips_180_vectors) {
    BOOST_TEST(compute_digest("")->str() == kEmptySha256);
    BOOST_TEST(compute_digest("abc")->str() == kAbcSha256);
    BOOST_TEST(compute_digest("abc", DigestAlgorithm::kSha512)->str() == kAbcSha512);
    BOOST_TEST(compute_digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")->str() ==
               "sha256:248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

BOOST_AUTO_TEST_CASE(streaming_updates_equal_one_shot_for_a_million_a) {
    Sha256Hasher hasher;
    const std::string chunk(1000, 'a');

    for (int index = 0; index < 1000; ++index) {
        hasher.update(chunk);
    }
    hasher.update("");
    const auto digest = hasher.finish();

    BOOST_TEST_REQUIRE(digest.has_value());
    BOOST_TEST(digest->str() ==
               "sha256:cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    BOOST_TEST(hasher.bytes_hashed() == 1000000U);
}

BOOST_AUTO_TEST_CASE(finish_twice_reports_an_error_instead_of_a_wrong_digest) {
    DigestHasher hasher(DigestAlgorithm::kSha256);
    hasher.update("abc");
    BOOST_TEST(hasher.finish()->str() == kAbcSha256);

    const auto second = hasher.finish();

    BOOST_TEST_REQUIRE(!second.has_value());
    BOOST_TEST(second.error().code == ErrorCode::kInternal);
}

BOOST_AUTO_TEST_SUITE_END()
