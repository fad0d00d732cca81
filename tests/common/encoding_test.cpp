#define BOOST_TEST_MODULE common_encoding
#include "aiops/common/encoding.h"

#include <boost/test/unit_test.hpp>

namespace common = aiops::common;

namespace {

std::string hex(std::string_view bytes) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (const char c : bytes) {
        out += kHex[static_cast<unsigned char>(c) >> 4];
        out += kHex[static_cast<unsigned char>(c) & 0x0F];
    }
    return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(encoding)

BOOST_AUTO_TEST_CASE(base64_rejects_malformed_text) {
    for (const char* text : {"abc", "ab=c", "a===", "ab c", "ab\nc", "=abc", "ab-_"}) {
        BOOST_TEST_CONTEXT(text) { BOOST_TEST(!common::base64_decode(text).has_value()); }
    }
    BOOST_TEST(!common::base64url_decode("ab+/").has_value());
    BOOST_TEST(!common::base64url_decode("abc=").has_value());
}

BOOST_AUTO_TEST_CASE(base64_matches_rfc4648_vectors) {
    const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                           {"f", "Zg=="},
                                                           {"fo", "Zm8="},
                                                           {"foo", "Zm9v"},
                                                           {"foob", "Zm9vYg=="},
                                                           {"fooba", "Zm9vYmE="},
                                                           {"foobar", "Zm9vYmFy"}};
    for (const auto& [plain, encoded] : vectors) {
        BOOST_TEST(common::base64_encode(plain) == encoded);
        BOOST_TEST(common::base64_decode(encoded).value() == plain);
    }
}

BOOST_AUTO_TEST_CASE(base64url_round_trips_every_byte_without_padding) {
    std::string bytes;
    for (int i = 0; i < 256; ++i) {
        bytes += static_cast<char>(i);
    }
    for (std::size_t length = 0; length <= bytes.size(); length += 37) {
        const auto encoded = common::base64url_encode(bytes.substr(0, length));
        BOOST_TEST(encoded.find_first_of("+/=") == std::string::npos);
        BOOST_TEST(common::base64url_decode(encoded).value() == bytes.substr(0, length));
    }
}

BOOST_AUTO_TEST_CASE(percent_encoding_keeps_only_unreserved_bytes_and_optionally_slashes) {
    BOOST_TEST(common::percent_encode("refs/pr/1", false) == "refs%2Fpr%2F1");
    BOOST_TEST(common::percent_encode("onnx/model file.onnx", true) == "onnx/model%20file.onnx");
    BOOST_TEST(common::percent_encode("aZ09-._~", false) == "aZ09-._~");
    BOOST_TEST(common::percent_encode("i:a&b=c\xff", false) == "i%3Aa%26b%3Dc%FF");
}

BOOST_AUTO_TEST_CASE(hmac_sha256_matches_rfc4231_case_2) {
    BOOST_TEST(hex(common::hmac_sha256("Jefe", "what do ya want for nothing?")) ==
               "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

BOOST_AUTO_TEST_CASE(constant_time_equal_compares_content_and_length) {
    BOOST_TEST(common::constant_time_equal("abc", "abc"));
    BOOST_TEST(!common::constant_time_equal("abc", "abd"));
    BOOST_TEST(!common::constant_time_equal("abc", "abcd"));
    BOOST_TEST(common::constant_time_equal("", ""));
}

BOOST_AUTO_TEST_SUITE_END()
