#include "sqlite_store.h"

#include <algorithm>
#include <iterator>

namespace aiops::common {
namespace {

// Version 1 of the schema. Times are milliseconds since the Unix epoch from the injected Clock.
// jobs.state: 0 waiting (ready once due_ms has passed), 1 leased until due_ms, 2 dead since due_ms.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS documents(
    collection TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (collection, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS set_members(
    name TEXT NOT NULL, member TEXT NOT NULL, PRIMARY KEY (name, member)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS jobs(
    id INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT NOT NULL, idempotency_key TEXT NOT NULL,
    payload TEXT NOT NULL, attempt INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '', state INTEGER NOT NULL DEFAULT 0,
    due_ms INTEGER NOT NULL, enqueued_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS jobs_by_due ON jobs(queue, state, due_ms, id);
CREATE TABLE IF NOT EXISTS dedup(
    queue TEXT NOT NULL, idempotency_key TEXT NOT NULL, job_id INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL, PRIMARY KEY (queue, idempotency_key)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS dedup_by_expiry ON dedup(expires_ms);
PRAGMA user_version = 1;
)sql";

Result<nlohmann::json> parse_stored(const std::string& text) {
    auto body = nlohmann::json::parse(text, nullptr, false);
    if (body.is_discarded()) {
        return Error{ErrorCode::kInternal, "stored document is not valid JSON"};
    }
    return body;
}

Status check_write(const Store::WriteRequest& request, std::int64_t current) {
    using Mode = Store::WriteMode;
    if (request.mode == Mode::kCreate && current > 0) {
        return Error{ErrorCode::kConflict, "document already exists"};
    }
    if (request.mode != Mode::kCompareAndSet || current == request.expected_version) {
        return {};
    }
    if (current == 0) {
        return Error{ErrorCode::kNotFound, "document not found"};
    }
    return Error{ErrorCode::kConflict, "document version is " + std::to_string(current) +
                                           ", expected " +
                                           std::to_string(request.expected_version)};
}

}  // namespace

Result<std::unique_ptr<Store>> open_sqlite_store(const std::filesystem::path& path,
                                                 const StorageSettings& settings,
                                                 const Clock& clock) {
    auto store = SqliteStore::open(path, settings, clock);
    if (!store) {
        return store.error();
    }
    return std::unique_ptr<Store>(std::move(store).value());
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::filesystem::path& path,
                                                       const StorageSettings& settings,
                                                       const Clock& clock) {
    auto db = SqliteDb::open(path, settings.timeout);
    if (!db) {
        return db.error();
    }
    if (auto ok = db->exec("PRAGMA synchronous=FULL"); !ok) {
        return ok.error();
    }
    if (auto ok = db->exec(kSchema); !ok) {
        return ok.error();
    }
    return std::make_unique<SqliteStore>(PrivateTag{}, std::move(db).value(), settings, clock);
}

std::int64_t SqliteStore::now_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now().time_since_epoch())
        .count();
}

void SqliteStore::run_group(GroupTask& task) {
    std::unique_lock lock(group_mutex_);
    group_pending_.push_back(&task);
    while (!task.done) {
        if (group_leader_) {
            group_done_.wait(lock);
            continue;
        }
        group_leader_ = true;
        std::vector<GroupTask*> batch;
        batch.swap(group_pending_);
        lock.unlock();
        {
            std::scoped_lock db_lock(mutex_);
            if (auto begun = db_.exec("BEGIN IMMEDIATE"); !begun) {
                for (auto* pending : batch) {
                    pending->fail(begun.error());
                }
            } else {
                for (auto* pending : batch) {
                    auto saved = db_.exec("SAVEPOINT grouped");
                    if (!saved) {
                        pending->fail(saved.error());
                        continue;
                    }
                    if (!pending->run()) {
                        (void)db_.exec("ROLLBACK TO grouped");
                    }
                    (void)db_.exec("RELEASE grouped");
                }
                if (auto committed = db_.exec("COMMIT"); !committed) {
                    (void)db_.exec("ROLLBACK");
                    for (auto* pending : batch) {
                        pending->fail(committed.error());
                    }
                }
            }
        }
        lock.lock();
        for (auto* pending : batch) {
            pending->done = true;
        }
        group_leader_ = false;
        group_done_.notify_all();
    }
}

Status SqliteStore::ping() {
    std::scoped_lock lock(mutex_);
    auto one = db_.first_int("SELECT 1", {});
    if (!one) {
        return one.error();
    }
    return {};
}

Result<std::int64_t> SqliteStore::write_document(const WriteRequest& request) {
    return grouped([&] { return write_locked(request); });
}

Result<std::int64_t> SqliteStore::write_locked(const WriteRequest& request) {
    auto current = db_.first_int("SELECT version FROM documents WHERE collection = ? AND id = ?",
                                 {request.collection, request.id});
    if (!current) {
        return current.error();
    }
    const std::int64_t version = current->value_or(0);
    if (auto ok = check_write(request, version); !ok) {
        return ok.error();
    }
    auto written = db_.run(
        "INSERT INTO documents(collection, id, version, body) VALUES(?, ?, ?, ?) "
        "ON CONFLICT(collection, id) DO UPDATE SET version = excluded.version, "
        "body = excluded.body",
        {request.collection, request.id, version + 1, request.body});
    if (!written) {
        return written.error();
    }
    return version + 1;
}

Result<Document> SqliteStore::read_document(std::string_view collection, std::string_view id) {
    std::int64_t version = 0;
    std::string text;
    {
        std::scoped_lock lock(mutex_);
        auto query =
            db_.query("SELECT version, body FROM documents WHERE collection = ? AND id = ?",
                      {collection, id});
        if (!query) {
            return query.error();
        }
        auto row = query->next();
        if (!row) {
            return row.error();
        }
        if (!*row) {
            return Error{ErrorCode::kNotFound, "document not found"};
        }
        version = query->int_at(0);
        text = query->text_at(1);
    }
    auto body = parse_stored(text);  // outside the lock: readers parse in parallel
    if (!body) {
        return body.error();
    }
    return Document{std::string(id), version, std::move(body).value()};
}

Result<std::vector<Document>> SqliteStore::read_documents(std::string_view collection,
                                                          const std::vector<std::string>& ids) {
    // One statement for any number of ids: the ids travel as a JSON array and json_each keeps
    // their order (its key is the array index). Rows are copied out under the connection's lock
    // and parsed after it, so readers parse in parallel.
    const std::string id_array = nlohmann::json(ids).dump();
    struct Row {
        std::string id;
        std::int64_t version = 0;
        std::string body;
    };
    std::vector<Row> rows;
    {
        std::scoped_lock lock(mutex_);
        auto query = db_.query(
            "SELECT d.id, d.version, d.body FROM json_each(?) AS j JOIN documents AS d "
            "ON d.collection = ? AND d.id = j.value ORDER BY j.key",
            {id_array, collection});
        if (!query) {
            return query.error();
        }
        for (;;) {
            auto row = query->next();
            if (!row) {
                return row.error();
            }
            if (!*row) {
                break;
            }
            rows.push_back(Row{query->text_at(0), query->int_at(1), query->text_at(2)});
        }
    }
    std::vector<Document> documents;
    documents.reserve(rows.size());
    for (auto& row : rows) {
        auto body = parse_stored(row.body);
        if (!body) {
            return body.error();
        }
        documents.push_back(Document{std::move(row.id), row.version, std::move(body).value()});
    }
    return documents;
}

Status SqliteStore::erase_document(std::string_view collection, std::string_view id) {
    std::scoped_lock lock(mutex_);
    auto erased =
        db_.run("DELETE FROM documents WHERE collection = ? AND id = ?", {collection, id});
    if (!erased) {
        return erased.error();
    }
    if (*erased == 0) {
        return Error{ErrorCode::kNotFound, "document not found"};
    }
    return {};
}

Result<ScanPage> SqliteStore::scan_after(std::string_view collection, std::string_view after_id,
                                         std::size_t limit) {
    std::scoped_lock lock(mutex_);
    auto query = db_.query(
        "SELECT id, version, body FROM documents WHERE collection = ? AND id > ? "
        "ORDER BY id LIMIT ?",
        {collection, after_id, static_cast<std::int64_t>(limit)});
    if (!query) {
        return query.error();
    }
    ScanPage page;
    for (;;) {
        auto row = query->next();
        if (!row) {
            return row.error();
        }
        if (!*row) {
            return page;
        }
        auto body = parse_stored(query->text_at(2));
        if (!body) {
            return body.error();
        }
        page.documents.push_back({query->text_at(0), query->int_at(1), std::move(body).value()});
    }
}

Status SqliteStore::change_set(std::string_view set, std::string_view member, bool add) {
    std::scoped_lock lock(mutex_);
    auto changed =
        add ? db_.run("INSERT OR IGNORE INTO set_members(name, member) VALUES(?, ?)", {set, member})
            : db_.run("DELETE FROM set_members WHERE name = ? AND member = ?", {set, member});
    if (!changed) {
        return changed.error();
    }
    return {};
}

Result<std::vector<std::string>> SqliteStore::intersect_valid(
    const std::vector<std::string>& sets) {
    std::scoped_lock lock(mutex_);
    std::vector<std::string> result;
    for (std::size_t index = 0; index < sets.size(); ++index) {
        auto query = db_.query("SELECT member FROM set_members WHERE name = ? ORDER BY member",
                               {sets[index]});
        if (!query) {
            return query.error();
        }
        std::vector<std::string> members;
        for (;;) {
            auto row = query->next();
            if (!row) {
                return row.error();
            }
            if (!*row) {
                break;
            }
            members.push_back(query->text_at(0));
        }
        if (index == 0) {
            result = std::move(members);
            continue;
        }
        std::vector<std::string> both;
        std::set_intersection(result.begin(), result.end(), members.begin(), members.end(),
                              std::back_inserter(both));
        result = std::move(both);
    }
    return result;
}

}  // namespace aiops::common
