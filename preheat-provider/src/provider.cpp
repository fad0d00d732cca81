#include "provider.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <set>
#include <variant>

#include "aiops/common/log.h"
#include "aiops/common/registry_client.h"
#include "blob_list.h"
#include "model_layout.h"

namespace aiops::preheat {

using common::Error;
using common::ErrorCode;
using common::Result;
using common::Status;
using json = nlohmann::json;

namespace {

constexpr std::string_view kAgents = "preheat_agents";
constexpr std::string_view kActiveJobs = "preheat_active_jobs";
constexpr std::size_t kScanPage = 500;
constexpr std::chrono::milliseconds kPollRecheck{250};

Labels labels_from_yaml(common::Config& config, const YAML::Node& node, const std::string& path) {
    Labels labels;
    if (!node) {
        return labels;
    }
    if (!node.IsMap()) {
        config.add_error(path + ": expected a map of label name to value");
        return labels;
    }
    for (const auto& entry : node) {
        labels[entry.first.as<std::string>()] = entry.second.as<std::string>();
    }
    return labels;
}

Result<std::int64_t> parse_id(const std::string& text) {
    if (text.empty() || text.size() > 18 ||
        !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return Error{ErrorCode::kNotFound, "no preheat job '" + text.substr(0, 32) + "'"};
    }
    return std::stoll(text);
}

void reply(httplib::Response& res, const Result<json>& body) {
    if (!body) {
        common::write_error(res, body.error());
        return;
    }
    common::write_json(res, 200, *body);
}

// Our own view: Harbor's plus every task with its plan and progress.
json detailed_view(const PreheatJob& job) {
    auto view = dragonfly_view(job);
    json blobs = json::array();
    for (const auto& blob : job.blobs) {
        json tasks = json::array();
        for (const auto& task : blob.tasks) {
            static constexpr const char* kStates[] = {"pending", "running", "succeeded", "failed"};
            tasks.push_back({{"node", task.node},
                             {"state", kStates[static_cast<int>(task.state)]},
                             {"source", task.source},
                             {"attempts", task.attempts},
                             {"bytes", task.bytes},
                             {"bad_sources", task.bad_sources},
                             {"error", task.error}});
        }
        blobs.push_back(
            {{"digest", blob.digest}, {"size", blob.size}, {"tasks", std::move(tasks)}});
    }
    view["url"] = job.request.url;
    view["scope"] = scope_name(job.request.scope);
    view["manifest_digest"] = job.manifest_digest;
    view["error"] = job.error;
    view["blobs"] = std::move(blobs);
    return view;
}

}  // namespace

ProviderSettings provider_settings_from_config(common::Config& config) {
    ProviderSettings s;
    s.plan.fan_out = static_cast<int>(config.get_int("preheat.fan_out", 3, 1, 64));
    s.plan.seed_selector =
        labels_from_yaml(config, config.get_node("preheat.seed_selector"), "preheat.seed_selector");
    s.default_platforms = config.get_string_list("preheat.platforms", {});
    const auto pools = config.get_node("preheat.pools");
    if (pools && !pools.IsSequence()) {
        config.add_error("preheat.pools: expected a list of {id, selector, platforms}");
    } else if (pools) {
        std::set<std::int64_t> seen;
        for (std::size_t index = 0; index < pools.size(); ++index) {
            const auto path = "preheat.pools[" + std::to_string(index) + "]";
            const auto& node = pools[index];
            if (!node.IsMap() || !node["id"]) {
                config.add_error(path + ": expected {id, selector, platforms}");
                continue;
            }
            Pool pool;
            try {
                pool.id = node["id"].as<std::int64_t>();
            } catch (const YAML::Exception&) {
                config.add_error(path + ".id: expected an integer");
                continue;
            }
            if (pool.id <= 0 || !seen.insert(pool.id).second) {
                config.add_error(path + ".id: expected a unique positive integer");
                continue;
            }
            pool.selector = labels_from_yaml(config, node["selector"], path + ".selector");
            if (node["platforms"]) {
                if (!node["platforms"].IsSequence()) {
                    config.add_error(path + ".platforms: expected a list like [linux/amd64]");
                } else {
                    s.pool_platforms[pool.id] = node["platforms"].as<std::vector<std::string>>();
                }
            }
            s.plan.pools.push_back(std::move(pool));
        }
    }
    s.job_timeout = std::chrono::seconds(config.get_int("preheat.job_timeout_s", 1740, 10, 86400));
    s.scheduler.max_attempts = static_cast<int>(config.get_int("preheat.max_attempts", 3, 1, 20));
    s.scheduler.agent_ttl =
        std::chrono::milliseconds(config.get_int("agents.ttl_ms", 15000, 500, 3'600'000));
    s.scheduler.task_lease =
        std::chrono::milliseconds(config.get_int("agents.task_lease_ms", 60000, 500, 3'600'000));
    s.max_poll_wait =
        std::chrono::milliseconds(config.get_int("agents.max_poll_wait_ms", 20000, 0, 60000));
    s.max_blobs = static_cast<std::size_t>(config.get_int("preheat.max_blobs", 10000, 1, 100000));
    s.max_tasks =
        static_cast<std::size_t>(config.get_int("preheat.max_tasks", 200000, 1, 10'000'000));
    return s;
}

Provider::Provider(ProviderSettings settings, common::Store& store, const common::Clock& clock,
                   common::HttpClient& registry_http, common::Metrics& metrics)
    : settings_(std::move(settings)),
      store_(store),
      clock_(clock),
      registry_http_(registry_http),
      jobs_(store, clock, settings_.retention),
      jobs_created_(
          metrics.counter("preheat_jobs_created_total", "Preheat jobs accepted, by API", {"api"})),
      tasks_finished_(metrics.counter("preheat_jobs_finished_total",
                                      "Preheat jobs that reached a final state", {"state"})),
      agents_alive_(metrics.gauge("preheat_agents_alive", "Agents with a recent heartbeat")) {}

Provider::~Provider() { stop(); }

std::int64_t Provider::now_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now().time_since_epoch())
        .count();
}

