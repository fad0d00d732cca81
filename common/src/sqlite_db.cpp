#include "sqlite_db.h"

#include <utility>

#include "aiops/common/log.h"

namespace aiops::common {
namespace {

Error sqlite_error(sqlite3* db, std::string_view what) {
    const int code = sqlite3_extended_errcode(db);
    const auto primary = code & 0xff;
    const ErrorCode kind = (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
                               ? ErrorCode::kUnavailable
                               : ErrorCode::kInternal;
    return Error{kind, "sqlite " + std::string(what) + ": " + sqlite3_errmsg(db)};
}

}  // namespace

SqlQuery::SqlQuery(SqlQuery&& other) noexcept
    : db_(other.db_), statement_(std::exchange(other.statement_, nullptr)) {}

SqlQuery::~SqlQuery() {
    if (statement_ != nullptr) {
        // reset() repeats the error of the last step(), which next() already reported.
        sqlite3_reset(statement_);
        sqlite3_clear_bindings(statement_);
    }
}

Result<bool> SqlQuery::next() {
    const int rc = sqlite3_step(statement_);
    if (rc == SQLITE_ROW) {
        return true;
    }
    if (rc == SQLITE_DONE) {
        return false;
    }
    return sqlite_error(db_, "step");
}

std::int64_t SqlQuery::int_at(int column) const { return sqlite3_column_int64(statement_, column); }

std::string SqlQuery::text_at(int column) const {
    const auto* text = sqlite3_column_text(statement_, column);
    if (text == nullptr) {
        return {};
    }
    return {reinterpret_cast<const char*>(text),
            static_cast<std::size_t>(sqlite3_column_bytes(statement_, column))};
}

Result<SqliteDb> SqliteDb::open(const std::filesystem::path& path,
                                std::chrono::milliseconds busy_timeout) {
    sqlite3* raw = nullptr;
    const int rc =
        sqlite3_open_v2(path.c_str(), &raw,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    SqliteDb db(raw);  // owns the handle even when open failed
    if (rc != SQLITE_OK) {
        if (raw == nullptr) {
            return Error{ErrorCode::kInternal, "sqlite open: out of memory"};
        }
        return db.error("open " + path.string());
    }
    if (sqlite3_busy_timeout(raw, static_cast<int>(busy_timeout.count())) != SQLITE_OK) {
        return db.error("busy_timeout");
    }
    // A 64 MiB page cache (SQLite's default is 2 MiB): a catalog of 100k records is ~80 MB, and
    // with the default every indexed query re-read its pages with pread (~20% of a tag query's
    // CPU in perf). Memory is only taken as pages are used.
    if (auto cached = db.exec("PRAGMA cache_size=-65536"); !cached) {
        return cached.error();
    }
    auto mode = db.query("PRAGMA journal_mode=WAL", {});
    if (!mode) {
        return mode.error();
    }
    auto row = mode->next();
    if (!row || !*row || mode->text_at(0) != "wal") {
        return Error{ErrorCode::kInternal, "sqlite: cannot enable WAL on " + path.string()};
    }
    return db;
}

Error SqliteDb::error(std::string_view what) const { return sqlite_error(db_.get(), what); }

void SqliteDb::rollback() {
    if (sqlite3_get_autocommit(db_.get()) != 0) {
        return;  // SQLite already rolled back (e.g. after SQLITE_FULL)
    }
    if (auto rolled_back = exec("ROLLBACK"); !rolled_back) {
        log::error("sqlite rollback failed", {{"error", rolled_back.error().message}});
    }
}

Status SqliteDb::exec(const char* sql) {
    if (sqlite3_exec(db_.get(), sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
        return error("exec");
    }
    return {};
}

Result<SqlQuery> SqliteDb::query(const char* sql, std::initializer_list<SqlValue> params) {
    auto cached = statements_.find(std::string_view(sql));
    if (cached == statements_.end()) {
        sqlite3_stmt* raw = nullptr;
        if (sqlite3_prepare_v3(db_.get(), sql, -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr) !=
            SQLITE_OK) {
            return error("prepare");
        }
        cached = statements_.emplace(sql, std::unique_ptr<sqlite3_stmt, Finalize>(raw)).first;
    }
    sqlite3_stmt* statement = cached->second.get();
    int index = 1;
    for (const auto& param : params) {
        int rc = SQLITE_OK;
        if (const auto* number = std::get_if<std::int64_t>(&param)) {
            rc = sqlite3_bind_int64(statement, index, *number);
        } else {
            const auto text = std::get<std::string_view>(param);
            rc = sqlite3_bind_text64(statement, index, text.data(), text.size(), SQLITE_TRANSIENT,
                                     SQLITE_UTF8);
        }
        if (rc != SQLITE_OK) {
            sqlite3_clear_bindings(statement);
            return error("bind");
        }
        ++index;
    }
    return SqlQuery(db_.get(), statement);
}

Result<int> SqliteDb::run(const char* sql, std::initializer_list<SqlValue> params) {
    auto statement = query(sql, params);
    if (!statement) {
        return statement.error();
    }
    for (;;) {
        auto row = statement->next();
        if (!row) {
            return row.error();
        }
        if (!*row) {
            return sqlite3_changes(db_.get());
        }
    }
}

Result<std::optional<std::int64_t>> SqliteDb::first_int(const char* sql,
                                                        std::initializer_list<SqlValue> params) {
    auto statement = query(sql, params);
    if (!statement) {
        return statement.error();
    }
    auto row = statement->next();
    if (!row) {
        return row.error();
    }
    if (!*row) {
        return std::optional<std::int64_t>();
    }
    return std::optional<std::int64_t>(statement->int_at(0));
}

}  // namespace aiops::common
