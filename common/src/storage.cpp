#include "aiops/common/storage.h"

namespace aiops::common {
namespace {

constexpr std::size_t kMaxNameBytes = 200;
constexpr std::size_t kMaxIdBytes = 512;
constexpr std::size_t kMaxScanLimit = 1000;
constexpr std::size_t kMaxIntersectSets = 16;

Status check_text(std::string_view what, std::string_view text, std::size_t max_bytes) {
    if (text.empty()) {
        return Error{ErrorCode::kInvalidInput, std::string(what) + " is empty"};
    }
    if (text.size() > max_bytes) {
        return Error{ErrorCode::kInvalidInput,
                     std::string(what) + " is longer than " + std::to_string(max_bytes) + " bytes"};
    }
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7f) {
            return Error{ErrorCode::kInvalidInput, std::string(what) + " has a control character"};
        }
    }
    return {};
}

Status check_name(std::string_view what, std::string_view name) {
    return check_text(what, name, kMaxNameBytes);
}

Status check_id(std::string_view what, std::string_view id) {
    return check_text(what, id, kMaxIdBytes);
}

Status check_pair(std::string_view collection, std::string_view id) {
    if (auto ok = check_name("collection", collection); !ok) {
        return ok;
    }
    return check_id("id", id);
}

Status check_job_ref(std::string_view queue, std::string_view job_id) {
    if (auto ok = check_name("queue", queue); !ok) {
        return ok;
    }
    return check_id("job id", job_id);
}

Status check_job(const Job& job) {
    if (auto ok = check_name("queue", job.queue); !ok) {
        return ok;
    }
    if (job.attempt < 1) {
        return Error{ErrorCode::kInvalidInput, "job was not leased"};
    }
    return check_id("job id", job.id);
}

constexpr std::string_view kHexDigits = "0123456789abcdef";

std::string hex_encode(std::string_view bytes) {
    std::string out;
    out.reserve(bytes.size() * 2);
    for (const char c : bytes) {
        const auto byte = static_cast<unsigned char>(c);
        out += kHexDigits[byte >> 4];
        out += kHexDigits[byte & 0x0f];
    }
    return out;
}

Result<std::string> hex_decode(std::string_view hex) {
    if (hex.size() % 2 != 0 || hex.size() > 2 * kMaxIdBytes) {
        return Error{ErrorCode::kInvalidInput, "malformed scan cursor"};
    }
    std::string out;
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        const auto high = kHexDigits.find(hex[i]);
        const auto low = kHexDigits.find(hex[i + 1]);
        if (high == std::string_view::npos || low == std::string_view::npos) {
            return Error{ErrorCode::kInvalidInput, "malformed scan cursor"};
        }
        out += static_cast<char>((high << 4) | low);
    }
    return out;
}

}  // namespace

Result<std::string> Store::serialise(const nlohmann::json& body) const {
    std::string text = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (text.size() > max_document_bytes_) {
        return Error{ErrorCode::kTooLarge,
                     "document is larger than " + std::to_string(max_document_bytes_) + " bytes"};
    }
    return text;
}

Result<std::int64_t> Store::put(std::string_view collection, std::string_view id,
                                const nlohmann::json& body) {
    return write_checked(collection, id, WriteMode::kPut, 0, body);
}

Result<std::int64_t> Store::create(std::string_view collection, std::string_view id,
                                   const nlohmann::json& body) {
    return write_checked(collection, id, WriteMode::kCreate, 0, body);
}

Result<std::int64_t> Store::compare_and_set(std::string_view collection, std::string_view id,
                                            std::int64_t expected_version,
                                            const nlohmann::json& body) {
    if (expected_version < 0) {
        return Error{ErrorCode::kInvalidInput, "expected version is negative"};
    }
    return write_checked(collection, id, WriteMode::kCompareAndSet, expected_version, body);
}

Result<std::int64_t> Store::write_checked(std::string_view collection, std::string_view id,
                                          WriteMode mode, std::int64_t expected_version,
                                          const nlohmann::json& body) {
    if (auto ok = check_pair(collection, id); !ok) {
        return ok.error();
    }
    auto text = serialise(body);
    if (!text) {
        return text.error();
    }
    return write_document({.collection = collection,
                           .id = id,
                           .mode = mode,
                           .expected_version = expected_version,
                           .body = std::move(text).value()});
}

Result<Document> Store::get(std::string_view collection, std::string_view id) {
    if (auto ok = check_pair(collection, id); !ok) {
        return ok.error();
    }
    return read_document(collection, id);
}

Result<std::vector<Document>> Store::get_many(std::string_view collection,
                                              const std::vector<std::string>& ids) {
    if (ids.size() > kMaxScanLimit) {
        return Error{ErrorCode::kInvalidInput,
                     "get_many takes at most " + std::to_string(kMaxScanLimit) + " ids"};
    }
    for (const auto& id : ids) {
        if (auto ok = check_pair(collection, id); !ok) {
            return ok.error();
        }
    }
    if (ids.empty()) {
        return std::vector<Document>{};
    }
    return read_documents(collection, ids);
}

