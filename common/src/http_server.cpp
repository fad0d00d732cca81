#include "aiops/common/http_server.h"

#include <signal.h>

#include <future>
#include <map>
#include <mutex>
#include <regex>
#include <thread>

#include "aiops/common/log.h"
#include "tls_credentials.h"

namespace aiops::common {
namespace {

using Clock = std::chrono::steady_clock;
using HandlerResponse = httplib::Server::HandlerResponse;

constexpr std::string_view kUnmatchedRoute = "unmatched";
constexpr auto kStartTimeout = std::chrono::seconds(10);
constexpr auto kSignalPoll = std::chrono::milliseconds(250);

struct Route {
    Method method;
    std::string pattern;
    std::regex regex;
    Access access;
    RouteHandler handler;
};

// What the scaffold knows about one request between its start and its access-log line.
struct InFlight {
    Clock::time_point started;
    std::string request_id;
    std::string route_label{kUnmatchedRoute};
    const Route* route = nullptr;  // matched by path and method
    bool path_known = false;       // some route matches the path under another method
    std::string allow;             // methods allowed on the path, for 405
    std::vector<std::string> captures;
};

bool method_matches(Method method, const std::string& request_method) {
    const auto name = method_name(method);
    return request_method == name || (method == Method::kGet && request_method == "HEAD");
}

// httplib 0.11.4 slices every routed or error body by the request's Range header afterwards. Our
// handlers own Range semantics (and error bodies must stay whole), so the ranges are dropped once
// the handler has seen them. The Request object httplib passes is not const (a local in
// process_request), so the cast is well defined.
void drop_ranges(const httplib::Request& req) { const_cast<httplib::Request&>(req).ranges.clear(); }

sigset_t shutdown_signals() {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGHUP);
    return signals;
}

}  // namespace

struct Server::Impl {
    Impl(ServerSettings server_settings, Authenticator authenticator, Metrics& registry)
        : settings(std::move(server_settings)),
          auth(std::move(authenticator)),
          metrics(registry),
          requests_total(registry.counter("http_requests_total", "HTTP requests answered",
                                          {"route", "method", "status"})),
          request_duration(registry.histogram("http_request_duration_seconds",
                                              "Time to answer an HTTP request",
                                              {"route", "method", "status"})),
          in_flight_gauge(
              registry.gauge("http_requests_in_flight", "HTTP requests being handled now")) {}

    Status build_http();
    void install_hooks();
    void add_builtin_routes();
    void match_route(const httplib::Request& req, InFlight& state) const;

    HandlerResponse on_request_start(const httplib::Request& req, httplib::Response& res);
    void dispatch(const httplib::Request& req, httplib::Response& res);
    HandlerResponse on_error(const httplib::Request& req, httplib::Response& res);
    void on_exception(const httplib::Request& req, httplib::Response& res,
                      const std::exception_ptr& error);
    void on_request_end(const httplib::Request& req, const httplib::Response& res);
    std::string request_id_of(const httplib::Request& req, const httplib::Response& res);
    void handle_readyz(httplib::Response& res);

    ServerSettings settings;
    Authenticator auth;
    Metrics& metrics;
    Counter& requests_total;
    Histogram& request_duration;
    Gauge& in_flight_gauge;
    std::unique_ptr<TlsCredentials> tls;    // null for plain HTTP
    std::unique_ptr<httplib::Server> http;  // httplib::SSLServer when tls is set
    std::vector<Route> routes;              // frozen once started

    std::mutex mutex;                                       // guards the fields below
    std::map<const httplib::Request*, InFlight> in_flight;  // guarded by mutex
    std::vector<std::pair<std::string, ReadinessCheck>> readiness_checks;  // guarded by mutex

    int port = 0;
    bool started = false;
    bool stopped = false;
    bool abandoned = false;  // drain timed out: worker threads may still use this object
    std::thread listener;
    std::future<void> listener_done;
};

Status Server::Impl::build_http() {
    if (!settings.tls.enabled()) {
        http = std::make_unique<httplib::Server>();
        return {};
    }
    auto credentials = TlsCredentials::load(settings.tls);
    if (!credentials) {
        return credentials.error();
    }
    tls = std::move(credentials).value();
    auto ssl_server =
        std::make_unique<httplib::SSLServer>([this](SSL_CTX& ctx) { return tls->configure(ctx); });
    if (!ssl_server->is_valid()) {
        return Error{ErrorCode::kInternal, "cannot set up the TLS context"};
    }
    http = std::move(ssl_server);
    return {};
}

