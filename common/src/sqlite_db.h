#pragma once

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "aiops/common/result.h"

// Thin RAII layer over the sqlite3 C API: one connection, cached prepared statements, every
// return code turned into an Error. Not thread-safe: the owner serialises calls with a mutex.
namespace aiops::common {

using SqlValue = std::variant<std::int64_t, std::string_view>;

// A cached prepared statement with its parameters bound; reset (not finalised) on destruction.
class SqlQuery {
public:
    SqlQuery(SqlQuery&& other) noexcept;
    SqlQuery& operator=(SqlQuery&&) = delete;
    SqlQuery(const SqlQuery&) = delete;
    SqlQuery& operator=(const SqlQuery&) = delete;
    ~SqlQuery();

    Result<bool> next();  // true: a row is available through the column getters
    std::int64_t int_at(int column) const;
    std::string text_at(int column) const;

private:
    friend class SqliteDb;
    SqlQuery(sqlite3* db, sqlite3_stmt* statement) : db_(db), statement_(statement) {}

    sqlite3* db_;
    sqlite3_stmt* statement_;
};

class SqliteDb {
public:
    static Result<SqliteDb> open(const std::filesystem::path& path,
                                 std::chrono::milliseconds busy_timeout);

    Status exec(const char* sql);  // no parameters, no rows
    Result<SqlQuery> query(const char* sql, std::initializer_list<SqlValue> params);
    // Runs one statement to completion and returns the number of rows it changed.
    Result<int> run(const char* sql, std::initializer_list<SqlValue> params);
    // Column 0 of the first row, or nothing when there is no row.
    Result<std::optional<std::int64_t>> first_int(const char* sql,
                                                  std::initializer_list<SqlValue> params);
    std::int64_t last_insert_id() const { return sqlite3_last_insert_rowid(db_.get()); }

    // BEGIN IMMEDIATE; body(); COMMIT — or ROLLBACK when body or COMMIT fails.
    template <typename Body>
    auto transaction(Body&& body) -> decltype(body()) {
        if (auto begun = exec("BEGIN IMMEDIATE"); !begun) {
            return begun.error();
        }
        auto result = body();
        if (!result) {
            rollback();
            return result;
        }
        if (auto committed = exec("COMMIT"); !committed) {
            rollback();
            return committed.error();
        }
        return result;
    }

private:
    struct CloseDb {
        void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
    };
    struct Finalize {
        void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
    };

    explicit SqliteDb(sqlite3* db) : db_(db) {}
    Error error(std::string_view what) const;
    void rollback();

    std::unique_ptr<sqlite3, CloseDb> db_;
    std::map<std::string, std::unique_ptr<sqlite3_stmt, Finalize>, std::less<>> statements_;
};

}  // namespace aiops::common
