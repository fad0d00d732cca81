#include "tls_credentials.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <vector>

namespace aiops::common {
namespace {

struct X509Free {
    void operator()(X509* cert) const { X509_free(cert); }
};
struct KeyFree {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct StoreFree {
    void operator()(X509_STORE* store) const { X509_STORE_free(store); }
};
struct BioFree {
    void operator()(BIO* bio) const { BIO_free(bio); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFree>;
using StorePtr = std::unique_ptr<X509_STORE, StoreFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;

Error tls_error(const std::string& what, const std::string& path) {
    const unsigned long code = ERR_get_error();
    ERR_clear_error();
    std::string message = what + " " + path;
    if (code != 0) {
        char text[256];
        ERR_error_string_n(code, text, sizeof(text));
        message += ": " + std::string(text);
    }
    return Error{ErrorCode::kInvalidInput, message};
}

Result<BioPtr> open_file(const std::string& path) {
    BioPtr bio(BIO_new_file(path.c_str(), "r"));
    if (!bio) {
        return tls_error("cannot open", path);
    }
    return bio;
}

}  // namespace

struct TlsCredentials::Material {
    X509Ptr cert;
    std::vector<X509Ptr> chain;
    KeyPtr key;
    StorePtr client_ca;  // null without mutual TLS
};

namespace {

Status read_certificates(const std::string& path, X509Ptr& leaf, std::vector<X509Ptr>& chain) {
    auto bio = open_file(path);
    if (!bio) {
        return bio.error();
    }
    leaf.reset(PEM_read_bio_X509(bio->get(), nullptr, nullptr, nullptr));
    if (!leaf) {
        return tls_error("no PEM certificate in", path);
    }
    while (X509* next = PEM_read_bio_X509(bio->get(), nullptr, nullptr, nullptr)) {
        chain.emplace_back(next);
    }
    ERR_clear_error();  // the loop ends on "no start line" at end of file
    return {};
}

Status read_key(const std::string& path, KeyPtr& key) {
    auto bio = open_file(path);
    if (!bio) {
        return bio.error();
    }
    key.reset(PEM_read_bio_PrivateKey(bio->get(), nullptr, nullptr, nullptr));
    if (!key) {
        return tls_error("no PEM private key in", path);
    }
    return {};
}

Status read_client_ca(const std::string& path, StorePtr& store) {
    store.reset(X509_STORE_new());
    if (!store) {
        return tls_error("cannot allocate a certificate store for", path);
    }
    if (X509_STORE_load_file(store.get(), path.c_str()) != 1) {
        return tls_error("cannot load client CA", path);
    }
    return {};
}

}  // namespace

TlsCredentials::TlsCredentials(TlsSettings settings, std::unique_ptr<Material> material)
    : settings_(std::move(settings)), material_(std::move(material)) {}

TlsCredentials::~TlsCredentials() = default;

Result<std::unique_ptr<TlsCredentials>> TlsCredentials::load(TlsSettings settings) {
    auto material = std::make_unique<Material>();
    Status status = read_certificates(settings.cert_file, material->cert, material->chain);
    if (status) {
        status = read_key(settings.key_file, material->key);
    }
    if (status && X509_check_private_key(material->cert.get(), material->key.get()) != 1) {
        status = tls_error("private key does not match the certificate in", settings.cert_file);
    }
    if (status && !settings.client_ca_file.empty()) {
        status = read_client_ca(settings.client_ca_file, material->client_ca);
    }
    if (!status) {
        return status.error();
    }
    return std::unique_ptr<TlsCredentials>(
        new TlsCredentials(std::move(settings), std::move(material)));
}

Status TlsCredentials::reload() {
    auto fresh = load(settings_);
    if (!fresh) {
        return fresh.error();
    }
    std::scoped_lock lock(mutex_);
    material_ = std::move((*fresh)->material_);
    return {};
}

bool TlsCredentials::configure(SSL_CTX& ctx) {
    if (SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION) != 1) {
        return false;
    }
    SSL_CTX_set_options(&ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_cert_cb(&ctx, &TlsCredentials::install_certificate, this);
    if (!settings_.client_ca_file.empty()) {
        SSL_CTX_set_verify(&ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    }
    return true;
}

int TlsCredentials::install_certificate(SSL* ssl, void* self) {
    auto& credentials = *static_cast<TlsCredentials*>(self);
    std::scoped_lock lock(credentials.mutex_);
    const Material& material = *credentials.material_;
    if (SSL_use_certificate(ssl, material.cert.get()) != 1 ||
        SSL_use_PrivateKey(ssl, material.key.get()) != 1 || SSL_clear_chain_certs(ssl) != 1) {
        return 0;
    }
    for (const auto& cert : material.chain) {
        if (SSL_add1_chain_cert(ssl, cert.get()) != 1) {
            return 0;
        }
    }
    if (material.client_ca && SSL_set1_verify_cert_store(ssl, material.client_ca.get()) != 1) {
        return 0;
    }
    return 1;
}

}  // namespace aiops::common