void Server::Impl::install_hooks() {
    const auto workers = static_cast<std::size_t>(settings.workers);
    // httplib owns and deletes the queue it gets from this factory.
    http->new_task_queue = [workers] { return new httplib::ThreadPool(workers); };
    http->set_read_timeout(settings.read_timeout.count() / 1000,
                           (settings.read_timeout.count() % 1000) * 1000);
    http->set_write_timeout(settings.write_timeout.count() / 1000,
                            (settings.write_timeout.count() % 1000) * 1000);
    http->set_payload_max_length(settings.max_body_bytes);
    // Headers and body go out in separate writes: without TCP_NODELAY, Nagle holds the body until
    // the client's delayed ACK (~40 ms per request on keep-alive connections).
    http->set_tcp_nodelay(true);
    http->set_keep_alive_max_count(static_cast<std::size_t>(settings.keep_alive_max_requests));
    http->set_keep_alive_timeout(settings.keep_alive_timeout.count());
    http->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
        return on_request_start(req, res);
    });
    http->set_error_handler(httplib::Server::HandlerWithResponse(
        [this](const httplib::Request& req, httplib::Response& res) {
            return on_error(req, res);
        }));
    http->set_exception_handler(
        [this](const httplib::Request& req, httplib::Response& res,
               const std::exception_ptr& error) { on_exception(req, res, error); });
    // The post-routing hook runs once the response is final but before it is sent, so a client
    // that got its answer always finds the request counted in /metrics.
    http->set_post_routing_handler(
        [this](const httplib::Request& req, httplib::Response& res) { on_request_end(req, res); });
    const std::string any_path = R"([\s\S]*)";
    const auto handler = [this](const httplib::Request& req, httplib::Response& res) {
        dispatch(req, res);
    };
    http->Get(any_path, handler);
    http->Post(any_path, handler);
    http->Put(any_path, handler);
    http->Patch(any_path, handler);
    http->Delete(any_path, handler);
    http->Options(any_path, handler);
}

void Server::Impl::add_builtin_routes() {
    const auto add = [this](const char* path, RouteHandler handler) {
        routes.push_back(
            Route{Method::kGet, path, std::regex(path), Access::anyone(), std::move(handler)});
    };
    add("/healthz", [](const httplib::Request&, httplib::Response& res, const RequestContext&) {
        write_json(res, 200, {{"status", "ok"}});
    });
    add("/readyz", [this](const httplib::Request&, httplib::Response& res, const RequestContext&) {
        handle_readyz(res);
    });
    add("/metrics", [this](const httplib::Request&, httplib::Response& res, const RequestContext&) {
        res.set_content(metrics.render(), "text/plain; version=0.0.4; charset=utf-8");
    });
}

void Server::Impl::match_route(const httplib::Request& req, InFlight& state) const {
    for (const auto& route : routes) {
        std::smatch match;
        if (!std::regex_match(req.path, match, route.regex)) {
            continue;
        }
        if (!state.path_known) {
            state.path_known = true;
            state.route_label = route.pattern;
        }
        const auto name = std::string(method_name(route.method));
        if (state.allow.find(name) == std::string::npos) {
            state.allow += (state.allow.empty() ? "" : ", ") + name;
        }
        if (state.route == nullptr && method_matches(route.method, req.method)) {
            state.route = &route;
            state.route_label = route.pattern;
            state.captures.assign(match.begin() + 1, match.end());
        }
    }
}

HandlerResponse Server::Impl::on_request_start(const httplib::Request& req,
                                               httplib::Response& res) {
    InFlight state;
    state.started = Clock::now();
    const auto incoming = req.get_header_value(kRequestIdHeader);
    state.request_id = is_valid_request_id(incoming) ? incoming : new_request_id();
    res.set_header(kRequestIdHeader, state.request_id);
    match_route(req, state);
    in_flight_gauge.add({}, 1);
    std::scoped_lock lock(mutex);
    // A stale entry at this address (a request that never reached post-routing) is simply replaced.
    in_flight.insert_or_assign(&req, std::move(state));
    return HandlerResponse::Unhandled;
}

void Server::Impl::dispatch(const httplib::Request& req, httplib::Response& res) {
    InFlight state;
    {
        std::scoped_lock lock(mutex);
        const auto it = in_flight.find(&req);
        if (it == in_flight.end()) {
            throw std::logic_error("request reached dispatch without a pre-routing entry");
        }
        state = it->second;
    }
    drop_ranges(req);
    if (state.route == nullptr) {
        if (!state.path_known) {
            return write_error(res, {ErrorCode::kNotFound, "no route for " + req.path});
        }
        res.set_header("Allow", state.allow);
        return write_error(
            res, {ErrorCode::kMethodNotAllowed, "method " + req.method + " is not allowed here"});
    }
    auto principal = auth.authorize(req.get_header_value("Authorization"), state.route->access);
    if (!principal) {
        return write_error(res, principal.error());
    }
    const RequestContext context{state.request_id, std::move(principal).value(),
                                 state.route->pattern, std::move(state.captures)};
    state.route->handler(req, res, context);
}

