#include "update_operators.h"

#include <algorithm>
#include <string_view>

namespace aiops::catalog {

using common::Error;
using common::ErrorCode;
using common::Result;
using json = nlohmann::json;

namespace {

Error invalid(const std::string& message) { return Error{ErrorCode::kInvalidInput, message}; }

std::string escape_pointer_token(const std::string& token) {
    std::string out;
    for (char ch : token) {
        if (ch == '~') {
            out += "~0";
        } else if (ch == '/') {
            out += "~1";
        } else {
            out += ch;
        }
    }
    return out;
}

common::Status set_path(json& document, const std::string& path, const json& value) {
    json* current = &document;
    std::string_view remaining = path;
    while (true) {
        if (!current->is_object()) {
            return invalid("$set." + path + ": cannot set a field inside a non-object value");
        }
        const auto dot = remaining.find('.');
        const std::string key(remaining.substr(0, dot));
        if (dot == std::string_view::npos) {
            (*current)[key] = value;
            return {};
        }
        json& child = (*current)[key];
        if (child.is_null()) {
            child = json::object();
        }
        current = &child;
        remaining.remove_prefix(dot + 1);
    }
}

void unset_path(json& document, const std::string& path) {
    json* current = &document;
    std::string remaining = path;
    while (current->is_object()) {
        const auto dot = remaining.find('.');
        const std::string key = remaining.substr(0, dot);
        if (dot == std::string::npos) {
            current->erase(key);
            return;
        }
        const auto it = current->find(key);
        if (it == current->end()) {
            return;
        }
        current = &*it;
        remaining = remaining.substr(dot + 1);
    }
}

Result<json*> array_at(json& document, const std::string& op, const std::string& path,
                       bool create) {
    auto pointer = dotted_to_pointer(path);
    if (!pointer) {
        return pointer.error();
    }
    if (!document.contains(*pointer)) {
        if (!create) {
            return static_cast<json*>(nullptr);
        }
        if (auto st = set_path(document, path, json::array()); !st) {
            return st.error();
        }
    }
    json& target = document.at(*pointer);
    if (!target.is_array()) {
        return invalid(op + "." + path + ": the field is not an array");
    }
    return &target;
}

common::Status add_to_set(json& document, const std::string& path, const json& argument) {
    json values = json::array({argument});
    if (argument.is_object() && argument.contains("$each")) {
        if (argument.size() != 1 || !argument["$each"].is_array()) {
            return invalid("$addToSet." + path + ": $each needs an array and nothing else");
        }
        values = argument["$each"];
    }
    auto target = array_at(document, "$addToSet", path, /*create=*/true);
    if (!target) {
        return target.error();
    }
    for (const auto& value : values) {
        if (std::find(target.value()->begin(), target.value()->end(), value) ==
            target.value()->end()) {
            target.value()->push_back(value);
        }
    }
    return {};
}

common::Status pull(json& document, const std::string& path, const json& argument) {
    json values = json::array({argument});
    if (argument.is_object() && argument.contains("$in")) {
        if (argument.size() != 1 || !argument["$in"].is_array()) {
            return invalid("$pull." + path + ": $in needs an array and nothing else");
        }
        values = argument["$in"];
    } else if (argument.is_object() && !argument.empty() &&
               argument.begin().key().starts_with('$')) {
        return invalid("$pull." + path + ": only a value or {\"$in\": [...]} is supported");
    }
    auto target = array_at(document, "$pull", path, /*create=*/false);
    if (!target) {
        return target.error();
    }
    if (target.value() == nullptr) {
        return {};
    }
    json kept = json::array();
    for (const auto& element : *target.value()) {
        if (std::find(values.begin(), values.end(), element) == values.end()) {
            kept.push_back(element);
        }
    }
    *target.value() = std::move(kept);
    return {};
}

common::Status apply_one(json& document, const std::string& op, const json& fields) {
    if (!fields.is_object() || fields.empty()) {
        return invalid(op + " needs a non-empty object of field paths");
    }
    for (const auto& [path, argument] : fields.items()) {
        if (auto pointer = dotted_to_pointer(path); !pointer) {
            return Error{ErrorCode::kInvalidInput, op + ": " + pointer.error().message};
        }
        common::Status status;
        if (op == "$set") {
            status = set_path(document, path, argument);
        } else if (op == "$unset") {
            unset_path(document, path);
        } else if (op == "$addToSet") {
            status = add_to_set(document, path, argument);
        } else {
            status = pull(document, path, argument);
        }
        if (!status) {
            return status;
        }
    }
    return {};
}

}  // namespace

bool is_operator_update(const json& update) {
    return update.is_object() &&
           std::any_of(update.items().begin(), update.items().end(),
                       [](const auto& item) { return item.key().starts_with('$'); });
}

Result<json::json_pointer> dotted_to_pointer(const std::string& path) {
    if (path.empty()) {
        return invalid("empty field path");
    }
    std::string pointer;
    std::size_t start = 0;
    while (start <= path.size()) {
        const auto dot = path.find('.', start);
        const auto token =
            path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        if (token.empty() || token.starts_with('$')) {
            return invalid("invalid field path '" + path + "'");
        }
        pointer += "/" + escape_pointer_token(token);
        if (dot == std::string::npos) {
            break;
        }
        start = dot + 1;
    }
    return json::json_pointer(pointer);
}

Result<json> apply_update_operators(const json& document, const json& update) {
    if (!update.is_object() || update.empty()) {
        return invalid("update must be a non-empty JSON object");
    }
    json result = document;
    for (const auto& [op, fields] : update.items()) {
        if (op != "$set" && op != "$unset" && op != "$addToSet" && op != "$pull") {
            return invalid(op.starts_with('$') ? "unsupported update operator " + op
                                               : "field '" + op + "' mixed with update operators");
        }
        if (auto status = apply_one(result, op, fields); !status) {
            return status.error();
        }
    }
    return result;
}

}  // namespace aiops::catalog
