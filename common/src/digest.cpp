#include "aiops/common/digest.h"

#include <openssl/evp.h>

#include <array>

namespace aiops::common {
namespace {

constexpr std::string_view kSha256Prefix = "sha256:";
constexpr std::string_view kSha512Prefix = "sha512:";
constexpr std::size_t kSha256HexLength = 64;
constexpr std::size_t kSha512HexLength = 128;

bool is_lower_hex(std::string_view text) {
    for (const char character : text) {
        const bool digit = character >= '0' && character <= '9';
        const bool letter = character >= 'a' && character <= 'f';
        if (!digit && !letter) {
            return false;
        }
    }
    return true;
}

const EVP_MD* evp_for(DigestAlgorithm algorithm) {
    return algorithm == DigestAlgorithm::kSha512 ? EVP_sha512() : EVP_sha256();
}

std::string to_hex(const unsigned char* bytes, unsigned int length) {
    static constexpr std::string_view kHexDigits = "0123456789abcdef";
    std::string hex;
    hex.reserve(static_cast<std::size_t>(length) * 2);
    for (unsigned int index = 0; index < length; ++index) {
        hex.push_back(kHexDigits[bytes[index] >> 4U]);
        hex.push_back(kHexDigits[bytes[index] & 0x0FU]);
    }
    return hex;
}

}  // namespace

Result<Digest> Digest::parse(std::string_view text) {
    DigestAlgorithm algorithm = DigestAlgorithm::kSha256;
    std::size_t hex_length = kSha256HexLength;
    if (text.starts_with(kSha512Prefix)) {
        algorithm = DigestAlgorithm::kSha512;
        hex_length = kSha512HexLength;
    } else if (!text.starts_with(kSha256Prefix)) {
        return Error{ErrorCode::kInvalidInput, "digest must start with sha256: or sha512:"};
    }
    const std::string_view hex = text.substr(kSha256Prefix.size());
    if (hex.size() != hex_length || !is_lower_hex(hex)) {
        return Error{ErrorCode::kInvalidInput,
                     "digest must carry " + std::to_string(hex_length) + " lowercase hex digits"};
    }
    return Digest(std::string(text), algorithm);
}

std::string_view Digest::algorithm_name() const {
    return algorithm_ == DigestAlgorithm::kSha512 ? "sha512" : "sha256";
}

std::string_view Digest::hex() const {
    return std::string_view(value_).substr(kSha256Prefix.size());
}

bool is_valid_digest(std::string_view text) { return Digest::parse(text).has_value(); }

struct DigestHasher::Context {
    EVP_MD_CTX* ctx = nullptr;
    ~Context() { EVP_MD_CTX_free(ctx); }
};

DigestHasher::DigestHasher(DigestAlgorithm algorithm)
    : context_(std::make_unique<Context>()), algorithm_(algorithm) {
    context_->ctx = EVP_MD_CTX_new();
    if (context_->ctx == nullptr ||
        EVP_DigestInit_ex(context_->ctx, evp_for(algorithm), nullptr) != 1) {
        failed_ = true;
    }
}

DigestHasher::~DigestHasher() = default;
DigestHasher::DigestHasher(DigestHasher&& other) noexcept = default;
DigestHasher& DigestHasher::operator=(DigestHasher&& other) noexcept = default;

void DigestHasher::update(std::string_view bytes) {
    if (failed_ || context_ == nullptr || bytes.empty()) {
        return;
    }
    if (EVP_DigestUpdate(context_->ctx, bytes.data(), bytes.size()) != 1) {
        failed_ = true;
        return;
    }
    bytes_hashed_ += bytes.size();
}

Result<Digest> DigestHasher::finish() {
    if (failed_ || context_ == nullptr) {
        return Error{ErrorCode::kInternal, "OpenSSL digest computation failed"};
    }
    std::array<unsigned char, EVP_MAX_MD_SIZE> raw{};
    unsigned int length = 0;
    const int finished = EVP_DigestFinal_ex(context_->ctx, raw.data(), &length);
    context_.reset();
    if (finished != 1) {
        return Error{ErrorCode::kInternal, "OpenSSL digest finalisation failed"};
    }
    const std::string_view prefix =
        algorithm_ == DigestAlgorithm::kSha512 ? kSha512Prefix : kSha256Prefix;
    return Digest::parse(std::string(prefix) + to_hex(raw.data(), length));
}

Result<Digest> compute_digest(std::string_view bytes, DigestAlgorithm algorithm) {
    DigestHasher hasher(algorithm);
    hasher.update(bytes);
    return hasher.finish();
}

}  // namespace aiops::common
