#pragma once

#include <cstdint>
#include <string>

#include "byte_source.h"
#include "finding.h"
#include "formats.h"
#include "pickle_scan.h"

// One model file → its findings: the format is detected from the magic bytes first and the file
// extension second, then the matching analysers run, recursing into containers (PyTorch zip
// checkpoints → their .pkl members, .npz → .npy members, object-dtype .npy → the pickle inside,
// .keras → config.json, zips inside zips) up to max_depth.
namespace aiops::scanner {

struct ScanLimits {
    FormatLimits formats;
    PickleLimits pickle;
    int max_depth = 3;               // nested containers
    std::size_t max_members = 4096;  // zip members analysed per archive
};

struct FileReport {
    std::string path;
    std::string format;  // "pickle", "pytorch-zip", "safetensors", "gguf", "onnx", "npy", "npz",
                         // "keras", "zip", "other"
    Findings findings;
};

FileReport scan_file(const std::string& path, ByteSource& source, const ScanLimits& limits = {});

// The format scan_file() would pick, from the first bytes and the path.
std::string detect_format(const std::string& path, std::string_view head);

}  // namespace aiops::scanner
