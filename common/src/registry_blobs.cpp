// RegistryClient blob reads: streamed + verified GET, buffered GET, Range reads.
#include <algorithm>

#include "aiops/common/registry_client.h"
#include "registry_client_impl.h"

namespace aiops::common {
namespace {

// Collects bytes [offset, offset + length) from a 206 (the range itself) or a 200 (the whole
// blob: skip the prefix, stop once the range is complete).
class RangeCollector {
public:
    RangeCollector(std::uint64_t offset, std::uint64_t length) : offset_(offset), length_(length) {}

    // A 416 is not read: distribution announces the blob's Content-Length on it but sends less.
    bool on_head(const HttpResponse& head) {
        status_ = head.status;
        const auto content_range = head.header("Content-Range");
        const bool partial =
            content_range && content_range->starts_with("bytes " + std::to_string(offset_) + "-");
        whole_ = status_ == 200 && !partial;
        wrong_range_ = status_ == 206 && !partial;
        return status_ != 416 && !wrong_range_;
    }

    bool on_chunk(std::string_view chunk) {
        if (whole_) {
            const std::uint64_t skip = std::min<std::uint64_t>(chunk.size(), skipped_remaining());
            skipped_ += skip;
            chunk.remove_prefix(static_cast<std::size_t>(skip));
        }
        const std::uint64_t wanted = length_ - bytes_.size();
        bytes_.append(chunk.substr(
            0, static_cast<std::size_t>(std::min<std::uint64_t>(wanted, chunk.size()))));
        return bytes_.size() < length_;  // complete: stop, even when a 200 has more to send
    }

    int status() const { return status_; }
    bool wrong_range() const { return wrong_range_; }
    bool whole() const { return whole_; }
    std::string take() { return std::move(bytes_); }

private:
    std::uint64_t skipped_remaining() const { return offset_ - skipped_; }

    std::uint64_t offset_;
    std::uint64_t length_;
    std::uint64_t skipped_ = 0;
    int status_ = 0;
    bool whole_ = false;  // 200 with the whole blob (Range ignored), not a mislabelled partial
    bool wrong_range_ = false;  // 206 without a Content-Range starting at offset_
    std::string bytes_;
};

HttpRequest blob_request(const RegistryClient::Impl& impl, std::string_view repository,
                         const Digest& digest) {
    HttpRequest request;
    request.url = impl.url("/v2/" + std::string(repository) + "/blobs/" + digest.str());
    request.headers.emplace("Accept-Encoding", "identity");
    return request;
}

}  // namespace

Result<std::uint64_t> RegistryClient::get_blob(std::string_view repository, const Digest& digest,
                                               const BlobSink& sink) {
    if (auto valid = check_repository(repository); !valid) {
        return valid.error();
    }
    DigestHasher hasher(digest.algorithm());
    bool stopped = false;
    const auto on_head = [](const HttpResponse&) { return true; };
    const auto on_chunk = [&](std::string_view chunk) {
        hasher.update(chunk);
        stopped = !sink(chunk);
        return !stopped;
    };
    auto response = impl_->stream(blob_request(*impl_, repository, digest),
                                  {pull_scope(repository)}, on_head, on_chunk);
    if (!response) {
        return response.error();
    }
    if (response->status != 200) {
        return registry_error(*response, "blob GET");
    }
    if (stopped) {
        return Error{ErrorCode::kInternal, "blob read stopped by the caller"};
    }
    const std::uint64_t received = hasher.bytes_hashed();
    auto computed = hasher.finish();
    if (!computed) {
        return computed.error();
    }
    if (!(*computed == digest)) {
        return Error{ErrorCode::kDigestMismatch,
                     "blob " + digest.str() + " hashed to " + computed->str()};
    }
    return received;
}

Result<std::string> RegistryClient::fetch_blob(std::string_view repository, const Digest& digest,
                                               std::size_t max_bytes) {
    std::string bytes;
    bool too_large = false;
    auto received = get_blob(repository, digest, [&](std::string_view chunk) {
        too_large = bytes.size() + chunk.size() > max_bytes;
        if (!too_large) {
            bytes.append(chunk);
        }
        return !too_large;
    });
    if (too_large) {
        return Error{ErrorCode::kTooLarge, "blob exceeds " + std::to_string(max_bytes) + " bytes"};
    }
    if (!received) {
        return received.error();
    }
    return bytes;
}

Result<std::string> RegistryClient::read_blob_range(std::string_view repository,
                                                    const Digest& digest, std::uint64_t offset,
                                                    std::uint64_t length) {
    auto read = read_blob_range_or_whole(repository, digest, offset, length);
    if (!read) {
        return read.error();
    }
    return std::move(read->bytes);
}

Result<RegistryClient::RangeRead> RegistryClient::read_blob_range_or_whole(
    std::string_view repository, const Digest& digest, std::uint64_t offset, std::uint64_t length) {
    if (auto valid = check_repository(repository); !valid) {
        return valid.error();
    }
    if (length == 0) {
        return RangeRead{};
    }
    if (length > impl_->settings.max_range_bytes || offset > UINT64_MAX - length) {
        return Error{ErrorCode::kInvalidInput, "range too large"};
    }
    HttpRequest request = blob_request(*impl_, repository, digest);
    request.range = std::make_pair(offset, std::optional<std::uint64_t>(offset + length - 1));
    RangeCollector collector(offset, length);
    auto response = impl_->stream(
        request, {pull_scope(repository)},
        [&](const HttpResponse& head) { return collector.on_head(head); },
        [&](std::string_view chunk) { return collector.on_chunk(chunk); });
    if (!response) {
        return response.error();
    }
    if (response->status != 200 && response->status != 206) {
        return registry_error(*response, "blob range GET");
    }
    if (collector.wrong_range()) {
        return Error{ErrorCode::kUpstream, "blob range GET: 206 without a matching Content-Range"};
    }
    const bool ignored = collector.whole();
    return RangeRead{collector.take(), ignored};
}

}  // namespace aiops::common
