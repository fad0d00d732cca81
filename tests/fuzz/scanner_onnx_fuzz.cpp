// Fuzz target: ONNX protobuf walk over arbitrary bytes (aiops::scanner::scan_onnx).
#include <cstdint>
#include <string_view>

#include "formats.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    aiops::scanner::MemorySource source(bytes);
    (void)aiops::scanner::scan_onnx(source, "fuzz",
                                    {.max_header_bytes = 1 << 20,
                                     .max_entries = 10'000,
                                     .max_member_bytes = 1 << 20,
                                     .max_compression_ratio = 200.0});
    return 0;
}