void Provider::wake() {
    {
        std::scoped_lock lock(mutex_);
        ++generation_;
    }
    changed_.notify_all();
}

void Provider::start() {
    sweeper_ = std::thread([this] {
        std::unique_lock lock(mutex_);
        while (!stopping_) {
            // Only the interval (or stop) wakes the sweeper, not every progress report.
            if (changed_.wait_for(lock, settings_.sweep_interval, [this] { return stopping_; })) {
                break;
            }
            lock.unlock();
            if (auto swept = sweep_once(); !swept) {
                common::log::warn("preheat sweep failed", {{"error", swept.error().message}});
            }
            lock.lock();
        }
    });
}

void Provider::stop() {
    {
        std::scoped_lock lock(mutex_);
        stopping_ = true;
    }
    changed_.notify_all();
    if (sweeper_.joinable()) {
        sweeper_.join();
    }
}

Result<std::vector<std::string>> Provider::platforms_for(const JobRequest& request) const {
    if (!request.platform.empty()) {
        return std::vector<std::string>{request.platform};
    }
    std::set<std::string> platforms;
    bool any_pool_unrestricted = false;
    for (const auto& pool : settings_.plan.pools) {
        if (request.pools && std::find(request.pools->begin(), request.pools->end(), pool.id) ==
                                 request.pools->end()) {
            continue;
        }
        const auto found = settings_.pool_platforms.find(pool.id);
        if (found == settings_.pool_platforms.end() || found->second.empty()) {
            any_pool_unrestricted = true;
        } else {
            platforms.insert(found->second.begin(), found->second.end());
        }
    }
    if (settings_.plan.pools.empty() || any_pool_unrestricted) {
        platforms.insert(settings_.default_platforms.begin(), settings_.default_platforms.end());
        if (settings_.default_platforms.empty()) {
            return std::vector<std::string>{};  // every platform of an index
        }
    }
    return std::vector<std::string>(platforms.begin(), platforms.end());
}

Result<Agents> Provider::agents() {
    Agents agents;
    std::string cursor;
    do {
        auto page = store_.scan(kAgents, cursor, kScanPage);
        if (!page) {
            return page.error();
        }
        for (const auto& document : page->documents) {
            if (auto agent = agent_from_json(document.body)) {
                agents.emplace(agent->name, std::move(*agent));
            }
        }
        cursor = page->next_cursor;
    } while (!cursor.empty());
    return agents;
}

