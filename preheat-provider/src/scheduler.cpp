#include "scheduler.h"

#include <algorithm>
#include <set>

namespace aiops::preheat {

using common::Error;
using common::ErrorCode;
using common::Result;
using json = nlohmann::json;

namespace {

constexpr std::size_t kMaxUrlBytes = 2048;
constexpr std::size_t kMaxBootIdBytes = 64;
constexpr std::size_t kMaxErrorBytes = 1024;

Error bad(const std::string& field, const std::string& why) {
    return Error{ErrorCode::kInvalidInput, field + ": " + why};
}

bool is_name(std::string_view text, std::size_t max_bytes) {
    if (text.empty() || text.size() > max_bytes) {
        return false;
    }
    return std::all_of(text.begin(), text.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '-' || c == '_';
    });
}

bool is_printable(std::string_view text) {
    return std::all_of(text.begin(), text.end(),
                       [](char c) { return static_cast<unsigned char>(c) >= 0x20 && c != 0x7f; });
}

// A string member, "" when absent; an error when present and not a string or too long.
Result<std::string> string_field(const json& body, const char* key, std::size_t max_bytes) {
    const auto found = body.find(key);
    if (found == body.end() || found->is_null()) {
        return std::string{};
    }
    if (!found->is_string()) {
        return bad(key, "expected a string");
    }
    auto text = found->get<std::string>();
    if (text.size() > max_bytes || !is_printable(text)) {
        return bad(key,
                   "longer than " + std::to_string(max_bytes) + " bytes or has control characters");
    }
    return text;
}

Result<std::uint64_t> count_field(const json& body, const char* key) {
    const auto found = body.find(key);
    if (found == body.end() || found->is_null()) {
        return std::uint64_t{0};
    }
    if (!found->is_number_unsigned() && !(found->is_number_integer() && found->get<long>() >= 0)) {
        return bad(key, "expected a non-negative integer");
    }
    return found->get<std::uint64_t>();
}

std::string shorten(std::string text) {
    if (text.size() > kMaxErrorBytes) {
        text.resize(kMaxErrorBytes);
    }
    return text;
}

bool is_final(TaskState state) {
    return state == TaskState::kSucceeded || state == TaskState::kFailed;
}

PeerState peer_state(const NodeTask& peer, const NodeTask& asking, const Agents& agents,
                     std::int64_t now_ms, const SchedulerSettings& settings) {
    const auto agent = agents.find(peer.node);
    const bool bad_source = std::find(asking.bad_sources.begin(), asking.bad_sources.end(),
                                      peer.node) != asking.bad_sources.end();
    if (agent == agents.end() || !agent_alive(agent->second, now_ms, settings) || bad_source ||
        peer.state == TaskState::kFailed || agent->second.peer_url.empty()) {
        return PeerState::kUnusable;
    }
    switch (peer.state) {
        case TaskState::kSucceeded: return PeerState::kHolds;
        case TaskState::kRunning: return PeerState::kReceiving;
        case TaskState::kPending: return PeerState::kNotStarted;
        case TaskState::kFailed: return PeerState::kUnusable;
    }
    return PeerState::kUnusable;
}

void fail_unfinished(PreheatJob& job, const std::string& description) {
    for (auto& blob : job.blobs) {
        for (auto& task : blob.tasks) {
            if (!is_final(task.state)) {
                task.state = TaskState::kFailed;
                task.error = description;
                task.source.clear();
            }
        }
    }
}

}  // namespace

