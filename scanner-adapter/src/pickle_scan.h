#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "byte_source.h"
#include "finding.h"

// Static analysis of Python pickle streams (protocols 0–5), shared/reference/
// modelspec-hf-scanning.md §3.1: an opcode-level interpreter of the stack and memo, enough to
// resolve every GLOBAL / STACK_GLOBAL / INST / OBJ / NEWOBJ(_EX) / REDUCE / BUILD / EXT* target,
// including names assembled through the memo, without executing anything. Streams are read
// incrementally from a ByteSource (never loaded whole); several concatenated pickles are analysed
// in turn until the end of the source. What was seen before a parse error is kept: the real loader
// runs those opcodes before it fails.
namespace aiops::scanner {

struct PickleLimits {
    std::uint64_t max_opcodes = 10'000'000;
    std::size_t max_stack_depth = 100'000;
    std::size_t max_memo_entries = 1'000'000;
    std::size_t max_string_bytes = 64U << 20;  // one text line / nested-pickle operand
    std::size_t max_pickles = 64;              // concatenated streams
    // true: stop quietly after max_pickles streams, whatever follows (legacy torch files hold 5
    // pickles and then raw storage bytes); false: more data after them is a limit anomaly.
    bool stop_after_max_pickles = false;
};

// One callable the stream imports (module and name after _compat_pickle remapping when the
// protocol is < 3), and whether the stream also calls it.
struct PickleImport {
    std::string module{};
    std::string name{};    // may be dotted (protocol ≥ 4 attribute paths)
    bool called = false;   // target of REDUCE / INST / OBJ / NEWOBJ / NEWOBJ_EX (or passed to one)
    bool resolved = true;  // false: an operand was not a literal string (e.g. from a memo GET of
                           // something else, a missing memo key, EXT*): reported as "unknown"
    std::uint64_t offset = 0;       // opcode offset in the source
    std::string opcode{};           // "GLOBAL", "STACK_GLOBAL", "INST", "EXT1" …
    std::string call_opcode{};      // first call: "REDUCE", "NEWOBJ", "REDUCE (as an argument)" …
    std::uint64_t call_offset = 0;  // offset of that call
    int depth = 0;                  // 0: the stream itself; 1+: a pickle passed to pickle.loads …
};

enum class PickleAnomalyKind {
    kFrame,           // opcode straddling a frame end, a frame inside a frame
    kMonkeyPatch,     // BUILD (or item assignment) on an imported module or class
    kUnresolved,      // GET of a missing memo key, a call of something that is not an import
    kMemoExhaustion,  // memo index far beyond the memo size (the C loader allocates up to it)
    kLimit,           // a PickleLimits bound was hit: analysis stopped there
};

struct PickleAnomaly {
    PickleAnomalyKind kind = PickleAnomalyKind::kLimit;
    std::uint64_t offset = 0;
    std::string message;  // e.g. "LONG_BINGET of memo key 7, which was never stored"
};

struct PickleReport {
    std::vector<PickleImport> imports;  // one per distinct (module, name, resolved)
    std::uint64_t opcodes = 0;
    int pickles = 0;  // complete streams (STOP seen)
    int max_protocol = 0;
    std::string error;  // "" when every stream parsed to STOP and the source ended cleanly
    std::uint64_t error_offset = 0;
    std::uint64_t end_offset = 0;     // just after the last STOP
    bool has_persistent_ids = false;  // PERSID/BINPERSID (PyTorch storages)
    std::vector<PickleAnomaly> anomalies;
};

PickleReport analyse_pickle(ByteSource& source, const PickleLimits& limits = {});

// Findings for one analysed pickle at `path` (rule ids AIMS-PICKLE-*): every import outside the
// allow-list is reported; a denied or unknown import is High or Critical, and at least High when
// it is called; parse errors, truncation and anomalies have their own rules.
Findings pickle_findings(const PickleReport& report, const std::string& path);

}  // namespace aiops::scanner
