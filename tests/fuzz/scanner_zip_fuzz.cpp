// Fuzz target: zip central directory and member access (aiops::scanner::read_zip_directory,
// open_zip_member), one level of nesting, bounded member sizes.
#include <algorithm>
#include <cstdint>
#include <string_view>

#include "formats.h"

namespace {

constexpr aiops::scanner::FormatLimits kLimits{.max_header_bytes = 1 << 20,
                                               .max_entries = 1'000,
                                               .max_member_bytes = 1 << 20,
                                               .max_compression_ratio = 200.0};

void open_members(aiops::scanner::ByteSource& archive, int depth) {
    auto directory = aiops::scanner::read_zip_directory(archive, "fuzz.zip", kLimits);
    if (!directory) {
        return;
    }
    const auto count = std::min<std::size_t>(directory->members.size(), 16);
    for (std::size_t index = 0; index < count; ++index) {
        auto member = aiops::scanner::open_zip_member(archive, directory->members[index], kLimits);
        if (!member) {
            continue;
        }
        char buffer[512];
        (void)(*member)->read(0, buffer, sizeof(buffer));
        if (depth < 1) {
            open_members(**member, depth + 1);
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    aiops::scanner::MemorySource source(bytes);
    open_members(source, 0);
    return 0;
}
