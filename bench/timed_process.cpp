#include "timed_process.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <string>

extern char** environ;  // NOLINT(readability-identifier-naming): POSIX name

namespace aiops::bench {
namespace {

// posix_spawn file actions that close themselves.
class SpawnActions {
public:
    SpawnActions() { ok_ = posix_spawn_file_actions_init(&actions_) == 0; }
    ~SpawnActions() {
        if (ok_) {
            posix_spawn_file_actions_destroy(&actions_);
        }
    }
    SpawnActions(const SpawnActions&) = delete;
    SpawnActions& operator=(const SpawnActions&) = delete;

    // Child: stdin from /dev/null, stdout into the pipe's write end, read end closed.
    bool wire(int read_fd, int write_fd) {
        return ok_ &&
               posix_spawn_file_actions_addopen(&actions_, 0, "/dev/null", O_RDONLY, 0) == 0 &&
               posix_spawn_file_actions_adddup2(&actions_, write_fd, 1) == 0 &&
               posix_spawn_file_actions_addclose(&actions_, read_fd) == 0 &&
               posix_spawn_file_actions_addclose(&actions_, write_fd) == 0;
    }
    const posix_spawn_file_actions_t* get() const { return &actions_; }

private:
    posix_spawn_file_actions_t actions_{};
    bool ok_ = false;
};

// Reads `fd` to end of file (the child's stdout), retrying on EINTR.
std::string drain(int fd) {
    std::string text;
    std::array<char, 4096> buffer{};
    for (;;) {
        const ssize_t got = read(fd, buffer.data(), buffer.size());
        if (got > 0) {
            text.append(buffer.data(), static_cast<std::size_t>(got));
        } else if (got == 0 || errno != EINTR) {
            return text;
        }
    }
}

double seconds_of(const timeval& time) {
    return static_cast<double>(time.tv_sec) + static_cast<double>(time.tv_usec) / 1e6;
}

// Reaps `pid`: its exit status (-1 when killed) and CPU seconds (with its reaped descendants).
int wait_for(pid_t pid, double& cpu_seconds) {
    int status = 0;
    rusage usage{};
    while (wait4(pid, &status, 0, &usage) < 0) {
        if (errno != EINTR) {
            return -1;
        }
    }
    cpu_seconds = seconds_of(usage.ru_utime) + seconds_of(usage.ru_stime);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

TimedRun run_timed(const std::vector<std::string>& argv) {
    TimedRun run;
    std::array<int, 2> pipe_fds{};
    if (argv.empty() || pipe2(pipe_fds.data(), O_CLOEXEC) != 0) {
        run.error = "cannot create a pipe for the child's stdout";
        return run;
    }
    std::vector<char*> args;
    for (const auto& arg : argv) {
        args.push_back(const_cast<char*>(arg.c_str()));
    }
    args.push_back(nullptr);
    SpawnActions actions;
    pid_t pid = -1;
    const auto start = std::chrono::steady_clock::now();
    const int spawned =
        actions.wire(pipe_fds[0], pipe_fds[1])
            ? posix_spawnp(&pid, args[0], actions.get(), nullptr, args.data(), environ)
            : EINVAL;
    close(pipe_fds[1]);
    if (spawned != 0) {
        close(pipe_fds[0]);
        run.error = "cannot start " + argv[0] + ": " + std::strerror(spawned);
        return run;
    }
    run.output = drain(pipe_fds[0]);  // EOF once the child exits (nobody else holds the write end)
    close(pipe_fds[0]);
    run.exit_status = wait_for(pid, run.cpu_seconds);
    run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return run;
}

double median(std::vector<double> values) {
    if (values.empty()) {
        return 0;
    }
    std::sort(values.begin(), values.end());
    const std::size_t middle = values.size() / 2;
    return values.size() % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
}

std::optional<std::uint64_t> parse_size(const std::string& text) {
    std::size_t used = 0;
    std::uint64_t value = 0;
    try {
        value = std::stoull(text, &used);
    } catch (const std::exception&) {
        return std::nullopt;
    }
    const std::string suffix = text.substr(used);
    const int shift = suffix.empty()  ? 0
                      : suffix == "K" ? 10
                      : suffix == "M" ? 20
                      : suffix == "G" ? 30
                                      : -1;
    if (shift < 0 || value == 0 || value > (UINT64_MAX >> shift)) {
        return std::nullopt;
    }
    return value << shift;
}

std::optional<std::vector<std::uint64_t>> parse_rates(const std::string& text) {
    std::vector<std::uint64_t> rates;
    std::size_t start = 0;
    while (start <= text.size()) {
        const auto comma = std::min(text.find(',', start), text.size());
        const auto item = text.substr(start, comma - start);
        auto rate = item == "0" ? std::optional<std::uint64_t>(0) : parse_size(item);
        if (!rate) {
            return std::nullopt;
        }
        rates.push_back(*rate);
        start = comma + 1;
    }
    return rates;
}

std::uint64_t peak_rss_kib(int pid) {
    std::ifstream status(pid == 0 ? std::string("/proc/self/status")
                                  : "/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.starts_with("VmHWM:")) {
            return std::strtoull(line.c_str() + 6, nullptr, 10);
        }
    }
    return 0;
}

}  // namespace aiops::bench
