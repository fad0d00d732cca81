// Fuzz target: the package checks of a wheel or sdist before promotion — the archive read
// (libarchive zip or tar.gz, RECORD CSV, METADATA / PKG-INFO headers) as a wheel or as an sdist
// by the first byte, and the filename and PEP 440 parsers on a short prefix as text.
#include <cstdint>
#include <string_view>

#include "package_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    const std::string_view prefix = bytes.substr(0, 128);
    (void)aiops::webhook::parse_distribution_filename(prefix);
    (void)aiops::webhook::parse_pep440(prefix);
    (void)aiops::webhook::normalize_project_name(prefix);

    // An even first byte reads a wheel (zips start with "PK"), an odd one an sdist (gzip: 0x1f).
    const bool wheel = size > 0 && (data[0] & 1) == 0;
    const aiops::webhook::DistributionFile dist{.kind = wheel ? "wheel" : "sdist",
                                                .name = "demo_pkg",
                                                .version = "1.0",
                                                .archive = wheel ? "zip" : "tar.gz"};
    const aiops::webhook::ArchiveCheckSettings settings{.pth_allow = {"allowed.pth"},
                                                        .max_entries = 1000,
                                                        .max_total_bytes = 16ULL << 20,
                                                        .max_text_bytes = 1ULL << 20};
    (void)aiops::webhook::check_distribution_archive_bytes(bytes, dist, settings);
    return 0;
}
