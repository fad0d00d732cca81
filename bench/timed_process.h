#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

// Runs a program to completion and measures its wall time: the common yardstick of benchmarks that
// compare our code against a reference CLI (curl, sha256sum, skopeo) measured the same way.
namespace aiops::bench {

struct TimedRun {
    int exit_status = -1;    // -1 when killed by a signal or not started
    double seconds = 0;      // wall time from spawn to reaped exit
    double cpu_seconds = 0;  // user + system time of the child and the children it reaped
    std::string output;      // everything the program wrote to stdout (stderr is inherited)
    std::string error;       // why it could not be started or reaped, empty otherwise
};

// Spawns `argv` (argv[0] an absolute path or a name on PATH) with stdin from /dev/null, waits for
// it to exit, and returns its status, wall and CPU time, and stdout.
TimedRun run_timed(const std::vector<std::string>& argv);

// Median of `values` (mean of the middle two for an even count); 0 for none.
double median(std::vector<double> values);

// "1073741824", "64M", "1G" (K/M/G suffixes, binary) → bytes; nullopt for 0, junk or overflow.
std::optional<std::uint64_t> parse_size(const std::string& text);

// "0,512M,1G" → byte rates per second, 0 = unpaced; nullopt when an element is not a size.
std::optional<std::vector<std::uint64_t>> parse_rates(const std::string& text);

// VmHWM (peak resident set) of process `pid` ("self" when 0), in KiB; 0 when unreadable.
std::uint64_t peak_rss_kib(int pid = 0);

}  // namespace aiops::bench
