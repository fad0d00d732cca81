// Fuzz target: WWW-Authenticate and Link header parsing of registry responses.
#include <cstdint>
#include <string_view>

#include "aiops/common/link_header.h"
#include "aiops/common/www_authenticate.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view header(reinterpret_cast<const char*>(data), size);
    if (auto challenges = aiops::common::parse_www_authenticate(header)) {
        (void)aiops::common::find_challenge(*challenges, "bearer");
    }
    if (auto next = aiops::common::parse_next_link(header)) {
        (void)aiops::common::resolve_url("http://127.0.0.1:5000", *next);
    }
    return 0;
}
