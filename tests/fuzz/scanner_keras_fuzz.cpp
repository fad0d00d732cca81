// Fuzz target: Keras config analysis (aiops::scanner::scan_keras_config).
#include <cstdint>
#include <string_view>

#include "formats.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    (void)aiops::scanner::scan_keras_config(bytes, "fuzz/config.json");
    return 0;
}
