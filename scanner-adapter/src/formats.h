#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "aiops/common/result.h"
#include "byte_source.h"
#include "finding.h"

// Header-level analysers of model file formats (shared/reference/modelspec-hf-scanning.md
// §3.2–3.7): each reads only the bytes it needs through a ByteSource and returns findings for
// structural problems that crash or exploit loaders. Pure functions over bytes; fuzzed.
namespace aiops::scanner {

struct FormatLimits {
    std::uint64_t max_header_bytes = 100U << 20;  // safetensors header, GGUF metadata
    std::uint64_t max_entries = 1'000'000;        // tensors, kv pairs, zip members
    std::uint64_t max_member_bytes = 1ULL << 30;  // zip member inflated (bomb guard)
    double max_compression_ratio = 200.0;         // zip member inflated ÷ compressed
};

// safetensors: u64 LE header length (≤ max, ≤ file size), JSON header, dtypes, shape × dtype size
// = byte span, offsets in bounds, contiguous, non-overlapping, __metadata__ string → string.
// Rule ids AIMS-SAFETENSORS-*.
Findings scan_safetensors(ByteSource& source, const std::string& path,
                          const FormatLimits& limits = {});

// GGUF v1–v3: magic, version, tensor and kv counts and every string length against the file size,
// value types, alignment, tensor data bounds. Rule ids AIMS-GGUF-*.
Findings scan_gguf(ByteSource& source, const std::string& path, const FormatLimits& limits = {});

// ONNX (protobuf ModelProto, no protobuf library): every tensor reachable from the model (graph and
// sparse initializers, node attributes incl. If/Loop/Scan subgraphs, training graphs, function
// bodies) is visited with raw_data skipped by length. External-data locations that are absolute,
// contain "..", backslashes, control characters or a URL scheme → AIMS-ONNX-EXTERNAL-PATH;
// offsets/lengths that are not decimal or exceed 1 TiB → AIMS-ONNX-EXTERNAL-RANGE; custom operator
// domains → AIMS-ONNX-CUSTOM-DOMAIN; wire-format errors, nesting deeper than 64 messages and more
// than max_entries messages → AIMS-ONNX-MALFORMED.
Findings scan_onnx(ByteSource& source, const std::string& path, const FormatLimits& limits = {});

// .npy header (magic, version, header dict: descr / fortran_order / shape). When descr is an
// object dtype ('|O'), the data is a pickle: `pickle_offset` is where it starts.
struct NpyHeader {
    std::string descr;
    bool fortran_order = false;
    std::vector<std::uint64_t> shape;
    std::uint64_t data_offset = 0;
    bool object_dtype = false;
};
common::Result<NpyHeader> parse_npy_header(ByteSource& source, const FormatLimits& limits = {});

// Zip archives read through the central directory (Range-friendly: EOCD, zip64 EOCD, central
// directory, then only the members asked for). Member names are checked: absolute paths, ".."
// segments, backslashes, NUL/control characters, duplicates → findings AIMS-ZIP-PATH.
struct ZipMember {
    std::string name;
    std::uint64_t local_header_offset = 0;
    std::uint64_t compressed_size = 0;
    std::uint64_t uncompressed_size = 0;
    std::uint16_t method = 0;  // 0 stored, 8 deflate; others unsupported
    std::uint32_t crc32 = 0;
    bool encrypted = false;
};
struct ZipDirectory {
    std::vector<ZipMember> members;
    Findings findings;  // path tricks, bombs (declared ratio), overlapping members, encryption
};
common::Result<ZipDirectory> read_zip_directory(ByteSource& source, const std::string& path,
                                                const FormatLimits& limits = {});
// A member's bytes as a ByteSource: stored members are a slice of the archive (no copy);
// deflated ones are inflated (zlib) into memory up to max_member_bytes (kTooLarge beyond, which
// is also a bomb finding for the caller) and their CRC-32 checked.
common::Result<std::unique_ptr<ByteSource>> open_zip_member(ByteSource& archive,
                                                            const ZipMember& member,
                                                            const FormatLimits& limits = {});

// Keras v3 `config.json` (inside a .keras zip) and the model_config of an HDF5 .h5 (as JSON text):
// Lambda layers carry Python bytecode/code → AIMS-KERAS-LAMBDA (High); custom objects → Medium.
Findings scan_keras_config(std::string_view config_json, const std::string& path);

}  // namespace aiops::scanner
