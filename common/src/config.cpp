#include "aiops/common/config.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

extern char** environ;  // NOLINT(readability-identifier-naming): POSIX name

namespace aiops::common {
namespace {

std::vector<std::string> split_path(const std::string& path) {
    std::vector<std::string> parts;
    std::stringstream stream(path);
    std::string part;
    while (std::getline(stream, part, '.')) {
        parts.push_back(part);
    }
    return parts;
}

std::string trim(std::string text) {
    const auto not_space = [](unsigned char ch) { return !std::isspace(ch); };
    text.erase(text.begin(), std::find_if(text.begin(), text.end(), not_space));
    text.erase(std::find_if(text.rbegin(), text.rend(), not_space).base(), text.end());
    return text;
}

std::optional<std::int64_t> parse_int(const std::string& text) {
    std::int64_t value = 0;
    const auto* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc() || ptr != end) {
        return std::nullopt;
    }
    return value;
}

std::optional<bool> parse_bool(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    if (text == "true" || text == "yes" || text == "on" || text == "1") {
        return true;
    }
    if (text == "false" || text == "no" || text == "off" || text == "0") {
        return false;
    }
    return std::nullopt;
}

Result<std::string> read_secret_file(const std::string& file_path) {
    std::ifstream in(file_path, std::ios::binary);
    if (!in) {
        return Error{ErrorCode::kInvalidInput, "cannot read secret file " + file_path};
    }
    std::ostringstream contents;
    contents << in.rdbuf();
    return trim(contents.str());
}

}  // namespace

EnvMap process_env() {
    EnvMap env;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        std::string_view text(*entry);
        if (!text.starts_with("AIOPS_")) {
            continue;
        }
        const auto eq = text.find('=');
        if (eq == std::string_view::npos) {
            continue;
        }
        env.emplace(std::string(text.substr(0, eq)), std::string(text.substr(eq + 1)));
    }
    return env;
}

Result<Config> Config::load_file(const std::string& path, EnvMap env) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return Error{ErrorCode::kInvalidInput, "cannot read config file " + path};
    }
    std::ostringstream contents;
    contents << in.rdbuf();
    auto config = from_yaml(contents.str(), std::move(env));
    if (!config) {
        return Error{config.error().code, path + ": " + config.error().message};
    }
    return config;
}

Result<Config> Config::from_yaml(std::string_view yaml_text, EnvMap env) {
    YAML::Node root;
    try {
        root = YAML::Load(std::string(yaml_text));
    } catch (const YAML::Exception& ex) {
        return Error{ErrorCode::kInvalidInput, std::string("invalid YAML: ") + ex.what()};
    }
    if (root.IsNull()) {
        root = YAML::Node(YAML::NodeType::Map);
    }
    if (!root.IsMap()) {
        return Error{ErrorCode::kInvalidInput, "config must be a YAML mapping at the top level"};
    }
    return Config(root, std::move(env));
}

Config Config::for_reference() {
    Config config(YAML::Node(YAML::NodeType::Map), {});
    config.reference_mode_ = true;
    return config;
}

std::string Config::env_name(const std::string& path) {
    std::string name = "AIOPS_";
    for (char ch : path) {
        name += ch == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    }
    return name;
}

void Config::set_override(const std::string& path, std::string value) {
    overrides_[path] = std::move(value);
}

YAML::Node Config::find(const std::string& path) const {
    YAML::Node node = YAML::Clone(root_);
    for (const auto& part : split_path(path)) {
        if (!node.IsMap()) {
            return YAML::Node(YAML::NodeType::Undefined);
        }
        YAML::Node child = node[part];
        if (!child.IsDefined()) {
            return YAML::Node(YAML::NodeType::Undefined);
        }
        node = child;
    }
    return node;
}

bool Config::has(const std::string& path) const {
    probed_paths_.insert(path);
    return overrides_.contains(path) || env_.contains(env_name(path)) || find(path).IsDefined();
}

void Config::record(const ConfigKey& key) { keys_.try_emplace(key.path, key); }

std::optional<std::string> Config::scalar(const std::string& path) {
    known_paths_.insert(path);
    if (auto it = overrides_.find(path); it != overrides_.end()) {
        return it->second;
    }
    if (auto it = env_.find(env_name(path)); it != env_.end()) {
        return it->second;
    }
    const YAML::Node node = find(path);
    if (!node.IsDefined() || node.IsNull()) {
        return std::nullopt;
    }
    if (!node.IsScalar()) {
        errors_.push_back(path + ": expected a scalar value");
        return std::nullopt;
    }
    return node.Scalar();
}

