#define BOOST_TEST_MODULE pickle_scan
#include "pickle_scan.h"

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <string>

#include "byte_source.h"
#include "pickle_corpus.h"
#include "pickle_writer.h"

namespace aiops::scanner {
// Readable severities in assertion messages.
std::ostream& operator<<(std::ostream& out, Severity severity) {
    constexpr const char* kNames[] = {"Unknown", "Low", "Medium", "High", "Critical"};
    return out << kNames[static_cast<int>(severity)];
}
}  // namespace aiops::scanner

namespace {

using aiops::scanner::analyse_pickle;
using aiops::scanner::Finding;
using aiops::scanner::Findings;
using aiops::scanner::MemorySource;
using aiops::scanner::pickle_findings;
using aiops::scanner::PickleLimits;
using aiops::scanner::PickleReport;
using aiops::scanner::Severity;
using aiops::scanner::testing::numpy_array_pickle;
using aiops::scanner::testing::PickleWriter;
using aiops::scanner::testing::plain_data_pickle;
using aiops::scanner::testing::torch_state_dict_pickle;

// With AIOPS_PICKLE_CORPUS_DIR set, every pickle a test analyses is also written there, named
// after the test case: that is how tests/fuzz/corpus/scanner_pickle/ is regenerated.
void save_to_corpus(const std::string& bytes) {
    const char* dir = std::getenv("AIOPS_PICKLE_CORPUS_DIR");
    if (!dir) {
        return;
    }
    const auto name = boost::unit_test::framework::current_test_case().p_name.get();
    auto path = std::filesystem::path(dir) / (name + ".pkl");
    for (int copy = 2; std::filesystem::exists(path); ++copy) {
        path = std::filesystem::path(dir) / (name + "_" + std::to_string(copy) + ".pkl");
    }
    std::ofstream(path, std::ios::binary) << bytes;
}

struct Scan {
    PickleReport report;
    Findings findings;
};

Scan scan(const std::string& bytes, const PickleLimits& limits = {}) {
    save_to_corpus(bytes);
    MemorySource source(bytes);
    Scan result;
    result.report = analyse_pickle(source, limits);
    result.findings = pickle_findings(result.report, "model/data.pkl");
    return result;
}

// The findings with `rule` whose title or description mentions `text`.
std::size_t count(const Findings& findings, const std::string& rule, Severity severity,
                  const std::string& text = "") {
    return static_cast<std::size_t>(std::ranges::count_if(findings, [&](const Finding& finding) {
        return finding.rule_id == rule && finding.severity == severity &&
               (finding.title + " " + finding.description).find(text) != std::string::npos;
    }));
}

std::size_t high_or_critical(const Findings& findings) {
    return static_cast<std::size_t>(std::ranges::count_if(
        findings, [](const Finding& finding) { return finding.severity >= Severity::kHigh; }));
}

// --- joblib: NumpyArrayWrapper + raw array bytes after the opcodes (joblib/numpy_pickle.py) ---

// The wrapper for a float64 (or `dtype`) array of `shape`, as joblib ≥ 1.2 pickles it; the
// stream stops right after the wrapper's BUILD, where joblib writes the array bytes.
PickleWriter& joblib_wrapper(PickleWriter& out, const std::vector<int>& shape,
                             std::string_view dtype = "f8", bool tracked_shape = true) {
    out.short_unicode("joblib.numpy_pickle").memoize().short_unicode("NumpyArrayWrapper");
    out.memoize().stack_global().memoize().empty_tuple().newobj().memoize();
    out.empty_dict().memoize().mark();
    out.short_unicode("subclass").short_unicode("numpy").short_unicode("ndarray").stack_global();
    out.short_unicode("shape");
    if (tracked_shape) {
        out.mark();
        for (const int dim : shape) {
            out.binint1(dim);
        }
        out.tuple();
    } else {
        out.none();  // a shape the analyser cannot follow
    }
    out.short_unicode("order").short_unicode("C");
    out.short_unicode("dtype").short_unicode("numpy").short_unicode("dtype").stack_global();
    out.short_unicode(dtype).newfalse().newtrue().tuple3().reduce();
    out.mark().binint1(3).short_unicode("<").none().none().none().binint(-1).binint(-1);
    out.binint1(0).tuple().build();
    out.short_unicode("allow_mmap").newfalse();
    out.short_unicode("numpy_array_alignment_bytes").binint1(16);
    return out.setitems().build();
}

// Alignment padding (one length byte, then 0xFF × length, to a 16-byte boundary) and the data.
void joblib_array_bytes(PickleWriter& out, std::size_t data_bytes) {
    const std::size_t padding = 16 - (out.bytes().size() + 1) % 16;
    out.uint_le(padding, 1).raw(std::string(padding, '\xff'));
    std::string data(data_bytes, '\0');
    for (std::size_t index = 0; index < data.size(); ++index) {
        data[index] = "c(R.\x93\x81"[index % 6];  // opcode bytes, would they be parsed
    }
    out.raw(data);
}

// {'w': array} at protocol 2, then `tail` opcodes and STOP.
std::string joblib_pickle(const std::vector<int>& shape, const std::string& tail = "") {
    PickleWriter out;
    out.proto(2).empty_dict().memoize().short_unicode("w").memoize();
    joblib_wrapper(out, shape);
    std::size_t items = 1;
    for (const int dim : shape) {
        items *= static_cast<std::size_t>(dim);
    }
    joblib_array_bytes(out, items * 8);
    out.setitem().raw(tail).stop();
    return out.bytes();
}

// `cos\nsystem\n(S'id'\ntR.` and friends: callable, one string argument, REDUCE.
PickleWriter call_with_string(PickleWriter out, const std::string& module, const std::string& name,
                              const std::string& argument) {
    out.global(module, name).mark().string0(argument).tuple().reduce();
    return out;
}

std::string posix_system_protocol2() {
    PickleWriter out;
    out.proto(2).global("posix", "system").binput(0).unicode("id").binput(1).tuple1().reduce();
    return out.stop().bytes();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(malformed_streams)

BOOST_AUTO_TEST_CASE(empty_input_is_a_low_malformed_finding) {
    auto result = scan("");

    BOOST_TEST(!result.report.error.empty());
    BOOST_TEST(result.findings.size() == 1U);
    BOOST_TEST(count(result.findings, "AIMS-PICKLE-MALFORMED", Severity::kLow) == 1U);
}

BOOST_AUTO_TEST_CASE(invalid_utf8_in_global_arguments_is_an_error_not_a_crash) {
    auto result = scan("cmod\n\xf8\n");

    BOOST_TEST(result.report.error.find("UTF-8") != std::string::npos);
    BOOST_TEST(result.report.imports.empty());
    BOOST_TEST(count(result.findings, "AIMS-PICKLE-MALFORMED", Severity::kLow) == 1U);
    BOOST_TEST(high_or_critical(result.findings) == 0U);
}

BOOST_AUTO_TEST_CASE(reduce_before_a_parse_error_is_still_reported) {
    auto bytes = call_with_string(PickleWriter{}, "os", "system", "id").raw("\xff").bytes();

    auto result = scan(bytes);

    BOOST_TEST(result.report.error.find("unknown opcode 0xff") != std::string::npos);
    BOOST_TEST(result.report.error_offset == bytes.size() - 1);
    BOOST_TEST(count(result.findings, "AIMS-PICKLE-EXEC", Severity::kCritical, "os.system") == 1U);
    BOOST_TEST(count(result.findings, "AIMS-PICKLE-MALFORMED", Severity::kMedium) == 1U);
}

BOOST_AUTO_TEST_CASE(truncated_stream_keeps_the_import_seen_before_the_end) {
    PickleWriter out;
    out.proto(2).global("posix", "system").binput(0).unicode("id");

    auto result = scan(out.bytes());

    BOOST_TEST(result.report.error.find("truncated") != std::string::npos);
    BOOST_TEST(count(result.findings, "AIMS-PICKLE-DANGEROUS-IMPORT", Severity::kHigh,
                     "posix.system") == 1U);
    BOOST_TEST(count(result.findings, "AIMS-PICKLE-MALFORMED", Severity::kMedium) == 1U);
}

BOOST_AUTO_TEST_CASE(operand_length_past_the_end_is_truncation) {
    PickleWriter out;
    out.proto(4).op('\x8e').uint_le(1ULL << 62, 8);

    auto result = scan(out.bytes());

    BOOST_TEST(result.report.error.find("truncated") != std::string::npos);
    BOOST_TEST(result.findings.size() == 1U);
}

BOOST_AUTO_TEST_CASE(unsupported_protocol_is_an_error) {
    auto result = scan(PickleWriter{}.proto(6).none().stop().bytes());

    BOOST_TEST(result.report.error == "unsupported pickle protocol 6");
}

BOOST_AUTO_TEST_CASE(frame_longer_than_the_stream_is_an_error) {
    auto result = scan(PickleWriter{}.proto(4).frame(1000).none().stop().bytes());

    BOOST_TEST(result.report.error.find("FRAME declares 1000 bytes") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(stack_underflow_is_an_error) {
    auto result = scan(PickleWriter{}.proto(2).reduce().stop().bytes());

    BOOST_TEST(result.report.error == "REDUCE: stack underflow");
    BOOST_TEST(result.report.error_offset == 2U);
}

BOOST_AUTO_TEST_CASE(garbage_after_the_last_stop_is_an_error_but_keeps_findings) {
    auto bytes = posix_system_protocol2() + "garbage";

    auto result = scan(bytes);

    BOOST_TEST(result.report.pickles == 1);
    BOOST_TEST(!result.report.error.empty());
    BOOST_TEST(count(result.findings, "AIMS-PICKLE-EXEC", Severity::kCritical, "posix.system") ==
               1U);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(limits)

BOOST_AUTO_TEST_CASE(deep_mark_nesting_stops_at_the_stack_limit) {
    PickleLimits limits;
    limits.max_stack_depth = 1000;

    auto result =
        scan(PickleWriter{}.proto(2).raw(std::string(200'000, '(')).stop().bytes(), limits);

    BOOST_TEST(result.report.anomalies.size() == 1U);
    BOOST_TEST(count(result.findings, "AIMS-PICKLE-LIMITS", Severity::kMedium, "stack deeper") ==
               1U);
    BOOST_TEST(result.report.opcodes < 2000U);
}

BOOST_AUTO_TEST_CASE(opcode_limit_stops_the_analysis) {
    PickleLimits limits;
    limits.max_opcodes = 10;
    PickleWriter out;
    out.proto(2).empty_list();
    for (int index = 0; index < 20; ++index) {
        out.none().op('a');
    }

    auto result = scan(out.stop().bytes(), limits);

    BOOST_TEST(count(result.findings, "AIMS-PICKLE-LIMITS", Severity::kMedium, "10 opcodes") == 1U);
    BOOST_TEST(result.report.opcodes == 11U);
}

BOOST_AUTO_TEST_CASE(huge_memo_index_is_reported_without_allocating_it) {
    PickleWriter out;
    out.proto(2).none().long_binput(0xFFFFFFF0U).long_binget(0xFFFFFFF0U).op('0').stop();

    auto result = scan(out.bytes());

    BOOST_TEST(result.report.error.empty());
    BOOST_TEST(count(result.findings, "AIMS-PICKLE-MEMO-DOS", Severity::kMedium, "4294967280") ==
               1U);
    BOOST_TEST(high_or_critical(result.findings) == 0U);
}

BOOST_AUTO_TEST_CASE(memo_limit_stops_the_analysis) {
    PickleLimits limits;
    limits.max_memo_entries = 5;
    PickleWriter out;
    out.proto(4).empty_list().mark();
    for (int index = 0; index < 10; ++index) {
        out.short_unicode("x").memoize();
    }

    auto result = scan(out.appends().stop().bytes(), limits);

    BOOST_TEST(count(result.findings, "AIMS-PICKLE-LIMITS", Severity::kMedium, "5 memo entries") ==
               1U);
}

BOOST_AUTO_TEST_CASE(legacy_torch_layout_stops_quietly_after_max_pickles) {
    PickleLimits limits;
    limits.max_pickles = 2;
    limits.stop_after_max_pickles = true;
    const auto first = PickleWriter{}.proto(2).binint(1001).stop().bytes();
    const auto second = plain_data_pickle();

    auto result = scan(first + second + std::string(64, '\xcc'), limits);

    BOOST_TEST(result.report.pickles == 2);
    BOOST_TEST(result.report.error.empty());
    BOOST_TEST(result.report.end_offset == first.size() + second.size());
    BOOST_TEST(result.findings.empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(malicious)

BOOST_AUTO_TEST_CASE(os_system_with_reduce_protocol_0_is_critical_exec) {
    auto bytes = call_with_string(PickleWriter{}, "os", "system", "echo pwned").stop().bytes();

    auto result = scan(bytes);

    BOOST_TEST(result.report.error.empty());
    BOOST_TEST(result.findings.size() == 1U);
    BOOST_TEST(count(result.findings, "AIMS-PICKLE-EXEC", Severity::kCritical,
                     "os.system (os: runs system commands or processes) is imported by GLOBAL at "
                     "offset 0 and called by REDUCE at offset 27") == 1U);
}

BOOST_AUTO_TEST_CASE(posix_system_protocol_2_is_critical_exec) {
    auto result = scan(posix_system_protocol2());

    BOOST_TEST(result.report.max_protocol == 2);
    BOOST_TEST(result.findings.size() == 1U);
    BOOST_TEST(count(result.findings, "AIMS-PICKLE-EXEC", Severity::kCritical,
                     "pickle calls posix.system") == 1U);
}

BOOST_AUTO_TEST_CASE(stack_global_through_memoised_strings_beats_decoys) {
    PickleWriter out;
    out.proto(4).short_unicode("torch").memoize().short_unicode("LongStorage").memoize();
    out.short_unicode("os").memoize().short_unicode("system").memoize();
    out.binget(0).binget(1).stack_global().memoize().op('0');  // a real, allowed decoy import
    out.binget(2).binget(3).stack_global().short_unicode("id").tuple1().reduce().stop();

    auto result = scan(out.bytes());

    BOOST_TEST(result.report.imports.size() == 2U);
    BOOST_TEST(result.findings.size() == 1U);
    BOOST_TEST(count(result.findings, "AIMS-PICKLE-EXEC", Severity::kCritical,
                     "os.system (os: runs system commands or processes) is imported by "
                     "STACK_GLOBAL") == 1U);
}

BOOST_AUTO_TEST_CASE(stack_global_with_protocol_0_string_operands_is_resolved) {
    PickleWriter out;
    out.proto(4).string0("os").string0("sys\\x74em").stack_global().string0("id").tuple1();

    auto result = scan(out.reduce().stop().bytes());

    BOOST_TEST(count(result.findings, "AIMS-PICKLE-EXEC", Severity::kCritical, "os.system") == 1U);
}

BOOST_AUTO_TEST_CASE(protocol_0_inst_calls_its_import) {
    PickleWriter out;
    out.mark().string0("id").inst("os", "system").stop();

    auto result = scan(out.bytes());

    BOOST_TEST(result.findings.size() == 1U);
    BOOST_TEST(count(result.findings, "AIMS-PICKLE-EXEC", Severity::kCritical,
                     "called by INST at offset 7") == 1U);
}

BOOST_AUTO_TEST_CASE(obj_calls_the_class_after_the_mark) {
    PickleWriter out;
    out.mark().global("subprocess", "check_output").string0("id").obj().op('0');
    out.none().stop();

    auto result = scan(out.bytes());

    BOOST_TEST(count(result.findings, "AIMS-PICKLE-EXEC", Severity::kCritical,
                     "subprocess.check_output") == 1U);
    BOOST_TEST(count(result.findings, "AIMS-PICKLE-EXEC", Severity::kCritical, "called by OBJ") ==
               1U);
}

BOOST_AUTO_TEST_CASE(newobj_of_subprocess_popen_is_critical_exec) {
    PickleWriter out;
    out.proto(2).global("subprocess", "Popen").unicode("id").tuple1().newobj().stop();

    auto result = scan(out.bytes());

    BOOST_TEST(count(result.findings, "AIMS-PICKLE-EXEC", Severity::kCritical,
                     "subprocess.Popen (subprocess") == 1U);
    BOOST_TEST(count(result.findings, "AIMS-PICKLE-EXEC", Severity::kCritical, "NEWOBJ") == 1U);
}

BOOST_AUTO_TEST_CASE(getattr_chain_reports_every_link) {
    // getattr(__import__('builtins'), 'eval')('1+1')
    PickleWriter out;
    out.proto(2).global("builtins", "getattr").global("builtins", "__import__");
    out.unicode("builtins").tuple1().reduce().unicode("eval").tuple2().reduce();
    out.unicode("1+1").tuple1().reduce().stop();

    auto result = scan(out.bytes());

    BOOST_TEST(count(result.findings, "AIMS-PICKLE-EXEC", Severity::kCritical,
                     "pickle calls builtins.getattr") == 1U);
    BOOST_TEST(count(result.findings, "AIMS-PICKLE-EXEC", Severity::kCritical,
                     "pickle calls builtins.__import__") == 1U);
    BOOST_TEST(count(result.findings, "AIMS-PICKLE-UNRESOLVED", Severity::kCritical,
                     "calls <result of builtins.getattr>") == 1U);
}

BOOST_AUTO_TEST_CASE(python2_builtin_eval_is_remapped_under_protocol_2) {
    auto bytes = call_with_string(PickleWriter{}.proto(2), "__builtin__", "eval", "1+1").stop();

    auto result = scan(bytes.bytes());

    BOOST_REQUIRE(result.report.imports.size() == 1U);
    BOOST_TEST(result.report.imports[0].module == "builtins");
    BOOST_TEST(count(result.findings, "AIMS-PICKLE-EXEC", Severity::kCritical, "builtins.eval") ==
               1U);
}

BOOST_AUTO_TEST_CASE(python2_names_are_remapped_through_compat_tables) {
    PickleWriter out;
    out.proto(1).global("__builtin__", "reduce").op('0').global("commands", "getoutput").op('0');
    out.global("copy_reg", "_reconstructor").op('0').none().stop();

    auto result = scan(out.bytes());

    BOOST_REQUIRE(result.report.imports.size() == 3U);
    BOOST_TEST(result.report.imports[0].module + "." + result.report.imports[0].name ==
               "functools.reduce");
    BOOST_TEST(result.report.imports[1].module == "subprocess");
    BOOST_TEST(result.report.imports[2].module == "copyreg");
    BOOST_TEST(count(result.findings, "AIMS-PICKLE-DANGEROUS-IMPORT", Severity::kHigh) == 2U);
}

BOOST_AUTO_TEST_CASE(dotted_attribute_path_through_another_module_is_denied) {
    PickleWriter out;
    out.proto(4).short_unicode("pathlib").short_unicode("os.system").stack_global();
    out.short_unicode("id").tuple1().reduce().stop();

    auto result = scan(out.bytes());

    BOOST_TEST(count(result.findings, "AIMS-PICKLE-EXEC", Severity::kCritical,
                     "pathlib.os.system (os: runs system commands") == 1U);
}

BOOST_AUTO_TEST_CASE(attribute_of_a_denied_callable_is_denied) {
    PickleWriter out;
    out.proto(4).short_unicode("builtins").short_unicode("eval.__call__").stack_global();
    out.short_unicode("1+1").tuple1().reduce().stop();

    auto result = scan(out.bytes());

    BOOST_TEST(count(result.findings, "AIMS-PICKLE-EXEC", Severity::kCritical,
                     "builtins.eval.__call__ (builtins.eval: runs Python code)") == 1U);
}

BOOST_AUTO_TEST_CASE(ext1_import_is_unresolved_critical) {
    PickleWriter out;
    out.proto(2).ext1(7).unicode("id").tuple1().reduce().stop();

    auto result = scan(out.bytes());

    BOOST_TEST(result.findings.size() == 1U);
    BOOST_TEST(count(result.findings, "AIMS-PICKLE-UNRESOLVED", Severity::kCritical,
                     "_inverted_registry[7]") == 1U);
}

BOOST_AUTO_TEST_CASE(get_of_a_missing_memo_key_is_unresolved_and_analysis_goes_on) {
    PickleWriter out;
    out.proto(4).binget(5).short_unicode("system").stack_global();
    out.short_unicode("id").tuple1().reduce().stop();

    auto result = scan(out.bytes());

    BOOST_TEST(count(result.findings, "AIMS-PICKLE-UNRESOLVED", Severity::kCritical,
                     "reads memo key 5, which was never stored") == 1U);
    BOOST_TEST(count(result.findings, "AIMS-PICKLE-UNRESOLVED", Severity::kCritical,
                     "module <missing memo entry>, name system") == 1U);
}

BOOST_AUTO_TEST_CASE(int_in_the_memo_as_stack_global_operand_is_unresolved) {
    PickleWriter out;
    out.proto(4).binint1(5).memoize().short_unicode("system").memoize();
    out.binget(0).binget(1).stack_global().short_unicode("id").tuple1().reduce().stop();

    auto result = scan(out.bytes());

    BOOST_TEST(count(result.findings, "AIMS-PICKLE-UNRESOLVED", Severity::kCritical,
                     "module <int>, name system") == 1U);
}

BOOST_AUTO_TEST_CASE(build_on_a_module_is_monkey_patching) {
    // sys_module_override_sploit: BUILD writes 'builtins' and 'eval' over torch._utils attributes,
    // then STACK_GLOBAL takes two imported objects as its operands.
    PickleWriter out;
    out.proto(4).short_unicode("torch").short_unicode("_utils").stack_global().memoize();
    out.empty_dict().short_unicode("_rebuild_tensor").short_unicode("builtins").setitem().build();
    out.short_unicode("torch._utils").short_unicode("_rebuild_tensor").stack_global();
    out.short_unicode("torch._utils").short_unicode("_rebuild_tensor").stack_global();
    out.stack_global().short_unicode("print(1)").tuple1().reduce().stop();

    auto result = scan(out.bytes());

    BOOST_TEST(count(result.findings, "AIMS-PICKLE-MONKEYPATCH", Severity::kCritical,
                     "BUILD at offset 48 modifies torch._utils itself") == 1U);
    BOOST_TEST(count(result.findings, "AIMS-PICKLE-UNRESOLVED", Severity::kCritical,
                     "module <import torch._utils._rebuild_tensor>") == 1U);
}

BOOST_AUTO_TEST_CASE(opcode_straddling_a_frame_end_is_critical) {
    // FRAME says 3 bytes, but the BINBYTES inside it is 12: the C loader reads past the frame.
    PickleWriter out;
    out.proto(4).frame(3).short_binbytes("cos\nsystem\n").op('0').none().stop();

    auto result = scan(out.bytes());

    BOOST_TEST(count(result.findings, "AIMS-PICKLE-FRAME", Severity::kCritical,
                     "SHORT_BINBYTES at offset 11 runs past the end of its frame at offset 14") ==
               1U);
}

BOOST_AUTO_TEST_CASE(frame_inside_a_frame_is_critical) {
    PickleWriter out;
    out.proto(4).frame(12).none().frame(2).op('0').none().stop();

    auto result = scan(out.bytes());

    BOOST_TEST(count(result.findings, "AIMS-PICKLE-FRAME", Severity::kCritical,
                     "FRAME at offset 12 opens inside the frame") == 1U);
}

BOOST_AUTO_TEST_CASE(joblib_arrays_are_skipped_and_the_opcodes_after_them_analysed) {
    auto benign = scan(joblib_pickle({2, 3}));
    auto zero_d = scan(joblib_pickle({}));
    auto empty = scan(joblib_pickle({0, 4}));
    PickleWriter evil;
    evil.global("posix", "system").short_unicode("id").tuple1().reduce().op('0');
    auto after = scan(joblib_pickle({2, 3}, evil.bytes()));

    BOOST_TEST(benign.report.error.empty(), benign.report.error);
    BOOST_TEST(benign.report.pickles == 1);
    BOOST_TEST(benign.findings.empty());
    BOOST_TEST(zero_d.findings.empty());
    BOOST_TEST(empty.findings.empty());
    BOOST_TEST(count(after.findings, "AIMS-PICKLE-EXEC", Severity::kCritical, "posix.system") ==
               1U);
}

BOOST_AUTO_TEST_CASE(joblib_object_array_is_a_nested_pickle_that_is_analysed) {
    PickleWriter out;
    out.proto(2).empty_dict().short_unicode("w");
    joblib_wrapper(out, {1}, "O8");
    out.raw(posix_system_protocol2());  // joblib: pickle.dump(array) into the same file
    out.setitem().stop();

    auto result = scan(out.bytes());

    BOOST_TEST(result.report.pickles == 1);
    BOOST_TEST(result.report.error.empty(), result.report.error);
    BOOST_TEST(count(result.findings, "AIMS-PICKLE-EXEC", Severity::kCritical, "posix.system") ==
               1U);
}

BOOST_AUTO_TEST_CASE(joblib_array_of_unknown_size_stops_the_analysis_and_says_so) {
    PickleWriter out;
    out.proto(2).empty_dict().short_unicode("w");
    joblib_wrapper(out, {2}, "f8", false);
    joblib_array_bytes(out, 16);
    out.setitem().stop();

    auto result = scan(out.bytes());

    BOOST_TEST(count(result.findings, "AIMS-PICKLE-LIMITS", Severity::kMedium, "joblib array") ==
               1U);
    BOOST_TEST(high_or_critical(result.findings) == 0U);
}

BOOST_AUTO_TEST_CASE(malicious_pickle_after_a_benign_one_is_found) {
    auto bytes = plain_data_pickle() + posix_system_protocol2();

    auto result = scan(bytes);

    BOOST_TEST(result.report.pickles == 2);
    BOOST_TEST(result.report.error.empty());
    BOOST_TEST(count(result.findings, "AIMS-PICKLE-EXEC", Severity::kCritical, "posix.system") ==
               1U);
}

BOOST_AUTO_TEST_CASE(nested_pickle_loads_of_bytes_is_scanned) {
    const auto inner = posix_system_protocol2();
    PickleWriter out;
    out.proto(3).global("_pickle", "loads").binbytes(inner).tuple1().reduce().stop();
    const auto inner_offset = out.bytes().find(inner);

    auto result = scan(out.bytes());

    BOOST_TEST(count(result.findings, "AIMS-PICKLE-EXEC", Severity::kCritical,
                     "pickle calls _pickle.loads") == 1U);
    BOOST_TEST(count(result.findings, "AIMS-PICKLE-EXEC", Severity::kCritical,
                     "inside a pickle that the stream unpickles") == 1U);
    const auto nested =
        std::ranges::find(result.report.imports, 1, &aiops::scanner::PickleImport::depth);
    BOOST_REQUIRE(nested != result.report.imports.end());
    BOOST_TEST(nested->module == "posix");
    BOOST_TEST(nested->offset == inner_offset + 2);
}

BOOST_AUTO_TEST_CASE(calling_a_value_that_is_not_an_import_is_unresolved) {
    PickleWriter out;
    out.proto(2).unicode("posix.system").unicode("id").tuple1().reduce().stop();

    auto result = scan(out.bytes());

    BOOST_TEST(count(result.findings, "AIMS-PICKLE-UNRESOLVED", Severity::kCritical,
                     "REDUCE at offset 27 calls 'posix.system'") == 1U);
}

BOOST_AUTO_TEST_CASE(scanner_deactivation_import_is_dangerous) {
    PickleWriter out;
    out.proto(2).global("picklescan.scanner", "scan_pickle_bytes").op('0').none().stop();

    auto result = scan(out.bytes());

    BOOST_TEST(count(result.findings, "AIMS-PICKLE-DANGEROUS-IMPORT", Severity::kHigh,
                     "tampers with model scanners") == 1U);
}

BOOST_AUTO_TEST_CASE(unlisted_callable_is_high_when_called_and_medium_when_imported) {
    PickleWriter out;
    out.proto(2).global("mypkg.tools", "helper").empty_tuple().reduce().op('0');
    out.global("mypkg.tools", "Config").op('0').none().stop();

    auto result = scan(out.bytes());

    BOOST_TEST(count(result.findings, "AIMS-PICKLE-UNKNOWN-CALL", Severity::kHigh,
                     "mypkg.tools.helper") == 1U);
    BOOST_TEST(count(result.findings, "AIMS-PICKLE-UNKNOWN-IMPORT", Severity::kMedium,
                     "mypkg.tools.Config") == 1U);
}

BOOST_AUTO_TEST_CASE(import_passed_to_an_allowed_callable_counts_as_called) {
    // copyreg._reconstructor(cls, base, state) runs base.__init__(obj, state): Popen('id').
    PickleWriter out;
    out.proto(1).global("copy_reg", "_reconstructor").mark().global("subprocess", "Popen");
    out.binput(0).binget(0).string0("id").tuple().reduce().stop();

    auto result = scan(out.bytes());

    BOOST_TEST(result.findings.size() == 1U);
    BOOST_TEST(count(result.findings, "AIMS-PICKLE-EXEC", Severity::kCritical,
                     "called by REDUCE (as an argument)") == 1U);
}

BOOST_AUTO_TEST_CASE(network_callable_is_high) {
    auto bytes = call_with_string(PickleWriter{}.proto(2), "webbrowser", "open", "http://x");

    auto result = scan(bytes.stop().bytes());

    BOOST_TEST(count(result.findings, "AIMS-PICKLE-EXEC", Severity::kHigh, "webbrowser.open") ==
               1U);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(benign)

BOOST_AUTO_TEST_CASE(torch_state_dict_has_no_findings) {
    auto result = scan(torch_state_dict_pickle());

    BOOST_TEST(result.report.error.empty());
    BOOST_TEST(result.report.pickles == 1);
    BOOST_TEST(result.report.has_persistent_ids);
    BOOST_TEST(result.report.imports.size() == 4U);
    BOOST_TEST(result.findings.empty());
}

BOOST_AUTO_TEST_CASE(numpy_array_has_no_findings) {
    auto result = scan(numpy_array_pickle());

    BOOST_TEST(result.report.error.empty());
    BOOST_TEST(result.report.imports.size() == 4U);
    BOOST_TEST(result.findings.empty());
}

BOOST_AUTO_TEST_CASE(framed_protocol_4_data_has_no_findings) {
    auto result = scan(plain_data_pickle());

    BOOST_TEST(result.report.error.empty());
    BOOST_TEST(result.report.max_protocol == 4);
    BOOST_TEST(result.report.anomalies.empty());
    BOOST_TEST(result.findings.empty());
}

BOOST_AUTO_TEST_CASE(protocol_0_list_of_strings_has_no_findings) {
    PickleWriter out;
    out.raw("(lp0\nS'alpha'\np1\naV\\u00e9t\\u00e9\np2\naI42\naL7L\naF1.5\nag1\na.");

    auto result = scan(out.bytes());

    BOOST_TEST(result.report.error.empty());
    BOOST_TEST(result.findings.empty());
}

BOOST_AUTO_TEST_CASE(legacy_torch_file_with_several_pickles_has_no_findings) {
    const auto magic = PickleWriter{}
                           .proto(2)
                           .op('\x8a')
                           .uint_le(10, 1)
                           .raw(std::string(10, '\x6a'))
                           .stop()
                           .bytes();
    const auto version = PickleWriter{}.proto(2).binint(1001).stop().bytes();

    auto result = scan(magic + version + torch_state_dict_pickle());

    BOOST_TEST(result.report.pickles == 3);
    BOOST_TEST(result.findings.empty());
}

BOOST_AUTO_TEST_SUITE_END()