Result<AgentRecord> parse_heartbeat(const json& body, const HeartbeatLimits& limits) {
    if (!body.is_object()) {
        return bad("body", "expected a JSON object");
    }
    AgentRecord agent;
    auto name = string_field(body, "name", limits.max_name_bytes);
    if (!name || !is_name(*name, limits.max_name_bytes)) {
        return bad("name", "required: 1-" + std::to_string(limits.max_name_bytes) +
                               " characters of [A-Za-z0-9._-]");
    }
    agent.name = std::move(*name);
    auto hostname = string_field(body, "hostname", limits.max_name_bytes);
    auto ip = string_field(body, "ip", 64);
    auto peer_url = string_field(body, "peer_url", kMaxUrlBytes);
    auto boot_id = string_field(body, "boot_id", kMaxBootIdBytes);
    auto free_bytes = count_field(body, "free_bytes");
    auto cache_bytes = count_field(body, "cache_bytes");
    for (const auto* field : {&hostname, &ip, &peer_url, &boot_id}) {
        if (!*field) {
            return field->error();
        }
    }
    if (!free_bytes || !cache_bytes) {
        return !free_bytes ? free_bytes.error() : cache_bytes.error();
    }
    if (!is_name(*boot_id, kMaxBootIdBytes)) {
        return bad("boot_id", "required: 1-64 characters of [A-Za-z0-9._-]");
    }
    if (!peer_url->empty() && peer_url->rfind("http://", 0) != 0 &&
        peer_url->rfind("https://", 0) != 0) {
        return bad("peer_url", "expected an http:// or https:// URL");
    }
    while (!peer_url->empty() && peer_url->back() == '/') {
        peer_url->pop_back();
    }
    agent.hostname = hostname->empty() ? agent.name : std::move(*hostname);
    agent.ip = std::move(*ip);
    agent.peer_url = std::move(*peer_url);
    agent.boot_id = std::move(*boot_id);
    agent.free_bytes = *free_bytes;
    agent.cache_bytes = *cache_bytes;
    if (const auto labels = body.find("labels"); labels != body.end() && !labels->is_null()) {
        if (!labels->is_object() || labels->size() > limits.max_labels) {
            return bad("labels", "expected an object of at most " +
                                     std::to_string(limits.max_labels) + " string labels");
        }
        for (const auto& [key, value] : labels->items()) {
            if (!is_name(key, limits.max_label_bytes) || !value.is_string() ||
                value.get_ref<const std::string&>().size() > limits.max_label_bytes ||
                !is_printable(value.get_ref<const std::string&>())) {
                return bad("labels." + key.substr(0, 64),
                           "label names are [A-Za-z0-9._-], values printable strings of at most " +
                               std::to_string(limits.max_label_bytes) + " bytes");
            }
            agent.labels[key] = value.get<std::string>();
        }
    }
    return agent;
}

json to_json(const AgentRecord& agent) {
    return {{"name", agent.name},
            {"hostname", agent.hostname},
            {"ip", agent.ip},
            {"peer_url", agent.peer_url},
            {"boot_id", agent.boot_id},
            {"labels", agent.labels},
            {"free_bytes", agent.free_bytes},
            {"cache_bytes", agent.cache_bytes},
            {"last_seen_ms", agent.last_seen_ms}};
}

Result<AgentRecord> agent_from_json(const json& stored) {
    try {
        AgentRecord agent;
        agent.name = stored.at("name").get<std::string>();
        agent.hostname = stored.value("hostname", "");
        agent.ip = stored.value("ip", "");
        agent.peer_url = stored.value("peer_url", "");
        agent.boot_id = stored.value("boot_id", "");
        agent.labels = stored.value("labels", Labels{});
        agent.free_bytes = stored.value("free_bytes", std::uint64_t{0});
        agent.cache_bytes = stored.value("cache_bytes", std::uint64_t{0});
        agent.last_seen_ms = stored.value("last_seen_ms", std::int64_t{0});
        return agent;
    } catch (const json::exception& error) {
        return Error{ErrorCode::kInternal,
                     std::string("stored agent is malformed: ") + error.what()};
    }
}

bool agent_alive(const AgentRecord& agent, std::int64_t now_ms, const SchedulerSettings& settings) {
    return now_ms - agent.last_seen_ms <= settings.agent_ttl.count();
}

