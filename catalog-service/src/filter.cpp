#include "filter.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <regex>
#include <string_view>
#include <utility>

namespace aiops::catalog {

using common::Error;
using common::ErrorCode;
using common::Result;
using json = nlohmann::json;

namespace {

enum class OpKind {
    kEq,
    kNe,
    kGt,
    kGte,
    kLt,
    kLte,
    kIn,
    kNin,
    kExists,
    kRegex,
    kAll,
    kSize,
    kElemMatch,
    kNot
};

struct OpName {
    std::string_view name;
    OpKind kind;
};

constexpr OpName kOperators[] = {
    {"$eq", OpKind::kEq},
    {"$ne", OpKind::kNe},
    {"$gt", OpKind::kGt},
    {"$gte", OpKind::kGte},
    {"$lt", OpKind::kLt},
    {"$lte", OpKind::kLte},
    {"$in", OpKind::kIn},
    {"$nin", OpKind::kNin},
    {"$exists", OpKind::kExists},
    {"$regex", OpKind::kRegex},
    {"$all", OpKind::kAll},
    {"$size", OpKind::kSize},
    {"$elemMatch", OpKind::kElemMatch},
    {"$not", OpKind::kNot},
};

std::optional<OpKind> operator_kind(std::string_view name) {
    for (const auto& op : kOperators) {
        if (op.name == name) {
            return op.kind;
        }
    }
    return std::nullopt;
}

bool is_operator_object(const json& value) {
    return value.is_object() && !value.empty() && value.begin().key().starts_with('$');
}

Error invalid(const std::string& message) { return Error{ErrorCode::kInvalidInput, message}; }

}  // namespace

struct Condition {
    OpKind kind = OpKind::kEq;
    json value;
    std::optional<std::regex> regex;
    std::vector<Condition> nested;             // $not, $elemMatch with operators
    std::unique_ptr<Filter::Node> doc_filter;  // $elemMatch with a document filter
};

struct Filter::Node {
    enum class Kind { kAnd, kOr, kNor, kField };
    Kind kind = Kind::kAnd;
    std::vector<std::unique_ptr<Node>> children;
    std::string path;
    std::vector<Condition> conditions;  // all must hold
};

namespace {

using Node = Filter::Node;

class Parser {
public:
    explicit Parser(const FilterLimits& limits) : limits_(limits) {}

    Result<std::unique_ptr<Node>> document(const json& filter, const std::string& where);

private:
    Result<std::unique_ptr<Node>> logical(Node::Kind kind, const json& list, const std::string& op);
    Result<std::unique_ptr<Node>> field(const std::string& path, const json& condition);
    Result<std::vector<Condition>> operators(const json& spec, const std::string& path);
    Result<Condition> one_operator(OpKind kind, const json& argument, const json& spec,
                                   const std::string& where);
    Result<Condition> regex_condition(const json& pattern, const json& options,
                                      const std::string& where);
    common::Status count(const std::string& where);

