// Imports, calls, BUILD and nested pickles of the pickle VM simulation (PickleMachine).
#include <functional>

#include "pickle_lists.h"
#include "pickle_machine.h"

namespace aiops::scanner {

namespace {

constexpr int kMaxNestedDepth = 2;
constexpr std::size_t kMaxImports = 10'000;
constexpr std::uint64_t kMaxNameBytes = 4096;  // a module or attribute path, when re-read

std::string at_offset(std::uint64_t offset) { return " at offset " + std::to_string(offset); }

std::span<const Value> tuple_items(const Value& value) {
    if (value.kind != ValueKind::kTuple || !value.items) {
        return {};
    }
    return *value.items;
}

std::string full_name(const PickleImport& import) { return import.module + "." + import.name; }

}  // namespace

std::int32_t PickleMachine::add_import(PickleImport import) {
    std::string key = std::to_string(import.depth) + '\n' + import.module + '\n' + import.name +
                      (import.resolved ? "\n1" : "\n0");
    if (const auto found = import_index_.find(key); found != import_index_.end()) {
        auto& existing = report_.imports[static_cast<std::size_t>(found->second)];
        if (import.called && !existing.called) {
            existing.called = true;
            existing.call_opcode = std::move(import.call_opcode);
            existing.call_offset = import.call_offset;
        }
        return found->second;
    }
    if (report_.imports.size() >= kMaxImports) {
        limit("more than " + std::to_string(kMaxImports) + " distinct imports");
        return -1;
    }
    report_.imports.push_back(std::move(import));
    const auto index = static_cast<std::int32_t>(report_.imports.size() - 1);
    import_index_.emplace(std::move(key), index);
    return index;
}

bool PickleMachine::push_import(std::string module, std::string name, bool resolved) {
    if (resolved && proto_ < 3) {
        auto remapped = compat_remap(module, name);
        module = std::move(remapped.module);
        name = std::move(remapped.name);
    }
    const auto index = add_import({.module = std::move(module),
                                   .name = std::move(name),
                                   .resolved = resolved,
                                   .offset = op_start_,
                                   .opcode = std::string(op_name_),
                                   .depth = depth_});
    return index >= 0 && push({.kind = ValueKind::kGlobal, .origin = index});
}

// GLOBAL and INST: `module\nname\n` operands; INST then calls the import with the values since
// the MARK.
bool PickleMachine::global(bool instantiate) {
    auto module = operand_.first;
    auto name = operand_.second;
    const bool complete = operand_.first_complete && operand_.second_complete;
    if (complete && (module.empty() || name.empty())) {
        return fail(std::string(op_name_) + " with an empty module or name");
    }
    if (!is_valid_utf8(module) || !is_valid_utf8(name)) {
        return fail(std::string(op_name_) +
                    " names a module or attribute that is not valid UTF-8 (the loader fails here)");
    }
    if (!complete) {
        module += operand_.first_complete ? "" : "…";
        name += operand_.second_complete ? "" : "…";
    }
    if (!push_import(std::move(module), std::move(name), complete)) {
        return false;
    }
    if (!instantiate) {
        return true;
    }
    Value callable;
    std::vector<Value> args;
    return pop(callable) && pop_mark(&args) && call(callable, args);
}

bool PickleMachine::stack_global() {
    Value name;
    Value module;
    if (!pop(name) || !pop(module)) {
        return false;
    }
    auto module_text = resolve_text(module);
    auto name_text = resolve_text(name);
    if (module_text && name_text) {
        return push_import(std::move(*module_text), std::move(*name_text), true);
    }
    return push_import(module_text.value_or(describe(module)), name_text.value_or(describe(name)),
                       false);
}

// EXT1/2/4: an index into copyreg's extension registry, filled at run time by whoever loads the
// pickle, so the target cannot be known statically.
bool PickleMachine::ext(std::uint64_t code) {
    const bool negative = op_name_ == "EXT4" && code >= 0x8000'0000U;
    if (code == 0 || negative) {
        return fail(std::string(op_name_) + " code must be positive");
    }
    return push_import("copyreg", "_inverted_registry[" + std::to_string(code) + "]", false);
}

bool PickleMachine::reduce() {
    Value args;
    Value callable;
    return pop(args) && pop(callable) && call(callable, tuple_items(args));
}

bool PickleMachine::obj() {
    std::vector<Value> items;
    if (!pop_mark(&items)) {
        return false;
    }
    if (items.empty()) {
        return fail("OBJ: stack underflow (no class after the MARK)");
    }
    return call(items.front(), std::span<const Value>(items).subspan(1));
}

bool PickleMachine::new_obj(bool with_kwargs) {
    Value kwargs;
    Value args;
    Value cls;
    if (with_kwargs && !pop(kwargs)) {
        return false;
    }
    return pop(args) && pop(cls) && call(cls, tuple_items(args));
}

bool PickleMachine::build() {
    Value state;
    if (!pop(state) || !modify_target(0)) {
        return false;
    }
    const Value* target = top();
    if (target->kind != ValueKind::kCallResult || target->origin < 0) {
        return true;
    }
    const auto& import = report_.imports[static_cast<std::size_t>(target->origin)];
    if (import.resolved && import.name == "NumpyArrayWrapper" &&
        (import.module == "joblib.numpy_pickle" ||
         import.module == "sklearn.externals.joblib.numpy_pickle")) {
        return skip_joblib_array(state);
    }
    return true;
}

namespace {

const Value* dict_get(const Value& dict, std::string_view key,
                      const std::function<std::optional<std::string>(const Value&)>& text) {
    if (dict.kind != ValueKind::kDict || !dict.items) {
        return nullptr;
    }
    const auto& items = *dict.items;
    for (std::size_t index = 0; index + 1 < items.size(); index += 2) {
        if (items[index].kind == ValueKind::kText && text(items[index]) == key) {
            return &items[index + 1];
        }
    }
    return nullptr;
}

// Bytes per item of a numpy dtype string as pickled by numpy.dtype's __reduce__ ("f8", "i4",
// "u1", "b1", "c16", "S10", "U5", "V16", "M8", "m8"); 0 for object ("O8") or unknown.
std::uint64_t dtype_item_bytes(std::string_view dtype) {
    if (dtype.size() < 2) {
        return 0;
    }
    const char kind = dtype[0];
    std::uint64_t digits = 0;
    for (const char c : dtype.substr(1)) {
        if (c < '0' || c > '9' || digits > (1U << 20)) {
            return 0;
        }
        digits = digits * 10 + static_cast<std::uint64_t>(c - '0');
    }
    switch (kind) {
        case 'f':
        case 'i':
        case 'u':
        case 'c':
        case 'b':
        case 'S':
        case 'V':
        case 'M':
        case 'm': return digits;
        case 'U': return 4 * digits;
        default: return 0;
    }
}

}  // namespace

// joblib writes each numpy array as a NumpyArrayWrapper (NEWOBJ + BUILD of a small state dict)
// followed by the array's raw bytes, outside the pickle opcodes: an optional alignment (one byte
// holding the padding length, then that many bytes) and shape × dtype-size bytes; an object
// array is a complete nested pickle instead (joblib/numpy_pickle.py, write_array/read_array).
// The loader reads them at this point, so the analysis skips them and goes on with the opcodes
// after; when the size cannot be known, the rest of the file is not analysed and that is said.
bool PickleMachine::skip_joblib_array(const Value& state) {
    const auto text = [this](const Value& value) { return resolve_text(value); };
    const Value* shape = dict_get(state, "shape", text);
    const Value* dtype = dict_get(state, "dtype", text);
    const Value* alignment = dict_get(state, "numpy_array_alignment_bytes", text);
    std::optional<std::string> dtype_text;
    if (dtype != nullptr && dtype->kind == ValueKind::kCallResult && dtype->items) {
        dtype_text = resolve_text(dtype->items->front());
    }
    if (dtype_text && (*dtype_text).starts_with('O')) {
        return skip_joblib_object_array();
    }
    std::uint64_t bytes = dtype_text ? dtype_item_bytes(*dtype_text) : 0;
    bool known = bytes > 0 && shape != nullptr && shape->kind == ValueKind::kTuple;
    for (const auto& dim : known ? tuple_items(*shape) : std::span<const Value>()) {
        if (dim.kind != ValueKind::kInt || dim.data_length != 1 ||
            (dim.data_offset != 0 && bytes > stream_.size() / dim.data_offset)) {
            known = false;  // unknown, or more bytes than the file holds
            break;
        }
        bytes *= dim.data_offset;  // shape () is one item; a 0 dimension is no bytes
    }
    if (!known || frame_end_ != 0) {
        limit("joblib array" + at_offset(op_start_) +
              " whose byte size cannot be derived from its shape and dtype: the raw array bytes "
              "and everything after them were not analysed");
        return false;
    }
    std::uint64_t padding = 0;
    if (alignment != nullptr) {
        std::uint64_t length = 0;
        if (!stream_.read_uint(1, length)) {
            return stream_failed("joblib array padding");
        }
        padding = length;
    }
    if (!stream_.skip(padding + bytes)) {
        return stream_failed("joblib array data (" + std::to_string(bytes) + " bytes)");
    }
    return true;
}

bool PickleMachine::skip_joblib_object_array() {
    const std::uint64_t base = stream_.offset();
    if (frame_end_ != 0 || depth_ >= kMaxNestedDepth || nested_budget_ <= 0) {
        limit("joblib object array" + at_offset(base) +
              " (a nested pickle) beyond the nesting limits: the rest was not analysed");
        return false;
    }
    --nested_budget_;
    PickleLimits one = limits_;
    one.max_pickles = 1;
    one.stop_after_max_pickles = true;
    SliceSource rest(source_, base, stream_.size() - base);
    PickleReport nested;
    PickleMachine machine(rest, one, depth_ + 1, nested, nested_budget_);
    machine.run();
    merge_nested(nested, base);
    if (nested.pickles != 1 || !nested.error.empty()) {
        return fail("joblib object array" + at_offset(base) +
                    ": the nested pickle is malformed: " + nested.error);
    }
    return stream_.skip(nested.end_offset) || stream_failed("joblib object array");
}

// BUILD, APPEND(S), SETITEM(S), ADDITEMS change the object below their operands; applied to an
// imported module or class itself, that rewrites it for the rest of the process.
bool PickleMachine::modify_target(std::size_t popped_values) {
    Value dropped;
    for (std::size_t count = 0; count < popped_values; ++count) {
        if (!pop(dropped)) {
            return false;
        }
    }
    const Value* target = top();
    if (!target) {
        return false;
    }
    if (target->kind == ValueKind::kGlobal && target->origin >= 0) {
        const auto& import = report_.imports[static_cast<std::size_t>(target->origin)];
        anomaly(PickleAnomalyKind::kMonkeyPatch,
                std::string(op_name_) + at_offset(op_start_) + " modifies " + full_name(import) +
                    " itself (an imported module, class or function): monkey-patching");
    }
    return true;
}

bool PickleMachine::persid(bool binary) {
    report_.has_persistent_ids = true;
    Value pid;
    if (binary && !pop(pid)) {
        return false;
    }
    return push({});
}

bool PickleMachine::call(const Value& callable, std::span<const Value> args) {
    note_call(callable);
    note_arguments(args, 0);
    scan_nested(callable, args);
    Value result{.kind = ValueKind::kCallResult, .origin = callable.origin};
    if (!args.empty() && (args[0].kind == ValueKind::kText || args[0].kind == ValueKind::kBytes)) {
        result.items = std::make_shared<const std::vector<Value>>(1, args[0]);
    }
    return push(std::move(result));
}

void PickleMachine::note_call(const Value& callable) {
    if (callable.kind == ValueKind::kGlobal) {
        mark_called(callable.origin, std::string(op_name_));
        return;
    }
    if (callable.kind == ValueKind::kCallResult && callable.origin >= 0) {
        mark_called(callable.origin, std::string(op_name_) + " (on its result)");
    }
    anomaly(PickleAnomalyKind::kUnresolved, std::string(op_name_) + at_offset(op_start_) +
                                                " calls " + describe(callable) +
                                                ", which is not an imported callable");
}

// An import passed as an argument can be called by the callee (copyreg._reconstructor,
// functools.partial, numpy's _reconstruct …): count it as called.
void PickleMachine::note_arguments(std::span<const Value> args, int level) {
    for (const auto& arg : args) {
        if (arg.kind == ValueKind::kGlobal) {
            mark_called(arg.origin, std::string(op_name_) + " (as an argument)");
        } else if (arg.kind == ValueKind::kTuple && level == 0) {
            note_arguments(tuple_items(arg), level + 1);
        }
    }
}

void PickleMachine::mark_called(std::int32_t origin, std::string how) {
    if (origin < 0) {
        return;
    }
    auto& import = report_.imports[static_cast<std::size_t>(origin)];
    if (!import.called) {
        import.called = true;
        import.call_opcode = std::move(how);
        import.call_offset = op_start_;
    }
}

std::optional<std::string> PickleMachine::resolve_text(const Value& value) {
    if (value.kind != ValueKind::kText || value.data_length > kMaxNameBytes) {
        return std::nullopt;
    }
    auto raw = read_exact(source_, value.data_offset, static_cast<std::size_t>(value.data_length));
    if (!raw) {
        return std::nullopt;
    }
    return decode_pickle_text(*raw, value.encoding);
}

std::string PickleMachine::describe(const Value& value) {
    const auto origin_name = [this](std::int32_t origin) {
        return origin < 0 ? std::string("a call")
                          : full_name(report_.imports[static_cast<std::size_t>(origin)]);
    };
    switch (value.kind) {
        case ValueKind::kText: {
            auto text = resolve_text(value);
            return text ? "'" + *text + "'" : "<undecodable or long str>";
        }
        case ValueKind::kBytes: return "<bytes>";
        case ValueKind::kInt: return "<int>";
        case ValueKind::kGlobal: return "<import " + origin_name(value.origin) + ">";
        case ValueKind::kCallResult: return "<result of " + origin_name(value.origin) + ">";
        case ValueKind::kTuple: return "<tuple>";
        case ValueKind::kDict: return "<dict>";
        case ValueKind::kUnknown: return "<missing memo entry>";
        case ValueKind::kOther: break;
    }
    return "<object>";
}

// pickle.loads(b"…") runs a second pickle: analyse the byte string as one (bounded depth and
// count) and report its imports with absolute offsets.
void PickleMachine::scan_nested(const Value& callable, std::span<const Value> args) {
    if (callable.kind != ValueKind::kGlobal || callable.origin < 0 || depth_ >= kMaxNestedDepth) {
        return;
    }
    const auto& import = report_.imports[static_cast<std::size_t>(callable.origin)];
    if (!import.resolved || !is_nested_loader(import.module, import.name)) {
        return;
    }
    for (const auto& arg : args) {
        if (arg.kind != ValueKind::kBytes || arg.data_length == 0 ||
            arg.data_length > limits_.max_string_bytes || nested_budget_ <= 0) {
            continue;
        }
        --nested_budget_;
        SliceSource slice(source_, arg.data_offset, arg.data_length);
        PickleReport nested;
        PickleMachine machine(slice, limits_, depth_ + 1, nested, nested_budget_);
        machine.run();
        merge_nested(nested, arg.data_offset);
    }
}

void PickleMachine::merge_nested(const PickleReport& nested, std::uint64_t base) {
    for (auto import : nested.imports) {
        import.offset += base;
        import.call_offset += import.called ? base : 0;
        if (add_import(std::move(import)) < 0) {
            return;
        }
    }
    for (auto anomaly : nested.anomalies) {
        anomaly.offset += base;
        anomaly.message =
            "in the pickle loaded from the bytes" + at_offset(base) + ": " + anomaly.message;
        report_.anomalies.push_back(std::move(anomaly));
    }
}

}  // namespace aiops::scanner
