#include "aiops/common/registry_client.h"

#include <charconv>

#include "aiops/common/json.h"
#include "aiops/common/link_header.h"
#include "aiops/common/media_types.h"
#include "registry_client_impl.h"

namespace aiops::common {
namespace {

constexpr int kMaxPages = 10000;

bool is_lower_alnum(char character) {
    return (character >= 'a' && character <= 'z') || (character >= '0' && character <= '9');
}

// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
bool is_valid_path_component(std::string_view component) {
    std::size_t pos = 0;
    while (pos < component.size()) {
        const std::size_t run_start = pos;
        while (pos < component.size() && is_lower_alnum(component[pos])) {
            ++pos;
        }
        if (pos == run_start) {
            return false;
        }
        if (pos == component.size()) {
            return true;
        }
        const std::size_t separator_start = pos;
        while (pos < component.size() && !is_lower_alnum(component[pos])) {
            ++pos;
        }
        const std::string_view separator = component.substr(separator_start, pos - separator_start);
        const bool dashes = separator.find_first_not_of('-') == std::string_view::npos;
        if (separator != "." && separator != "_" && separator != "__" && !dashes) {
            return false;
        }
        if (pos == component.size()) {
            return false;
        }
    }
    return false;
}

std::string base_media_type(std::string_view content_type) {
    std::string_view base = content_type.substr(0, content_type.find(';'));
    while (!base.empty() && base.back() == ' ') {
        base.remove_suffix(1);
    }
    return std::string(base);
}

std::optional<std::uint64_t> parse_length(const HttpResponse& response) {
    const auto header = response.header("Content-Length");
    std::uint64_t length = 0;
    if (!header || header->empty() ||
        std::from_chars(header->data(), header->data() + header->size(), length).ec !=
            std::errc()) {
        return std::nullopt;
    }
    return length;
}

Error mismatch(std::string_view what, const Digest& expected, const Digest& actual) {
    return Error{ErrorCode::kDigestMismatch, std::string(what) + " should hash to " +
                                                 expected.str() + " but hashed to " + actual.str()};
}

// Verifies the manifest bytes: against the reference when it is a digest, else against
// Docker-Content-Digest when the registry sent a sha256 one.
Result<Digest> verify_manifest(const HttpResponse& response, std::string_view reference) {
    auto expected = Digest::parse(reference);
    const auto algorithm = expected ? expected->algorithm() : DigestAlgorithm::kSha256;
    auto computed = compute_digest(response.body, algorithm);
    if (!computed) {
        return computed.error();
    }
    if (expected && !(*computed == *expected)) {
        return mismatch("manifest", *expected, *computed);
    }
    const auto header = response.header("Docker-Content-Digest");
    auto reported =
        header ? Digest::parse(*header) : Result<Digest>(Error{ErrorCode::kNotFound, {}});
    if (!expected && reported && reported->algorithm() == DigestAlgorithm::kSha256 &&
        !(*reported == *computed)) {
        return mismatch("manifest", *reported, *computed);
    }
    return computed;
}

Result<std::vector<std::string>> page_entries(const std::string& body, const std::string& key) {
    auto document = parse_json(body, {.max_bytes = 16U << 20, .max_depth = 8});
    if (!document || !document->is_object()) {
        return Error{ErrorCode::kUpstream, "registry listing is not a JSON object"};
    }
    std::vector<std::string> entries;
    const auto found = document->find(key);
    if (found == document->end() || found->is_null()) {
        return entries;
    }
    if (!found->is_array()) {
        return Error{ErrorCode::kUpstream, "registry listing '" + key + "' is not an array"};
    }
    for (const auto& entry : *found) {
        if (!entry.is_string()) {
            return Error{ErrorCode::kUpstream, "registry listing holds a non-string entry"};
        }
        entries.push_back(entry.get<std::string>());
    }
    return entries;
}

struct Listing {
    std::string first_url;
    RegistryScopes scopes;
    std::string key;
    std::string what;
};

Result<std::vector<std::string>> list_all(RegistryClient::Impl& impl, const Listing& listing) {
    std::vector<std::string> all;
    std::string url = listing.first_url;
    for (int page = 0; page < kMaxPages; ++page) {
        HttpRequest request;
        request.url = url;
        auto response = impl.fetch(request, listing.scopes);
        if (!response) {
            return response.error();
        }
        if (response->status != 200) {
            return registry_error(*response, listing.what);
        }
        auto entries = page_entries(response->body, listing.key);
        if (!entries) {
            return entries.error();
        }
        all.insert(all.end(), entries->begin(), entries->end());
        if (all.size() > impl.settings.max_list_entries) {
            return Error{ErrorCode::kTooLarge, listing.what + " exceeds max_list_entries"};
        }
        const auto link = response->header("Link");
        const auto next = link ? parse_next_link(*link) : std::nullopt;
        if (!next) {
            return all;
        }
        auto next_url = impl.same_origin_url(*next);
        if (!next_url || *next_url == url) {
            return Error{ErrorCode::kUpstream, listing.what + ": unusable Link to the next page"};
        }
        url = std::move(next_url).value();
    }
    return Error{ErrorCode::kUpstream, listing.what + ": too many pages"};
}

std::string page_query(std::optional<int> page_size) {
    return page_size ? "?n=" + std::to_string(*page_size) : std::string();
}

}  // namespace

bool is_valid_repository_name(std::string_view name) {
    if (name.empty() || name.size() > 255) {
        return false;
    }
    std::size_t start = 0;
    while (true) {
        const std::size_t slash = name.find('/', start);
        if (!is_valid_path_component(name.substr(start, slash - start))) {
            return false;
        }
        if (slash == std::string_view::npos) {
            return true;
        }
        start = slash + 1;
    }
}

bool is_valid_tag(std::string_view tag) {
    if (tag.empty() || tag.size() > 128) {
        return false;
    }
    for (std::size_t index = 0; index < tag.size(); ++index) {
        const char character = tag[index];
        const bool word = (character >= 'a' && character <= 'z') ||
                          (character >= 'A' && character <= 'Z') ||
                          (character >= '0' && character <= '9') || character == '_';
        if (!word && (index == 0 || (character != '.' && character != '-'))) {
            return false;
        }
    }
    return true;
}

Status check_repository(std::string_view repository) {
    if (is_valid_repository_name(repository)) {
        return {};
    }
    return Error{ErrorCode::kInvalidInput, "invalid repository name"};
}

Status check_reference(std::string_view reference) {
    if (is_valid_tag(reference) || is_valid_digest(reference)) {
        return {};
    }
    return Error{ErrorCode::kInvalidInput, "invalid tag or digest reference"};
}

Result<std::string> RegistryClient::Impl::same_origin_url(std::string_view reference) const {
    const auto resolved = resolve_url(settings.base_url, reference);
    const std::size_t authority = settings.base_url.find("://") + 3;
    const std::string origin = settings.base_url.substr(0, settings.base_url.find('/', authority));
    if (!resolved || !resolved->starts_with(origin + "/")) {
        return Error{ErrorCode::kUpstream, "registry pointed to another origin"};
    }
    return *resolved;
}

Result<std::uint64_t> RegistryClient::Impl::head_blob(std::string_view repository,
                                                      const Digest& digest,
                                                      const RegistryScopes& scopes) {
    HttpRequest request;
    request.method = "HEAD";
    request.url = url("/v2/" + std::string(repository) + "/blobs/" + digest.str());
    auto response = fetch(request, scopes);
    if (!response) {
        return response.error();
    }
    if (response->status != 200) {
        return registry_error(*response, "blob HEAD");
    }
    const auto length = parse_length(*response);
    if (!length) {
        return Error{ErrorCode::kUpstream, "blob HEAD without Content-Length"};
    }
    return *length;
}

RegistryClient::RegistryClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RegistryClient::~RegistryClient() = default;

Result<std::unique_ptr<RegistryClient>> RegistryClient::create(HttpClient& http,
                                                               RegistryClientSettings settings) {
    while (settings.base_url.ends_with('/')) {
        settings.base_url.pop_back();
    }
    const bool http_scheme =
        settings.base_url.starts_with("http://") || settings.base_url.starts_with("https://");
    if (!http_scheme || settings.base_url.find_first_of("?# ") != std::string::npos) {
        return Error{ErrorCode::kInvalidInput, "registry base_url must be an http(s) URL"};
    }
    if (!settings.now) {
        settings.now = [] { return std::chrono::steady_clock::now(); };
    }
    return std::unique_ptr<RegistryClient>(
        new RegistryClient(std::make_unique<Impl>(http, std::move(settings))));
}

Status RegistryClient::ping() {
    HttpRequest request;
    request.url = impl_->url("/v2/");
    auto response = impl_->fetch(request, {});
    if (!response) {
        return response.error();
    }
    if (response->status < 200 || response->status >= 300) {
        return registry_error(*response, "registry ping");
    }
    return {};
}

Result<ManifestResponse> RegistryClient::get_manifest(std::string_view repository,
                                                      std::string_view reference) {
    if (auto valid = check_repository(repository); !valid) {
        return valid.error();
    }
    if (auto valid = check_reference(reference); !valid) {
        return valid.error();
    }
    HttpRequest request;
    request.url =
        impl_->url("/v2/" + std::string(repository) + "/manifests/" + std::string(reference));
    request.headers.emplace("Accept", media_type::kManifestAccept);
    auto response = impl_->fetch(request, {pull_scope(repository)});
    if (!response) {
        return response.error();
    }
    if (response->status != 200) {
        return registry_error(*response, "manifest GET");
    }
    if (response->body.size() > impl_->settings.max_manifest_bytes) {
        return Error{ErrorCode::kTooLarge, "manifest exceeds max_manifest_bytes"};
    }
    auto digest = verify_manifest(*response, reference);
    if (!digest) {
        return digest.error();
    }
    return ManifestResponse{std::move(response->body),
                            base_media_type(response->header("Content-Type").value_or("")),
                            std::move(digest).value()};
}

Result<ManifestInfo> RegistryClient::head_manifest(std::string_view repository,
                                                   std::string_view reference) {
    if (auto valid = check_repository(repository); !valid) {
        return valid.error();
    }
    if (auto valid = check_reference(reference); !valid) {
        return valid.error();
    }
    HttpRequest request;
    request.method = "HEAD";
    request.url =
        impl_->url("/v2/" + std::string(repository) + "/manifests/" + std::string(reference));
    request.headers.emplace("Accept", media_type::kManifestAccept);
    auto response = impl_->fetch(request, {pull_scope(repository)});
    if (!response) {
        return response.error();
    }
    if (response->status != 200) {
        return registry_error(*response, "manifest HEAD");
    }
    auto digest = Digest::parse(response->header("Docker-Content-Digest").value_or(""));
    if (!digest) {
        return Error{ErrorCode::kUpstream, "manifest HEAD without a valid Docker-Content-Digest"};
    }
    return ManifestInfo{base_media_type(response->header("Content-Type").value_or("")),
                        std::move(digest).value(), parse_length(*response).value_or(0)};
}

Result<std::optional<std::string>> RegistryClient::referrers(std::string_view repository,
                                                             const Digest& digest) {
    if (auto valid = check_repository(repository); !valid) {
        return valid.error();
    }
    HttpRequest request;
    request.url = impl_->url("/v2/" + std::string(repository) + "/referrers/" + digest.str());
    request.headers.emplace("Accept", media_type::kOciIndex);
    auto response = impl_->fetch(request, {pull_scope(repository)});
    if (!response) {
        return response.error();
    }
    const auto content_type = base_media_type(response->header("Content-Type").value_or(""));
    if (response->status == 200 && content_type == media_type::kOciIndex) {
        if (response->body.size() > impl_->settings.max_manifest_bytes) {
            return Error{ErrorCode::kTooLarge, "referrers index exceeds max_manifest_bytes"};
        }
        return std::optional<std::string>(std::move(response->body));
    }
    if (response->status == 404 || response->status == 200) {
        return std::optional<std::string>();  // no referrers API here
    }
    return registry_error(*response, "referrers GET");
}

Result<std::uint64_t> RegistryClient::head_blob(std::string_view repository, const Digest& digest) {
    if (auto valid = check_repository(repository); !valid) {
        return valid.error();
    }
    return impl_->head_blob(repository, digest, {pull_scope(repository)});
}

Result<std::vector<std::string>> RegistryClient::list_tags(std::string_view repository,
                                                           std::optional<int> page_size) {
    if (auto valid = check_repository(repository); !valid) {
        return valid.error();
    }
    if (page_size && *page_size <= 0) {
        return Error{ErrorCode::kInvalidInput, "page_size must be positive"};
    }
    return list_all(*impl_, {impl_->url("/v2/" + std::string(repository) + "/tags/list" +
                                        page_query(page_size)),
                             {pull_scope(repository)},
                             "tags",
                             "tag list"});
}

Result<std::vector<std::string>> RegistryClient::catalog(std::optional<int> page_size) {
    if (page_size && *page_size <= 0) {
        return Error{ErrorCode::kInvalidInput, "page_size must be positive"};
    }
    return list_all(*impl_, {impl_->url("/v2/_catalog" + page_query(page_size)),
                             {std::string(kCatalogScope)},
                             "repositories",
                             "catalog"});
}

}  // namespace aiops::common