    const FilterLimits& limits_;
    std::size_t nodes_ = 0;
};

common::Status Parser::count(const std::string& where) {
    if (++nodes_ > limits_.max_nodes) {
        return invalid("filter too large at " + where + ": more than " +
                       std::to_string(limits_.max_nodes) + " conditions");
    }
    return {};
}

Result<std::unique_ptr<Node>> Parser::document(const json& filter, const std::string& where) {
    if (!filter.is_object()) {
        return invalid(where + ": a filter must be a JSON object");
    }
    auto node = std::make_unique<Node>();
    node->kind = Node::Kind::kAnd;
    for (const auto& [key, value] : filter.items()) {
        if (auto st = count(key); !st) {
            return st.error();
        }
        Result<std::unique_ptr<Node>> child = Error{ErrorCode::kInternal, ""};
        if (key == "$and" || key == "$or" || key == "$nor") {
            const auto kind = key == "$and"  ? Node::Kind::kAnd
                              : key == "$or" ? Node::Kind::kOr
                                             : Node::Kind::kNor;
            child = logical(kind, value, key);
        } else if (key.starts_with('$')) {
            return invalid("unsupported top-level operator " + key);
        } else if (key.empty()) {
            return invalid("empty field name in filter");
        } else {
            child = field(key, value);
        }
        if (!child) {
            return child.error();
        }
        node->children.push_back(std::move(child).value());
    }
    return node;
}

Result<std::unique_ptr<Node>> Parser::logical(Node::Kind kind, const json& list,
                                              const std::string& op) {
    if (!list.is_array() || list.empty()) {
        return invalid(op + " needs a non-empty array of filters");
    }
    auto node = std::make_unique<Node>();
    node->kind = kind;
    for (std::size_t idx = 0; idx < list.size(); ++idx) {
        auto child = document(list[idx], op + "[" + std::to_string(idx) + "]");
        if (!child) {
            return child.error();
        }
        node->children.push_back(std::move(child).value());
    }
    return node;
}

Result<std::unique_ptr<Node>> Parser::field(const std::string& path, const json& condition) {
    auto node = std::make_unique<Node>();
    node->kind = Node::Kind::kField;
    node->path = path;
    if (!is_operator_object(condition)) {
        Condition eq;
        eq.kind = OpKind::kEq;
        eq.value = condition;
        node->conditions.push_back(std::move(eq));
        return node;
    }
    auto conditions = operators(condition, path);
    if (!conditions) {
        return conditions.error();
    }
    node->conditions = std::move(conditions).value();
    return node;
}

Result<std::vector<Condition>> Parser::operators(const json& spec, const std::string& path) {
    std::vector<Condition> conditions;
    for (const auto& [name, argument] : spec.items()) {
        if (name == "$options") {
            if (!spec.contains("$regex")) {
                return invalid(path + ": $options without $regex");
            }
            continue;
        }
        const auto kind = operator_kind(name);
        if (!kind) {
            std::string message = path;
            message += name.starts_with('$') ? ": unknown operator " + name
                                             : ": field '" + name + "' mixed with operators";
            return invalid(message);
        }
        std::string where = path;
        where += ".";
        where += name;
        if (auto st = count(where); !st) {
            return st.error();
        }
        auto condition = one_operator(*kind, argument, spec, where);
        if (!condition) {
            return condition.error();
        }
        conditions.push_back(std::move(condition).value());
    }
    return conditions;
}

Result<Condition> Parser::regex_condition(const json& pattern, const json& options,
                                          const std::string& where) {
    if (!pattern.is_string()) {
        return invalid(where + " needs a string pattern");
    }
    const auto& text = pattern.get_ref<const std::string&>();
    if (text.size() > limits_.max_regex_bytes) {
        return invalid(where + ": pattern longer than " + std::to_string(limits_.max_regex_bytes));
    }
    auto flags = std::regex::ECMAScript;
    if (!options.is_null()) {
        if (!options.is_string()) {
            return invalid(where + ": $options must be a string");
        }
        for (char flag : options.get<std::string>()) {
            if (flag == 'i') {
                flags |= std::regex::icase;
            } else if (flag == 'm') {
                flags |= std::regex::multiline;
            } else {
                return invalid(where + ": unsupported $options flag '" + std::string(1, flag) +
                               "'");
            }
        }
    }
    Condition condition;
    condition.kind = OpKind::kRegex;
    try {
        condition.regex.emplace(text, flags);
    } catch (const std::regex_error& ex) {
        return invalid(where + ": invalid regular expression: " + ex.what());
    }
    return condition;
}

Result<Condition> Parser::one_operator(OpKind kind, const json& argument, const json& spec,
                                       const std::string& where) {
    Condition condition;
    condition.kind = kind;
    condition.value = argument;
    switch (kind) {
        case OpKind::kIn:
        case OpKind::kNin:
        case OpKind::kAll:
            if (!argument.is_array()) {
                return invalid(where + " needs an array");
            }
            if (argument.size() > limits_.max_list_values) {
                return invalid(where + ": more than " + std::to_string(limits_.max_list_values) +
                               " values");
            }
            return condition;
        case OpKind::kExists:
            if (!argument.is_boolean() && !argument.is_number()) {
                return invalid(where + " needs true or false");
            }
            condition.value = argument.is_boolean() ? argument.get<bool>() : argument != 0;
            return condition;
        case OpKind::kSize:
            if (!argument.is_number_integer() || argument.get<std::int64_t>() < 0) {
                return invalid(where + " needs a non-negative integer");
            }
            return condition;
        case OpKind::kRegex:
            return regex_condition(argument, spec.value("$options", json()), where);
        case OpKind::kNot: {
            if (argument.is_object() && is_operator_object(argument)) {
                auto nested = operators(argument, where);
                if (!nested) {
                    return nested.error();
                }
                condition.nested = std::move(nested).value();
                return condition;
            }
            return invalid(where + " needs an operator object, e.g. {\"$not\": {\"$eq\": 1}}");
        }
        case OpKind::kElemMatch: {
            if (!argument.is_object() || argument.empty()) {
                return invalid(where + " needs a non-empty object");
            }
            if (is_operator_object(argument)) {
                auto nested = operators(argument, where);
                if (!nested) {
                    return nested.error();
                }
                condition.nested = std::move(nested).value();
                return condition;
            }
            auto sub = document(argument, where);
            if (!sub) {
                return sub.error();
            }
            condition.doc_filter = std::move(sub).value();
            return condition;
        }
        default: return condition;
    }
}

// ---- evaluation ----------------------------------------------------------------------------

std::optional<std::size_t> array_index(std::string_view part) {
    if (part.empty() || part.size() > 9) {
        return std::nullopt;
    }
    std::size_t value = 0;
    for (char ch : part) {
        if (ch < '0' || ch > '9') {
            return std::nullopt;
        }
        value = value * 10 + static_cast<std::size_t>(ch - '0');
    }
    return value;
}

void resolve_into(const json& value, std::string_view rest, std::vector<const json*>& out) {
    if (rest.empty()) {
        out.push_back(&value);
        return;
    }
    const auto dot = rest.find('.');
    const auto part = rest.substr(0, dot);
    const auto tail = dot == std::string_view::npos ? std::string_view() : rest.substr(dot + 1);
    if (value.is_object()) {
        const auto it = value.find(std::string(part));
        if (it != value.end()) {
            resolve_into(*it, tail, out);
        }
        return;
    }
    if (!value.is_array()) {
        return;
    }
    if (const auto index = array_index(part); index && *index < value.size()) {
        resolve_into(value[*index], tail, out);
    }
    for (const auto& element : value) {
        if (element.is_object()) {
            resolve_into(element, rest, out);
        }
    }
}

bool same_kind(const json& lhs, const json& rhs) {
    return (lhs.is_number() && rhs.is_number()) || (lhs.is_string() && rhs.is_string());
}

bool compare(OpKind kind, const json& candidate, const json& operand) {
    if (!same_kind(candidate, operand)) {
        return false;
    }
    switch (kind) {
        case OpKind::kGt: return candidate > operand;
        case OpKind::kGte: return candidate >= operand;
        case OpKind::kLt: return candidate < operand;
        case OpKind::kLte: return candidate <= operand;
        default: return false;
    }
}

class Evaluator {
public:
    explicit Evaluator(const FilterLimits& limits) : limits_(limits) {}

