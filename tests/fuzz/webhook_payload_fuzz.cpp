// Fuzz target: the webhook-handler's parsers of untrusted deliveries — Harbor's Default and
// CloudEvents payloads (then the dedup key and the stored form), and DevPI's upload trigger
// (the job script's indexurl, package name and version from the URL).
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "event.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    (void)aiops::webhook::index_from_jobscript(text);
    const auto split = text.find('\n');
    if (split != std::string_view::npos) {
        (void)aiops::webhook::devpi_upload_event(text.substr(0, split / 2),
                                                 text.substr(split / 2, split - split / 2), "",
                                                 text.substr(split + 1));
    }
    const auto body = nlohmann::json::parse(text, nullptr, false);
    if (body.is_discarded()) {
        return 0;
    }
    for (const bool cloud : {false, true}) {
        auto event = cloud ? aiops::webhook::parse_harbor_cloudevent(body)
                           : aiops::webhook::parse_harbor_default(body);
        if (event) {
            (void)aiops::webhook::dedup_key(*event);
            (void)aiops::webhook::event_from_json(aiops::webhook::to_json(*event));
        }
    }
    return 0;
}