Status Provider::heartbeat(AgentRecord agent) {
    agent.last_seen_ms = now_ms();
    auto written = store_.put(kAgents, agent.name, to_json(agent));
    if (!written) {
        return written.error();
    }
    wake();
    return {};
}

Result<std::vector<std::int64_t>> Provider::active_jobs() {
    auto members = store_.set_members(kActiveJobs);
    if (!members) {
        return members.error();
    }
    std::vector<std::int64_t> ids;
    for (const auto& member : *members) {
        if (auto id = parse_id(member)) {
            ids.push_back(*id);
        }
    }
    std::sort(ids.begin(), ids.end());
    return ids;
}

void Provider::after_write(const PreheatJob& job, bool finished_now) {
    const auto state = job_state(job);
    if (state == JobState::kPending) {
        return;
    }
    if (auto removed = store_.remove_from_set(kActiveJobs, std::to_string(job.id)); !removed) {
        common::log::warn("cannot drop a finished preheat job from the active set",
                          {{"job", job.id}, {"error", removed.error().message}});
    }
    if (!finished_now) {
        return;
    }
    tasks_finished_.inc({std::string(job_state_name(state))});
    std::size_t succeeded = 0;
    std::size_t failed = 0;
    for (const auto& blob : job.blobs) {
        for (const auto& task : blob.tasks) {
            succeeded += task.state == TaskState::kSucceeded ? 1 : 0;
            failed += task.state == TaskState::kFailed ? 1 : 0;
        }
    }
    common::log::info("preheat job finished", {{"job", job.id},
                                               {"state", job_state_name(state)},
                                               {"tasks_succeeded", succeeded},
                                               {"tasks_failed", failed},
                                               {"error", job.error}});
}

Result<PreheatJob> Provider::create_job(JobRequest request) {
    auto platforms = platforms_for(request);
    if (!platforms) {
        return platforms.error();
    }
    common::RegistryClientSettings client_settings;
    client_settings.base_url = request.manifest.registry;
    client_settings.authorization = request.authorization;
    auto client = common::RegistryClient::create(registry_http_, client_settings);
    if (!client) {
        return client.error();
    }
    auto resolved = resolve_blobs(**client, request.manifest, *platforms, settings_.max_blobs);
    if (!resolved) {
        auto error = resolved.error();
        if (error.code == ErrorCode::kUnauthorized || error.code == ErrorCode::kForbidden) {
            // Not our caller's credential that failed: answer as a gateway would.
            return Error{ErrorCode::kUpstream,
                         error.message +
                             " (the registry refused the job's credential: Harbor's "
                             "pull token may have expired)"};
        }
        return error;
    }
    // A model whose files cannot be laid out safely is refused now, not on every node later.
    for (const auto& manifest : resolved->manifests) {
        auto parsed = common::parse_manifest(manifest.content, manifest.media_type);
        const auto* image = parsed ? std::get_if<common::ImageManifest>(&*parsed) : nullptr;
        if (image == nullptr) {
            continue;
        }
        if (auto files = model_files(*image); !files) {
            return Error{ErrorCode::kInvalidInput,
                         "model " + request.manifest.repository + ":" + request.manifest.reference +
                             " (" + manifest.digest +
                             ") cannot be laid out safely: " + files.error().message};
        }
    }
    auto all_agents = agents();
    if (!all_agents) {
        return all_agents.error();
    }
    const auto now = now_ms();
    std::vector<Node> nodes;
    for (const auto& [name, agent] : *all_agents) {
        if (agent_alive(agent, now, settings_.scheduler) &&
            matches(agent.labels, request.selector)) {
            nodes.push_back({name, agent.labels});
        }
    }
    const auto selected = select_nodes(nodes, request.pools, request.scope, settings_.plan);
    std::map<std::string, std::int64_t> pool_of;
    for (const auto& node : nodes) {
        for (const auto& pool : settings_.plan.pools) {
            const bool requested =
                !request.pools || std::find(request.pools->begin(), request.pools->end(),
                                            pool.id) != request.pools->end();
            if (requested && matches(node.labels, pool.selector)) {
                pool_of.emplace(node.name, pool.id);
                break;
            }
        }
    }
    PreheatJob job;
    job.request = std::move(request);
    job.manifest_digest = resolved->manifest_digest;
    job.manifests = std::move(resolved->manifests);
    job.deadline_ms =
        now + std::chrono::duration_cast<std::chrono::milliseconds>(settings_.job_timeout).count();
    if (selected.empty()) {
        job.error = "no live preheat agent matches the job (scope " +
                    std::string(scope_name(job.request.scope)) + ", " +
                    std::to_string(nodes.size()) + " agents alive)";
    }
    if (resolved->blobs.size() * selected.size() > settings_.max_tasks) {
        return Error{ErrorCode::kTooLarge, std::to_string(resolved->blobs.size()) + " blobs × " +
                                               std::to_string(selected.size()) +
                                               " nodes exceeds preheat.max_tasks (" +
                                               std::to_string(settings_.max_tasks) + ")"};
    }
    for (const auto& blob : resolved->blobs) {
        BlobJob entry{blob.digest.str(), blob.size, blob.url, {}};
        const auto tree =
            plan_blob(entry.digest, selected, job.request.scope, settings_.plan.fan_out);
        for (std::size_t index = 0; index < tree.order.size(); ++index) {
            NodeTask task;
            task.node = tree.order[index];
            const auto agent = all_agents->find(task.node);
            task.hostname = agent->second.hostname;
            task.ip = agent->second.ip;
            const auto pool = pool_of.find(task.node);
            task.pool = pool == pool_of.end() ? 0 : pool->second;
            task.parent = tree.parent[index];
            entry.tasks.push_back(std::move(task));
        }
        job.blobs.push_back(std::move(entry));
    }
    auto created = jobs_.create(std::move(job));
    if (!created) {
        return created.error();
    }
    if (job_state(*created) == JobState::kPending) {
        if (auto added = store_.add_to_set(kActiveJobs, std::to_string(created->id)); !added) {
            return added.error();
        }
    } else {
        after_write(*created, true);
    }
    common::log::info("preheat job created", {{"job", created->id},
                                              {"repository", created->request.manifest.repository},
                                              {"reference", created->request.manifest.reference},
                                              {"scope", scope_name(created->request.scope)},
                                              {"blobs", created->blobs.size()},
                                              {"nodes", selected.size()}});
    wake();
    return created;
}

