#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "pickle_scan.h"
#include "pickle_stream.h"
#include "pickle_text.h"

// The pickle VM simulation behind analyse_pickle (private): a stack and memo of small values that
// remember only what matters for imports — literal strings (as offsets into the source, re-read
// when one names an import), imported globals, call results, short tuples of those.
namespace aiops::scanner {

enum class ValueKind : std::uint8_t {
    kOther,       // any value we do not track (None, floats, lists, dicts …)
    kText,        // a str operand at [data_offset, data_offset + data_length) of the source
    kBytes,       // a bytes/bytearray operand, same
    kInt,         //
    kGlobal,      // an imported callable or module: report.imports[origin]
    kCallResult,  // what calling report.imports[origin] (or a value derived from it) returned
    kTuple,       // items (short tuples only; long ones are kOther)
    kDict,        // items = key, value, key, value … (small dicts only; bigger ones are kOther)
    kUnknown,     // a GET of a missing memo key
};

// kInt: data_length == 1 when the value is known and non-negative; it is then data_offset.
// kCallResult: items = {the call's first argument} when that was text (numpy.dtype('f8', …)).
// These feed joblib's inline arrays (NumpyArrayWrapper: shape × dtype size bytes to skip).
struct Value {
    ValueKind kind = ValueKind::kOther;
    TextEncoding encoding = TextEncoding::kUtf8;
    std::int32_t origin = -1;
    std::uint64_t data_offset = 0;
    std::uint64_t data_length = 0;
    std::shared_ptr<const std::vector<Value>> items{};
};

// Memo keyed by index: dense indices (what picklers write) in a deque that grows one entry per
// PUT (no reallocation copies for multi-million-entry memos), anything else in a map, so an
// attacker's index never sizes an allocation.
class Memo {
public:
    const Value* find(std::uint64_t index) const;
    void put(std::uint64_t index, const Value& value);
    std::size_t size() const { return dense_.size() + sparse_.size(); }
    void clear();

private:
    std::deque<Value> dense_;
    std::unordered_map<std::uint64_t, Value> sparse_;
};

enum class OpArg : std::uint8_t {
    kNone,
    kU1,
    kU2,
    kI4,
    kU4,
    kU8,
    kSkip8,     // BINFLOAT
    kLine,      // decimalnl, floatnl, stringnl, unicodestringnl
    kTwoLines,  // module\nname\n
    kLen1,      // uint1 length + payload
    kLen4Signed,
    kLen4,
    kLen8,
};

enum class OpEffect : std::uint8_t {
    kInvalid,
    kPushOther,
    kPushText,
    kPushBytes,
    kPushInt,
    kMark,
    kPop,
    kPopMark,
    kDup,
    kTuple0,
    kTuple1,
    kTuple2,
    kTuple3,
    kTupleMark,
    kCollectionMark,  // LIST, FROZENSET
    kDictMark,        // DICT
    kEmptyDict,
    kSetItems,
    kAppend,
    kSetItem,
    kExtendMark,  // APPENDS, SETITEMS, ADDITEMS
    kKeepTop,     // READONLY_BUFFER
    kGet,
    kPut,
    kMemoize,
    kGlobal,
    kStackGlobal,
    kInst,
    kObj,
    kReduce,
    kNewObj,
    kNewObjEx,
    kBuild,
    kExt,
    kPersid,
    kBinPersid,
    kProto,
    kStop,
    kFrame,
};

struct OpInfo {
    std::string_view name;
    OpArg arg = OpArg::kNone;
    OpEffect effect = OpEffect::kInvalid;
    TextEncoding encoding = TextEncoding::kUtf8;
};

// The operand of the current opcode.
struct Operand {
    std::uint64_t number = 0;       // integer arguments and lengths
    std::uint64_t data_offset = 0;  // payload / first line start
    std::uint64_t data_length = 0;
    std::string first;  // kLine / kTwoLines (bounded copies)
    std::string second;
    bool first_complete = true;
    bool second_complete = true;
};

class PickleMachine {
public:
    // `nested_budget` counts the nested pickles (pickle.loads arguments) still allowed to be
    // scanned, shared by every level.
    PickleMachine(ByteSource& source, const PickleLimits& limits, int depth, PickleReport& report,
                  int& nested_budget);
    void run();

private:
    enum class Step { kContinue, kStop, kHalt };

    // pickle_scan.cpp: the opcode loop, operands, stack and memo.
    bool run_stream();
    Step step();
    bool read_operand(const OpInfo& op);
    bool read_lines(const OpInfo& op);
    void check_frame(const OpInfo& op);
    Step apply(const OpInfo& op);
    Step apply_stack_op(const OpInfo& op);
    Step apply_memo_op(const OpInfo& op);
    bool mark();
    bool tuple_from_mark();
    bool push(Value value);
    Value int_value(const OpInfo& op) const;
    bool pop(Value& out);
    Value* top();
    bool pop_mark(std::vector<Value>* items);
    std::size_t fence() const { return marks_.empty() ? 0 : marks_.back(); }
    bool build_tuple(std::size_t count);
    bool memo_get(std::uint64_t index);
    bool memo_put(std::uint64_t index);
    bool frame(std::uint64_t length);
    bool proto(std::uint64_t version);
    bool stop();
    bool fail(std::string message);
    bool stream_failed(std::string_view context);
    bool limit(const std::string& message);
    void anomaly(PickleAnomalyKind kind, std::string message);

    // pickle_imports.cpp: imports, calls, BUILD, nested pickles.
    bool global(bool instantiate);
    bool stack_global();
    bool ext(std::uint64_t code);
    bool reduce();
    bool obj();
    bool new_obj(bool with_kwargs);
    bool build();
    bool set_items(std::vector<Value> items);
    bool skip_joblib_array(const Value& state);
    bool skip_joblib_object_array();
    bool modify_target(std::size_t popped_values);
    bool persid(bool binary);
    bool call(const Value& callable, std::span<const Value> args);
    void note_call(const Value& callable);
    void note_arguments(std::span<const Value> args, int level);
    void mark_called(std::int32_t origin, std::string how);
    std::int32_t add_import(PickleImport import);
    bool push_import(std::string module, std::string name, bool resolved);
    std::optional<std::string> resolve_text(const Value& value);
    std::string describe(const Value& value);
    void scan_nested(const Value& callable, std::span<const Value> args);
    void merge_nested(const PickleReport& nested, std::uint64_t base);

    ByteSource& source_;
    const PickleLimits& limits_;
    int depth_;
    PickleReport& report_;
    int& nested_budget_;
    PickleStream stream_;
    std::vector<Value> stack_;
    std::vector<std::size_t> marks_;  // stack sizes at each MARK (the C unpickler's model)
    Memo memo_;
    std::unordered_map<std::string, std::int32_t> import_index_;
    std::uint64_t proto_ = 0;
    std::uint64_t frame_end_ = 0;  // 0: no frame open
    std::uint64_t op_start_ = 0;
    std::string_view op_name_;
    Operand operand_;
    bool memo_exhaustion_reported_ = false;
    std::array<int, 5> anomaly_counts_{};  // per PickleAnomalyKind
};

}  // namespace aiops::scanner
