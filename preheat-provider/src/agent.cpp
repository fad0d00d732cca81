#include "agent.h"

#include <sys/statvfs.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <variant>

#include "aiops/common/blob_response.h"
#include "aiops/common/json.h"
#include "aiops/common/log.h"
#include "aiops/common/oci.h"
#include "aiops/common/registry_client.h"
#include "model_layout.h"

namespace aiops::preheat {

using common::Error;
using common::ErrorCode;
using common::Result;
using common::Status;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr std::size_t kMaxManifestBytes = 4U << 20;
constexpr std::chrono::milliseconds kPeerRetryStep{200};
constexpr std::chrono::milliseconds kErrorBackoff{1000};
constexpr std::size_t kMaxRememberedJobs = 256;
constexpr const char* kDigestPattern = "(sha256:[0-9a-f]{64})";

Labels parse_labels(common::Config& config) {
    Labels labels;
    const auto node = config.get_node("agent.labels");
    if (!node) {
        return labels;
    }
    if (node.IsMap()) {
        for (const auto& entry : node) {
            labels[entry.first.as<std::string>()] = entry.second.as<std::string>();
        }
        return labels;
    }
    if (!node.IsScalar()) {
        config.add_error("agent.labels: expected \"k=v,k=v\" or a map");
        return labels;
    }
    const auto text = node.as<std::string>();
    std::size_t start = 0;
    while (start < text.size()) {
        const auto end = std::min(text.find(',', start), text.size());
        const auto pair = text.substr(start, end - start);
        const auto equals = pair.find('=');
        if (equals == std::string::npos || equals == 0) {
            config.add_error("agent.labels: '" + pair + "' is not key=value");
        } else {
            labels[pair.substr(0, equals)] = pair.substr(equals + 1);
        }
        start = end + 1;
    }
    return labels;
}

std::string local_hostname() {
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) != 0) {
        return "unknown";
    }
    return name;
}

void write_oci_error(httplib::Response& res, int status, const char* code,
                     const std::string& message) {
    res.status = status;
    res.set_content(json{{"errors", json::array({{{"code", code}, {"message", message}}})}}.dump(),
                    "application/json");
}

// The blob URL's registry root and repository: <root>/v2/<repository>/blobs/<digest>.
Result<std::pair<std::string, std::string>> split_blob_url(const std::string& url) {
    const auto v2 = url.find("/v2/");
    const auto blobs = url.rfind("/blobs/");
    if (v2 == std::string::npos || blobs == std::string::npos || blobs <= v2 + 4) {
        return Error{ErrorCode::kInvalidInput, "not a registry blob URL: " + url.substr(0, 256)};
    }
    return std::make_pair(url.substr(0, v2), url.substr(v2 + 4, blobs - v2 - 4));
}

}  // namespace

AgentSettings agent_settings_from_config(common::Config& config, const std::string& listen) {
    AgentSettings s;
    s.provider_url = config.get_string("agent.provider_url", "");
    while (!s.provider_url.empty() && s.provider_url.back() == '/') {
        s.provider_url.pop_back();
    }
    if (!s.provider_url.starts_with("http://") && !s.provider_url.starts_with("https://")) {
        config.add_error("agent.provider_url (--provider): required, an http(s) URL");
    }
    s.provider_token = config.get_secret("agent.provider_token");
    s.peer_token = config.get_secret("agent.peer_token");
    if (s.provider_token.empty() || s.peer_token.empty()) {
        config.add_error("agent.provider_token and agent.peer_token are required");
    }
    s.node_name = config.get_string("agent.node_name", local_hostname());
    s.labels = parse_labels(config);
    s.hostname = config.get_string("agent.hostname", s.node_name);
    s.ip = config.get_string("agent.ip", listen.substr(0, listen.rfind(':')));
    s.peer_url = config.get_string("agent.peer_url", "http://" + listen);
    const auto data_dir = fs::path(config.get_string("server.data_dir", "data"));
    s.models_dir = config.get_string("agent.models_dir", (data_dir / "models").string());
    s.state_dir = data_dir / "agent";
    s.workers = static_cast<int>(config.get_int("agent.workers", 4, 1, 64));
    s.heartbeat_interval =
        std::chrono::milliseconds(config.get_int("agent.heartbeat_interval_ms", 5000, 100, 600000));
    s.poll_wait = std::chrono::milliseconds(config.get_int("agent.poll_wait_ms", 15000, 0, 60000));
    s.peer_start_wait =
        std::chrono::milliseconds(config.get_int("agent.peer_start_wait_ms", 15000, 0, 600000));
    s.mirror_serve_tags = config.get_bool("mirror.serve_tags", false);
    s.max_ingress_bytes_per_s = static_cast<std::uint64_t>(
        config.get_int("transfer.max_bytes_per_s", 0, 0, std::int64_t{1} << 40));
    return s;
}

