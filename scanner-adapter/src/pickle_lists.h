#pragma once

#include <string>
#include <string_view>

#include "finding.h"

// What legitimate checkpoints import (allow-list) and what runs code, touches files or the network,
// loads a second payload or disables scanners (deny-list), per shared/reference/
// modelspec-hf-scanning.md §3.1–3.2, plus CPython's _compat_pickle remapping (private to the pickle
// analyser).
namespace aiops::scanner {

struct ModuleName {
    std::string module;
    std::string name;
};

// _compat_pickle NAME_MAPPING then IMPORT_MAPPING, as pickle.Unpickler.find_class does when the
// stream's protocol is < 3 (e.g. __builtin__.reduce → functools.reduce, copy_reg → copyreg).
ModuleName compat_remap(std::string_view module, std::string_view name);

enum class ImportClass { kAllowed, kDenied, kUnknown };

struct ImportVerdict {
    ImportClass kind = ImportClass::kUnknown;
    Severity called_severity = Severity::kHigh;  // denied: severity when it is called
    std::string matched{};                       // denied: the listed entry, e.g. "os"
    std::string_view reason{};                   // denied: what it does, e.g. "runs commands"
};

// Dotted names are split into components: the full path is allowed only when listed exactly; it is
// denied when any contiguous run of components is listed (the full path, every prefix such as
// `os` in os.path.join, and attribute paths through other modules such as pathlib.os.system).
ImportVerdict classify_import(std::string_view module, std::string_view name);

// Callables that unpickle a byte string argument (pickle.loads …): scanned recursively.
bool is_nested_loader(std::string_view module, std::string_view name);

}  // namespace aiops::scanner
