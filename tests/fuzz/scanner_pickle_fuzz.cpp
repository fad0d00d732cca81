// libFuzzer target: the pickle analyser over arbitrary bytes (must not crash, hang, over-read or
// allocate in proportion to declared lengths or memo indices).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "byte_source.h"
#include "pickle_scan.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    aiops::scanner::MemorySource source(bytes);
    aiops::scanner::PickleLimits limits;
    limits.max_opcodes = 100'000;
    limits.max_stack_depth = 10'000;
    const auto report = aiops::scanner::analyse_pickle(source, limits);
    (void)aiops::scanner::pickle_findings(report, "fuzz.pkl");
    return 0;
}