std::string Server::Impl::request_id_of(const httplib::Request& req, const httplib::Response& res) {
    if (res.has_header(kRequestIdHeader)) {
        return res.get_header_value(kRequestIdHeader);
    }
    std::scoped_lock lock(mutex);
    const auto it = in_flight.find(&req);
    return it == in_flight.end() ? std::string() : it->second.request_id;
}

HandlerResponse Server::Impl::on_error(const httplib::Request& req, httplib::Response& res) {
    if (!res.has_header(kRequestIdHeader)) {
        // httplib rejected the request before pre-routing (bad request line, URI too long).
        res.set_header(kRequestIdHeader, new_request_id());
    }
    if (!res.body.empty() || res.content_provider_) {
        return HandlerResponse::Unhandled;  // the handler wrote its own error body
    }
    const ErrorCode code = error_code_for_status(res.status);
    const int status = res.status;
    std::string message =
        code == ErrorCode::kTooLarge
            ? "request larger than " + std::to_string(settings.max_body_bytes) + " bytes"
            : "request rejected with status " + std::to_string(status);
    write_json(res, status, error_body({code, std::move(message)}));
    drop_ranges(req);
    return HandlerResponse::Handled;  // lets httplib set Content-Length for the new body
}

void Server::Impl::on_exception(const httplib::Request& req, httplib::Response& res,
                                const std::exception_ptr& error) {
    std::string what = "unknown exception";
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& ex) {
        what = ex.what();
    } catch (...) {
        // `what` already says it: not derived from std::exception.
    }
    const std::string request_id = request_id_of(req, res);
    log::error("handler threw",
               {{"request_id", request_id}, {"path", req.path}, {"exception", what}});
    res.headers.clear();
    res.set_header(kRequestIdHeader, request_id);
    res.content_provider_ = nullptr;
    res.content_length_ = 0;
    drop_ranges(req);
    write_error(res, {ErrorCode::kInternal, "internal error (request " + request_id + ")"});
}

void Server::Impl::on_request_end(const httplib::Request& req, const httplib::Response& res) {
    std::optional<InFlight> state;
    {
        std::scoped_lock lock(mutex);
        if (const auto it = in_flight.find(&req); it != in_flight.end()) {
            state = std::move(it->second);
            in_flight.erase(it);
        }
    }
    if (state) {
        in_flight_gauge.add({}, -1);
    }
    const double seconds =
        state ? std::chrono::duration<double>(Clock::now() - state->started).count() : 0.0;
    const std::string route = state ? state->route_label : std::string(kUnmatchedRoute);
    const LabelValues labels{route, req.method, std::to_string(res.status)};
    requests_total.inc(labels);
    request_duration.observe(labels, seconds);
    const std::size_t bytes = res.body.empty() ? res.content_length_ : res.body.size();
    log::info("request", {{"method", req.method},
                          {"route", route},
                          {"path", req.path},
                          {"status", res.status},
                          {"duration_ms", seconds * 1000.0},
                          {"bytes", bytes},
                          {"request_id", res.get_header_value(kRequestIdHeader)},
                          {"remote_addr", req.remote_addr}});
}

void Server::Impl::handle_readyz(httplib::Response& res) {
    std::vector<std::pair<std::string, ReadinessCheck>> checks;
    {
        std::scoped_lock lock(mutex);
        checks = readiness_checks;
    }
    nlohmann::json results = nlohmann::json::object();
    std::string failing;
    for (const auto& [name, check] : checks) {
        const Status status = check();
        results[name] = status ? std::string("ok") : std::string(wire_name(status.error().code));
        if (!status) {
            log::warn("readiness check failed",
                      {{"check", name}, {"error", status.error().message}});
            failing = failing.empty() ? name : failing;
        }
    }
    if (failing.empty()) {
        return write_json(res, 200, {{"status", "ok"}, {"checks", results}});
    }
    auto body = error_body({ErrorCode::kUnavailable, "readiness check " + failing + " failed"});
    body["checks"] = results;
    write_json(res, http_status(ErrorCode::kUnavailable), body);
}