Agent::Agent(AgentSettings settings, common::BlobCache& cache, common::HttpClient& control,
             common::HttpClient& transfer, common::Metrics& metrics)
    : settings_(std::move(settings)),
      cache_(cache),
      control_(control),
      transfer_(transfer),
      boot_id_(common::new_request_id()),
      transfers_(metrics.counter("preheat_agent_transfers_total",
                                 "Blob transfers by source kind and outcome",
                                 {"source", "outcome"})),
      bytes_received_(metrics.counter("preheat_agent_bytes_received_total",
                                      "Blob bytes received, by source kind", {"source"})),
      peer_bytes_served_(metrics.counter("preheat_agent_peer_bytes_served_total",
                                         "Blob bytes served to peers and the mirror", {"route"})),
      layouts_(metrics.counter("preheat_agent_model_layouts_total",
                               "Model directories laid out, by outcome", {"outcome"})),
      ingress_(settings_.max_ingress_bytes_per_s) {}

Agent::~Agent() { stop(); }

bool Agent::sleep_unless_stopping(std::chrono::milliseconds duration) {
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, duration, [this] { return stopping_; });
    return !stopping_;
}

Status Agent::start() {
    std::error_code error;
    fs::create_directories(settings_.models_dir, error);
    fs::create_directories(settings_.state_dir, error);
    if (error) {
        return Error{ErrorCode::kInternal,
                     "creating " + settings_.state_dir.string() + ": " + error.message()};
    }
    load_mirror_index();
    if (auto sent = send_heartbeat(); !sent) {
        common::log::warn("first heartbeat failed; retrying", {{"error", sent.error().message}});
    }
    threads_.emplace_back([this] { heartbeat_loop(); });
    threads_.emplace_back([this] { poll_loop(); });
    for (int index = 0; index < settings_.workers; ++index) {
        threads_.emplace_back([this] { worker_loop(); });
    }
    common::log::info("preheat agent started", {{"node", settings_.node_name},
                                                {"provider", settings_.provider_url},
                                                {"peer_url", settings_.peer_url},
                                                {"labels", settings_.labels}});
    return {};
}

