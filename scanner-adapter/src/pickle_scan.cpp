#include "pickle_scan.h"

#include <array>
#include <cstdio>

#include "pickle_machine.h"

namespace aiops::scanner {

namespace {

constexpr std::size_t kMaxDictItems = 16;            // bigger dicts are not tracked
constexpr std::size_t kMaxTupleItems = 16;           // longer tuples are not tracked item by item
constexpr std::size_t kMaxNameLineBytes = 4096;      // GLOBAL/INST lines kept for the import name
constexpr std::size_t kMaxDecimalBytes = 64;         // GET/PUT arguments kept for parsing
constexpr std::uint64_t kMemoIndexSlack = 1U << 20;  // beyond memo size + this: loader DoS
constexpr int kNestedPickles = 16;
constexpr int kMaxAnomaliesPerKind = 20;

using enum OpArg;
using enum OpEffect;

// Every opcode of pickletools.opcodes (protocols 0–5) with its argument format and effect.
constexpr std::array<OpInfo, 256> make_op_table() {
    std::array<OpInfo, 256> table{};
    auto set = [&table](char code, std::string_view name, OpArg arg, OpEffect effect,
                        TextEncoding encoding = TextEncoding::kUtf8) {
        table[static_cast<std::uint8_t>(code)] = {name, arg, effect, encoding};
    };
    set('(', "MARK", kNone, kMark);
    set('.', "STOP", kNone, kStop);
    set('0', "POP", kNone, kPop);
    set('1', "POP_MARK", kNone, kPopMark);
    set('2', "DUP", kNone, kDup);
    set('F', "FLOAT", kLine, kPushOther);
    set('I', "INT", kLine, kPushInt);
    set('J', "BININT", kI4, kPushInt);
    set('K', "BININT1", kU1, kPushInt);
    set('L', "LONG", kLine, kPushInt);
    set('M', "BININT2", kU2, kPushInt);
    set('N', "NONE", kNone, kPushOther);
    set('P', "PERSID", kLine, kPersid);
    set('Q', "BINPERSID", kNone, kBinPersid);
    set('R', "REDUCE", kNone, kReduce);
    set('S', "STRING", kLine, kPushText, TextEncoding::kQuotedEscapes);
    set('T', "BINSTRING", kLen4Signed, kPushText, TextEncoding::kAscii);
    set('U', "SHORT_BINSTRING", kLen1, kPushText, TextEncoding::kAscii);
    set('V', "UNICODE", kLine, kPushText, TextEncoding::kRawUnicodeEscape);
    set('X', "BINUNICODE", kLen4, kPushText);
    set('a', "APPEND", kNone, kAppend);
    set('b', "BUILD", kNone, kBuild);
    set('c', "GLOBAL", kTwoLines, kGlobal);
    set('d', "DICT", kNone, kDictMark);
    set('}', "EMPTY_DICT", kNone, kEmptyDict);
    set('e', "APPENDS", kNone, kExtendMark);
    set('g', "GET", kLine, kGet);
    set('h', "BINGET", kU1, kGet);
    set('i', "INST", kTwoLines, kInst);
    set('j', "LONG_BINGET", kU4, kGet);
    set('l', "LIST", kNone, kCollectionMark);
    set(']', "EMPTY_LIST", kNone, kPushOther);
    set('o', "OBJ", kNone, kObj);
    set('p', "PUT", kLine, kPut);
    set('q', "BINPUT", kU1, kPut);
    set('r', "LONG_BINPUT", kU4, kPut);
    set('s', "SETITEM", kNone, kSetItem);
    set('t', "TUPLE", kNone, kTupleMark);
    set(')', "EMPTY_TUPLE", kNone, kTuple0);
    set('u', "SETITEMS", kNone, kSetItems);
    set('G', "BINFLOAT", kSkip8, kPushOther);
    set('\x80', "PROTO", kU1, kProto);
    set('\x81', "NEWOBJ", kNone, kNewObj);
    set('\x82', "EXT1", kU1, kExt);
    set('\x83', "EXT2", kU2, kExt);
    set('\x84', "EXT4", kI4, kExt);
    set('\x85', "TUPLE1", kNone, kTuple1);
    set('\x86', "TUPLE2", kNone, kTuple2);
    set('\x87', "TUPLE3", kNone, kTuple3);
    set('\x88', "NEWTRUE", kNone, kPushOther);
    set('\x89', "NEWFALSE", kNone, kPushOther);
    set('\x8a', "LONG1", kLen1, kPushInt);
    set('\x8b', "LONG4", kLen4Signed, kPushInt);
    set('B', "BINBYTES", kLen4, kPushBytes);
    set('C', "SHORT_BINBYTES", kLen1, kPushBytes);
    set('\x8c', "SHORT_BINUNICODE", kLen1, kPushText);
    set('\x8d', "BINUNICODE8", kLen8, kPushText);
    set('\x8e', "BINBYTES8", kLen8, kPushBytes);
    set('\x8f', "EMPTY_SET", kNone, kPushOther);
    set('\x90', "ADDITEMS", kNone, kExtendMark);
    set('\x91', "FROZENSET", kNone, kCollectionMark);
    set('\x92', "NEWOBJ_EX", kNone, kNewObjEx);
    set('\x93', "STACK_GLOBAL", kNone, kStackGlobal);
    set('\x94', "MEMOIZE", kNone, kMemoize);
    set('\x95', "FRAME", kU8, kFrame);
    set('\x96', "BYTEARRAY8", kLen8, kPushBytes);
    set('\x97', "NEXT_BUFFER", kNone, kPushOther);
    set('\x98', "READONLY_BUFFER", kNone, kKeepTop);
    return table;
}

constexpr auto kOps = make_op_table();

std::string at_offset(std::uint64_t offset) { return " at offset " + std::to_string(offset); }

}  // namespace

const Value* Memo::find(std::uint64_t index) const {
    if (index < dense_.size()) {
        return &dense_[index];
    }
    const auto found = sparse_.find(index);
    return found == sparse_.end() ? nullptr : &found->second;
}

void Memo::put(std::uint64_t index, const Value& value) {
    if (index < dense_.size()) {
        dense_[index] = value;
    } else if (index == dense_.size() && !sparse_.contains(index)) {
        dense_.push_back(value);
    } else {
        sparse_[index] = value;
    }
}

void Memo::clear() {
    dense_.clear();
    sparse_.clear();
}

PickleMachine::PickleMachine(ByteSource& source, const PickleLimits& limits, int depth,
                             PickleReport& report, int& nested_budget)
    : source_(source),
      limits_(limits),
      depth_(depth),
      report_(report),
      nested_budget_(nested_budget),
      stream_(source) {}

void PickleMachine::run() {
    if (stream_.size() == 0) {
        fail("empty: not a pickle");
        return;
    }
    while (!stream_.at_end()) {
        if (static_cast<std::size_t>(report_.pickles) >= limits_.max_pickles) {
            if (!limits_.stop_after_max_pickles) {
                op_start_ = stream_.offset();
                limit("more than " + std::to_string(limits_.max_pickles) + " concatenated pickles");
            }
            return;
        }
        stack_.clear();
        marks_.clear();
        memo_.clear();
        proto_ = 0;
        frame_end_ = 0;
        if (!run_stream()) {
            return;
        }
    }
}

bool PickleMachine::run_stream() {
    for (;;) {
        switch (step()) {
            case Step::kContinue: break;
            case Step::kStop: return true;
            case Step::kHalt: return false;
        }
    }
}

PickleMachine::Step PickleMachine::step() {
    op_start_ = stream_.offset();
    std::uint8_t code = 0;
    if (!stream_.read_byte(code)) {
        if (stream_.error() == StreamError::kTruncated) {
            fail("truncated: the stream ends" + at_offset(op_start_) + " before STOP");
        } else {
            stream_failed("reading an opcode");
        }
        return Step::kHalt;
    }
    if (++report_.opcodes > limits_.max_opcodes) {
        limit("more than " + std::to_string(limits_.max_opcodes) + " opcodes");
        return Step::kHalt;
    }
    const OpInfo& op = kOps[code];
    op_name_ = op.name;
    if (op.effect == kInvalid) {
        char hex[8];
        std::snprintf(hex, sizeof(hex), "0x%02x", static_cast<unsigned>(code));
        fail(std::string("unknown opcode ") + hex);
        return Step::kHalt;
    }
    if (!read_operand(op)) {
        stream_failed(op.name);
        return Step::kHalt;
    }
    check_frame(op);
    return apply(op);
}

bool PickleMachine::read_operand(const OpInfo& op) {
    auto& operand = operand_;
    switch (op.arg) {
        case kNone: return true;
        case kU1: return stream_.read_uint(1, operand.number);
        case kU2: return stream_.read_uint(2, operand.number);
        case kI4:
        case kU4: return stream_.read_uint(4, operand.number);
        case kU8: return stream_.read_uint(8, operand.number);
        case kSkip8: return stream_.skip(8);
        case kLine:
        case kTwoLines: return read_lines(op);
        case kLen1:
        case kLen4:
        case kLen4Signed:
        case kLen8: {
            const std::size_t width = op.arg == kLen1 ? 1 : op.arg == kLen8 ? 8 : 4;
            if (!stream_.read_uint(width, operand.number)) {
                return false;
            }
            if (op.arg == kLen4Signed && operand.number >= 0x8000'0000U) {
                return fail(std::string(op.name) + " has a negative length");
            }
            operand.data_offset = stream_.offset();
            operand.data_length = operand.number;
            return stream_.skip(operand.number);
        }
    }
    return false;
}

bool PickleMachine::read_lines(const OpInfo& op) {
    auto& operand = operand_;
    const std::size_t keep = op.arg == kTwoLines ? kMaxNameLineBytes : kMaxDecimalBytes;
    operand.first.clear();
    operand.second.clear();
    operand.data_offset = stream_.offset();
    if (!stream_.read_line(limits_.max_string_bytes, &operand.first, keep, operand.data_length)) {
        return false;
    }
    operand.first_complete = operand.data_length <= keep;
    if (op.arg != kTwoLines) {
        return true;
    }
    std::uint64_t length = 0;
    if (!stream_.read_line(limits_.max_string_bytes, &operand.second, keep, length)) {
        return false;
    }
    operand.second_complete = length <= keep;
    return true;
}

void PickleMachine::check_frame(const OpInfo& op) {
    if (frame_end_ == 0) {
        return;
    }
    const std::uint64_t end = stream_.offset();
    if (op_start_ < frame_end_ && end > frame_end_) {
        anomaly(PickleAnomalyKind::kFrame,
                std::string(op.name) + at_offset(op_start_) + " runs past the end of its frame" +
                    at_offset(frame_end_) +
                    " (the C unpickler reads on, Python's refuses: a parser differential)");
    }
    if (end >= frame_end_) {
        frame_end_ = 0;
    }
}

PickleMachine::Step PickleMachine::apply(const OpInfo& op) {
    bool ok = true;
    switch (op.effect) {
        case kGlobal: ok = global(false); break;
        case kInst: ok = global(true); break;
        case kStackGlobal: ok = stack_global(); break;
        case kExt: ok = ext(operand_.number); break;
        case kReduce: ok = reduce(); break;
        case kObj: ok = obj(); break;
        case kNewObj: ok = new_obj(false); break;
        case kNewObjEx: ok = new_obj(true); break;
        case kBuild: ok = build(); break;
        case kAppend: ok = modify_target(1); break;
        case kSetItem: {
            std::vector<Value> pair(2);
            ok = pop(pair[1]) && pop(pair[0]) && set_items(std::move(pair));
            break;
        }
        case kPersid: ok = persid(false); break;
        case kBinPersid: ok = persid(true); break;
        case kProto: ok = proto(operand_.number); break;
        case kFrame: ok = frame(operand_.number); break;
        case kStop: return stop() ? Step::kStop : Step::kHalt;
        case kGet:
        case kPut:
        case kMemoize: return apply_memo_op(op);
        default: return apply_stack_op(op);
    }
    return ok ? Step::kContinue : Step::kHalt;
}

PickleMachine::Step PickleMachine::apply_stack_op(const OpInfo& op) {
    bool ok = true;
    Value value;
    switch (op.effect) {
        case kPushOther: ok = push({}); break;
        case kPushInt: ok = push(int_value(op)); break;
        case kEmptyDict: ok = push({.kind = ValueKind::kDict}); break;
        case kDictMark: {
            std::vector<Value> items;
            ok =
                pop_mark(&items) && push({.kind = ValueKind::kDict}) && set_items(std::move(items));
            break;
        }
        case kSetItems: {
            std::vector<Value> items;
            ok = pop_mark(&items) && set_items(std::move(items));
            break;
        }
        case kPushText:
        case kPushBytes:
            ok = push({.kind = op.effect == kPushText ? ValueKind::kText : ValueKind::kBytes,
                       .encoding = op.encoding,
                       .data_offset = operand_.data_offset,
                       .data_length = operand_.data_length});
            break;
        case kMark: ok = mark(); break;
        case kPop:
            if (!marks_.empty() && marks_.back() == stack_.size()) {
                marks_.pop_back();
            } else {
                ok = pop(value);
            }
            break;
        case kPopMark: ok = pop_mark(nullptr); break;
        case kDup: ok = top() != nullptr && push(*top()); break;
        case kTuple0: ok = build_tuple(0); break;
        case kTuple1: ok = build_tuple(1); break;
        case kTuple2: ok = build_tuple(2); break;
        case kTuple3: ok = build_tuple(3); break;
        case kTupleMark: ok = tuple_from_mark(); break;
        case kCollectionMark: ok = pop_mark(nullptr) && push({}); break;
        case kExtendMark: ok = pop_mark(nullptr) && modify_target(0); break;
        case kKeepTop: ok = top() != nullptr; break;
        default: ok = fail("unhandled opcode");
    }
    return ok ? Step::kContinue : Step::kHalt;
}

PickleMachine::Step PickleMachine::apply_memo_op(const OpInfo& op) {
    std::uint64_t index = operand_.number;
    if (op.arg == kLine) {
        const auto parsed =
            operand_.first_complete ? parse_pickle_decimal(operand_.first) : std::nullopt;
        if (!parsed || *parsed < 0) {
            fail(std::string(op.name) + " argument is not a non-negative integer");
            return Step::kHalt;
        }
        index = static_cast<std::uint64_t>(*parsed);
    }
    bool ok = false;
    switch (op.effect) {
        case kGet: ok = memo_get(index); break;
        case kPut: ok = memo_put(index); break;
        default: ok = memo_put(memo_.size()); break;
    }
    return ok ? Step::kContinue : Step::kHalt;
}

Value PickleMachine::int_value(const OpInfo& op) const {
    Value value{.kind = ValueKind::kInt};
    std::optional<std::int64_t> known;
    const bool non_negative_binint = op.arg == kI4 && operand_.number < 0x8000'0000U;
    if (op.arg == kU1 || op.arg == kU2 || non_negative_binint) {
        known = static_cast<std::int64_t>(operand_.number);
    } else if (op.arg == kLine && operand_.first_complete) {
        known = parse_pickle_decimal(operand_.first);
    }
    if (known && *known >= 0) {
        value.data_offset = static_cast<std::uint64_t>(*known);
        value.data_length = 1;
    }
    return value;
}

// SETITEM(S) and DICT: small dicts keep their items (joblib's array state); anything else is
// an opaque target, checked like every modified object.
bool PickleMachine::set_items(std::vector<Value> items) {
    Value* target = top();
    if (target == nullptr) {
        return false;
    }
    if (target->kind != ValueKind::kDict) {
        return modify_target(0);
    }
    const std::size_t held = target->items ? target->items->size() : 0;
    if (held + items.size() > 2 * kMaxDictItems || items.size() % 2 != 0) {
        *target = Value{};
        return true;
    }
    auto merged = std::make_shared<std::vector<Value>>();
    merged->reserve(held + items.size());
    if (target->items) {
        merged->assign(target->items->begin(), target->items->end());
    }
    merged->insert(merged->end(), std::make_move_iterator(items.begin()),
                   std::make_move_iterator(items.end()));
    target->items = std::move(merged);
    return true;
}

bool PickleMachine::mark() {
    if (stack_.size() + marks_.size() >= limits_.max_stack_depth) {
        return limit("stack deeper than " + std::to_string(limits_.max_stack_depth));
    }
    marks_.push_back(stack_.size());
    return true;
}

bool PickleMachine::tuple_from_mark() {
    if (marks_.empty()) {
        return fail("TUPLE without MARK");
    }
    if (!build_tuple(stack_.size() - fence())) {
        return false;
    }
    marks_.pop_back();  // the tuple now sits where the mark was
    return true;
}

bool PickleMachine::push(Value value) {
    if (stack_.size() + marks_.size() >= limits_.max_stack_depth) {
        return limit("stack deeper than " + std::to_string(limits_.max_stack_depth));
    }
    stack_.push_back(std::move(value));
    return true;
}

bool PickleMachine::pop(Value& out) {
    if (stack_.size() <= fence()) {
        return fail(std::string(op_name_) + ": stack underflow");
    }
    out = std::move(stack_.back());
    stack_.pop_back();
    return true;
}

Value* PickleMachine::top() {
    if (stack_.size() <= fence()) {
        fail(std::string(op_name_) + ": stack underflow");
        return nullptr;
    }
    return &stack_.back();
}

bool PickleMachine::pop_mark(std::vector<Value>* items) {
    if (marks_.empty()) {
        return fail(std::string(op_name_) + " without MARK");
    }
    const std::size_t mark = marks_.back();
    marks_.pop_back();
    if (items) {
        items->assign(std::make_move_iterator(stack_.begin() + static_cast<std::ptrdiff_t>(mark)),
                      std::make_move_iterator(stack_.end()));
    }
    stack_.resize(mark);
    return true;
}

// The top `count` values become one tuple (TUPLE's count is everything above the mark, which the
// caller pops).
bool PickleMachine::build_tuple(std::size_t count) {
    if (stack_.size() < fence() + count) {
        return fail(std::string(op_name_) + ": stack underflow");
    }
    Value tuple{.kind = count <= kMaxTupleItems ? ValueKind::kTuple : ValueKind::kOther};
    const auto first = stack_.end() - static_cast<std::ptrdiff_t>(count);
    if (tuple.kind == ValueKind::kTuple && count > 0) {
        tuple.items = std::make_shared<const std::vector<Value>>(first, stack_.end());
    }
    stack_.erase(first, stack_.end());
    return push(std::move(tuple));
}

bool PickleMachine::memo_get(std::uint64_t index) {
    if (const Value* value = memo_.find(index)) {
        return push(*value);
    }
    anomaly(PickleAnomalyKind::kUnresolved,
            std::string(op_name_) + at_offset(op_start_) + " reads memo key " +
                std::to_string(index) +
                ", which was never stored (the loader fails here; what follows is still "
                "analysed)");
    return push({.kind = ValueKind::kUnknown});
}

bool PickleMachine::memo_put(std::uint64_t index) {
    const Value* value = top();
    if (!value) {
        return false;
    }
    if (index > memo_.size() + kMemoIndexSlack && !memo_exhaustion_reported_) {
        memo_exhaustion_reported_ = true;
        anomaly(PickleAnomalyKind::kMemoExhaustion,
                std::string(op_name_) + at_offset(op_start_) + " stores memo key " +
                    std::to_string(index) + " while the memo holds " +
                    std::to_string(memo_.size()) +
                    " entries: the C unpickler allocates a table up to that index");
    }
    memo_.put(index, *value);
    if (memo_.size() > limits_.max_memo_entries) {
        return limit("more than " + std::to_string(limits_.max_memo_entries) + " memo entries");
    }
    return true;
}

bool PickleMachine::frame(std::uint64_t length) {
    if (frame_end_ != 0) {
        anomaly(PickleAnomalyKind::kFrame, "FRAME" + at_offset(op_start_) +
                                               " opens inside the frame that ends" +
                                               at_offset(frame_end_));
    }
    const std::uint64_t start = stream_.offset();
    if (length > stream_.size() - start) {
        return fail("FRAME declares " + std::to_string(length) +
                    " bytes, past the end of the stream");
    }
    frame_end_ = start + length;
    return true;
}

bool PickleMachine::proto(std::uint64_t version) {
    if (version > 5) {
        return fail("unsupported pickle protocol " + std::to_string(version));
    }
    proto_ = version;
    report_.max_protocol = std::max(report_.max_protocol, static_cast<int>(version));
    return true;
}

bool PickleMachine::stop() {
    Value result;
    if (!pop(result)) {
        return false;
    }
    ++report_.pickles;
    report_.end_offset = stream_.offset();
    return true;
}

bool PickleMachine::fail(std::string message) {
    if (report_.error.empty()) {
        report_.error = std::move(message);
        report_.error_offset = op_start_;
    }
    return false;
}

bool PickleMachine::stream_failed(std::string_view context) {
    switch (stream_.error()) {
        case StreamError::kTooLong:
            return limit(std::string(context) + ": " + stream_.error_message());
        case StreamError::kTruncated:
            return fail("truncated: " + std::string(context) + at_offset(op_start_) +
                        " is cut off by the end of the stream");
        default: return fail(std::string(context) + ": " + stream_.error_message());
    }
}

bool PickleMachine::limit(const std::string& message) {
    anomaly(PickleAnomalyKind::kLimit, "analysis stopped" + at_offset(op_start_) + ": " + message);
    return false;
}

// At most kMaxAnomaliesPerKind of each kind (a million missing GETs are one problem); limits are
// always recorded.
void PickleMachine::anomaly(PickleAnomalyKind kind, std::string message) {
    auto& count = anomaly_counts_[static_cast<std::size_t>(kind)];
    if (kind != PickleAnomalyKind::kLimit && count >= kMaxAnomaliesPerKind) {
        return;
    }
    ++count;
    report_.anomalies.push_back({.kind = kind, .offset = op_start_, .message = std::move(message)});
}

PickleReport analyse_pickle(ByteSource& source, const PickleLimits& limits) {
    PickleReport report;
    int nested_budget = kNestedPickles;
    PickleMachine machine(source, limits, 0, report, nested_budget);
    machine.run();
    return report;
}

}  // namespace aiops::scanner