std::string Config::get_string(const std::string& path, const std::string& fallback) {
    record({.path = path, .type = "string", .default_json = nlohmann::json(fallback).dump()});
    return scalar(path).value_or(fallback);
}

std::int64_t Config::get_int(const std::string& path, std::int64_t fallback, std::int64_t min_value,
                             std::int64_t max_value) {
    record({.path = path,
            .type = "int",
            .default_json = std::to_string(fallback),
            .min_value = min_value,
            .max_value = max_value});
    const auto text = scalar(path);
    if (!text) {
        return fallback;
    }
    const auto value = parse_int(trim(*text));
    if (!value) {
        errors_.push_back(path + ": expected an integer");
        return fallback;
    }
    if (*value < min_value || *value > max_value) {
        errors_.push_back(path + ": must be between " + std::to_string(min_value) + " and " +
                          std::to_string(max_value));
        return fallback;
    }
    return *value;
}

bool Config::get_bool(const std::string& path, bool fallback) {
    record({.path = path, .type = "bool", .default_json = fallback ? "true" : "false"});
    const auto text = scalar(path);
    if (!text) {
        return fallback;
    }
    const auto value = parse_bool(trim(*text));
    if (!value) {
        errors_.push_back(path + ": expected true or false");
        return fallback;
    }
    return *value;
}

std::vector<std::string> Config::get_string_list(const std::string& path,
                                                 const std::vector<std::string>& fallback) {
    record({.path = path, .type = "list", .default_json = nlohmann::json(fallback).dump()});
    known_paths_.insert(path);
    std::optional<std::string> flat;
    if (auto it = overrides_.find(path); it != overrides_.end()) {
        flat = it->second;
    } else if (auto env_it = env_.find(env_name(path)); env_it != env_.end()) {
        flat = env_it->second;
    }
    if (flat) {
        std::vector<std::string> items;
        std::stringstream stream(*flat);
        std::string item;
        while (std::getline(stream, item, ',')) {
            if (auto trimmed = trim(item); !trimmed.empty()) {
                items.push_back(std::move(trimmed));
            }
        }
        return items;
    }
    const YAML::Node node = find(path);
    if (!node.IsDefined() || node.IsNull()) {
        return fallback;
    }
    if (!node.IsSequence()) {
        errors_.push_back(path + ": expected a list of strings");
        return fallback;
    }
    std::vector<std::string> items;
    for (const auto& element : node) {
        if (!element.IsScalar()) {
            errors_.push_back(path + ": expected a list of strings");
            return fallback;
        }
        items.push_back(element.Scalar());
    }
    return items;
}

std::string Config::get_secret(const std::string& path) {
    record({.path = path, .type = "secret", .default_json = "null"});
    if (auto inline_value = scalar(path); inline_value && !inline_value->empty()) {
        return *inline_value;
    }
    const auto file_path = scalar(path + "_file");
    if (!file_path || file_path->empty()) {
        return {};
    }
    auto secret = read_secret_file(*file_path);
    if (!secret) {
        errors_.push_back(path + "_file: " + secret.error().message);
        return {};
    }
    return secret.value();
}

YAML::Node Config::get_node(const std::string& path) {
    record({.path = path, .type = "node", .default_json = "null"});
    known_subtrees_.insert(path);
    // A flag or an environment variable gives a scalar (e.g. --labels pool=h100,zone=a); the
    // caller says whether it takes one.
    if (auto it = overrides_.find(path); it != overrides_.end()) {
        return YAML::Node(it->second);
    }
    if (auto it = env_.find(env_name(path)); it != env_.end()) {
        return YAML::Node(it->second);
    }
    return find(path);
}

void Config::add_error(std::string message) { errors_.push_back(std::move(message)); }

void Config::collect_unknown(const YAML::Node& node, const std::string& prefix,
                             std::vector<std::string>& unknown) const {
    for (const auto& entry : node) {
        const std::string path = prefix.empty() ? entry.first.as<std::string>()
                                                : prefix + "." + entry.first.as<std::string>();
        if (known_paths_.contains(path) || known_subtrees_.contains(path)) {
            continue;
        }
        if (entry.second.IsMap()) {
            collect_unknown(entry.second, path, unknown);
            continue;
        }
        unknown.push_back(path);
    }
}

std::vector<ConfigKey> Config::keys_read() const {
    std::vector<ConfigKey> keys;
    keys.reserve(keys_.size());
    for (const auto& [path, key] : keys_) {
        keys.push_back(key);
        keys.back().service_default = probed_paths_.contains(path);
    }
    return keys;
}

