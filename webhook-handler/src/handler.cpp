#include "handler.h"

#include <algorithm>
#include <fstream>
#include <random>
#include <variant>

#include "aiops/common/digest.h"
#include "aiops/common/encoding.h"
#include "aiops/common/log.h"
#include "aiops/common/media_types.h"
#include "aiops/common/oci.h"
#include "aiops/common/registry_client.h"

namespace aiops::webhook {

using common::Error;
using common::ErrorCode;
using common::Result;
using common::Status;
using json = nlohmann::json;

namespace {

constexpr std::string_view kQueue = "webhook_events";
constexpr std::string_view kDone = "webhook_actions";
constexpr std::string_view kResults = "webhook_results";
constexpr std::size_t kMaxKeyBytes = 400;
constexpr std::size_t kMaxListed = 100;

bool any_equal(const std::vector<std::string>& accepted, std::string_view presented) {
    bool found = false;
    for (const auto& value : accepted) {  // every value compared: timing does not say which
        found = common::constant_time_equal(value, presented) || found;
    }
    return found;
}

std::string queue_key(const std::string& key) {
    if (key.size() <= kMaxKeyBytes) {
        return key;
    }
    return "sha256:" +
           std::string(common::compute_digest(key, common::DigestAlgorithm::kSha256)->hex());
}

}  // namespace

bool retryable_status(int status) { return status == 408 || status == 429 || status >= 500; }

ActionResult http_outcome(const Result<common::HttpResponse>& response, const std::string& what,
                          int also_ok) {
    if (!response) {
        const auto code = response.error().code;
        return {Error{code, what + ": " + response.error().message},
                code != ErrorCode::kBlockedUrl && code != ErrorCode::kInvalidInput,
                {}};
    }
    const int status = response->status;
    if ((status >= 200 && status < 300) || (also_ok != 0 && status == also_ok)) {
        return {};
    }
    return {
        Error{retryable_status(status) ? ErrorCode::kUpstream : ErrorCode::kInvalidInput,
              what + " answered " + std::to_string(status) + ": " + response->body.substr(0, 300)},
        retryable_status(status),
        {}};
}

HandlerSettings handler_settings_from_config(common::Config& config) {
    HandlerSettings s;
    for (const auto& path : {"harbor.auth_header", "harbor.auth_header_next"}) {
        if (auto value = config.get_secret(path); !value.empty()) {
            s.harbor_auth_headers.push_back(value);
        }
    }
    for (const auto& path : {"devpi.hook_token", "devpi.hook_token_next"}) {
        if (auto value = config.get_secret(path); !value.empty()) {
            s.devpi_hook_tokens.push_back(value);
        }
    }
    const auto rules_file = config.get_string("rules_file", "");
    if (!rules_file.empty()) {
        std::ifstream in(rules_file);
        if (!in) {
            config.add_error("rules_file: cannot read " + rules_file);
        } else {
            const std::string text((std::istreambuf_iterator<char>(in)),
                                   std::istreambuf_iterator<char>());
            auto rules = parse_rules_text(text);
            if (!rules) {
                config.add_error(rules_file + ": " + rules.error().message);
            } else {
                s.rules = std::move(*rules);
            }
        }
    }
    s.workers = static_cast<int>(config.get_int("workers", 4, 1, 64));
    s.visibility =
        std::chrono::milliseconds(config.get_int("queue.visibility_ms", 120000, 1000, 86'400'000));
    s.base_backoff =
        std::chrono::milliseconds(config.get_int("retry.base_ms", 1000, 10, 3'600'000));
    s.max_backoff =
        std::chrono::milliseconds(config.get_int("retry.max_ms", 300000, 10, 86'400'000));
    s.harbor_url = config.get_string("harbor.url", "");
    while (!s.harbor_url.empty() && s.harbor_url.back() == '/') {
        s.harbor_url.pop_back();
    }
    s.harbor_username = config.get_string("harbor.username", "");
    s.harbor_password = config.get_secret("harbor.password");
    s.preheat_url = config.get_string("preheat.url", "");
    while (!s.preheat_url.empty() && s.preheat_url.back() == '/') {
        s.preheat_url.pop_back();
    }
    s.preheat_token = config.get_secret("preheat.token");
    s.devpi.url = config.get_string("devpi.url", "");
    s.devpi.username = config.get_string("devpi.username", "");
    s.devpi.password = config.get_secret("devpi.password");
    s.devpi.auth = config.get_string("devpi.auth", "login");
    if (s.devpi.auth != "login" && s.devpi.auth != "basic") {
        config.add_error("devpi.auth: login or basic");
    }
    s.devpi.max_file_bytes = static_cast<std::uint64_t>(
        config.get_int("devpi.max_file_bytes", 4LL << 30, 1024, 64LL << 30));
    s.poller.indexes = config.get_string_list("devpi.poll.indexes", {});
    s.poller.interval =
        std::chrono::milliseconds(config.get_int("devpi.poll.interval_ms", 30000, 100, 86'400'000));
    s.poller.emit_existing = config.get_bool("devpi.poll.emit_existing", false);
    if (!s.poller.indexes.empty() && s.devpi.url.empty()) {
        config.add_error("devpi.poll.indexes needs devpi.url");
    }
    const auto work_dir = config.get_string("work_dir", "");
    s.work_dir = work_dir.empty() ? std::filesystem::temp_directory_path() / "aiops-webhook"
                                  : std::filesystem::path(work_dir);
    // The registry Harbor serves, resolved once: harbor.registry_url when set (Harbor behind a
    // separate registry host name), else harbor.url — what Harbor itself puts in preheat args.url.
    s.gate.registry_url = config.get_string("harbor.registry_url", "");
    while (!s.gate.registry_url.empty() && s.gate.registry_url.back() == '/') {
        s.gate.registry_url.pop_back();
    }
    if (s.gate.registry_url.empty()) {
        s.gate.registry_url = s.harbor_url;
    }
    s.gate.scanner_url = config.get_string("scanner.url", "");
    s.gate.scanner_token = config.get_secret("scanner.token");
    s.gate.scan_timeout = std::chrono::seconds(config.get_int("scanner.timeout_s", 300, 1, 86'400));
    s.gate.catalog_url = config.get_string("catalog.url", "");
    s.gate.catalog_token = config.get_secret("catalog.token");
    if (!s.gate.scanner_url.empty() && s.gate.scan_timeout >= s.visibility) {
        config.add_error(
            "scanner.timeout_s must be shorter than queue.visibility_ms (a scan "
            "outliving its lease would run twice)");
    }
    for (const auto& rule : s.rules) {
        for (const auto& action : rule.actions) {
            if (action.type == "promote" && s.devpi.url.empty()) {
                config.add_error("rule " + rule.name + ": promote needs devpi.url");
            }
            if (action.type == "scan_gate" && s.gate.scanner_url.empty()) {
                config.add_error("rule " + rule.name + ": scan_gate needs scanner.url");
            }
            if (action.type == "catalog" && s.gate.catalog_url.empty()) {
                config.add_error("rule " + rule.name + ": catalog needs catalog.url");
            }
        }
    }
    return s;
}

Handler::Handler(HandlerSettings settings, common::Store& store, const common::Clock& clock,
                 common::HttpClient& http, common::Metrics& metrics)
    : settings_(std::move(settings)),
      store_(store),
      clock_(clock),
      http_(http),
      harbor_({settings_.harbor_url, settings_.harbor_username, settings_.harbor_password}, http),
      devpi_(settings_.devpi, http),
      promoter_(devpi_, store, clock, settings_.work_dir, settings_.retention),
      gate_(settings_.gate, harbor_, http, store, clock, settings_.retention),
      poller_(
          settings_.poller, devpi_, store, [this](const Event& event) { return accept(event); },
          metrics),
      received_(metrics.counter("webhook_events_received_total",
                                "Events accepted and persisted, by source", {"source"})),
      deduplicated_(metrics.counter("webhook_events_deduplicated_total",
                                    "Deliveries of an event already queued", {"source"})),
      rejected_(metrics.counter("webhook_events_rejected_total",
                                "Malformed or unauthenticated deliveries", {"source", "reason"})),
      processed_(metrics.counter("webhook_events_processed_total", "Events whose rules all ran",
                                 {"outcome"})),
      retried_(
          metrics.counter("webhook_events_retried_total", "Event attempts that will be retried")),
      dead_lettered_(metrics.counter("webhook_events_dead_lettered_total",
                                     "Events moved to the dead-letter list")),
      actions_(metrics.counter("webhook_actions_total", "Actions run, by type and outcome",
                               {"action", "outcome"})),
      latency_(metrics.histogram("webhook_event_latency_seconds",
                                 "From acceptance to the last rule done", {})) {}

Handler::~Handler() { stop(); }

void Handler::wake() { wake_.notify_all(); }

void Handler::start() {
    for (int index = 0; index < settings_.workers; ++index) {
        workers_.emplace_back([this] { worker_loop(); });
    }
    poller_.start();
}

void Handler::stop() {
    poller_.stop();
    {
        std::scoped_lock lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    for (auto& worker : workers_) {
        worker.join();
    }
    workers_.clear();
}

// devpi never redelivers a trigger, and it fires once per uploaded file: every call (and every
// operator retry) is an event of its own; the worker lists the version's files and the
// promotion's decision record makes a file set decide once, whoever reported it.
Result<bool> Handler::accept_devpi(Event& event, const char* via) {
    const auto now_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now().time_since_epoch())
            .count();
    event.occur_at = now_ms / 1000;
    event.id += "|";
    event.id += via;
    event.id += "|" + std::to_string(now_ms);
    event.data = {{"via", via}};
    return accept(event);
}

Result<bool> Handler::accept(const Event& event) {
    json payload = to_json(event);
    payload["accepted_at_ms"] =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now().time_since_epoch())
            .count();
    auto queued = store_.enqueue(kQueue, queue_key(event.id), payload);
    if (!queued) {
        return queued.error();
    }
    const std::string source(source_name(event.source));
    if (!queued->created) {
        deduplicated_.inc({source});
        return false;
    }
    received_.inc({source});
    wake();
    return true;
}

std::chrono::milliseconds Handler::backoff(std::int64_t attempt) {
    thread_local std::mt19937_64 random{std::random_device{}()};
    const auto exponent = std::min<std::int64_t>(attempt - 1, 20);
    auto delay = settings_.base_backoff * (std::int64_t{1} << std::max<std::int64_t>(exponent, 0));
    delay = std::min(delay, settings_.max_backoff);
    std::uniform_int_distribution<std::int64_t> jitter(0, delay.count() / 2);
    return std::chrono::milliseconds(delay.count() / 2 + jitter(random));  // "equal jitter"
}

void Handler::worker_loop() {
    for (;;) {
        {
            std::scoped_lock lock(mutex_);
            if (stopping_) {
                return;
            }
        }
        auto leased = store_.lease(kQueue, settings_.visibility);
        if (!leased || !*leased) {
            if (!leased) {
                common::log::warn("cannot lease an event", {{"error", leased.error().message}});
            }
            std::unique_lock lock(mutex_);
            wake_.wait_for(lock, settings_.idle_poll, [this] { return stopping_; });
            continue;
        }
        const auto& job = **leased;
        auto done = process(job);
        if (done) {
            if (auto acked = store_.ack(job); !acked) {
                common::log::warn("cannot ack an event",
                                  {{"event", job.id}, {"error", acked.error().message}});
            }
            continue;
        }
        retried_.inc();
        const auto delay = backoff(job.attempt);
        common::log::warn("event will be retried", {{"event", job.id},
                                                    {"attempt", job.attempt},
                                                    {"delay_ms", delay.count()},
                                                    {"error", done.error().message}});
        if (auto retried = store_.retry(job, done.error().message, delay); !retried) {
            common::log::warn("cannot schedule a retry",
                              {{"event", job.id}, {"error", retried.error().message}});
        } else if (job.attempt >= settings_.max_attempts) {
            dead_lettered_.inc();
            common::log::error(
                "event dead-lettered",
                {{"event", job.id}, {"attempts", job.attempt}, {"error", done.error().message}});
        }
    }
}

Status Handler::process(const common::Job& job) {
    auto event = event_from_json(job.payload);
    if (!event) {
        return {};  // cannot happen for what accept() stored; nothing to retry
    }
    std::optional<ArtifactKind> kind;
    bool kind_known = false;
    json results = json::array();
    bool all_ok = true;
    for (const auto& rule : settings_.rules) {
        if (needs_artifact_kind(rule.when) && !kind_known) {
            auto looked_up = artifact_kind(*event);
            if (!looked_up) {
                return Error{looked_up.error().code, "reading the artifact for rule " + rule.name +
                                                         ": " + looked_up.error().message};
            }
            kind = *looked_up;
            kind_known = true;
        }
        if (!matches(rule.when, *event, kind)) {
            continue;
        }
        json steps = json::array();
        for (std::size_t index = 0; index < rule.actions.size(); ++index) {
            const auto& action = rule.actions[index];
            const auto key = job.id + "|" + rule.name + "|" + std::to_string(index);
            if (auto recorded = store_.get(kDone, key)) {
                steps.push_back(recorded->body);  // done before a crash or an earlier attempt
                if (recorded->body.value("status", "") != "ok") {
                    break;
                }
                continue;
            }
            auto result = run_action(action, *event, job.id);
            actions_.inc({action.type, result.status      ? "ok"
                                       : result.retryable ? "retry"
                                                          : "failed"});
            if (!result.status && result.retryable) {
                return Error{result.status.error().code, "rule " + rule.name + ", " + action.type +
                                                             ": " + result.status.error().message};
            }
            json record{{"rule", rule.name},
                        {"action", action.type},
                        {"status", result.status ? "ok" : "failed"},
                        {"error", result.status ? "" : result.status.error().message},
                        {"detail", result.detail},
                        {"at", common::format_utc(clock_.now())}};
            if (auto stored = store_.put(kDone, key, record); !stored) {
                return stored.error();  // retried; the action is idempotent
            }
            steps.push_back(record);
            if (!result.status) {
                all_ok = false;
                common::log::warn("rule failed", {{"event", job.id},
                                                  {"rule", rule.name},
                                                  {"action", action.type},
                                                  {"error", result.status.error().message}});
                break;  // the rule's later actions depend on this one
            }
        }
        results.push_back({{"rule", rule.name}, {"steps", std::move(steps)}});
    }
    const auto accepted_ms = job.payload.value("accepted_at_ms", std::int64_t{0});
    const auto now_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now().time_since_epoch())
            .count();
    if (accepted_ms > 0) {
        latency_.observe({}, static_cast<double>(now_ms - accepted_ms) / 1000.0);
    }
    processed_.inc({all_ok ? "ok" : "rule_failed"});
    auto summary = job.payload;
    summary["job"] = job.id;
    summary["attempts"] = job.attempt;
    summary["status"] = all_ok ? "done" : "rule_failed";
    summary["rules"] = std::move(results);
    summary["finished_at"] = common::format_utc(clock_.now());
    if (auto stored = store_.put(kResults, job.id, summary); !stored) {
        return stored.error();
    }
    common::track_finished(settings_.retention, kResults, job.id, clock_.now());
    return {};
}

Status Handler::erase_steps(const std::string& job_id) {
    const auto prefix = job_id + "|";
    auto cursor = common::Store::cursor_after(prefix);  // ids sort by byte: the job's come next
    for (;;) {
        auto page = store_.scan(kDone, cursor, kMaxListed);
        if (!page) {
            return page.error();
        }
        for (const auto& document : page->documents) {
            if (!document.id.starts_with(prefix)) {
                return {};
            }
            if (auto erased = store_.erase(kDone, document.id);
                !erased && erased.error().code != ErrorCode::kNotFound) {
                return erased.error();
            }
        }
        if (page->next_cursor.empty()) {
            return {};
        }
        cursor = page->next_cursor;
    }
}

std::vector<common::RetentionRule> Handler::retention_rules() {
    auto results = common::rule_by_field(std::string(kResults), "finished_at");
    // A step record (job|rule|index) only lets a retried event skip finished steps; the result
    // lists every step written, so the steps go with it (one marker per event, not per step).
    results.dependents = [](const std::string& id, const json& summary) {
        std::vector<common::DocumentRef> steps;
        const auto rules = summary.find("rules");
        if (rules == summary.end() || !rules->is_array()) {
            return steps;
        }
        for (const auto& rule : *rules) {
            const auto name = rule.find("rule");
            const auto recorded = rule.find("steps");
            if (name == rule.end() || !name->is_string() || recorded == rule.end() ||
                !recorded->is_array()) {
                continue;
            }
            for (std::size_t index = 0; index < recorded->size(); ++index) {
                steps.push_back({std::string(kDone), id + "|" + name->get<std::string>() + "|" +
                                                         std::to_string(index)});
            }
        }
        return steps;
    };
    // kDone: markers that handlers before 2026-12 wrote per step still expire.
    return {std::move(results), common::rule_by_field(std::string(kDone), "at"),
            ModelGate::retention_rule(), Promoter::retention_rule()};
}

ActionResult Handler::run_action(const Action& action, const Event& event,
                                 const std::string& job_id) {
    if (action.type == "notify") {
        return notify(action, event);
    }
    if (action.type == "preheat") {
        return preheat(action, event);
    }
    if (action.type == "promote") {
        auto options = promote_options(action.params);
        if (!options) {
            return final_failure(options.error().message);
        }
        return promoter_.promote(*options, event, job_id);
    }
    if (action.type == "scan_gate") {
        return gate_.scan_gate(action.params, event);
    }
    if (action.type == "catalog") {
        return gate_.catalog(action.params, event);
    }
    return harbor_call(action, event);
}

ActionResult Handler::notify(const Action& action, const Event& event) {
    const auto url = action.params.value("url", "");
    if (url.empty()) {
        return final_failure("notify needs url");
    }
    common::HttpRequest request;
    request.method = "POST";
    request.url = url;
    request.headers.emplace("Content-Type", "application/json");
    request.body = json{{"event", to_json(event)}}.dump();
    request.retry = false;
    return http_outcome(http_.fetch(request), "notify " + url, 0);
}

ActionResult Handler::preheat(const Action& action, const Event& event) {
    if (settings_.preheat_url.empty()) {
        return final_failure("preheat.url is not configured");
    }
    if (event.source != Source::kHarbor || event.resources.empty() ||
        settings_.harbor_url.empty()) {
        return final_failure("preheat needs a Harbor artifact event and harbor.url");
    }
    const auto& resource = event.resources.front();
    const auto reference = resource.digest.empty() ? resource.tag : resource.digest;
    const auto& registry = settings_.gate.registry_url;  // resolved in handler_settings_from_config
    json args{{"type", "image"},
              {"url", registry + "/v2/" + step_repository(action.params, event) + "/manifests/" +
                          reference},
              {"scope", action.params.value("scope", "all_peers")}};
    if (!settings_.harbor_username.empty()) {
        args["headers"] = {
            {"Authorization", "Basic " + common::base64_encode(settings_.harbor_username + ":" +
                                                               settings_.harbor_password)}};
    }
    json body{{"type", "preheat"},
              {"args", std::move(args)},
              {"scheduler_cluster_ids", action.params.value("pools", json())}};
    if (action.params.contains("selector")) {
        body["selector"] = action.params["selector"];
    }
    common::HttpRequest request;
    request.method = "POST";
    request.url = settings_.preheat_url + "/api/v1/preheat";
    request.headers.emplace("Content-Type", "application/json");
    request.headers.emplace("Authorization", "Bearer " + settings_.preheat_token);
    request.body = body.dump();
    request.retry = false;
    return http_outcome(http_.fetch(request), "preheat-provider", 0);
}

ActionResult Handler::harbor_call(const Action& action, const Event& event) {
    if (!harbor_.configured() || event.source != Source::kHarbor || event.resources.empty()) {
        return final_failure(action.type + " needs harbor.url and a Harbor artifact event");
    }
    const auto& resource = event.resources.front();
    const auto reference = resource.digest.empty() ? resource.tag : resource.digest;
    if (action.type == "harbor_scan") {
        return harbor_.scan(event.project, event.repository, reference,
                            action.params.value("scan_type", "vulnerability"));
    }
    if (action.type == "harbor_label") {
        std::int64_t label = 0;
        if (action.params.contains("label_id") && action.params["label_id"].is_number_integer()) {
            label = action.params["label_id"].get<std::int64_t>();
        } else if (action.params.contains("label") && action.params["label"].is_string()) {
            auto id = harbor_.label_id(action.params["label"].get<std::string>());
            if (!id) {
                return {id.error(), id.error().code != ErrorCode::kNotFound, {}};
            }
            label = *id;
        } else {
            return final_failure("harbor_label needs label (a name) or label_id");
        }
        return harbor_.add_label(event.project, event.repository, reference, label);
    }
    const auto project = action.params.value("to_project", "");  // harbor_copy
    if (project.empty()) {
        return final_failure("harbor_copy needs to_project");
    }
    return harbor_.copy(project, action.params.value("to_repository", event.repository),
                        event.project + "/" + event.repository +
                            (resource.digest.empty() ? ":" + resource.tag : "@" + resource.digest));
}

Result<ArtifactKind> Handler::artifact_kind(const Event& event) {
    if (event.source != Source::kHarbor || event.resources.empty()) {
        return ArtifactKind::kAny;
    }
    if (settings_.harbor_url.empty()) {
        return Error{ErrorCode::kInvalidInput, "rules with artifact: need harbor.url"};
    }
    common::RegistryClientSettings registry;
    registry.base_url = settings_.gate.registry_url;
    registry.username = settings_.harbor_username;
    registry.password = settings_.harbor_password;
    auto client = common::RegistryClient::create(http_, registry);
    if (!client) {
        return client.error();
    }
    const auto& resource = event.resources.front();
    auto manifest =
        (*client)->get_manifest(event.project + "/" + event.repository,
                                resource.digest.empty() ? resource.tag : resource.digest);
    if (!manifest) {
        return manifest.error();
    }
    auto parsed = common::parse_manifest(manifest->bytes, manifest->media_type);
    if (!parsed) {
        return parsed.error();
    }
    const auto* image = std::get_if<common::ImageManifest>(&*parsed);
    if (image == nullptr) {
        return ArtifactKind::kImage;  // an index
    }
    const bool model = common::modelpack::naming_of(image->artifact_type).has_value() ||
                       common::modelpack::naming_of(image->config.media_type).has_value();
    return model ? ArtifactKind::kModel : ArtifactKind::kImage;
}

void Handler::add_routes(common::Server& server) {
    using common::Access;
    using common::Method;
    server.route(
        Method::kPost, "/harbor", Access::anyone(),
        [this](const httplib::Request& req, httplib::Response& res, const common::RequestContext&) {
            if (settings_.harbor_auth_headers.empty() ||
                !any_equal(settings_.harbor_auth_headers, req.get_header_value("Authorization"))) {
                rejected_.inc({"harbor", "auth"});
                common::write_error(res, Error{ErrorCode::kUnauthorized,
                                               "the Authorization value is not one configured in "
                                               "harbor.auth_header"});
                return;
            }
            auto body = common::parse_json(req.body, settings_.json_limits);
            const auto content_type = req.get_header_value("Content-Type");
            auto event = !body ? Result<Event>(body.error())
                         : content_type.starts_with("application/cloudevents+json")
                             ? parse_harbor_cloudevent(*body, settings_.limits)
                             : parse_harbor_default(*body, settings_.limits);
            if (!event) {
                rejected_.inc({"harbor", "malformed"});
                common::write_error(res, event.error());
                return;
            }
            auto accepted = accept(*event);
            if (!accepted) {
                common::write_error(res, accepted.error());
                return;
            }
            common::write_json(res, 200, {{"accepted", true}, {"duplicate", !*accepted}});
        });
    const auto devpi = [this](const httplib::Request& req, httplib::Response& res,
                              const std::string& index, const std::string& name,
                              const std::string& version) {
        if (settings_.devpi_hook_tokens.empty() ||
            !any_equal(settings_.devpi_hook_tokens, req.get_param_value("token"))) {
            rejected_.inc({"devpi", "auth"});
            common::write_error(res, Error{ErrorCode::kUnauthorized,
                                           "token= on the trigger URL is not devpi.hook_token"});
            return;
        }
        std::string script;
        if (req.has_file("file0")) {
            script = req.get_file_value("file0").content;
        }
        auto event = devpi_upload_event(name, version, index, script);
        if (!event) {
            rejected_.inc({"devpi", "malformed"});
            common::write_error(res, event.error());
            return;
        }
        auto accepted = accept_devpi(*event, "hook");
        if (!accepted) {
            common::write_error(res, accepted.error());
            return;
        }
        // The trigger fires before devpi commits the upload: the poller looks again shortly.
        poller_.nudge();
        common::write_json(res, 200, {{"accepted", true}, {"duplicate", !*accepted}});
    };
    server.route(Method::kPost, "/devpi/([^/]+)/([^/]+)", Access::anyone(),
                 [devpi](const httplib::Request& req, httplib::Response& res,
                         const common::RequestContext& ctx) {
                     devpi(req, res, "", ctx.captures[0], ctx.captures[1]);
                 });
    server.route(Method::kPost, "/devpi/([^/]+)/([^/]+)/([^/]+)/([^/]+)", Access::anyone(),
                 [devpi](const httplib::Request& req, httplib::Response& res,
                         const common::RequestContext& ctx) {
                     devpi(req, res, ctx.captures[0] + "/" + ctx.captures[1], ctx.captures[2],
                           ctx.captures[3]);
                 });
    add_promotion_routes(server);
    server.route(
        Method::kGet, "/events", Access::reader(),
        [this](const httplib::Request& req, httplib::Response& res, const common::RequestContext&) {
            auto stats = store_.queue_stats(kQueue);
            if (!stats) {
                common::write_error(res, stats.error());
                return;
            }
            json body{{"ready", stats->ready},
                      {"delayed", stats->delayed},
                      {"leased", stats->leased},
                      {"dead", stats->dead}};
            const auto status = req.get_param_value("status");
            if (status == "dead") {
                auto dead = store_.dead_letters(kQueue, kMaxListed);
                if (!dead) {
                    common::write_error(res, dead.error());
                    return;
                }
                json list = json::array();
                for (const auto& job : *dead) {
                    list.push_back({{"id", job.id},
                                    {"attempts", job.attempt},
                                    {"last_error", job.last_error},
                                    {"event", job.payload}});
                }
                body["events"] = std::move(list);
            } else if (status == "done" || status.empty()) {
                auto page = store_.scan(kResults, req.get_param_value("cursor"), kMaxListed);
                if (!page) {
                    common::write_error(res, page.error());
                    return;
                }
                json list = json::array();
                for (const auto& document : page->documents) {
                    list.push_back(document.body);
                }
                body["events"] = std::move(list);
                body["next_cursor"] = page->next_cursor;
            } else if (status != "ready" && status != "leased" && status != "delayed") {
                common::write_error(res, Error{ErrorCode::kInvalidInput,
                                               "status: done, ready, delayed, leased or dead"});
                return;
            }
            common::write_json(res, 200, body);
        });
    server.route(
        Method::kGet, "/events/([^/]+)", Access::reader(),
        [this](const httplib::Request&, httplib::Response& res, const common::RequestContext& ctx) {
            auto result = store_.get(kResults, ctx.captures[0]);
            if (!result) {
                common::write_error(
                    res, result.error().code == ErrorCode::kNotFound
                             ? Error{ErrorCode::kNotFound, "no finished event " + ctx.captures[0]}
                             : result.error());
                return;
            }
            common::write_json(res, 200, result->body);
        });
    server.route(
        Method::kPost, "/deadletters/([^/]+)/replay", Access::writer(),
        [this](const httplib::Request&, httplib::Response& res, const common::RequestContext& ctx) {
            if (auto replayed = store_.requeue_dead(kQueue, ctx.captures[0]); !replayed) {
                common::write_error(res, replayed.error());
                return;
            }
            common::log::info("dead letter replayed",
                              {{"event", ctx.captures[0]}, {"by", ctx.principal.name}});
            wake();
            common::write_json(res, 200, {{"replayed", ctx.captures[0]}});
        });
    // An operator gives up on a dead letter (the rule's target is gone for good): without this
    // it stays in the queue's dead count, and in any alert on it, until replayed.
    server.route(
        Method::kDelete, "/deadletters/([^/]+)", Access::writer(),
        [this](const httplib::Request&, httplib::Response& res, const common::RequestContext& ctx) {
            if (auto discarded = store_.discard_dead(kQueue, ctx.captures[0]); !discarded) {
                common::write_error(res, discarded.error());
                return;
            }
            common::log::warn("dead letter discarded; its event will not be processed",
                              {{"event", ctx.captures[0]}, {"by", ctx.principal.name}});
            if (auto erased = erase_steps(ctx.captures[0]); !erased) {
                common::log::warn("cannot erase a discarded event's step records; they stay",
                                  {{"event", ctx.captures[0]}, {"error", erased.error().message}});
            }
            common::write_json(res, 200, {{"discarded", ctx.captures[0]}});
        });
}

void Handler::add_promotion_routes(common::Server& server) {
    using common::Access;
    using common::Method;
    server.route(
        Method::kGet, "/promotions", Access::reader(),
        [this](const httplib::Request& req, httplib::Response& res, const common::RequestContext&) {
            std::size_t limit = kMaxListed;
            if (req.has_param("limit")) {
                try {
                    limit =
                        std::clamp<std::size_t>(std::stoul(req.get_param_value("limit")), 1, 1000);
                } catch (const std::exception&) {
                    common::write_error(res, Error{ErrorCode::kInvalidInput, "limit: 1..1000"});
                    return;
                }
            }
            auto page =
                promoter_.list(req.get_param_value("index"), req.get_param_value("project"),
                               req.get_param_value("status"), req.get_param_value("cursor"), limit);
            if (!page) {
                common::write_error(res, page.error());
                return;
            }
            common::write_json(res, 200, *page);
        });
    // Decide a version again (after fixing acl_upload, or when a "failed" push should be
    // retried): queues an UPLOAD event as the hook would.
    server.route(
        Method::kPost, "/promotions/retry", Access::writer(),
        [this](const httplib::Request& req, httplib::Response& res, const common::RequestContext&) {
            auto body = common::parse_json(req.body, settings_.json_limits);
            if (!body || !body->is_object()) {
                common::write_error(res, Error{ErrorCode::kInvalidInput,
                                               "expected {\"index\", \"project\", \"version\"}"});
                return;
            }
            auto event = devpi_upload_event(body->value("project", ""), body->value("version", ""),
                                            body->value("index", ""), "");
            if (!event) {
                common::write_error(res, event.error());
                return;
            }
            auto accepted = accept_devpi(*event, "retry");
            if (!accepted) {
                common::write_error(res, accepted.error());
                return;
            }
            common::write_json(res, 202, {{"queued", event->id}});
        });
}

}  // namespace aiops::webhook