std::vector<Assignment> take_assignments(PreheatJob& job, std::string_view node,
                                         const Agents& agents, std::int64_t now_ms,
                                         const SchedulerSettings& settings) {
    std::vector<Assignment> out;
    const auto self = agents.find(node);
    if (self == agents.end() || !agent_alive(self->second, now_ms, settings)) {
        return out;
    }
    for (auto& blob : job.blobs) {
        std::vector<int> parents;
        parents.reserve(blob.tasks.size());
        for (const auto& task : blob.tasks) {
            parents.push_back(task.parent);
        }
        for (std::size_t index = 0; index < blob.tasks.size(); ++index) {
            auto& task = blob.tasks[index];
            if (task.node != node || task.state != TaskState::kPending) {
                continue;
            }
            std::vector<PeerState> peers;
            peers.reserve(blob.tasks.size());
            for (const auto& peer : blob.tasks) {
                peers.push_back(peer_state(peer, task, agents, now_ms, settings));
            }
            const int source = choose_source(parents, static_cast<int>(index), peers);
            if (source == kWaitForPeer) {
                continue;
            }
            Assignment assignment{job.id,    blob.digest,
                                  blob.size, std::string(kRegistrySource),
                                  blob.url,  job.request.authorization};
            if (source != kFromRegistry) {
                const auto& peer = blob.tasks[static_cast<std::size_t>(source)];
                assignment.source = peer.node;
                assignment.url = agents.find(peer.node)->second.peer_url + "/blobs/" + blob.digest;
                assignment.authorization.clear();
            }
            task.state = TaskState::kRunning;
            task.source = assignment.source;
            task.boot_id = self->second.boot_id;
            task.hostname = self->second.hostname;
            task.ip = self->second.ip;
            task.bytes = 0;
            task.lease_until_ms = now_ms + settings.task_lease.count();
            ++task.attempts;
            out.push_back(std::move(assignment));
        }
    }
    return out;
}

Result<Progress> parse_progress(const json& body) {
    if (!body.is_object()) {
        return bad("body", "expected a JSON object");
    }
    Progress progress;
    auto node = string_field(body, "node", 253);
    auto boot_id = string_field(body, "boot_id", kMaxBootIdBytes);
    auto digest = string_field(body, "digest", 200);
    auto state = string_field(body, "state", 16);
    auto error = string_field(body, "error", 64U << 10);
    auto bytes = count_field(body, "bytes");
    for (const auto* field : {&node, &boot_id, &digest, &state, &error}) {
        if (!*field) {
            return field->error();
        }
    }
    if (!bytes) {
        return bytes.error();
    }
    if (!is_name(*node, 253) || !is_name(*boot_id, kMaxBootIdBytes) || digest->empty()) {
        return bad("node, boot_id, digest", "required");
    }
    const auto job = body.find("job");
    if (job == body.end() || !job->is_number_integer() || job->get<std::int64_t>() <= 0) {
        return bad("job", "expected a positive integer");
    }
    if (*state == "running") {
        progress.state = TaskState::kRunning;
    } else if (*state == "succeeded") {
        progress.state = TaskState::kSucceeded;
    } else if (*state == "failed") {
        progress.state = TaskState::kFailed;
    } else {
        return bad("state", "expected running, succeeded or failed");
    }
    const auto flag = [&](const char* key) {
        const auto found = body.find(key);
        return found != body.end() && found->is_boolean() && found->get<bool>();
    };
    progress.node = std::move(*node);
    progress.boot_id = std::move(*boot_id);
    progress.job = job->get<std::int64_t>();
    progress.digest = std::move(*digest);
    progress.bytes = *bytes;
    progress.error = shorten(std::move(*error));
    progress.source_failed = flag("source_failed");
    progress.retryable = flag("retryable");
    progress.credential_rejected = flag("credential_rejected");
    return progress;
}

