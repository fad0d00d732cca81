// Keras model configs (a .keras zip's config.json, an .h5's model_config attribute): Lambda layers
// carry Python code, and `module`/`class_name` pairs name what the loader imports
// (shared/reference/modelspec-hf-scanning.md §3.8 item 8; CVE-2024-3660, CVE-2025-1550).
#include <array>
#include <string_view>

#include "aiops/common/json.h"
#include "finding_collector.h"
#include "formats.h"

namespace aiops::scanner {

namespace {

using nlohmann::json;

constexpr std::string_view kLambdaRule = "AIMS-KERAS-LAMBDA";
constexpr std::string_view kImportRule = "AIMS-KERAS-IMPORT";
constexpr std::string_view kCustomRule = "AIMS-KERAS-CUSTOM-OBJECT";
constexpr std::string_view kConfigRule = "AIMS-KERAS-CONFIG";
constexpr std::size_t kMaxConfigBytes = 64U << 20;
constexpr int kMaxConfigDepth = 128;
constexpr std::size_t kShownCode = 120;

// Packages whose objects Keras itself serialises.
constexpr std::array<std::string_view, 7> kKerasPackages{
    "keras", "tf_keras", "tensorflow", "keras_hub", "keras_nlp", "keras_cv", "numpy",
};
// Modules whose import from a config runs commands or code.
constexpr std::array<std::string_view, 18> kDangerousModules{
    "os",     "posix",   "nt",     "subprocess", "builtins",   "__builtin__",
    "sys",    "runpy",   "shutil", "socket",     "pty",        "ctypes",
    "pickle", "marshal", "code",   "importlib",  "webbrowser", "commands",
};

std::string top_package(std::string_view module) {
    return std::string(module.substr(0, module.find('.')));
}

template <std::size_t N>
bool contains(const std::array<std::string_view, N>& list, std::string_view value) {
    for (const auto item : list) {
        if (item == value) {
            return true;
        }
    }
    return false;
}

std::string shown(const json& value) {
    std::string text = value.is_string() ? value.get<std::string>() : value.dump();
    if (text.size() > kShownCode) {
        text = text.substr(0, kShownCode) + "…";
    }
    for (auto& ch : text) {
        if (static_cast<unsigned char>(ch) < 0x20) {
            ch = ' ';
        }
    }
    return text;
}

std::string string_field(const json& node, const char* key) {
    const auto found = node.find(key);
    return found != node.end() && found->is_string() ? found->get<std::string>() : std::string();
}

// The code a Lambda carries: Keras 2 `function` (base64 marshal or source), Keras 3
// `{"class_name": "__lambda__", "config": {"code": …}}`.
std::string lambda_code(const json& config) {
    if (!config.is_object()) {
        return "";
    }
    const auto function = config.find("function");
    if (function == config.end()) {
        return "";
    }
    if (function->is_object() && function->contains("config") &&
        (*function)["config"].is_object() && (*function)["config"].contains("code")) {
        return shown((*function)["config"]["code"]);
    }
    return shown(*function);
}

void check_lambda(const json& node, FindingCollector& out) {
    const auto config = node.find("config");
    const json empty = json::object();
    const auto& layer_config = config != node.end() ? *config : empty;
    const auto name = layer_config.is_object() ? string_field(layer_config, "name") : "";
    out.add(kLambdaRule, Severity::kHigh, "Keras Lambda layer \"" + name + "\" carries code",
            "Lambda layer \"" + name +
                "\" runs Python code when the model is loaded: " + lambda_code(layer_config));
}

void check_import(const json& node, FindingCollector& out) {
    const auto module = string_field(node, "module");
    const auto class_name = string_field(node, "class_name");
    const auto registered = string_field(node, "registered_name");
    const auto package = top_package(module);
    const bool keras_owned = module.empty() || contains(kKerasPackages, package);
    if (contains(kDangerousModules, package)) {
        const auto target = node.contains("config") ? shown(node["config"]) : class_name;
        out.add(kImportRule, Severity::kHigh, "Keras config imports " + module + "." + target,
                "module \"" + module + "\" class_name \"" + class_name +
                    "\": the loader imports and may call it (safe_mode bypasses, CVE-2025-1550)");
        return;
    }
    if (!keras_owned || registered.find('>') != std::string::npos) {
        out.add(
            kCustomRule, Severity::kMedium,
            "Keras config needs custom object " + (registered.empty() ? class_name : registered),
            "module \"" + module + "\" class_name \"" + class_name +
                "\": loading imports code from outside Keras");
    }
}

// `in_lambda`: below a Lambda layer, whose code is already reported.
void walk(const json& node, bool in_lambda, FindingCollector& out) {
    if (node.is_array()) {
        for (const auto& item : node) {
            walk(item, in_lambda, out);
        }
        return;
    }
    if (!node.is_object()) {
        return;
    }
    const auto class_name = string_field(node, "class_name");
    if (class_name == "Lambda") {
        check_lambda(node, out);
    } else if (class_name == "__lambda__" && !in_lambda) {
        out.add(kLambdaRule, Severity::kHigh, "Keras config carries a serialised lambda",
                "a __lambda__ object holds Python code: " +
                    (node.contains("config") ? shown(node["config"]) : std::string()));
    }
    if (node.contains("module") || node.contains("registered_name")) {
        check_import(node, out);
    }
    for (const auto& [key, child] : node.items()) {
        walk(child, in_lambda || class_name == "Lambda", out);
    }
}

}  // namespace

Findings scan_keras_config(std::string_view config_json, const std::string& path) {
    FindingCollector out(path);
    auto config = common::parse_json(config_json,
                                     {.max_bytes = kMaxConfigBytes, .max_depth = kMaxConfigDepth});
    if (!config) {
        out.add(kConfigRule, Severity::kMedium, "Keras config is not valid JSON",
                config.error().message + ": the model cannot be checked for Lambda layers");
        return out.take();
    }
    walk(*config, false, out);
    return out.take();
}

}  // namespace aiops::scanner
