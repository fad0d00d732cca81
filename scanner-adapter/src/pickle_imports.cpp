// Imports, calls, BUILD and nested pickles of the pickle VM simulation (PickleMachine).
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
    if (!pop(state)) {
        return false;
    }
    return modify_target(0);
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
    return push({.kind = ValueKind::kCallResult, .origin = callable.origin});
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
