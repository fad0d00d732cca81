#include "catalog.h"

#include <algorithm>
#include <set>

#include "filter.h"
#include "health_check.h"
#include "model_record.h"
#include "registry_record.h"

namespace aiops::catalog {

using common::Error;
using common::ErrorCode;
using common::Result;
using common::Status;
using json = nlohmann::json;

namespace {

bool is_indexable(const json& value) {
    return value.is_string() || value.is_number_integer() || value.is_boolean();
}

std::set<std::string> key_set(const CollectionSpec& spec, const json* record) {
    if (record == nullptr) {
        return {};
    }
    const auto keys = index_keys(spec, *record);
    return {keys.begin(), keys.end()};
}

}  // namespace

const CollectionSpec& Catalog::registries_spec() {
    static const CollectionSpec kSpec{
        "registries",
        kIdField,
        {kTagsField, kNameField, "container_registry_storage_info.registry_type",
         "container_registry_storage_info.storage_type", "health.status"}};
    return kSpec;
}

const CollectionSpec& Catalog::models_spec() {
    static const CollectionSpec kSpec{
        "models",
        "model_id",
        {"tags", "registry_id", "repository", "digest", "scan_status", "name", "family", "format"}};
    return kSpec;
}

std::string index_key(const CollectionSpec& spec, const std::string& path, const json& value) {
    return spec.collection + ":" + path + "=" +
           (value.is_string() ? value.get<std::string>() : value.dump());
}

std::vector<std::string> index_keys(const CollectionSpec& spec, const json& record) {
    std::set<std::string> keys;
    for (const auto& path : spec.indexed_paths) {
        for (const json* value : resolve_path(record, path)) {
            if (is_indexable(*value)) {
                keys.insert(index_key(spec, path, *value));
                continue;
            }
            if (value->is_array()) {
                for (const auto& element : *value) {
                    if (is_indexable(element)) {
                        keys.insert(index_key(spec, path, element));
                    }
                }
            }
        }
    }
    return {keys.begin(), keys.end()};
}

Catalog::Catalog(common::Store& store, const common::Clock& clock, CatalogSettings settings)
    : store_(store), clock_(clock), settings_(settings) {}

std::string Catalog::now() const { return format_utc(clock_.now()); }

// Index members are added before the document write and removed after it, so a crash in
// between leaves only extra members; queries re-check every candidate with the full filter.
Status Catalog::write_indexes_before(const CollectionSpec& spec, const std::string& id,
                                     const json* old_record, const json& new_record) {
    const auto old_keys = key_set(spec, old_record);
    for (const auto& key : index_keys(spec, new_record)) {
        if (old_keys.contains(key)) {
            continue;
        }
        if (auto st = store_.add_to_set(key, id); !st) {
            return st;
        }
    }
    return {};
}

void Catalog::remove_stale_indexes(const CollectionSpec& spec, const std::string& id,
                                   const json* old_record, const json* new_record) {
    const auto new_keys = key_set(spec, new_record);
    for (const auto& key : key_set(spec, old_record)) {
        if (!new_keys.contains(key)) {
            // Best effort: a stale member is harmless (candidates are re-checked).
            (void)store_.remove_from_set(key, id);
        }
    }
}

Result<json> Catalog::create_registry(const json& body) {
    auto record = new_registry(body, now());
    if (!record) {
        return record.error();
    }
    const auto id = record.value()[kIdField].get<std::string>();
    if (auto st = write_indexes_before(registries_spec(), id, nullptr, record.value()); !st) {
        return st.error();
    }
    auto created = store_.create(registries_spec().collection, id, record.value());
    if (!created) {
        if (created.error().code == ErrorCode::kConflict) {
            return Error{ErrorCode::kConflict, "container_registry_id " + id + " already exists"};
        }
        return created.error();
    }
    return record;
}

Result<json> Catalog::get_registry(const std::string& id) {
    auto document = store_.get(registries_spec().collection, id);
    if (!document) {
        if (document.error().code == ErrorCode::kNotFound) {
            return Error{ErrorCode::kNotFound, "container registry " + id + " not found"};
        }
        return document.error();
    }
    return std::move(document.value().body);
}

Result<json> Catalog::modify(const CollectionSpec& spec, const std::string& id,
                             const std::function<Result<json>(const json&)>& change) {
    for (int attempt = 0; attempt < settings_.max_cas_attempts; ++attempt) {
        auto document = store_.get(spec.collection, id);
        if (!document) {
            if (document.error().code == ErrorCode::kNotFound) {
                return Error{ErrorCode::kNotFound, spec.id_field + " " + id + " not found"};
            }
            return document.error();
        }
        auto updated = change(document.value().body);
        if (!updated) {
            return updated.error();
        }
        if (auto st = write_indexes_before(spec, id, &document.value().body, updated.value());
            !st) {
            return st.error();
        }
        auto written =
            store_.compare_and_set(spec.collection, id, document.value().version, updated.value());
        if (written) {
            remove_stale_indexes(spec, id, &document.value().body, &updated.value());
            return updated;
        }
        if (written.error().code != ErrorCode::kConflict) {
            return written.error();
        }
    }
    return Error{ErrorCode::kConflict,
                 "too many concurrent updates to " + id + "; retry the request"};
}

Result<json> Catalog::update_registry(const std::string& id, const json& update) {
    const auto stamp = now();
    return modify(registries_spec(), id, [&](const json& current) {
        return aiops::catalog::update_registry(current, update, stamp);
    });
}

Status Catalog::delete_registry(const std::string& id) {
    auto document = store_.get(registries_spec().collection, id);
    if (!document) {
        if (document.error().code == ErrorCode::kNotFound) {
            return Error{ErrorCode::kNotFound, "container registry " + id + " not found"};
        }
        return document.error();
    }
    if (auto st = store_.erase(registries_spec().collection, id); !st) {
        return st;
    }
    remove_stale_indexes(registries_spec(), id, &document.value().body, nullptr);
    return {};
}

Result<json> Catalog::record_health(const std::string& id, json result) {
    const auto keep = settings_.health_history;
    return modify(registries_spec(), id, [&](const json& current) -> Result<json> {
        json updated = current;
        json history = json::array();
        if (current.contains("health") && current["health"].is_object()) {
            history = current["health"].value("history", json::array());
        }
        json entry = result;
        entry.erase("history");
        history.push_back(std::move(entry));
        while (history.size() > keep) {
            history.erase(history.begin());
        }
        json health = result;
        health["history"] = std::move(history);
        updated["health"] = std::move(health);
        return updated;
    });
}

Result<std::vector<std::string>> Catalog::registry_ids() {
    std::vector<std::string> ids;
    std::string cursor;
    do {
        auto page = store_.scan(registries_spec().collection, cursor, 1000);
        if (!page) {
            return page.error();
        }
        for (const auto& document : page.value().documents) {
            ids.push_back(document.id);
        }
        cursor = page.value().next_cursor;
    } while (!cursor.empty());
    return ids;
}

Result<std::pair<json, bool>> Catalog::upsert_model(const json& body) {
    auto probe = aiops::catalog::upsert_model(nullptr, body, now());
    if (!probe) {
        return probe.error();
    }
    const auto id = probe.value()["model_id"].get<std::string>();
    for (int attempt = 0; attempt < settings_.max_cas_attempts; ++attempt) {
        auto existing = store_.get(models_spec().collection, id);
        if (!existing && existing.error().code != ErrorCode::kNotFound) {
            return existing.error();
        }
        const json* old_record = existing ? &existing.value().body : nullptr;
        auto record = aiops::catalog::upsert_model(old_record, body, now());
        if (!record) {
            return record.error();
        }
        if (auto st = write_indexes_before(models_spec(), id, old_record, record.value()); !st) {
            return st.error();
        }
        const std::int64_t expected = existing ? existing.value().version : 0;
        auto written =
            store_.compare_and_set(models_spec().collection, id, expected, record.value());
        if (written) {
            remove_stale_indexes(models_spec(), id, old_record, &record.value());
            return std::make_pair(std::move(record).value(), old_record == nullptr);
        }
        if (written.error().code != ErrorCode::kConflict &&
            written.error().code != ErrorCode::kNotFound) {
            return written.error();
        }
    }
    return Error{ErrorCode::kConflict, "too many concurrent updates to model " + id};
}

Result<json> Catalog::get_model(const std::string& id) {
    auto document = store_.get(models_spec().collection, id);
    if (!document) {
        if (document.error().code == ErrorCode::kNotFound) {
            return Error{ErrorCode::kNotFound, "model " + id + " not found"};
        }
        return document.error();
    }
    return std::move(document.value().body);
}

Status Catalog::delete_model(const std::string& id) {
    auto document = store_.get(models_spec().collection, id);
    if (!document) {
        if (document.error().code == ErrorCode::kNotFound) {
            return Error{ErrorCode::kNotFound, "model " + id + " not found"};
        }
        return document.error();
    }
    if (auto st = store_.erase(models_spec().collection, id); !st) {
        return st;
    }
    remove_stale_indexes(models_spec(), id, &document.value().body, nullptr);
    return {};
}

Result<QueryPage> Catalog::query_registries(const json& filter, const QueryOptions& options) {
    return query(registries_spec(), filter, options);
}

Result<QueryPage> Catalog::query_models(const json& filter, const QueryOptions& options) {
    return query(models_spec(), filter, options);
}

}  // namespace aiops::catalog
