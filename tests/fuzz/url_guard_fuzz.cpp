// Fuzz target: the outbound-URL guard's pure parsers (parse_url, format_url, classify_address).
// No DNS: UrlGuard::check() is not called.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "aiops/common/url_guard.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    auto url = aiops::common::parse_url(bytes);
    if (url) {
        // A parsed URL formats to a URL that parses back to the same parts.
        const auto again = aiops::common::parse_url(aiops::common::format_url(*url));
        if (!again || again->host != url->host || again->port != url->port ||
            again->scheme != url->scheme || again->target != url->target) {
            std::abort();
        }
        (void)aiops::common::classify_address(url->host);
    }
    (void)aiops::common::classify_address(bytes);
    return 0;
}
