#include "aiops/common/blob_response.h"

#include <algorithm>
#include <vector>

#include "aiops/common/http_server.h"
#include "aiops/common/log.h"

namespace aiops::common {

Status respond_with_blob(const httplib::Request& req, httplib::Response& res,
                         const std::shared_ptr<BlobReader>& reader, std::uint64_t size,
                         const BlobResponseOptions& options) {
    auto range = parse_byte_range(req.get_header_value("Range"), size);
    if (!range) {
        res.set_header("Content-Range", "bytes */" + std::to_string(size));
        return range.error();
    }
    std::uint64_t first = 0;
    std::uint64_t length = size;
    res.status = 200;
    if (*range) {
        first = (*range)->first;
        length = (*range)->length();
        res.status = 206;
        res.set_header("Content-Range", "bytes " + std::to_string(first) + "-" +
                                            std::to_string((*range)->last) + "/" +
                                            std::to_string(size));
    }
    res.set_header("Accept-Ranges", "bytes");
    if (!reader || length == 0) {  // HEAD, or an empty blob
        res.set_header("Content-Length", std::to_string(length));
        res.set_content_provider(
            length, options.content_type,
            [](std::size_t, std::size_t, httplib::DataSink&) { return false; });
        return {};
    }
    auto buffer =
        std::make_shared<std::vector<char>>(std::max<std::size_t>(options.buffer_bytes, 4096));
    res.set_content_provider(
        length, options.content_type,
        [reader, buffer, first, on_sent = options.on_sent](std::size_t offset, std::size_t wanted,
                                                           httplib::DataSink& sink) {
            const auto want = std::min(wanted, buffer->size());
            auto read = reader->read(first + offset, buffer->data(), want);
            if (!read || *read == 0) {
                // Aborting the connection is the only honest answer once the status and
                // Content-Length are out: the client sees a short body and retries.
                log::warn("blob stream aborted",
                          {{"error", read ? "unexpected end" : read.error().message}});
                return false;
            }
            if (on_sent) {
                on_sent(*read);
            }
            return sink.write(buffer->data(), *read);
        });
    return {};
}

}  // namespace aiops::common