void Agent::stop() {
    {
        std::scoped_lock lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    for (auto& thread : threads_) {
        thread.join();
    }
    threads_.clear();
}

Result<json> Agent::call_provider(const std::string& method, const std::string& path,
                                  const json& body, std::chrono::milliseconds timeout) {
    common::HttpRequest request;
    request.method = method;
    request.url = settings_.provider_url + path;
    request.headers.emplace("Authorization", "Bearer " + settings_.provider_token);
    if (method != "GET") {
        request.headers.emplace("Content-Type", "application/json");
        request.body = body.dump();
        request.retry = false;
    }
    request.total_timeout = timeout;
    auto response = control_.fetch(request);
    if (!response) {
        return response.error();
    }
    if (response->status < 200 || response->status > 299) {
        const auto code = response->status == 409 ? ErrorCode::kConflict
                                                  : common::error_code_for_status(response->status);
        return Error{code, "provider answered " + std::to_string(response->status) + " to " + path +
                               ": " + response->body.substr(0, 512)};
    }
    auto parsed = common::parse_json(response->body);
    if (!parsed) {
        return Error{ErrorCode::kUpstream, "provider sent invalid JSON: " + parsed.error().message};
    }
    return parsed;
}

Status Agent::send_heartbeat() {
    struct statvfs fs_info {};
    std::uint64_t free_bytes = 0;
    if (::statvfs(settings_.state_dir.c_str(), &fs_info) == 0) {
        free_bytes = static_cast<std::uint64_t>(fs_info.f_bavail) * fs_info.f_frsize;
    }
    const json body{{"name", settings_.node_name}, {"hostname", settings_.hostname},
                    {"ip", settings_.ip},          {"peer_url", settings_.peer_url},
                    {"boot_id", boot_id_},         {"labels", settings_.labels},
                    {"free_bytes", free_bytes},    {"cache_bytes", cache_.stats().bytes}};
    auto answered = call_provider("POST", "/agent/v1/heartbeat", body, std::chrono::seconds(10));
    return answered ? Status{} : Status(answered.error());
}

void Agent::heartbeat_loop() {
    while (sleep_unless_stopping(settings_.heartbeat_interval)) {
        if (auto sent = send_heartbeat(); !sent) {
            common::log::warn("heartbeat failed", {{"error", sent.error().message}});
            continue;
        }
        renew_in_flight();
    }
}

void Agent::renew_in_flight() {
    std::vector<std::pair<std::pair<std::int64_t, std::string>, std::uint64_t>> running;
    {
        std::scoped_lock lock(mutex_);
        for (const auto& [key, bytes] : in_flight_) {
            running.emplace_back(key, bytes->load());
        }
    }
    for (const auto& [key, bytes] : running) {
        const json body{{"node", settings_.node_name}, {"boot_id", boot_id_}, {"job", key.first},
                        {"digest", key.second},        {"state", "running"},  {"bytes", bytes}};
        if (auto sent = call_provider("POST", "/agent/v1/progress", body, std::chrono::seconds(10));
            !sent) {
            common::log::warn(
                "progress renewal failed",
                {{"job", key.first}, {"digest", key.second}, {"error", sent.error().message}});
            return;
        }
    }
}

Status Agent::poll_once() {
    const auto path = "/agent/v1/assignments?node=" + settings_.node_name + "&boot_id=" + boot_id_ +
                      "&wait_ms=" + std::to_string(settings_.poll_wait.count());
    auto answer = call_provider("GET", path, {}, settings_.poll_wait + std::chrono::seconds(15));
    if (!answer) {
        if (answer.error().code == ErrorCode::kConflict) {
            return send_heartbeat();  // the provider forgot us (restart, expiry): re-register
        }
        return answer.error();
    }
    const auto jobs = answer->find("jobs");
    if (jobs == answer->end() || !jobs->is_array()) {
        return Error{ErrorCode::kUpstream, "provider assignments without a jobs list"};
    }
    for (const auto& job : *jobs) {
        accept_job(job);
    }
    return {};
}

void Agent::poll_loop() {
    for (;;) {
        {
            std::scoped_lock lock(mutex_);
            if (stopping_) {
                return;
            }
        }
        if (auto polled = poll_once(); !polled) {
            common::log::warn("assignment poll failed", {{"error", polled.error().message}});
            sleep_unless_stopping(kErrorBackoff);
        }
    }
}

void Agent::accept_job(const json& job) {
    try {
        JobContext context;
        const auto id = job.at("id").get<std::int64_t>();
        context.repository = job.at("repository").get<std::string>();
        context.reference = job.at("reference").get<std::string>();
        context.manifest_digest = job.at("manifest_digest").get<std::string>();
        for (const auto& manifest : job.at("manifests")) {
            context.manifests.push_back({manifest.at("digest").get<std::string>(),
                                         manifest.at("media_type").get<std::string>(),
                                         manifest.at("content").get<std::string>()});
        }
        for (std::size_t index = 0; index < context.manifests.size(); ++index) {
            // The first manifest is what the job's reference (a tag, maybe) names.
            remember_manifest(context.manifests[index], context.repository,
                              index == 0 ? context.reference : std::string());
        }
        std::vector<Work> work;
        for (const auto& blob : job.at("blobs")) {
            work.push_back({id, blob.at("digest").get<std::string>(),
                            blob.at("size").get<std::uint64_t>(),
                            blob.at("source").get<std::string>(), blob.at("url").get<std::string>(),
                            blob.value("authorization", "")});
        }
        {
            std::scoped_lock lock(mutex_);
            jobs_[id] = std::move(context);
            while (jobs_.size() > kMaxRememberedJobs) {
                jobs_.erase(jobs_.begin());  // the oldest job ids: long finished
            }
            for (auto& item : work) {
                // Renewed from now on: an assignment waiting for a free worker is not "lost".
                auto& entry = in_flight_[std::make_pair(item.job, item.digest)];
                if (!entry) {
                    entry = std::make_shared<std::atomic<std::uint64_t>>(0);
                }
                queue_.push_back(std::move(item));
            }
        }
        wake_.notify_all();
    } catch (const json::exception& error) {
        common::log::warn("malformed assignment from the provider", {{"error", error.what()}});
    }
}

void Agent::remember_manifest(const JobManifest& manifest, const std::string& repository,
                              const std::string& reference) {
    const auto digest = common::Digest::parse(manifest.digest);
    if (!digest || manifest.content.size() > kMaxManifestBytes) {
        return;
    }
    if (auto stored = cache_.put(*digest, manifest.content); !stored) {
        common::log::warn("manifest from the provider does not match its digest",
                          {{"digest", manifest.digest}, {"error", stored.error().message}});
        return;
    }
    bool changed = false;
    {
        std::scoped_lock lock(mutex_);
        changed = media_types_.insert_or_assign(manifest.digest, manifest.media_type).second;
        if (!reference.empty() && !common::Digest::parse(reference)) {
            auto& tagged = tags_[repository + ":" + reference];
            changed = changed || tagged != manifest.digest;
            tagged = manifest.digest;
        }
    }
    if (changed) {
        save_mirror_index();
    }
}

void Agent::save_mirror_index() {
    json index;
    {
        std::scoped_lock lock(mutex_);
        index = {{"media_types", media_types_}, {"tags", tags_}};
    }
    const auto path = settings_.state_dir / "mirror.json";
    const auto temp = settings_.state_dir / "mirror.json.tmp";
    {
        std::ofstream out(temp, std::ios::trunc);
        out << index.dump();
        if (!out) {
            common::log::warn("cannot write the mirror index", {{"path", temp.string()}});
            return;
        }
    }
    std::error_code error;
    fs::rename(temp, path, error);
}

void Agent::load_mirror_index() {
    std::ifstream in(settings_.state_dir / "mirror.json");
    if (!in) {
        return;
    }
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto parsed = common::parse_json(text);
    if (!parsed || !parsed->is_object()) {
        return;
    }
    std::scoped_lock lock(mutex_);
    try {
        media_types_ = parsed->value("media_types", std::map<std::string, std::string>{});
        tags_ = parsed->value("tags", std::map<std::string, std::string>{});
    } catch (const json::exception&) {
        media_types_.clear();
        tags_.clear();
    }
}

void Agent::worker_loop() {
    for (;;) {
        Work work;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (stopping_) {
                return;
            }
            work = std::move(queue_.front());
            queue_.pop_front();
        }
        auto outcome = transfer(work);
        const bool from_registry = work.source == kRegistrySource;
        transfers_.inc({from_registry ? "registry" : "peer", outcome.status ? "ok" : "failed"});
        if (outcome.status) {
            // The node's last blob of the job: the model must also lay out cleanly.
            if (auto finished = finish_job_if_complete(work.job); !finished) {
                outcome.status = Error{finished.error().code,
                                       "model layout failed: " + finished.error().message};
            }
        }
        if (!outcome.status) {
            common::log::warn("blob transfer failed", {{"job", work.job},
                                                       {"digest", work.digest},
                                                       {"source", work.source},
                                                       {"error", outcome.status.error().message}});
        }
        report(work, outcome.status ? TaskState::kSucceeded : TaskState::kFailed, outcome);
    }
}

