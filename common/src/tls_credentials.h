#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <mutex>

#include "aiops/common/http_server.h"

// The server's certificate, key and client CA, swappable at runtime (SIGHUP). The SSL_CTX gets a
// certificate callback that, on every handshake, installs whatever material is current; reload()
// reads the files again and swaps them in only when they load and the key matches.
namespace aiops::common {

class TlsCredentials {
public:
    static Result<std::unique_ptr<TlsCredentials>> load(TlsSettings settings);
    ~TlsCredentials();
    TlsCredentials(const TlsCredentials&) = delete;
    TlsCredentials& operator=(const TlsCredentials&) = delete;

    Status reload();
    // Setup for httplib::SSLServer: TLS ≥ 1.2, the certificate callback, and mutual TLS when a
    // client CA is configured. The SSL_CTX must not outlive this object.
    bool configure(SSL_CTX& ctx);

private:
    struct Material;
    TlsCredentials(TlsSettings settings, std::unique_ptr<Material> material);
    static int install_certificate(SSL* ssl, void* self);

    TlsSettings settings_;
    std::mutex mutex_;                    // guards material_
    std::unique_ptr<Material> material_;  // guarded by mutex_
};

}  // namespace aiops::common
