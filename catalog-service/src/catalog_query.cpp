// Catalog::query: plans a filter onto index sets when it can, otherwise scans the collection in
// id order; then re-checks every candidate with the full filter, sorts and pages.
#include <algorithm>
#include <charconv>

#include "catalog.h"
#include "filter.h"

namespace aiops::catalog {

using common::Error;
using common::ErrorCode;
using common::Result;
using json = nlohmann::json;

namespace {

constexpr std::size_t kScanPage = 500;
constexpr std::ptrdiff_t kFetchBatch = 128;
constexpr std::size_t kMaxIntersectSets = 16;

Error invalid(const std::string& message) { return Error{ErrorCode::kInvalidInput, message}; }

bool usable_hint(const CollectionSpec& spec, const IndexHint& hint) {
    const bool indexed = std::find(spec.indexed_paths.begin(), spec.indexed_paths.end(),
                                   hint.path) != spec.indexed_paths.end();
    const bool exact_values = std::all_of(
        hint.values.begin(), hint.values.end(),
        [](const json& v) { return v.is_string() || v.is_number_integer() || v.is_boolean(); });
    return indexed && exact_values && !(hint.all_of && hint.values.size() > kMaxIntersectSets);
}

std::vector<std::string> intersect(const std::vector<std::string>& lhs,
                                   const std::vector<std::string>& rhs) {
    std::vector<std::string> out;
    std::set_intersection(lhs.begin(), lhs.end(), rhs.begin(), rhs.end(), std::back_inserter(out));
    return out;
}

Result<std::vector<std::string>> hint_members(common::Store& store, const CollectionSpec& spec,
                                              const IndexHint& hint) {
    std::vector<std::string> keys;
    for (const auto& value : hint.values) {
        keys.push_back(index_key(spec, hint.path, value));
    }
    if (hint.all_of) {
        return store.intersect_sets(keys);
    }
    std::vector<std::string> members;
    for (const auto& key : keys) {
        auto one = store.set_members(key);
        if (!one) {
            return one.error();
        }
        members.insert(members.end(), one.value().begin(), one.value().end());
    }
    std::sort(members.begin(), members.end());
    members.erase(std::unique(members.begin(), members.end()), members.end());
    return members;
}

// Candidate ids (sorted) from the index sets, or nullopt when no hint is usable.
Result<std::optional<std::vector<std::string>>> candidates(common::Store& store,
                                                           const CollectionSpec& spec,
                                                           const Filter& filter) {
    std::optional<std::vector<std::string>> ids;
    for (const auto& hint : filter.index_hints()) {
        if (!usable_hint(spec, hint)) {
            continue;
        }
        auto members = hint_members(store, spec, hint);
        if (!members) {
            return members.error();
        }
        ids = ids ? intersect(*ids, members.value()) : std::move(members).value();
    }
    return ids;
}

Result<std::string> decode_cursor(const std::string& cursor, char kind) {
    if (cursor.empty()) {
        return std::string();
    }
    if (cursor.size() < 2 || cursor[0] != kind || cursor[1] != ':') {
        return invalid("invalid cursor for this query (cursors come from a previous page)");
    }
    return cursor.substr(2);
}

json sort_value(const json& record, const std::string& path) {
    const auto values = resolve_path(record, path);
    return values.empty() ? json() : *values.front();
}

// Visits matching records in id order after `after_id` until `visit` returns false.
Result<bool> for_each_match(common::Store& store, const CollectionSpec& spec, const Filter& filter,
                            const std::optional<std::vector<std::string>>& ids,
                            const std::string& after_id, const std::function<bool(json&&)>& visit) {
    if (ids) {
        // Candidates are fetched in batches (one store round trip each); stale index members
        // (documents erased since) are simply absent from a batch.
        auto it = std::upper_bound(ids->begin(), ids->end(), after_id);
        while (it != ids->end()) {
            const auto batch_end = it + std::min<std::ptrdiff_t>(kFetchBatch, ids->end() - it);
            auto documents =
                store.get_many(spec.collection, std::vector<std::string>(it, batch_end));
            if (!documents) {
                return documents.error();
            }
            for (auto& document : documents.value()) {
                if (filter.matches(document.body) && !visit(std::move(document.body))) {
                    return document.id != ids->back();
                }
            }
            it = batch_end;
        }
        return false;
    }
    std::string cursor = after_id.empty() ? std::string() : common::Store::cursor_after(after_id);
    while (true) {
        auto page = store.scan(spec.collection, cursor, kScanPage);
        if (!page) {
            return page.error();
        }
        auto& documents = page.value().documents;
        for (std::size_t idx = 0; idx < documents.size(); ++idx) {
            if (filter.matches(documents[idx].body) && !visit(std::move(documents[idx].body))) {
                return idx + 1 < documents.size() || !page.value().next_cursor.empty();
            }
        }
        if (page.value().next_cursor.empty()) {
            return false;
        }
        cursor = page.value().next_cursor;
    }
}

}  // namespace

Result<QueryPage> Catalog::query(const CollectionSpec& spec, const json& filter_json,
                                 const QueryOptions& options) {
    const std::size_t limit = options.limit.value_or(settings_.default_limit);
    if (limit == 0 || limit > settings_.max_limit) {
        return invalid("limit must be between 1 and " + std::to_string(settings_.max_limit));
    }
    auto filter = Filter::parse(filter_json);
    if (!filter) {
        return filter.error();
    }
    auto ids = candidates(store_, spec, filter.value());
    if (!ids) {
        return ids.error();
    }
    QueryPage page;
    page.used_index = ids.value().has_value();
    if (options.sort.empty()) {
        auto after = decode_cursor(options.cursor, 'i');
        if (!after) {
            return after.error();
        }
        auto more = for_each_match(store_, spec, filter.value(), ids.value(), after.value(),
                                   [&](json&& record) {
                                       page.items.push_back(std::move(record));
                                       return page.items.size() < limit;
                                   });
        if (!more) {
            return more.error();
        }
        if (more.value() && !page.items.empty()) {
            page.next_cursor = "i:" + page.items.back()[spec.id_field].get<std::string>();
        }
        return page;
    }
    return sorted_query(spec, filter.value(), ids.value(), options, limit, std::move(page));
}

Result<QueryPage> Catalog::sorted_query(const CollectionSpec& spec, const Filter& filter,
                                        const std::optional<std::vector<std::string>>& ids,
                                        const QueryOptions& options, std::size_t limit,
                                        QueryPage page) {
    const bool descending = options.sort.starts_with('-');
    const std::string path = descending ? options.sort.substr(1) : options.sort;
    if (path.empty()) {
        return invalid(
            "sort needs a field path, e.g. sort=container_registry_name or sort=-updated_at");
    }
    auto offset_text = decode_cursor(options.cursor, 'o');
    if (!offset_text) {
        return offset_text.error();
    }
    std::size_t offset = 0;
    if (!offset_text.value().empty()) {
        const auto& text = offset_text.value();
        auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), offset);
        if (ec != std::errc() || ptr != text.data() + text.size()) {
            return invalid("invalid cursor for this query");
        }
    }
    std::vector<json> matches;
    bool too_many = false;
    auto scanned = for_each_match(store_, spec, filter, ids, "", [&](json&& record) {
        matches.push_back(std::move(record));
        too_many = matches.size() > settings_.max_sort_matches;
        return !too_many;
    });
    if (!scanned) {
        return scanned.error();
    }
    if (too_many) {
        return invalid("more than " + std::to_string(settings_.max_sort_matches) +
                       " matches to sort; narrow the filter or page without sort");
    }
    std::stable_sort(matches.begin(), matches.end(), [&](const json& lhs, const json& rhs) {
        const auto left = sort_value(lhs, path);
        const auto right = sort_value(rhs, path);
        return descending ? right < left : left < right;
    });
    for (std::size_t idx = offset; idx < matches.size() && page.items.size() < limit; ++idx) {
        page.items.push_back(std::move(matches[idx]));
    }
    if (offset + page.items.size() < matches.size()) {
        page.next_cursor = "o:" + std::to_string(offset + page.items.size());
    }
    return page;
}

}  // namespace aiops::catalog
