#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "aiops/common/clock.h"
#include "aiops/common/result.h"
#include "aiops/common/storage.h"
#include "filter.h"

// The catalog's domain layer: registry records and model records in the foundation Store, with
// index sets for tag and exact-match queries, compare-and-set updates and cursor paging.
// HTTP handlers (catalog_api) only parse and render; everything here takes and returns values.
namespace aiops::catalog {

struct CatalogSettings {
    std::size_t default_limit = 100;
    std::size_t max_limit = 1000;
    std::size_t max_sort_matches = 50000;  // a sorted query materialises its matches
    int max_cas_attempts = 64;             // concurrent writers on one record
    std::size_t health_history = 20;       // health results kept per registry
};

struct QueryOptions {
    std::optional<std::size_t> limit{};
    std::string cursor{};  // opaque, from a previous page
    std::string sort{};    // "field.path" ascending, "-field.path" descending, "" = by id
};

struct QueryPage {
    std::vector<nlohmann::json> items;
    std::string next_cursor;  // empty when this is the last page
    bool used_index = false;  // the candidates came from index sets (not a full scan)
};

// What a collection is and which of its paths have index sets.
struct CollectionSpec {
    std::string collection;  // storage collection
    std::string id_field;    // field holding the id inside the record
    std::vector<std::string> indexed_paths;
};

class Catalog {
public:
    Catalog(common::Store& store, const common::Clock& clock, CatalogSettings settings);

    // Registries (contract: seeds/003).
    common::Result<nlohmann::json> create_registry(const nlohmann::json& body);
    common::Result<nlohmann::json> get_registry(const std::string& id);
    common::Result<nlohmann::json> update_registry(const std::string& id,
                                                   const nlohmann::json& update);
    common::Status delete_registry(const std::string& id);
    common::Result<QueryPage> query_registries(const nlohmann::json& filter,
                                               const QueryOptions& options);
    // Stores a health-check result as `health` (with the last N results in health.history).
    common::Result<nlohmann::json> record_health(const std::string& id, nlohmann::json result);
    // Every registry id (for the background checker), in id order.
    common::Result<std::vector<std::string>> registry_ids();

    // Models. upsert returns the record and whether it was created.
    common::Result<std::pair<nlohmann::json, bool>> upsert_model(const nlohmann::json& body);
    common::Result<nlohmann::json> get_model(const std::string& id);
    common::Status delete_model(const std::string& id);
    common::Result<QueryPage> query_models(const nlohmann::json& filter,
                                           const QueryOptions& options);

    static const CollectionSpec& registries_spec();
    static const CollectionSpec& models_spec();

private:
    std::string now() const;
    common::Result<nlohmann::json> modify(
        const CollectionSpec& spec, const std::string& id,
        const std::function<common::Result<nlohmann::json>(const nlohmann::json&)>& change);
    common::Status write_indexes_before(const CollectionSpec& spec, const std::string& id,
                                        const nlohmann::json* old_record,
                                        const nlohmann::json& new_record);
    void remove_stale_indexes(const CollectionSpec& spec, const std::string& id,
                              const nlohmann::json* old_record, const nlohmann::json* new_record);
    common::Result<QueryPage> query(const CollectionSpec& spec, const nlohmann::json& filter,
                                    const QueryOptions& options);
    common::Result<QueryPage> sorted_query(const CollectionSpec& spec, const Filter& filter,
                                           const std::optional<std::vector<std::string>>& ids,
                                           const QueryOptions& options, std::size_t limit,
                                           QueryPage page);

    common::Store& store_;
    const common::Clock& clock_;
    CatalogSettings settings_;
};

// Index set names for a record: "<collection>:<path>=<value>" for each scalar value at each
// indexed path. Exposed for tests.
std::vector<std::string> index_keys(const CollectionSpec& spec, const nlohmann::json& record);
std::string index_key(const CollectionSpec& spec, const std::string& path,
                      const nlohmann::json& value);

}  // namespace aiops::catalog