Result<PreheatJob> Provider::job(std::int64_t id) { return jobs_.get(id); }

Result<json> Provider::assignments(const std::string& node, const std::string& boot_id,
                                   std::chrono::milliseconds wait) {
    const auto until = std::chrono::steady_clock::now() + std::min(wait, settings_.max_poll_wait);
    for (;;) {
        std::uint64_t seen_generation = 0;
        {
            std::scoped_lock lock(mutex_);
            seen_generation = generation_;
        }
        auto all_agents = agents();
        if (!all_agents) {
            return all_agents.error();
        }
        const auto self = all_agents->find(node);
        if (self == all_agents->end() || self->second.boot_id != boot_id) {
            return Error{ErrorCode::kConflict,
                         "agent " + node + " has no current heartbeat: send one first"};
        }
        auto ids = active_jobs();
        if (!ids) {
            return ids.error();
        }
        json jobs = json::array();
        for (const auto id : *ids) {
            std::vector<Assignment> taken;
            auto modified = jobs_.modify(id, [&](PreheatJob& job) -> Result<bool> {
                taken = take_assignments(job, node, *all_agents, now_ms(), settings_.scheduler);
                return !taken.empty();
            });
            if (!modified || taken.empty()) {
                continue;
            }
            const auto& updated = modified->job;
            json blobs = json::array();
            for (const auto& assignment : taken) {
                blobs.push_back({{"digest", assignment.digest},
                                 {"size", assignment.size},
                                 {"source", assignment.source},
                                 {"url", assignment.url},
                                 {"authorization", assignment.authorization}});
            }
            json manifests = json::array();
            for (const auto& manifest : updated.manifests) {
                manifests.push_back({{"digest", manifest.digest},
                                     {"media_type", manifest.media_type},
                                     {"content", manifest.content}});
            }
            jobs.push_back({{"id", id},
                            {"repository", updated.request.manifest.repository},
                            {"reference", updated.request.manifest.reference},
                            {"manifest_digest", updated.manifest_digest},
                            {"manifests", std::move(manifests)},
                            {"blobs", std::move(blobs)}});
        }
        if (!jobs.empty() || std::chrono::steady_clock::now() >= until) {
            return json{{"jobs", std::move(jobs)}};
        }
        std::unique_lock lock(mutex_);
        changed_.wait_for(lock, kPollRecheck,
                          [&] { return stopping_ || generation_ != seen_generation; });
        if (stopping_) {
            return json{{"jobs", json::array()}};
        }
    }
}

