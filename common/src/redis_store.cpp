#include "redis_store.h"

#include <algorithm>
#include <charconv>

namespace aiops::common {
namespace {

Result<std::int64_t> to_int(const RedisValue& value) {
    if (value.kind == RedisValue::Kind::kInteger) {
        return static_cast<std::int64_t>(value.integer);
    }
    std::int64_t number = 0;
    const auto* end = value.text.data() + value.text.size();
    const auto [ptr, ec] = std::from_chars(value.text.data(), end, number);
    if (value.kind != RedisValue::Kind::kString || ec != std::errc() || ptr != end) {
        return Error{ErrorCode::kInternal, "redis returned a malformed number"};
    }
    return number;
}

// "<version> <json>" → Document.
Result<Document> decode_document(std::string id, const std::string& stored) {
    const auto space = stored.find(' ');
    if (space == std::string::npos) {
        return Error{ErrorCode::kInternal, "stored document is malformed"};
    }
    std::int64_t version = 0;
    const auto [ptr, ec] = std::from_chars(stored.data(), stored.data() + space, version);
    auto body = nlohmann::json::parse(std::string_view(stored).substr(space + 1), nullptr, false);
    if (ec != std::errc() || ptr != stored.data() + space || body.is_discarded()) {
        return Error{ErrorCode::kInternal, "stored document is malformed"};
    }
    return Document{std::move(id), version, std::move(body)};
}

std::string_view mode_name(Store::WriteMode mode) {
    switch (mode) {
        case Store::WriteMode::kCreate: return "create";
        case Store::WriteMode::kCompareAndSet: return "cas";
        case Store::WriteMode::kPut: break;
    }
    return "put";
}

Result<std::vector<std::string>> to_strings(Result<RedisValue> reply) {
    if (!reply) {
        return reply.error();
    }
    std::vector<std::string> members;
    for (auto& element : reply->elements) {
        members.push_back(std::move(element.text));
    }
    std::sort(members.begin(), members.end());
    return members;
}

}  // namespace

Result<std::unique_ptr<Store>> open_redis_store(const StorageSettings& settings,
                                                const Clock& clock) {
    auto store = RedisStore::open(settings, clock);
    if (!store) {
        return store.error();
    }
    return std::unique_ptr<Store>(std::move(store).value());
}

Result<std::unique_ptr<RedisStore>> RedisStore::open(const StorageSettings& settings,
                                                     const Clock& clock) {
    auto endpoint = parse_redis_url(settings.url);
    if (!endpoint) {
        return endpoint.error();
    }
    if (!settings.password.empty()) {
        endpoint->password = settings.password;
    }
    if (settings.pool_size == 0) {
        return Error{ErrorCode::kInvalidInput, "storage pool_size must be at least 1"};
    }
    auto store =
        std::make_unique<RedisStore>(PrivateTag{}, std::move(endpoint).value(), settings, clock);
    if (auto ok = store->ping(); !ok) {
        return ok.error();
    }
    return store;
}

RedisStore::RedisStore(PrivateTag /*unused*/, RedisEndpoint endpoint,
                       const StorageSettings& settings, const Clock& clock)
    : Store(settings.max_document_bytes),
      client_(std::move(endpoint), settings.pool_size, settings.timeout),
      prefix_(settings.key_prefix),
      policy_(settings.queue),
      clock_(clock) {}

std::string RedisStore::now_ms() const {
    return std::to_string(
        std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now().time_since_epoch())
            .count());
}

std::string RedisStore::key(std::string_view kind, std::string_view name) const {
    return prefix_ + std::string(kind) + ":" + std::string(name);
}

Status RedisStore::ping() {
    auto reply = client_.command({"PING"});
    if (!reply) {
        return reply.error();
    }
    return {};
}

Result<std::int64_t> RedisStore::write_document(const WriteRequest& request) {
    auto reply =
        client_.eval(write_, {key("doc", request.collection), key("ids", request.collection)},
                     {std::string(request.id), request.body, std::string(mode_name(request.mode)),
                      std::to_string(request.expected_version)});
    if (!reply) {
        return reply.error();
    }
    return to_int(*reply);
}

Result<Document> RedisStore::read_document(std::string_view collection, std::string_view id) {
    auto reply = client_.command({"HGET", key("doc", collection), std::string(id)});
    if (!reply) {
        return reply.error();
    }
    if (reply->kind == RedisValue::Kind::kNil) {
        return Error{ErrorCode::kNotFound, "document not found"};
    }
    return decode_document(std::string(id), reply->text);
}

Result<std::vector<Document>> RedisStore::read_documents(std::string_view collection,
                                                         const std::vector<std::string>& ids) {
    std::vector<std::string> args{"HMGET", key("doc", collection)};
    args.insert(args.end(), ids.begin(), ids.end());
    auto reply = client_.command(args);
    if (!reply) {
        return reply.error();
    }
    if (reply->kind != RedisValue::Kind::kArray || reply->elements.size() != ids.size()) {
        return Error{ErrorCode::kInternal, "redis returned a malformed HMGET reply"};
    }
    std::vector<Document> documents;
    for (std::size_t index = 0; index < ids.size(); ++index) {
        const auto& element = reply->elements[index];
        if (element.kind == RedisValue::Kind::kNil) {
            continue;
        }
        auto document = decode_document(ids[index], element.text);
        if (!document) {
            return document.error();
        }
        documents.push_back(std::move(document).value());
    }
    return documents;
}

Status RedisStore::erase_document(std::string_view collection, std::string_view id) {
    auto reply =
        client_.eval(erase_, {key("doc", collection), key("ids", collection)}, {std::string(id)});
    if (!reply) {
        return reply.error();
    }
    if (reply->integer == 0) {
        return Error{ErrorCode::kNotFound, "document not found"};
    }
    return {};
}

Result<ScanPage> RedisStore::scan_after(std::string_view collection, std::string_view after_id,
                                        std::size_t limit) {
    auto reply = client_.eval(scan_, {key("doc", collection), key("ids", collection)},
                              {std::string(after_id), std::to_string(limit)});
    if (!reply) {
        return reply.error();
    }
    ScanPage page;
    const auto& items = reply->elements;
    for (std::size_t index = 0; index + 1 < items.size(); index += 2) {
        auto document = decode_document(items[index].text, items[index + 1].text);
        if (!document) {
            return document.error();
        }
        page.documents.push_back(std::move(document).value());
    }
    return page;
}

Status RedisStore::change_set(std::string_view set, std::string_view member, bool add) {
    auto reply = client_.command({add ? "SADD" : "SREM", key("set", set), std::string(member)});
    if (!reply) {
        return reply.error();
    }
    return {};
}

Result<std::vector<std::string>> RedisStore::intersect_valid(const std::vector<std::string>& sets) {
    std::vector<std::string> args{"SINTER"};
    for (const auto& set : sets) {
        args.push_back(key("set", set));
    }
    return to_strings(client_.command(args));
}

}  // namespace aiops::common