bool apply_progress(PreheatJob& job, const Progress& progress, std::int64_t now_ms,
                    const SchedulerSettings& settings) {
    for (auto& blob : job.blobs) {
        if (blob.digest != progress.digest) {
            continue;
        }
        for (auto& task : blob.tasks) {
            if (task.node != progress.node || task.state != TaskState::kRunning ||
                task.boot_id != progress.boot_id) {
                continue;
            }
            switch (progress.state) {
                case TaskState::kPending:
                case TaskState::kRunning:
                    task.bytes = std::min(progress.bytes, blob.size);
                    task.lease_until_ms = now_ms + settings.task_lease.count();
                    break;
                case TaskState::kSucceeded:
                    task.state = TaskState::kSucceeded;
                    task.bytes = blob.size;
                    task.error.clear();
                    break;
                case TaskState::kFailed: {
                    const std::string description =
                        progress.error.empty() ? "failed" : progress.error;
                    if (progress.source_failed && task.source != kRegistrySource &&
                        std::find(task.bad_sources.begin(), task.bad_sources.end(), task.source) ==
                            task.bad_sources.end()) {
                        task.bad_sources.push_back(task.source);
                    }
                    const bool again = (progress.source_failed || progress.retryable) &&
                                       task.attempts < settings.max_attempts;
                    task.state = again ? TaskState::kPending : TaskState::kFailed;
                    task.error = again ? "retrying after: " + description
                                       : description + " (after " + std::to_string(task.attempts) +
                                             " attempt" + (task.attempts == 1 ? "" : "s") + ")";
                    task.source.clear();
                    if (progress.credential_rejected) {
                        fail_unfinished(job, description);
                    }
                    break;
                }
            }
            return true;
        }
    }
    return false;
}

bool sweep(PreheatJob& job, const Agents& agents, std::int64_t now_ms,
           const SchedulerSettings& settings) {
    bool changed = false;
    const bool expired = job.deadline_ms > 0 && now_ms > job.deadline_ms;
    for (auto& blob : job.blobs) {
        for (auto& task : blob.tasks) {
            if (is_final(task.state)) {
                continue;
            }
            const auto agent = agents.find(task.node);
            if (expired) {
                task.state = TaskState::kFailed;
                task.error = "the job's deadline passed before this node had the blob";
            } else if (agent == agents.end() || !agent_alive(agent->second, now_ms, settings)) {
                const auto silent_s =
                    agent == agents.end() ? -1 : (now_ms - agent->second.last_seen_ms) / 1000;
                task.state = TaskState::kFailed;
                task.error =
                    "agent " + task.node + " lost: no heartbeat" +
                    (silent_s < 0 ? std::string() : " for " + std::to_string(silent_s) + " s");
            } else if (task.state == TaskState::kRunning && agent->second.boot_id != task.boot_id) {
                const bool again = task.attempts < settings.max_attempts;
                task.state = again ? TaskState::kPending : TaskState::kFailed;
                task.error = "agent " + task.node + " restarted during the transfer";
                task.source.clear();
            } else if (task.state == TaskState::kRunning && task.lease_until_ms > 0 &&
                       now_ms > task.lease_until_ms) {
                const bool again = task.attempts < settings.max_attempts;
                task.state = again ? TaskState::kPending : TaskState::kFailed;
                task.error = "no progress from agent " + task.node + " for " +
                             std::to_string(settings.task_lease.count() / 1000) + " s";
                task.source.clear();
            } else {
                continue;
            }
            changed = true;
        }
    }
    return changed;
}

std::vector<std::string> job_nodes(const PreheatJob& job) {
    std::set<std::string> nodes;
    for (const auto& blob : job.blobs) {
        for (const auto& task : blob.tasks) {
            nodes.insert(task.node);
        }
    }
    return {nodes.begin(), nodes.end()};
}

}  // namespace aiops::preheat