Agent::Outcome Agent::transfer(const Work& work) {
    Outcome outcome;
    const auto digest = common::Digest::parse(work.digest);
    if (!digest) {
        outcome.status = Error{ErrorCode::kInvalidInput, "invalid digest " + work.digest};
        return outcome;
    }
    const bool from_registry = work.source == kRegistrySource;
    const auto key = std::make_pair(work.job, work.digest);
    std::shared_ptr<std::atomic<std::uint64_t>> received;
    {
        std::scoped_lock lock(mutex_);
        auto& entry = in_flight_[key];  // registered when queued (accept_job)
        if (!entry) {
            entry = std::make_shared<std::atomic<std::uint64_t>>(0);
        }
        received = entry;
    }
    struct Done {
        Agent* agent;
        std::pair<std::int64_t, std::string> key;
        ~Done() {
            std::scoped_lock lock(agent->mutex_);
            agent->in_flight_.erase(key);
        }
    } done{this, key};
    common::BlobFetcher fetcher = [this, work, from_registry,
                                   received](const common::BlobSink& sink) {
        const common::BlobSink counting = [this, &sink, from_registry,
                                           &received](std::string_view bytes) {
            bytes_received_.inc({from_registry ? "registry" : "peer"},
                                static_cast<double>(bytes.size()));
            received->fetch_add(bytes.size());
            ingress_.consume(bytes.size());
            return sink(bytes);
        };
        return from_registry ? fetch_from_registry(work, counting)
                             : fetch_from_peer(work, counting);
    };
    auto reader = cache_.open(*digest, work.size, std::move(fetcher));
    if (!reader) {
        outcome.status = reader.error();
        return outcome;
    }
    outcome.status = (*reader)->wait();
    if (outcome.status) {
        return outcome;
    }
    const auto code = outcome.status.error().code;
    if (from_registry) {
        if (code == ErrorCode::kUnauthorized || code == ErrorCode::kForbidden) {
            outcome.status =
                Error{code, "the registry refused the job's pull credential (" +
                                std::string(code == ErrorCode::kUnauthorized ? "401" : "403") +
                                "): Harbor's preheat token has probably expired — " +
                                outcome.status.error().message};
            outcome.credential_rejected = true;
            return outcome;
        }
        outcome.source_failed = code == ErrorCode::kDigestMismatch;
        outcome.retryable = code == ErrorCode::kTimeout || code == ErrorCode::kUpstream ||
                            code == ErrorCode::kUnavailable || code == ErrorCode::kRateLimited;
    } else {
        // Anything a peer does wrong (down, slow, wrong bytes): try another source.
        outcome.source_failed = code != ErrorCode::kInternal;
    }
    return outcome;
}

