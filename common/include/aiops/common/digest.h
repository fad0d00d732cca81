#pragma once

#include <cstddef>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>

#include "aiops/common/result.h"

// OCI content digests (`algorithm:encoded`) and streaming hashing on OpenSSL EVP.
namespace aiops::common {

enum class DigestAlgorithm { kSha256, kSha512 };

// A validated digest. Only the OCI-registered algorithms are accepted: `sha256:` + 64 and
// `sha512:` + 128 lowercase hex characters.
class Digest {
public:
    static Result<Digest> parse(std::string_view text);

    const std::string& str() const { return value_; }
    DigestAlgorithm algorithm() const { return algorithm_; }
    std::string_view algorithm_name() const;
    std::string_view hex() const;

    friend bool operator==(const Digest& lhs, const Digest& rhs) {
        return lhs.value_ == rhs.value_;
    }
    friend bool operator<(const Digest& lhs, const Digest& rhs) { return lhs.value_ < rhs.value_; }

private:
    Digest(std::string value, DigestAlgorithm algorithm)
        : value_(std::move(value)), algorithm_(algorithm) {}
    std::string value_;
    DigestAlgorithm algorithm_;
};

inline std::ostream& operator<<(std::ostream& out, const Digest& digest) {
    return out << digest.str();
}

// True when `text` is a syntactically valid, supported digest (same rules as Digest::parse).
bool is_valid_digest(std::string_view text);

// Incremental hash: update() any number of times, then finish() once. An OpenSSL failure at any
// step is remembered and reported by finish() as kInternal.
class DigestHasher {
public:
    explicit DigestHasher(DigestAlgorithm algorithm);
    ~DigestHasher();
    DigestHasher(DigestHasher&& other) noexcept;
    DigestHasher& operator=(DigestHasher&& other) noexcept;
    DigestHasher(const DigestHasher&) = delete;
    DigestHasher& operator=(const DigestHasher&) = delete;

    void update(std::string_view bytes);
    std::uint64_t bytes_hashed() const { return bytes_hashed_; }
    // The digest of everything passed to update(); the hasher is spent afterwards.
    Result<Digest> finish();

private:
    struct Context;
    std::unique_ptr<Context> context_;
    DigestAlgorithm algorithm_;
    std::uint64_t bytes_hashed_ = 0;
    bool failed_ = false;
};

class Sha256Hasher : public DigestHasher {
public:
    Sha256Hasher() : DigestHasher(DigestAlgorithm::kSha256) {}
};

// One-shot digest of `bytes`.
Result<Digest> compute_digest(std::string_view bytes,
                              DigestAlgorithm algorithm = DigestAlgorithm::kSha256);

}  // namespace aiops::common
