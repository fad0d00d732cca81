#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aiops/common/auth.h"
#include "aiops/common/config.h"
#include "aiops/common/http_server.h"

// The wiring every service main shares, so a main reads:
//
//   auto start = start_service(argc, argv, {"scanner-adapter", "Harbor scanner adapter", {}});
//   if (!start.setup) { return start.exit_code; }
//   auto& setup = *start.setup;
//   auto my_settings = my_settings_from_config(setup.config);
//   if (auto valid = setup.config.finish(); !valid) { return report_startup_error(name,
//   valid.error()); } Metrics metrics; auto server = Server::create(setup.server, setup.auth,
//   metrics); if (!server) { return report_startup_error(name, server.error()); }
//   (*server)->route(...);
//   return serve_until_signal(**server);
namespace aiops::common {

inline constexpr int kExitBadConfig = 2;

struct ServiceInfo {
    std::string name;                      // log "service" field, --help title
    std::string description;               // --help text
    std::vector<std::string> extra_roles;  // auth roles beyond reader/writer
    std::vector<ServiceFlag> flags{};      // shorthand flags for config keys
};

struct ServiceSetup {
    Config config;  // still open: the service reads its own keys, then calls finish()
    ServerSettings server;
    AuthSettings auth;
};

struct ServiceStart {
    std::optional<ServiceSetup> setup;  // set when main should go on
    int exit_code = 0;                  // otherwise what main returns (0 after --help)
};

// Blocks the shutdown signals, parses the flags, loads the config (file + AIOPS_* env + flags),
// initialises logging (log.level: debug|info|warn|error) and reads server.* and auth.*.
ServiceStart start_service(int argc, const char* const* argv, const ServiceInfo& info);

// Prints "<service>: <message>" as one line on stderr and returns kExitBadConfig.
int report_startup_error(std::string_view service, const Error& error);

// Serves until SIGTERM/SIGINT and drains: 0 after a clean drain, 1 otherwise.
int serve_until_signal(Server& server);

}  // namespace aiops::common