Status Agent::fetch_from_registry(const Work& work, const common::BlobSink& sink) {
    auto parts = split_blob_url(work.url);
    if (!parts) {
        return parts.error();
    }
    common::RegistryClientSettings settings;
    settings.base_url = parts->first;
    settings.authorization = work.authorization;
    auto client = common::RegistryClient::create(transfer_, settings);
    if (!client) {
        return client.error();
    }
    const auto digest = common::Digest::parse(work.digest);
    auto fetched = (*client)->get_blob(parts->second, *digest, sink);
    return fetched ? Status{} : Status(fetched.error());
}

Status Agent::fetch_from_peer(const Work& work, const common::BlobSink& sink) {
    const auto give_up = std::chrono::steady_clock::now() + settings_.peer_start_wait;
    for (;;) {
        common::HttpRequest request;
        request.url = work.url;
        request.headers.emplace("Authorization", "Bearer " + settings_.peer_token);
        request.total_timeout = std::chrono::milliseconds(0);  // low-speed abort still applies
        bool not_started = false;
        std::uint64_t received = 0;
        auto response = transfer_.stream(
            request,
            [&](const common::HttpResponse& head) {
                not_started = head.status == 404;
                return head.status == 200;
            },
            [&](std::string_view chunk) {
                received += chunk.size();
                return sink(chunk);
            });
        if (!response) {
            return Error{response.error().code,
                         "peer " + work.source + ": " + response.error().message};
        }
        if (response->status == 200) {
            if (received != work.size) {
                return Error{ErrorCode::kUpstream, "peer " + work.source + " sent " +
                                                       std::to_string(received) + " of " +
                                                       std::to_string(work.size) + " bytes"};
            }
            return {};
        }
        if (!not_started || std::chrono::steady_clock::now() >= give_up ||
            !sleep_unless_stopping(kPeerRetryStep)) {
            return Error{ErrorCode::kUpstream,
                         "peer " + work.source + " answered " + std::to_string(response->status) +
                             (not_started ? " (it never started receiving)" : "")};
        }
    }
}