std::string Config::reference_json() const {
    nlohmann::ordered_json reference = nlohmann::ordered_json::array();
    for (const auto& key : keys_read()) {
        const auto bound = [](const std::optional<std::int64_t>& value) {
            return value ? nlohmann::ordered_json(*value) : nlohmann::ordered_json(nullptr);
        };
        nlohmann::ordered_json entry = {
            {"path", key.path},
            {"type", key.type},
            {"default", nlohmann::ordered_json::parse(key.default_json)},
            {"min", bound(key.min_value)},
            {"max", bound(key.max_value)},
            {"env", env_name(key.path)}};
        if (key.type == "secret") {
            entry["file_key"] = key.path + "_file";
            entry["file_env"] = env_name(key.path + "_file");
        }
        if (key.service_default) {
            entry["service_default"] = true;
        }
        reference.push_back(std::move(entry));
    }
    return reference.dump(2);
}

Status Config::finish() const {
    if (reference_mode_) {
        std::cout << reference_json() << std::endl;
        std::exit(0);  // mains call finish() before they start a thread or open anything
    }
    std::vector<std::string> problems = errors_;
    std::vector<std::string> unknown;
    collect_unknown(root_, "", unknown);
    for (const auto& path : unknown) {
        problems.push_back("unknown config key " + path);
    }
    if (problems.empty()) {
        return {};
    }
    std::string message = "invalid configuration: ";
    for (std::size_t idx = 0; idx < problems.size(); ++idx) {
        message += (idx == 0 ? "" : "; ") + problems[idx];
    }
    return Error{ErrorCode::kInvalidInput, message};
}

CommandLine parse_command_line(int argc, const char* const* argv, const std::string& service,
                               const std::string& description,
                               const std::vector<ServiceFlag>& flags) {
    CommandLine result;
    std::vector<std::string> flag_values(flags.size());
    CLI::App app{description, service};
    app.add_option("--config", result.options.config_file, "YAML configuration file");
    app.add_option("--listen", result.options.listen, "HOST:PORT to listen on (server.listen)");
    app.add_option("--data-dir", result.options.data_dir, "directory for state (server.data_dir)");
    app.add_flag("--print-config-reference", result.options.print_config_reference,
                 "print every config key this service reads (path, type, default, range, env)\n"
                 "as JSON and exit 0; ignores --config, the environment and other flags");
    for (std::size_t idx = 0; idx < flags.size(); ++idx) {
        app.add_option(flags[idx].name, flag_values[idx],
                       flags[idx].help + " (" + flags[idx].config_path + ")");
    }
    app.footer(
        "Every config key can be overridden by an environment variable: AIOPS_<SECTION>_<KEY>,\n"
        "e.g. server.listen -> AIOPS_SERVER_LISTEN. Secrets accept <key>_file paths.");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& ex) {
        result.exit_code = app.exit(ex, std::cout, std::cerr);
    }
    for (std::size_t idx = 0; idx < flags.size(); ++idx) {
        if (!flag_values[idx].empty()) {
            result.options.overrides[flags[idx].config_path] = flag_values[idx];
        }
    }
    return result;
}

Result<Config> load_service_config(const ServiceOptions& options, EnvMap env) {
    if (options.print_config_reference) {
        return Config::for_reference();
    }
    auto config = options.config_file.empty()
                      ? Config::from_yaml("", std::move(env))
                      : Config::load_file(options.config_file, std::move(env));
    if (!config) {
        return config;
    }
    if (!options.listen.empty()) {
        config->set_override("server.listen", options.listen);
    }
    if (!options.data_dir.empty()) {
        config->set_override("server.data_dir", options.data_dir);
    }
    for (const auto& [path, value] : options.overrides) {
        config->set_override(path, value);
    }
    return config;
}

Result<HostPort> parse_host_port(std::string_view text) {
    std::string_view host;
    std::string_view port_text;
    if (text.starts_with('[')) {
        const auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
            return Error{ErrorCode::kInvalidInput,
                         "expected [IPv6]:PORT, got " + std::string(text)};
        }
        host = text.substr(1, close - 1);
        port_text = text.substr(close + 2);
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string_view::npos) {
            return Error{ErrorCode::kInvalidInput, "expected HOST:PORT, got " + std::string(text)};
        }
        host = text.substr(0, colon);
        port_text = text.substr(colon + 1);
    }
    const auto port = parse_int(std::string(port_text));
    if (host.empty() || !port || *port < 0 || *port > 65535) {
        return Error{ErrorCode::kInvalidInput, "expected HOST:PORT, got " + std::string(text)};
    }
    return HostPort{std::string(host), static_cast<int>(*port)};
}

}  // namespace aiops::common