Result<bool> Provider::progress(const Progress& report) {
    auto modified = jobs_.modify(report.job, [&](PreheatJob& job) -> Result<bool> {
        return apply_progress(job, report, now_ms(), settings_.scheduler);
    });
    if (!modified) {
        return modified.error();
    }
    const bool applied = modified->changed;
    if (report.state == TaskState::kFailed && applied) {
        common::log::warn("preheat transfer failed", {{"job", report.job},
                                                      {"node", report.node},
                                                      {"digest", report.digest},
                                                      {"error", report.error}});
    }
    after_write(modified->job, modified->finished);
    if (report.state != TaskState::kRunning) {
        wake();
    }
    return applied;
}

Status Provider::sweep_once() {
    auto all_agents = agents();
    if (!all_agents) {
        return all_agents.error();
    }
    const auto now = now_ms();
    double alive = 0;
    for (const auto& [name, agent] : *all_agents) {
        alive += agent_alive(agent, now, settings_.scheduler) ? 1 : 0;
    }
    agents_alive_.set({}, alive);
    auto ids = active_jobs();
    if (!ids) {
        return ids.error();
    }
    bool any = false;
    for (const auto id : *ids) {
        auto current = jobs_.get(id);
        if (!current) {
            if (current.error().code == ErrorCode::kNotFound) {
                (void)store_.remove_from_set(kActiveJobs, std::to_string(id));
            }
            continue;
        }
        auto modified = jobs_.modify(id, [&](PreheatJob& job) -> Result<bool> {
            return sweep(job, *all_agents, now, settings_.scheduler);
        });
        if (!modified) {
            return modified.error();
        }
        // Also drops a job whose final write happened just before a crash left it in the set.
        after_write(modified->job, modified->finished);
        any = any || modified->changed;
    }
    if (any) {
        wake();
    }
    return {};
}

