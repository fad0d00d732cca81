#include "health_check.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <memory>
#include <optional>

namespace aiops::catalog {

using json = nlohmann::json;

namespace {

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    return text;
}

std::string auth_scheme_of(const std::string& challenge) {
    const auto space = challenge.find(' ');
    return lower(challenge.substr(0, space));
}

struct SslCtxDeleter {
    void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
struct BioDeleter {
    void operator()(BIO* bio) const { BIO_free_all(bio); }
};
struct X509Deleter {
    void operator()(X509* cert) const { X509_free(cert); }
};

// notAfter of the leaf certificate served at address:port (SNI = host), or nullopt.
std::optional<std::chrono::system_clock::time_point> certificate_not_after(
    const std::string& host, const std::string& address, int port,
    std::chrono::milliseconds timeout) {
    std::unique_ptr<SSL_CTX, SslCtxDeleter> ctx(SSL_CTX_new(TLS_client_method()));
    if (!ctx) {
        return std::nullopt;
    }
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);  // reading expiry, not trusting it
    std::unique_ptr<BIO, BioDeleter> bio(BIO_new_ssl_connect(ctx.get()));
    if (!bio) {
        return std::nullopt;
    }
    const bool v6 = address.find(':') != std::string::npos;
    const std::string target = (v6 ? "[" + address + "]" : address) + ":" + std::to_string(port);
    SSL* ssl = nullptr;
    BIO_get_ssl(bio.get(), &ssl);
    if (ssl == nullptr || BIO_set_conn_hostname(bio.get(), target.c_str()) != 1 ||
        SSL_set_tlsext_host_name(ssl, host.c_str()) != 1) {
        return std::nullopt;
    }
    // The handshake is bounded by the socket timeout set once connected.
    if (BIO_do_connect(bio.get()) != 1) {
        return std::nullopt;
    }
    int fd = -1;
    BIO_get_fd(bio.get(), &fd);
    if (fd >= 0) {
        timeval tv{static_cast<time_t>(timeout.count() / 1000),
                   static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    }
    if (BIO_do_handshake(bio.get()) != 1) {
        return std::nullopt;
    }
    std::unique_ptr<X509, X509Deleter> cert(SSL_get1_peer_certificate(ssl));
    if (!cert) {
        return std::nullopt;
    }
    std::tm expiry{};
    if (ASN1_TIME_to_tm(X509_get0_notAfter(cert.get()), &expiry) != 1) {
        return std::nullopt;
    }
    return std::chrono::system_clock::from_time_t(timegm(&expiry));
}

}  // namespace

json classify_v2_response(const common::HttpResponse& response) {
    json result;
    result["http_status"] = response.status;
    const auto api_version = response.header("Docker-Distribution-API-Version");
    const auto challenge = response.header("WWW-Authenticate");
    result["api_version"] = api_version ? json(*api_version) : json();
    result["auth_scheme"] = challenge ? json(auth_scheme_of(*challenge)) : json("none");
    const bool ok_200 = response.status == 200;
    const bool challenged = response.status == 401 && challenge.has_value() && api_version &&
                            lower(*api_version).starts_with("registry/2");
    result["oci_compliant"] = ok_200 || challenged;
    result["status"] = (ok_200 || challenged) ? "up" : "down";
    if (!ok_200 && !challenged) {
        result["error"] = response.status == 401
                              ? "401 without a registry WWW-Authenticate challenge and "
                                "Docker-Distribution-API-Version header"
                              : "GET /v2/ answered HTTP " + std::to_string(response.status) +
                                    ": not an OCI distribution endpoint";
    } else {
        result["error"] = nullptr;
    }
    return result;
}

HealthChecker::HealthChecker(common::HttpClient& client, const common::UrlGuard& guard,
                             const common::Clock& clock, HealthCheckSettings settings)
    : client_(client), guard_(guard), clock_(clock), settings_(settings) {}

json HealthChecker::check(const std::string& public_url) const {
    json result = {{"url", public_url},         {"checked_at", format_utc(clock_.now())},
                   {"reachable", false},        {"http_status", nullptr},
                   {"oci_compliant", false},    {"api_version", nullptr},
                   {"auth_scheme", nullptr},    {"latency_ms", nullptr},
                   {"tls_expires_at", nullptr}, {"tls_days_left", nullptr},
                   {"status", "down"},          {"error", nullptr}};
    if (public_url.empty()) {
        result["error"] = "the registry has no container_registry_public_url";
        return result;
    }
    std::string base = public_url;
    while (!base.empty() && base.back() == '/') {
        base.pop_back();
    }
    auto target = guard_.check(base + "/v2/");
    if (!target) {
        result["error"] = target.error().message;
        return result;
    }
    common::HttpRequest request;
    request.url = base + "/v2/";
    request.retry = false;
    request.follow_redirects = false;
    request.total_timeout = settings_.timeout;
    const auto started = std::chrono::steady_clock::now();
    auto response = client_.fetch(request);
    const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    if (!response) {
        result["error"] = response.error().message;
        return result;
    }
    result["reachable"] = true;
    result["latency_ms"] = elapsed.count();
    result.update(classify_v2_response(response.value()));
    if (target.value().url.scheme == "https") {
        add_tls_expiry(target.value(), result);
    }
    return result;
}

void HealthChecker::add_tls_expiry(const common::CheckedUrl& target, json& result) const {
    if (target.addresses.empty()) {
        return;
    }
    const auto not_after = certificate_not_after(target.url.host, target.addresses.front(),
                                                 target.url.port, settings_.timeout);
    if (!not_after) {
        return;
    }
    result["tls_expires_at"] = format_utc(*not_after);
    result["tls_days_left"] =
        std::chrono::duration_cast<std::chrono::hours>(*not_after - clock_.now()).count() / 24;
}

}  // namespace aiops::catalog
