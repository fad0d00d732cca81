#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "aiops/common/clock.h"
#include "aiops/common/http_client.h"
#include "aiops/common/result.h"
#include "aiops/common/retention.h"
#include "aiops/common/storage.h"
#include "artifact_scan.h"
#include "delegate.h"
#include "reports.h"

// Durable scan jobs: POST /scan stores a scan record and enqueues a job in the foundation Store
// (SQLite or Redis) and returns at once; a pool of workers leases jobs, pulls and analyses the
// artifact, and stores every report format in the record. A crash or restart loses nothing: a
// leased job whose worker died is leased again when its visibility timeout ends, and a scan past
// its deadline is failed with a clear error (Harbor would otherwise poll it forever).
namespace aiops::scanner {

struct ScanRequest {
    std::string registry_url;   // with scheme
    std::string authorization;  // "Basic …" (robot, exchanged at the token realm) or "Bearer …"
    ArtifactRef artifact;
};

// Parses Harbor's POST /scan body (v1.0–v1.2). kInvalidInput names the bad field.
common::Result<ScanRequest> parse_scan_request(const nlohmann::json& body);

enum class ScanStatus { kQueued, kRunning, kDone, kFailed };

struct ScanRecord {
    std::string id;
    ScanStatus status = ScanStatus::kQueued;
    std::string error;  // kFailed
    std::int64_t created_at = 0;
    std::int64_t deadline_at = 0;
    nlohmann::json reports;  // kDone: {"harbor": …, "findings": …, "spdx": …, "cyclonedx": …}
};

struct ScanServiceSettings {
    int workers = 2;
    std::chrono::seconds deadline{1800};
    ArtifactScanSettings artifact;
    ScannerInfo scanner;
    // Outbound registry calls (connect/total timeouts, TLS); the URL guard comes from main.
    common::HttpClientSettings http;
    DelegateSettings delegate;  // url empty: no delegation
    // Finished scans are tracked here for erasure after retention.keep_days (main owns it);
    // null: kept for ever.
    common::Retention* retention = nullptr;
};

class ScanService {
public:
    ScanService(common::Store& store, const common::Clock& clock, ScanServiceSettings settings);
    ~ScanService();
    ScanService(const ScanService&) = delete;
    ScanService& operator=(const ScanService&) = delete;

    // How retention reads a scan: finished (done or failed) at its created_at.
    static std::vector<common::RetentionRule> retention_rules();

    common::Result<std::string> submit(const ScanRequest& request);
    // kNotFound for an unknown id. A queued/running scan past its deadline is reported kFailed.
    common::Result<ScanRecord> get(const std::string& id);

    void start();
    void stop();

    const ScannerInfo& scanner() const { return settings_.scanner; }

private:
    void work();
    void run_job(const common::Job& job);
    common::Result<nlohmann::json> delegate_scan(common::HttpClient& http,
                                                 const nlohmann::json& payload,
                                                 const ArtifactRef& artifact,
                                                 std::chrono::steady_clock::time_point started);
    common::Status save(const ScanRecord& record);
    std::string now_text() const;

    common::Store& store_;
    const common::Clock& clock_;
    ScanServiceSettings settings_;
    std::vector<std::thread> workers_;
    std::atomic<bool> stopping_{false};
    std::mutex wake_mutex_;
    std::condition_variable wake_;
};

}  // namespace aiops::scanner