    bool node(const Node& node, const json& document) const;

private:
    bool condition(const Condition& cond, const std::vector<const json*>& values) const;
    bool any_expanded(const std::vector<const json*>& values,
                      const std::function<bool(const json&)>& predicate) const;
    bool equals_any(const std::vector<const json*>& values, const json& operand) const;
    bool regex_match(const Condition& cond, const json& candidate) const;

    const FilterLimits& limits_;
};

bool Evaluator::any_expanded(const std::vector<const json*>& values,
                             const std::function<bool(const json&)>& predicate) const {
    for (const json* value : values) {
        if (predicate(*value)) {
            return true;
        }
        if (value->is_array()) {
            for (const auto& element : *value) {
                if (predicate(element)) {
                    return true;
                }
            }
        }
    }
    return false;
}

bool Evaluator::equals_any(const std::vector<const json*>& values, const json& operand) const {
    if (operand.is_null() && values.empty()) {
        return true;  // {field: null} matches a missing field, as in MongoDB
    }
    return any_expanded(values, [&](const json& candidate) { return candidate == operand; });
}

bool Evaluator::regex_match(const Condition& cond, const json& candidate) const {
    if (!candidate.is_string()) {
        return false;
    }
    const auto& text = candidate.get_ref<const std::string&>();
    return text.size() <= limits_.max_regex_subject_bytes && std::regex_search(text, *cond.regex);
}

bool Evaluator::condition(const Condition& cond, const std::vector<const json*>& values) const {
    switch (cond.kind) {
        case OpKind::kEq: return equals_any(values, cond.value);
        case OpKind::kNe: return !equals_any(values, cond.value);
        case OpKind::kGt:
        case OpKind::kGte:
        case OpKind::kLt:
        case OpKind::kLte:
            return any_expanded(values, [&](const json& candidate) {
                return compare(cond.kind, candidate, cond.value);
            });
        case OpKind::kIn:
            return std::any_of(cond.value.begin(), cond.value.end(),
                               [&](const json& operand) { return equals_any(values, operand); });
        case OpKind::kNin:
            return std::none_of(cond.value.begin(), cond.value.end(),
                                [&](const json& operand) { return equals_any(values, operand); });
        case OpKind::kExists: return values.empty() != cond.value.get<bool>();
        case OpKind::kRegex:
            return any_expanded(
                values, [&](const json& candidate) { return regex_match(cond, candidate); });
        case OpKind::kAll:
            return !cond.value.empty() &&
                   std::all_of(cond.value.begin(), cond.value.end(),
                               [&](const json& operand) { return equals_any(values, operand); });
        case OpKind::kSize:
            return std::any_of(values.begin(), values.end(), [&](const json* value) {
                return value->is_array() && value->size() == cond.value.get<std::size_t>();
            });
        case OpKind::kNot:
            return !std::all_of(cond.nested.begin(), cond.nested.end(),
                                [&](const Condition& inner) { return condition(inner, values); });
        case OpKind::kElemMatch:
            for (const json* value : values) {
                if (!value->is_array()) {
                    continue;
                }
                for (const auto& element : *value) {
                    const std::vector<const json*> one{&element};
                    const bool hit = cond.doc_filter
                                         ? element.is_object() && node(*cond.doc_filter, element)
                                         : std::all_of(cond.nested.begin(), cond.nested.end(),
                                                       [&](const Condition& inner) {
                                                           return condition(inner, one);
                                                       });
                    if (hit) {
                        return true;
                    }
                }
            }
            return false;
    }
    return false;
}

bool Evaluator::node(const Node& current, const json& document) const {
    switch (current.kind) {
        case Node::Kind::kAnd:
            return std::all_of(current.children.begin(), current.children.end(),
                               [&](const auto& child) { return node(*child, document); });
        case Node::Kind::kOr:
            return std::any_of(current.children.begin(), current.children.end(),
                               [&](const auto& child) { return node(*child, document); });
        case Node::Kind::kNor:
            return std::none_of(current.children.begin(), current.children.end(),
                                [&](const auto& child) { return node(*child, document); });
        case Node::Kind::kField: {
            const auto values = resolve_path(document, current.path);
            return std::all_of(current.conditions.begin(), current.conditions.end(),
                               [&](const Condition& cond) { return condition(cond, values); });
        }
    }
    return false;
}

bool is_scalar(const json& value) {
    return value.is_string() || value.is_number() || value.is_boolean();
}

void collect_hints(const Node& node, std::vector<IndexHint>& hints) {
    if (node.kind == Node::Kind::kAnd) {
        for (const auto& child : node.children) {
            collect_hints(*child, hints);
        }
        return;
    }
    if (node.kind != Node::Kind::kField) {
        return;
    }
    for (const auto& cond : node.conditions) {
        if (cond.kind == OpKind::kEq && is_scalar(cond.value)) {
            hints.push_back({node.path, {cond.value}, false});
        } else if ((cond.kind == OpKind::kIn || cond.kind == OpKind::kAll) && !cond.value.empty() &&
                   std::all_of(cond.value.begin(), cond.value.end(), is_scalar)) {
            hints.push_back(
                {node.path, cond.value.get<std::vector<json>>(), cond.kind == OpKind::kAll});
        }
    }
}

}  // namespace

std::vector<const json*> resolve_path(const json& document, const std::string& path) {
    std::vector<const json*> out;
    resolve_into(document, path, out);
    return out;
}

Filter::Filter(std::unique_ptr<Node> root, FilterLimits limits)
    : root_(std::move(root)), limits_(limits) {}
Filter::Filter(Filter&&) noexcept = default;
Filter& Filter::operator=(Filter&&) noexcept = default;
Filter::~Filter() = default;

Result<Filter> Filter::parse(const json& filter, const FilterLimits& limits) {
    Parser parser(limits);
    auto root = parser.document(filter, "filter");
    if (!root) {
        return root.error();
    }
    return Filter(std::move(root).value(), limits);
}

bool Filter::matches(const json& document) const {
    return Evaluator(limits_).node(*root_, document);
}

std::vector<IndexHint> Filter::index_hints() const {
    std::vector<IndexHint> hints;
    collect_hints(*root_, hints);
    return hints;
}

}  // namespace aiops::catalog
