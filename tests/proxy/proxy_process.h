#pragma once

#include <httplib.h>

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "fixtures/process.h"
#include "fixtures/temp_dir.h"

// The proxy-adapter binary on a free port, with its own data dir (SQLite store + blob cache),
// restartable on the same port and data. `extra_config` is appended to the generated YAML.
namespace aiops::testing {

class ProxyProcess {
public:
    ProxyProcess(const std::filesystem::path& dir, const std::string& upstream,
                 std::string extra_config = "")
        : dir_(dir), port_(free_port()) {
        std::filesystem::create_directories(dir_ / "data");
        write_file(dir_ / "proxy.yaml",
                   "server:\n  listen: 127.0.0.1:" + std::to_string(port_) +
                       "\n  data_dir: " + (dir_ / "data").string() +
                       "\nlog:\n  level: warn\n"
                       "upstream:\n  endpoint: " +
                       upstream + "\n  url_policy:\n    allow_loopback: true\n" + extra_config);
        start();
    }

    void start() {
        process_ = start_service(AIOPS_PROXY_BINARY, dir_ / "proxy.yaml", port_,
                                 dir_ / ("proxy-" + std::to_string(++starts_) + ".log"));
    }
    void restart() {
        process_->terminate();
        start();
    }

    int port() const { return port_; }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    std::string host_port() const { return "127.0.0.1:" + std::to_string(port_); }
    std::filesystem::path cache_dir() const { return dir_ / "data" / "blobs"; }
    std::string log() const { return process_->log(); }
    Process& process() { return *process_; }

private:
    std::filesystem::path dir_;
    int port_;
    int starts_ = 0;
    std::unique_ptr<Process> process_;
};

}  // namespace aiops::testing
