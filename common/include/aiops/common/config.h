#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "aiops/common/result.h"

// Service configuration: a YAML file, overridden by environment variables, overridden by flags.
//
// Every key is addressed by its dotted path ("server.listen"). The environment variable for a path
// is AIOPS_ + the path upper-cased with '.' → '_' (server.max_body_bytes →
// AIOPS_SERVER_MAX_BODY_BYTES). A secret can be given inline (`token: …`) or as a file
// (`token_file: /run/secrets/x`); get_secret() reads either, and the value is never echoed in an
// error message.
//
// Getters record problems (wrong type, unreadable secret file) instead of failing one by one;
// finish() reports them together with any key in the file that no getter asked for, so a typo in
// the config exits non-zero with one clear line (E4) instead of being ignored.
//
// Every getter also records what it was asked (path, type, fallback, bounds): keys_read() is the
// service's configuration reference, printed by --print-config-reference (docs/configuration.md
// is checked against it). For the reference to be complete, a loader calls its getters
// unconditionally and makes only the validation conditional.
namespace aiops::common {

using EnvMap = std::map<std::string, std::string>;

// One key a getter asked for, with what the getter was given.
struct ConfigKey {
    std::string path;
    std::string type;          // string | int | bool | list | secret | node
    std::string default_json;  // the fallback as JSON ("\"info\"", "300", "[]"); "null": none
    std::optional<std::int64_t> min_value{};  // int only
    std::optional<std::int64_t> max_value{};
    // The service asked has(path): when the key is unset it uses a value of its own, not the
    // getter's fallback.
    bool service_default = false;
};

// Snapshot of the process environment (only AIOPS_* variables). Call from main only (C1).
EnvMap process_env();

class Config {
public:
    static Result<Config> load_file(const std::string& path, EnvMap env);
    static Result<Config> from_yaml(std::string_view yaml_text, EnvMap env);
    // An empty config (no file, no environment, no flags) whose finish() prints the reference as
    // JSON on stdout and exits 0: the service's own loading code runs and records every key.
    static Config for_reference();

    // Highest precedence: values from command-line flags.
    void set_override(const std::string& path, std::string value);

    std::string get_string(const std::string& path, const std::string& fallback);
    std::int64_t get_int(const std::string& path, std::int64_t fallback, std::int64_t min_value,
                         std::int64_t max_value);
    bool get_bool(const std::string& path, bool fallback);
    // YAML sequence, or a comma-separated string from the environment.
    std::vector<std::string> get_string_list(const std::string& path,
                                             const std::vector<std::string>& fallback);
    // `path` inline, or the trimmed contents of the file named by `path_file`. Empty if neither.
    std::string get_secret(const std::string& path);
    // Raw subtree for structured values (lists of objects). Marks the whole subtree as known.
    YAML::Node get_node(const std::string& path);
    bool has(const std::string& path) const;

    // Records a validation problem found by the caller (e.g. a cross-field check).
    void add_error(std::string message);
    // All recorded problems plus unknown keys, as one kInvalidInput error; ok when none.
    // For a for_reference() config: prints reference_json() and exits 0, since every service main
    // calls finish() where its config loading ends, before it opens storage or a socket.
    Status finish() const;

    // Every key a getter asked for so far, sorted by path.
    std::vector<ConfigKey> keys_read() const;
    // keys_read() as a JSON array of {path, type, default, min, max, env} (+ file_key, file_env
    // for secrets, service_default when set).
    std::string reference_json() const;

    static std::string env_name(const std::string& path);

private:
    Config(const YAML::Node& root, EnvMap env) : root_(root), env_(std::move(env)) {}

    std::optional<std::string> scalar(const std::string& path);
    void record(const ConfigKey& key);
    YAML::Node find(const std::string& path) const;
    void collect_unknown(const YAML::Node& node, const std::string& prefix,
                         std::vector<std::string>& unknown) const;

    YAML::Node root_;
    EnvMap env_;
    std::map<std::string, std::string> overrides_;
    std::set<std::string> known_paths_;     // every path a getter asked for
    std::set<std::string> known_subtrees_;  // get_node() paths: everything below is known
    std::vector<std::string> errors_;
    std::map<std::string, ConfigKey> keys_;       // path → first getter call for it
    mutable std::set<std::string> probed_paths_;  // has() paths: recorded by a const query
    bool reference_mode_ = false;
};

// The flags every service takes (issue contract): --config, --listen, --data-dir, --help.
// A service-specific shorthand flag for one config key, e.g. {"--upstream", "upstream.endpoint"}.
struct ServiceFlag {
    std::string name;         // "--upstream"
    std::string config_path;  // "upstream.endpoint"
    std::string help;
};

struct ServiceOptions {
    std::string config_file;
    std::string listen;                              // HOST:PORT; empty = from config
    std::string data_dir;                            // empty = from config
    std::map<std::string, std::string> overrides{};  // config path → value, from ServiceFlags
    bool print_config_reference = false;             // --print-config-reference
};

struct CommandLine {
    ServiceOptions options;
    std::optional<int> exit_code;  // set when the process should exit now (--help, bad flags)
};

CommandLine parse_command_line(int argc, const char* const* argv, const std::string& service,
                               const std::string& description,
                               const std::vector<ServiceFlag>& flags = {});

// Loads the config named on the command line (or an empty one) and applies --listen/--data-dir as
// overrides of server.listen / server.data_dir, and the service flags as overrides of their keys.
// With --print-config-reference: Config::for_reference(), ignoring the file, env and flags.
Result<Config> load_service_config(const ServiceOptions& options, EnvMap env);

// "host:port" → parts; accepts "[::1]:8080". Port 0 allowed (ephemeral).
struct HostPort {
    std::string host;
    int port = 0;
};
Result<HostPort> parse_host_port(std::string_view text);

}  // namespace aiops::common