Status Store::erase(std::string_view collection, std::string_view id) {
    if (auto ok = check_pair(collection, id); !ok) {
        return ok;
    }
    return erase_document(collection, id);
}

Result<ScanPage> Store::scan(std::string_view collection, std::string_view cursor,
                             std::size_t limit) {
    if (auto ok = check_name("collection", collection); !ok) {
        return ok.error();
    }
    if (limit < 1 || limit > kMaxScanLimit) {
        return Error{ErrorCode::kInvalidInput,
                     "scan limit must be 1.." + std::to_string(kMaxScanLimit)};
    }
    auto after_id = hex_decode(cursor);
    if (!after_id) {
        return after_id.error();
    }
    auto page = scan_after(collection, *after_id, limit);
    if (page && page->documents.size() == limit) {
        page->next_cursor = hex_encode(page->documents.back().id);
    }
    return page;
}

std::string Store::cursor_after(std::string_view id) { return hex_encode(id); }

Status Store::add_to_set(std::string_view set, std::string_view member) {
    if (auto ok = check_name("set", set); !ok) {
        return ok;
    }
    if (auto ok = check_id("member", member); !ok) {
        return ok;
    }
    return change_set(set, member, true);
}

Status Store::remove_from_set(std::string_view set, std::string_view member) {
    if (auto ok = check_name("set", set); !ok) {
        return ok;
    }
    if (auto ok = check_id("member", member); !ok) {
        return ok;
    }
    return change_set(set, member, false);
}

Result<std::vector<std::string>> Store::set_members(std::string_view set) {
    return intersect_sets({std::string(set)});
}

Result<std::vector<std::string>> Store::intersect_sets(const std::vector<std::string>& sets) {
    if (sets.empty() || sets.size() > kMaxIntersectSets) {
        return Error{ErrorCode::kInvalidInput,
                     "intersect 1.." + std::to_string(kMaxIntersectSets) + " sets"};
    }
    for (const auto& set : sets) {
        if (auto ok = check_name("set", set); !ok) {
            return ok.error();
        }
    }
    return intersect_valid(sets);
}

Result<EnqueueResult> Store::enqueue(std::string_view queue, std::string_view idempotency_key,
                                     const nlohmann::json& payload) {
    if (auto ok = check_name("queue", queue); !ok) {
        return ok.error();
    }
    if (auto ok = check_id("idempotency key", idempotency_key); !ok) {
        return ok.error();
    }
    auto text = serialise(payload);
    if (!text) {
        return text.error();
    }
    return enqueue_job(queue, idempotency_key, std::move(text).value());
}

Result<std::optional<Job>> Store::lease(std::string_view queue,
                                        std::chrono::milliseconds visibility_timeout) {
    if (auto ok = check_name("queue", queue); !ok) {
        return ok.error();
    }
    if (visibility_timeout <= std::chrono::milliseconds::zero()) {
        return Error{ErrorCode::kInvalidInput, "visibility timeout must be positive"};
    }
    return lease_job(queue, visibility_timeout);
}

Status Store::ack(const Job& job) {
    if (auto ok = check_job(job); !ok) {
        return ok;
    }
    return finish_job(job, true, {}, {});
}

Status Store::retry(const Job& job, std::string_view error, std::chrono::milliseconds delay) {
    if (auto ok = check_job(job); !ok) {
        return ok;
    }
    if (delay < std::chrono::milliseconds::zero()) {
        return Error{ErrorCode::kInvalidInput, "retry delay is negative"};
    }
    const std::string_view message = error.empty() ? std::string_view("failed") : error;
    return finish_job(job, false, message.substr(0, kMaxIdBytes), delay);
}

Result<std::vector<Job>> Store::dead_letters(std::string_view queue, std::size_t limit) {
    if (auto ok = check_name("queue", queue); !ok) {
        return ok.error();
    }
    if (limit < 1 || limit > kMaxScanLimit) {
        return Error{ErrorCode::kInvalidInput, "limit must be 1.." + std::to_string(kMaxScanLimit)};
    }
    return list_dead(queue, limit);
}

Status Store::requeue_dead(std::string_view queue, std::string_view job_id) {
    if (auto ok = check_job_ref(queue, job_id); !ok) {
        return ok;
    }
    return requeue_dead_job(queue, job_id);
}

Status Store::discard_dead(std::string_view queue, std::string_view job_id) {
    if (auto ok = check_job_ref(queue, job_id); !ok) {
        return ok;
    }
    return discard_dead_job(queue, job_id);
}

Result<QueueStats> Store::queue_stats(std::string_view queue) {
    if (auto ok = check_name("queue", queue); !ok) {
        return ok.error();
    }
    return stats(queue);
}

}  // namespace aiops::common
