#include "aiops/common/service.h"

#include <malloc.h>

#include <cstdlib>
#include <iostream>

#include "aiops/common/log.h"

namespace aiops::common {

namespace {

// Request threads allocate and free many small JSON nodes per request. glibc's dynamic trim
// threshold hands heap pages back to the kernel after every burst (madvise plus a TLB shootdown
// on every core: ~10% of a catalog query's CPU in perf); fixed thresholds keep them. Setting the
// trim threshold also freezes the mmap threshold, so that one is raised explicitly: response
// buffers of a few hundred KiB stay on the heap instead of an mmap/munmap pair each.
void tune_allocator() {
    mallopt(M_MMAP_THRESHOLD, 4 << 20);
    mallopt(M_TRIM_THRESHOLD, 32 << 20);
}

}  // namespace

ServiceStart start_service(int argc, const char* const* argv, const ServiceInfo& info) {
    tune_allocator();
    if (auto blocked = block_shutdown_signals(); !blocked) {
        return {std::nullopt, report_startup_error(info.name, blocked.error())};
    }
    auto command_line = parse_command_line(argc, argv, info.name, info.description, info.flags);
    if (command_line.exit_code) {
        return {std::nullopt, *command_line.exit_code};
    }
    auto config = load_service_config(command_line.options, process_env());
    if (!config) {
        return {std::nullopt, report_startup_error(info.name, config.error())};
    }
    log::init(info.name, log::parse_level(config->get_string("log.level", "info")));
    auto server = server_settings_from_config(*config);
    auto auth = auth_settings_from_config(*config, info.extra_roles);
    return {ServiceSetup{std::move(config).value(), std::move(server), std::move(auth)}, 0};
}

int report_startup_error(std::string_view service, const Error& error) {
    std::cerr << service << ": " << error.message << std::endl;
    return kExitBadConfig;
}

int serve_until_signal(Server& server) {
    const Status served = server.run_until_signal();
    if (!served) {
        log::error("server exited with an error", {{"error", served.error().message}});
    }
    if (!served && served.error().code == ErrorCode::kTimeout) {
        // Request threads stuck past the grace period still run: skip static destructors.
        std::_Exit(1);
    }
    return served ? 0 : 1;
}

}  // namespace aiops::common
