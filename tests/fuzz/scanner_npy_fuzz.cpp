// Fuzz target: .npy header parsing (aiops::scanner::parse_npy_header).
#include <cstdint>
#include <string_view>

#include "formats.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    aiops::scanner::MemorySource source(bytes);
    auto header = aiops::scanner::parse_npy_header(source);
    if (header && header->data_offset > bytes.size()) {
        __builtin_trap();  // the pickle offset must lie inside the file
    }
    return 0;
}
