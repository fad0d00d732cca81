#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "aiops/common/result.h"

// MongoDB-style query filters over JSON records (the catalog's POST /container_registries body).
//
// Supported: implicit AND of field conditions; $and/$or/$nor; per field a literal (equality, with
// array-contains semantics) or operators $eq $ne $gt $gte $lt $lte $in $nin $exists
// $regex(+$options) $all $size $elemMatch $not. Dotted paths walk objects, numeric components index
// arrays, and a path through an array applies to each element, as MongoDB does. Comparisons only
// match values of the same kind (numbers with numbers, strings with strings). Anything else is a
// parse error that names the offending path or operator.
namespace aiops::catalog {

struct FilterLimits {
    std::size_t max_nodes = 2000;                // operators + fields in one filter
    std::size_t max_regex_bytes = 256;           // $regex pattern length
    std::size_t max_regex_subject_bytes = 8192;  // longer strings never match a $regex
    std::size_t max_list_values = 1000;          // $in/$nin/$all sizes
};

// A top-level constraint an index can answer: the field at `path` equals one of `values`
// (any_of) or contains all of them (all_of). Only produced for scalar values.
struct IndexHint {
    std::string path;
    std::vector<nlohmann::json> values;
    bool all_of = false;
};

class Filter {
public:
    static common::Result<Filter> parse(const nlohmann::json& filter,
                                        const FilterLimits& limits = {});

    bool matches(const nlohmann::json& document) const;
    // Constraints from the top-level AND that an index on `path` can answer.
    std::vector<IndexHint> index_hints() const;

    struct Node;  // defined in filter.cpp

    Filter(Filter&&) noexcept;
    Filter& operator=(Filter&&) noexcept;
    ~Filter();

private:
    explicit Filter(std::unique_ptr<Node> root, FilterLimits limits);
    std::unique_ptr<Node> root_;
    FilterLimits limits_;
};

// Every value found at a dotted path, MongoDB style (arrays along the path fan out).
std::vector<const nlohmann::json*> resolve_path(const nlohmann::json& document,
                                                const std::string& path);

}  // namespace aiops::catalog