Status Agent::finish_job_if_complete(std::int64_t job) {
    JobContext context;
    {
        std::scoped_lock lock(mutex_);
        const auto found = jobs_.find(job);
        if (found == jobs_.end()) {
            return {};
        }
        context = found->second;
    }
    for (const auto& manifest : context.manifests) {
        auto parsed = common::parse_manifest(manifest.content, manifest.media_type);
        if (!parsed) {
            return parsed.error();
        }
        const auto* image = std::get_if<common::ImageManifest>(&*parsed);
        if (image == nullptr) {
            continue;  // an index: its children are in the list too
        }
        auto files = model_files(*image);
        if (!files) {
            return files.error();
        }
        if (!*files) {
            continue;  // an image: the blobs in the cache are what the mirror serves
        }
        for (const auto& file : **files) {
            if (!cache_.file_path(file.digest)) {
                return {};  // not complete on this node yet (or a seed holding only some blobs)
            }
        }
        std::scoped_lock layout(layout_mutex_);
        auto laid_out = lay_out_model(
            settings_.models_dir, context.repository, reference_dir_name(context.reference),
            context.manifest_digest, **files,
            [this](const common::Digest& digest) { return cache_.file_path(digest); });
        layouts_.inc({laid_out ? "ok" : "failed"});
        if (!laid_out) {
            return laid_out;
        }
        common::log::info("model laid out", {{"job", job},
                                             {"repository", context.repository},
                                             {"reference", context.reference},
                                             {"files", (*files)->size()}});
    }
    return {};
}

void Agent::report(const Work& work, TaskState state, const Outcome& outcome) {
    json body{{"node", settings_.node_name},
              {"boot_id", boot_id_},
              {"job", work.job},
              {"digest", work.digest},
              {"state", state == TaskState::kSucceeded ? "succeeded" : "failed"},
              {"bytes", state == TaskState::kSucceeded ? work.size : 0},
              {"source_failed", outcome.source_failed},
              {"retryable", outcome.retryable},
              {"credential_rejected", outcome.credential_rejected}};
    if (!outcome.status) {
        body["error"] = outcome.status.error().message;
    }
    const auto give_up = std::chrono::steady_clock::now() + settings_.report_retry;
    for (;;) {
        auto answered = call_provider("POST", "/agent/v1/progress", body, std::chrono::seconds(10));
        if (answered) {
            return;
        }
        const auto code = answered.error().code;
        const bool transient = code == ErrorCode::kTimeout || code == ErrorCode::kUpstream ||
                               code == ErrorCode::kUnavailable || code == ErrorCode::kInternal;
        if (!transient || std::chrono::steady_clock::now() >= give_up ||
            !sleep_unless_stopping(kErrorBackoff)) {
            common::log::warn(
                "progress report dropped",
                {{"job", work.job}, {"digest", work.digest}, {"error", answered.error().message}});
            return;
        }
    }
}