void Provider::add_routes(common::Server& server) {
    using common::Access;
    using common::Method;
    const auto harbor = Access::roles({kHarborRole, std::string(common::kWriterRole)});
    const auto harbor_read = Access::roles(
        {kHarborRole, std::string(common::kWriterRole), std::string(common::kReaderRole)});
    const auto agent = Access::roles({kAgentRole});

    const auto parse_body = [this](const httplib::Request& req) {
        return common::parse_json(req.body, settings_.json_limits);
    };
    const auto create = [this, parse_body](const httplib::Request& req, httplib::Response& res,
                                           bool legacy, const char* api) {
        auto body = parse_body(req);
        if (!body) {
            common::write_error(res, body.error());
            return;
        }
        auto request = legacy ? parse_legacy_preheat(*body, settings_.request_limits)
                              : parse_job_request(*body, settings_.request_limits);
        if (!request) {
            common::write_error(res, request.error());
            return;
        }
        auto created = create_job(std::move(*request));
        if (!created) {
            common::log::warn("preheat job refused",
                              {{"api", api}, {"error", created.error().message}});
            common::write_error(res, created.error());
            return;
        }
        jobs_created_.inc({api});
        common::write_json(
            res, 200,
            legacy ? json{{"ID", std::to_string(created->id)}} : dragonfly_view(*created));
    };
    const auto get_job = [this](const std::string& id_text) -> Result<PreheatJob> {
        auto id = parse_id(id_text);
        if (!id) {
            return id.error();
        }
        return job(*id);
    };

    // Harbor's Dragonfly driver (≥ 2.12).
    server.route(
        Method::kGet, "/healthy", Access::anyone(),
        [](const httplib::Request&, httplib::Response& res, const common::RequestContext&) {
            common::write_json(res, 200, {{"status", "Healthy"}});
        });
    server.route(Method::kPost, "/oapi/v1/jobs", harbor,
                 [create](const httplib::Request& req, httplib::Response& res,
                          const common::RequestContext&) { create(req, res, false, "dragonfly"); });
    server.route(Method::kGet, "/oapi/v1/jobs/([^/]+)", harbor_read,
                 [get_job](const httplib::Request&, httplib::Response& res,
                           const common::RequestContext& ctx) {
                     auto found = get_job(ctx.captures[0]);
                     reply(res, found ? Result<json>(dragonfly_view(*found)) : found.error());
                 });
    // Harbor ≤ 2.11's driver.
    server.route(
        Method::kGet, "/_ping", Access::anyone(),
        [](const httplib::Request&, httplib::Response& res, const common::RequestContext&) {
            common::write_json(res, 200, {{"status", "ok"}});
        });
    server.route(Method::kPost, "/preheats", harbor,
                 [create](const httplib::Request& req, httplib::Response& res,
                          const common::RequestContext&) { create(req, res, true, "legacy"); });
    server.route(Method::kGet, "/preheats/([^/]+)", harbor_read,
                 [get_job](const httplib::Request&, httplib::Response& res,
                           const common::RequestContext& ctx) {
                     auto found = get_job(ctx.captures[0]);
                     reply(res, found ? Result<json>(legacy_view(*found)) : found.error());
                 });
    // Our own API (the webhook-handler, operators).
    server.route(Method::kPost, "/api/v1/preheat", Access::writer(),
                 [create](const httplib::Request& req, httplib::Response& res,
                          const common::RequestContext&) { create(req, res, false, "aiops"); });
    server.route(Method::kGet, "/api/v1/preheat/([^/]+)", Access::reader(),
                 [get_job](const httplib::Request&, httplib::Response& res,
                           const common::RequestContext& ctx) {
                     auto found = get_job(ctx.captures[0]);
                     reply(res, found ? Result<json>(detailed_view(*found)) : found.error());
                 });
    server.route(
        Method::kGet, "/api/v1/agents", Access::reader(),
        [this](const httplib::Request&, httplib::Response& res, const common::RequestContext&) {
            auto all = agents();
            if (!all) {
                common::write_error(res, all.error());
                return;
            }
            json list = json::array();
            const auto now = now_ms();
            for (const auto& [name, record] : *all) {
                auto entry = to_json(record);
                entry["alive"] = agent_alive(record, now, settings_.scheduler);
                list.push_back(std::move(entry));
            }
            common::write_json(res, 200, {{"agents", std::move(list)}});
        });
    // Agents.
    server.route(
        Method::kPost, "/agent/v1/heartbeat", agent,
        [this, parse_body](const httplib::Request& req, httplib::Response& res,
                           const common::RequestContext&) {
            auto body = parse_body(req);
            auto record = body ? parse_heartbeat(*body) : Result<AgentRecord>(body.error());
            if (!record) {
                common::write_error(res, record.error());
                return;
            }
            if (auto stored = heartbeat(std::move(*record)); !stored) {
                common::write_error(res, stored.error());
                return;
            }
            common::write_json(res, 200, {{"agent_ttl_ms", settings_.scheduler.agent_ttl.count()}});
        });
    server.route(
        Method::kGet, "/agent/v1/assignments", agent,
        [this](const httplib::Request& req, httplib::Response& res, const common::RequestContext&) {
            const auto node = req.get_param_value("node");
            const auto boot_id = req.get_param_value("boot_id");
            std::int64_t wait_ms = 0;
            const auto wait_text = req.get_param_value("wait_ms");
            if (!wait_text.empty() && wait_text.size() < 9 &&
                std::all_of(wait_text.begin(), wait_text.end(),
                            [](char c) { return c >= '0' && c <= '9'; })) {
                wait_ms = std::stoll(wait_text);
            }
            if (node.empty() || boot_id.empty()) {
                common::write_error(
                    res, Error{ErrorCode::kInvalidInput, "node and boot_id are required"});
                return;
            }
            reply(res, assignments(node, boot_id, std::chrono::milliseconds(wait_ms)));
        });
    server.route(
        Method::kPost, "/agent/v1/progress", agent,
        [this, parse_body](const httplib::Request& req, httplib::Response& res,
                           const common::RequestContext&) {
            auto body = parse_body(req);
            auto report = body ? parse_progress(*body) : Result<Progress>(body.error());
            if (!report) {
                common::write_error(res, report.error());
                return;
            }
            auto applied = progress(*report);
            reply(res, applied ? Result<json>(json{{"accepted", *applied}}) : applied.error());
        });
}

}  // namespace aiops::preheat