Result<std::unique_ptr<Server>> Server::create(ServerSettings settings, const AuthSettings& auth,
                                               Metrics& metrics) {
    auto authenticator = Authenticator::create(auth);
    if (!authenticator) {
        return authenticator.error();
    }
    auto impl =
        std::make_unique<Impl>(std::move(settings), std::move(authenticator).value(), metrics);
    if (auto built = impl->build_http(); !built) {
        return built.error();
    }
    impl->install_hooks();
    impl->add_builtin_routes();
    return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() {
    if (impl_->started && !impl_->stopped) {
        (void)stop();
    }
    if (impl_->abandoned) {
        (void)impl_.release();  // threads stuck past the grace period still point into it
    }
}

void Server::route(Method method, const std::string& pattern, Access access, RouteHandler handler) {
    if (impl_->started) {
        throw std::logic_error("Server::route(" + pattern + ") after start()");
    }
    impl_->routes.push_back(
        Route{method, pattern, std::regex(pattern), std::move(access), std::move(handler)});
}

void Server::add_readiness_check(std::string name, ReadinessCheck check) {
    std::scoped_lock lock(impl_->mutex);
    impl_->readiness_checks.emplace_back(std::move(name), std::move(check));
}

Status Server::start() {
    auto& impl = *impl_;
    if (impl.started) {
        return {};
    }
    const std::string& host = impl.settings.host;
    impl.port = impl.settings.port == 0
                    ? impl.http->bind_to_any_port(host)
                    : (impl.http->bind_to_port(host, impl.settings.port) ? impl.settings.port : -1);
    if (impl.port <= 0) {
        return Error{ErrorCode::kUnavailable,
                     "cannot listen on " + host + ":" + std::to_string(impl.settings.port)};
    }
    std::packaged_task<void()> serve([&impl] { impl.http->listen_after_bind(); });
    impl.listener_done = serve.get_future();
    impl.listener = std::thread(std::move(serve));
    impl.started = true;
    const auto deadline = Clock::now() + kStartTimeout;
    while (!impl.http->is_running()) {
        if (Clock::now() > deadline || impl.listener_done.wait_for(std::chrono::milliseconds(5)) ==
                                           std::future_status::ready) {
            (void)stop();
            return Error{ErrorCode::kUnavailable, "server did not start on " + host};
        }
    }
    log::info("listening", {{"host", host}, {"port", impl.port}, {"tls", impl.tls != nullptr}});
    return {};
}

int Server::port() const { return impl_->port; }

bool Server::is_tls() const { return impl_->tls != nullptr; }

Status Server::reload_tls() {
    if (!impl_->tls) {
        return {};
    }
    auto reloaded = impl_->tls->reload();
    if (!reloaded) {
        log::error("TLS reload failed; keeping the current certificate",
                   {{"error", reloaded.error().message}});
        return reloaded;
    }
    log::info("TLS certificate reloaded", {{"cert_file", impl_->settings.tls.cert_file}});
    return {};
}

Status Server::stop() {
    auto& impl = *impl_;
    if (!impl.started || impl.stopped) {
        return {};
    }
    impl.stopped = true;
    impl.http->stop();
    const auto grace = impl.settings.shutdown_grace;
    if (impl.listener_done.wait_for(grace) != std::future_status::ready) {
        log::error("in-flight requests did not finish within the shutdown grace period",
                   {{"grace_ms", grace.count()}});
        impl.listener.detach();
        impl.abandoned = true;
        return Error{ErrorCode::kTimeout, "shutdown grace period exceeded"};
    }
    impl.listener.join();
    log::info("stopped", {{"port", impl.port}});
    return {};
}

Status Server::run_until_signal() {
    if (auto blocked = block_shutdown_signals(); !blocked) {
        return blocked;
    }
    if (auto started = start(); !started) {
        return started;
    }
    const sigset_t signals = shutdown_signals();
    const timespec poll{0, std::chrono::nanoseconds(kSignalPoll).count()};
    while (impl_->listener_done.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
        const int signal_number = sigtimedwait(&signals, nullptr, &poll);
        if (signal_number == SIGHUP) {
            (void)reload_tls();
        } else if (signal_number == SIGTERM || signal_number == SIGINT) {
            log::info("shutting down",
                      {{"signal", signal_number == SIGTERM ? "SIGTERM" : "SIGINT"}});
            return stop();
        }
    }
    (void)stop();
    return Error{ErrorCode::kInternal, "the server stopped serving unexpectedly"};
}

Status block_shutdown_signals() {
    const sigset_t signals = shutdown_signals();
    if (const int rc = pthread_sigmask(SIG_BLOCK, &signals, nullptr); rc != 0) {
        return Error{ErrorCode::kInternal, "pthread_sigmask failed: " + std::to_string(rc)};
    }
    return {};
}

}  // namespace aiops::common