void Agent::add_routes(common::Server& server) {
    using common::Access;
    using common::Method;
    const auto serve = [this](const httplib::Request& req, httplib::Response& res,
                              const std::string& digest_text, const char* route, bool oci) {
        const auto digest = common::Digest::parse(digest_text);
        auto reader = digest ? cache_.join(*digest) : std::nullopt;
        if (!reader) {
            if (oci) {
                write_oci_error(res, 404, "BLOB_UNKNOWN", "blob " + digest_text + " is not cached");
            } else {
                common::write_error(res, Error{ErrorCode::kNotFound,
                                               "blob " + digest_text + " is not cached here"});
            }
            return;
        }
        common::BlobResponseOptions options;
        options.on_sent = [this, route](std::size_t bytes) {
            peer_bytes_served_.inc({route}, static_cast<double>(bytes));
        };
        res.set_header("Docker-Content-Digest", digest_text);
        auto served = common::respond_with_blob(req, res, req.method == "HEAD" ? nullptr : *reader,
                                                (*reader)->size(), options);
        if (!served) {
            common::write_error(res, served.error());
        }
    };
    // Peers.
    server.route(Method::kGet, std::string("/blobs/") + kDigestPattern, Access::roles({kPeerRole}),
                 [serve](const httplib::Request& req, httplib::Response& res,
                         const common::RequestContext& ctx) {
                     serve(req, res, ctx.captures[0], "peer", false);
                 });
    // containerd registry mirror (hosts.toml): blobs and manifests by digest from the cache.
    server.route(
        Method::kGet, "/v2/?", Access::reader(),
        [](const httplib::Request&, httplib::Response& res, const common::RequestContext&) {
            res.set_header("Docker-Distribution-API-Version", "registry/2.0");
            common::write_json(res, 200, json::object());
        });
    server.route(Method::kGet, std::string("/v2/(.+)/blobs/") + kDigestPattern, Access::reader(),
                 [serve](const httplib::Request& req, httplib::Response& res,
                         const common::RequestContext& ctx) {
                     serve(req, res, ctx.captures[1], "mirror", true);
                 });
    server.route(
        Method::kGet, "/v2/(.+)/manifests/([^/]+)", Access::reader(),
        [this](const httplib::Request& req, httplib::Response& res,
               const common::RequestContext& ctx) {
            const auto& repository = ctx.captures[0];
            std::string reference = ctx.captures[1];
            std::string media_type;
            {
                std::scoped_lock lock(mutex_);
                if (!common::Digest::parse(reference)) {
                    const auto tagged = tags_.find(repository + ":" + reference);
                    if (!settings_.mirror_serve_tags || tagged == tags_.end()) {
                        // containerd then resolves the tag at the next host (Harbor).
                        write_oci_error(res, 404, "MANIFEST_UNKNOWN",
                                        "tags are resolved by the registry");
                        return;
                    }
                    reference = tagged->second;
                }
                const auto type = media_types_.find(reference);
                if (type != media_types_.end()) {
                    media_type = type->second;
                }
            }
            const auto digest = common::Digest::parse(reference);
            auto reader = digest ? cache_.lookup(*digest) : std::nullopt;
            if (!reader || media_type.empty() || (*reader)->size() > kMaxManifestBytes) {
                write_oci_error(res, 404, "MANIFEST_UNKNOWN",
                                "manifest " + reference + " was not preheated here");
                return;
            }
            std::string bytes((*reader)->size(), '\0');
            std::size_t offset = 0;
            while (offset < bytes.size()) {
                auto read = (*reader)->read(offset, bytes.data() + offset, bytes.size() - offset);
                if (!read || *read == 0) {
                    write_oci_error(res, 500, "UNKNOWN", "cannot read the cached manifest");
                    return;
                }
                offset += *read;
            }
            res.set_header("Docker-Content-Digest", reference);
            res.status = 200;
            if (req.method == "HEAD") {
                res.set_header("Content-Length", std::to_string(bytes.size()));
                res.set_content_provider(
                    bytes.size(), media_type,
                    [](std::size_t, std::size_t, httplib::DataSink&) { return false; });
                return;
            }
            res.set_content(bytes, media_type);
        });
}

}  // namespace aiops::preheat
