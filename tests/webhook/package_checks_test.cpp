#define BOOST_TEST_MODULE webhook_package_checks
#include "package_checks.h"

#include <boost/test/unit_test.hpp>

#include "fixtures/oci_artifact.h"
#include "fixtures/tar_archive.h"
#include "fixtures/temp_dir.h"
#include "fixtures/wheel_builder.h"

// The checks a wheel or sdist passes before promotion: filename grammar (PEP 427, sdists),
// names (PEP 503), versions (PEP 440), the version policy, and one read of the archive (paths,
// RECORD, .pth files, METADATA / PKG-INFO).
namespace {

namespace fixtures = aiops::testing;
using aiops::webhook::ArchiveCheckSettings;
using aiops::webhook::check_distribution_archive;
using aiops::webhook::check_distribution_archive_bytes;
using aiops::webhook::check_filename;
using aiops::webhook::check_version_policy;
using aiops::webhook::CheckOutcome;
using aiops::webhook::DistributionFile;
using aiops::webhook::normalize_project_name;
using aiops::webhook::parse_distribution_filename;
using aiops::webhook::parse_pep440;
using aiops::webhook::VersionPolicy;

const DistributionFile kDemoWheel{.kind = "wheel",
                                  .name = "demo_pkg",
                                  .version = "1.0",
                                  .python_tag = "py3",
                                  .abi_tag = "none",
                                  .platform_tag = "any",
                                  .archive = "zip"};
const DistributionFile kDemoSdist{
    .kind = "sdist", .name = "demo-pkg", .version = "1.0", .archive = "tar.gz"};

fixtures::WheelSpec demo_wheel() {
    return {.name = "demo_pkg",
            .version = "1.0",
            .files = {{"demo_pkg/__init__.py", "VALUE = 1\n"},
                      {"demo_pkg/data/table.csv", "a,b\n1,2\n"}}};
}

std::vector<CheckOutcome> check_wheel(const fixtures::WheelSpec& spec,
                                      const ArchiveCheckSettings& settings = {}) {
    return check_distribution_archive_bytes(fixtures::make_wheel(spec), kDemoWheel, settings);
}

// The outcome of `check`; fails the test case when there is none.
CheckOutcome outcome(const std::vector<CheckOutcome>& outcomes, const std::string& check) {
    for (const auto& item : outcomes) {
        if (item.check == check) {
            return item;
        }
    }
    BOOST_FAIL("no outcome for " + check);
    return {};
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

std::string failed_checks(const std::vector<CheckOutcome>& outcomes) {
    std::string out;
    for (const auto& item : outcomes) {
        if (!item.passed) {
            out += item.check + " ";
        }
    }
    return out;
}

}  // namespace

// ---- names, filenames, versions

BOOST_AUTO_TEST_CASE(project_names_are_normalized_as_pep_503_says) {
    BOOST_TEST(normalize_project_name("Foo.Bar__baz") == "foo-bar-baz");
    BOOST_TEST(normalize_project_name("a-_.b") == "a-b");
    BOOST_TEST(normalize_project_name("Django") == "django");
    BOOST_TEST(normalize_project_name("zope.interface") == "zope-interface");
}

BOOST_AUTO_TEST_CASE(wheel_filenames_are_split_into_name_version_build_and_tags) {
    const auto plain = parse_distribution_filename("demo_pkg-1.0-py3-none-any.whl");
    BOOST_TEST_REQUIRE(plain.has_value(), (plain ? "" : plain.error().message));
    BOOST_TEST(plain->kind == "wheel");
    BOOST_TEST(plain->name == "demo_pkg");
    BOOST_TEST(plain->version == "1.0");
    BOOST_TEST(plain->build == "");
    BOOST_TEST(plain->python_tag == "py3");
    BOOST_TEST(plain->abi_tag == "none");
    BOOST_TEST(plain->platform_tag == "any");
    BOOST_TEST(plain->archive == "zip");

    const auto built = parse_distribution_filename(
        "numpy-1.26.4-1build2-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl");
    BOOST_TEST_REQUIRE(built.has_value(), (built ? "" : built.error().message));
    BOOST_TEST(built->build == "1build2");
    BOOST_TEST(built->python_tag == "cp311");
    BOOST_TEST(built->platform_tag == "manylinux_2_17_x86_64.manylinux2014_x86_64");

    const auto local =
        parse_distribution_filename("torch-2.1.0+cu121-cp311-cp311-linux_x86_64.whl");
    BOOST_TEST_REQUIRE(local.has_value(), (local ? "" : local.error().message));
    BOOST_TEST(local->version == "2.1.0+cu121");
    BOOST_TEST(parse_distribution_filename("six-1.16.0-py2.py3-none-any.whl").has_value());
}

BOOST_AUTO_TEST_CASE(sdist_filenames_split_at_the_last_dash_a_version_follows) {
    const auto tarball = parse_distribution_filename("demo_pkg-1.0.tar.gz");
    BOOST_TEST_REQUIRE(tarball.has_value(), (tarball ? "" : tarball.error().message));
    BOOST_TEST(tarball->kind == "sdist");
    BOOST_TEST(tarball->name == "demo_pkg");
    BOOST_TEST(tarball->version == "1.0");
    BOOST_TEST(tarball->archive == "tar.gz");

    const auto legacy = parse_distribution_filename("python-dateutil-2.8.2.zip");
    BOOST_TEST_REQUIRE(legacy.has_value(), (legacy ? "" : legacy.error().message));
    BOOST_TEST(legacy->name == "python-dateutil");
    BOOST_TEST(legacy->version == "2.8.2");
    BOOST_TEST(legacy->archive == "zip");

    const auto dev = parse_distribution_filename("my-tool-1.0-dev.tar.gz");  // "dev" alone is no
    BOOST_TEST_REQUIRE(dev.has_value(), (dev ? "" : dev.error().message));   // version
    BOOST_TEST(dev->name == "my-tool");
    BOOST_TEST(dev->version == "1.0-dev");
}

BOOST_AUTO_TEST_CASE(malformed_filenames_are_refused_naming_the_problem) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"", "empty"},
        {"../demo-1.0.tar.gz", "path separator"},
        {"demo\\x-1.0.tar.gz", "path separator"},
        {"demo\n-1.0.tar.gz", "control character"},
        {"demo-1.0.tar.bz2", "not a wheel"},
        {"demo-1.0.whl", "expected {name}"},
        {"demo-1.0-a-b-c-d-e.whl", "expected {name}"},
        {"demo-1.0-build-py3-none-any.whl", "build tag"},
        {"demo-notaversion-py3-none-any.whl", "not PEP 440"},
        {"de$mo-1.0-py3-none-any.whl", "invalid name"},
        {"demo-1.0-py3-none-any!.whl", "compatibility tag"},
        {"demo.tar.gz", "expected {name}-{version}"},
        {"-1.0.tar.gz", "expected {name}-{version}"},
        {"_demo-1.0.tar.gz", "invalid name"},
        {"demo- 1.0.tar.gz", "expected {name}-{version}"},
    };
    for (const auto& [filename, problem] : cases) {
        const auto parsed = parse_distribution_filename(filename);
        BOOST_TEST_REQUIRE(!parsed.has_value(), filename);
        BOOST_TEST(contains(parsed.error().message, problem),
                   filename << ": " << parsed.error().message);
    }
}

BOOST_AUTO_TEST_CASE(versions_are_normalized_as_pep_440_says) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"1.0", "1.0"},
        {"01.002.0", "1.2.0"},
        {"v1.0", "1.0"},
        {" 1.0\n", "1.0"},
        {"1.0ALPHA1", "1.0a1"},
        {"1.0-beta.2", "1.0b2"},
        {"1.0c1", "1.0rc1"},
        {"1.0.preview_3", "1.0rc3"},
        {"1.0a", "1.0a0"},
        {"1.0-1", "1.0.post1"},
        {"1.0.rev", "1.0.post0"},
        {"1.0r2", "1.0.post2"},
        {"1.0-dev", "1.0.dev0"},
        {"1.0.0-alpha.1.post2.dev3", "1.0.0a1.post2.dev3"},
        {"0!1.0", "1.0"},
        {"2!1.0", "2!1.0"},
        {"1.0+Ubuntu-1.01", "1.0+ubuntu.1.1"},
        {"1.0_post_1", "1.0.post1"},
    };
    for (const auto& [written, normalized] : cases) {
        const auto version = parse_pep440(written);
        BOOST_TEST_REQUIRE(version.has_value(),
                           written << ": " << (version ? "" : version.error().message));
        BOOST_TEST(version->normalized == normalized, written);
    }
}

BOOST_AUTO_TEST_CASE(version_flags_say_pre_post_dev_local_and_epoch) {
    const auto all = parse_pep440("3!1.0rc1.post2.dev3+local.7").value();
    BOOST_TEST(all.epoch == 3U);
    BOOST_TEST(all.pre);
    BOOST_TEST(all.post);
    BOOST_TEST(all.dev);
    BOOST_TEST(all.local);
    const auto release = parse_pep440("2.31.0").value();
    BOOST_TEST(release.epoch == 0U);
    BOOST_TEST(!release.pre);
    BOOST_TEST(!release.post);
    BOOST_TEST(!release.dev);
    BOOST_TEST(!release.local);
}

BOOST_AUTO_TEST_CASE(invalid_versions_are_refused) {
    for (const char* written :
         {"", "a1", "1.0.", "1..0", "1.0+", "1.0+a..b", "1.0+a_", "1.0-", "1.0 beta", "1.0foo",
          "1!", "!1.0", "-1.0", "1.0a1a2", "99999999999999999999999!1.0", "1.0.dev1.post1"}) {
        const auto version = parse_pep440(written);
        BOOST_TEST(!version.has_value(), written);
        if (!version) {
            BOOST_TEST(contains(version.error().message, "not PEP 440"), written);
        }
    }
}

BOOST_AUTO_TEST_CASE(filename_check_compares_normalized_name_and_version) {
    const auto same = check_filename("Demo.Pkg-01.0-py3-none-any.whl", "demo-pkg", "1.0.0");
    BOOST_TEST(same.check == "filename");
    BOOST_TEST(!same.passed, "1.0 is not 1.0.0: PEP 440 keeps trailing zeros");
    const auto ok = check_filename("Demo.Pkg-01.0-py3-none-any.whl", "demo_pkg", "v1.0");
    BOOST_TEST(ok.passed, ok.detail);

    const auto other_name = check_filename("demo_pkg-1.0.tar.gz", "demo-pkg2", "1.0");
    BOOST_TEST(!other_name.passed);
    BOOST_TEST(contains(other_name.detail, "demo-pkg2"), other_name.detail);
    const auto other_version = check_filename("demo_pkg-1.0.tar.gz", "demo-pkg", "1.1");
    BOOST_TEST(!other_version.passed);
    BOOST_TEST(contains(other_version.detail, "1.1"), other_version.detail);
    BOOST_TEST(!check_filename("demo_pkg-1.0.exe", "demo-pkg", "1.0").passed);
    BOOST_TEST(!check_filename("demo_pkg-1.0.tar.gz", "demo-pkg", "not a version").passed);
}

BOOST_AUTO_TEST_CASE(version_policy_refuses_dev_and_local_by_default_and_allows_the_rest) {
    const VersionPolicy defaults;
    const auto dev = check_version_policy("1.1.0.dev3", defaults);
    BOOST_TEST(dev.check == "version_policy");
    BOOST_TEST(!dev.passed);
    BOOST_TEST(contains(dev.detail, "dev release"), dev.detail);
    const auto local = check_version_policy("1.0+cu121", defaults);
    BOOST_TEST(!local.passed);
    BOOST_TEST(contains(local.detail, "local version"), local.detail);
    BOOST_TEST(check_version_policy("1.0rc1", defaults).passed);
    BOOST_TEST(check_version_policy("1.0.post1", defaults).passed);
    BOOST_TEST(check_version_policy("1.0", defaults).passed);
    BOOST_TEST(!check_version_policy("latest", defaults).passed);

    const VersionPolicy strict{.allow_pre = false, .allow_post = false};
    BOOST_TEST(!check_version_policy("1.0rc1", strict).passed);
    BOOST_TEST(!check_version_policy("1.0.post1", strict).passed);
    const VersionPolicy lenient{.allow_dev = true, .allow_local = true};
    BOOST_TEST(check_version_policy("1.1.0.dev3+cu121", lenient).passed);
}

// ---- wheels

BOOST_AUTO_TEST_CASE(a_good_wheel_passes_every_check) {
    const auto outcomes = check_wheel(demo_wheel());

    BOOST_TEST_REQUIRE(outcomes.size() == 4U);
    BOOST_TEST(outcomes[0].check == "paths");
    BOOST_TEST(outcomes[1].check == "record");
    BOOST_TEST(outcomes[2].check == "pth");
    BOOST_TEST(outcomes[3].check == "metadata");
    BOOST_TEST(failed_checks(outcomes) == "");
    BOOST_TEST(contains(outcome(outcomes, "record").detail, "5 paths verified"));
}

BOOST_AUTO_TEST_CASE(a_good_wheel_on_disk_passes_every_check) {
    const fixtures::TempDir dir;
    fixtures::write_file(dir / "demo_pkg-1.0-py3-none-any.whl", fixtures::make_wheel(demo_wheel()));

    const auto outcomes = check_distribution_archive(dir / "demo_pkg-1.0-py3-none-any.whl",
                                                     kDemoWheel, ArchiveCheckSettings{});

    BOOST_TEST_REQUIRE(outcomes.size() == 4U);
    BOOST_TEST(failed_checks(outcomes) == "");
}

BOOST_AUTO_TEST_CASE(a_missing_file_is_an_archive_failure) {
    const fixtures::TempDir dir;
    const auto outcomes =
        check_distribution_archive(dir / "absent.whl", kDemoWheel, ArchiveCheckSettings{});
    BOOST_TEST_REQUIRE(outcomes.size() == 1U);
    BOOST_TEST(outcomes[0].check == "archive");
    BOOST_TEST(!outcomes[0].passed);
}

BOOST_AUTO_TEST_CASE(paths_with_commas_quotes_and_utf8_are_listed_and_verified) {
    auto spec = demo_wheel();
    spec.files.emplace_back("demo_pkg/a,b \"quoted\".txt", "tricky\n");
    spec.files.emplace_back(
        "demo_pkg/donn\xc3\xa9"
        "es.txt",
        "utf-8\n");
    const auto outcomes = check_wheel(spec);
    BOOST_TEST(failed_checks(outcomes) == "");
    BOOST_TEST(contains(outcome(outcomes, "record").detail, "7 paths verified"));
}

BOOST_AUTO_TEST_CASE(a_wrong_record_hash_fails_record_naming_the_path) {
    auto spec = demo_wheel();
    spec.wrong_record_hash_for = "demo_pkg/__init__.py";

    const auto outcomes = check_wheel(spec);

    BOOST_TEST(failed_checks(outcomes) == "record ");
    const auto record = outcome(outcomes, "record");
    BOOST_TEST(contains(record.detail, "\"demo_pkg/__init__.py\" (sha256 mismatch)"),
               record.detail);
}

BOOST_AUTO_TEST_CASE(an_unlisted_file_fails_record) {
    auto spec = demo_wheel();
    spec.unlisted = {{.path = "demo_pkg/smuggled.py", .contents = "import os\n"}};

    const auto outcomes = check_wheel(spec);

    BOOST_TEST(failed_checks(outcomes) == "record ");
    BOOST_TEST(contains(outcome(outcomes, "record").detail, "smuggled.py\" (not in RECORD)"));
}

BOOST_AUTO_TEST_CASE(record_rows_with_md5_bad_sizes_or_missing_files_fail_record) {
    const std::string init = "VALUE = 1\n";
    const std::string metadata = "Metadata-Version: 2.1\nName: demo_pkg\nVersion: 1.0\n";
    const std::string record =
        "demo_pkg/__init__.py,md5=" + std::string(22, 'A') + "," + std::to_string(init.size()) +
        "\n" + "demo_pkg-1.0.dist-info/METADATA," + fixtures::record_hash(metadata) + ",999\n" +
        "demo_pkg/gone.py," + fixtures::record_hash("") + ",0\n" +
        "demo_pkg-1.0.dist-info/RECORD,,\n";
    const auto wheel =
        fixtures::make_zip({{.path = "demo_pkg/__init__.py", .contents = init},
                            {.path = "demo_pkg-1.0.dist-info/METADATA", .contents = metadata},
                            {.path = "demo_pkg-1.0.dist-info/RECORD", .contents = record}});

    const auto outcomes = check_distribution_archive_bytes(wheel, kDemoWheel, {});

    BOOST_TEST(failed_checks(outcomes) == "record ");
    const auto detail = outcome(outcomes, "record").detail;
    BOOST_TEST(contains(detail, "3 RECORD problems"), detail);
    BOOST_TEST(contains(detail, "md5 refused"), detail);
    BOOST_TEST(contains(detail, "size 999 in RECORD, " + std::to_string(metadata.size()) +
                                    " in the archive"),
               detail);
    BOOST_TEST(contains(detail, "\"demo_pkg/gone.py\" (in RECORD, not a file in the archive)"),
               detail);
}

BOOST_AUTO_TEST_CASE(a_malformed_record_fails_record) {
    const auto wheel = fixtures::make_zip(
        {{.path = "demo_pkg-1.0.dist-info/METADATA", .contents = "Name: demo_pkg\nVersion: 1.0\n"},
         {.path = "demo_pkg-1.0.dist-info/RECORD", .contents = "\"unterminated,,\n"}});
    const auto outcomes = check_distribution_archive_bytes(wheel, kDemoWheel, {});
    BOOST_TEST(failed_checks(outcomes) == "record ");
    BOOST_TEST(contains(outcome(outcomes, "record").detail, "RECORD row 1"));
}

BOOST_AUTO_TEST_CASE(a_parent_component_fails_paths) {
    auto spec = demo_wheel();
    spec.files.emplace_back("../../etc/cron.d/evil", "* * * * * root sh\n");

    const auto outcomes = check_wheel(spec);

    BOOST_TEST(failed_checks(outcomes) == "paths ");
    BOOST_TEST(contains(outcome(outcomes, "paths").detail,
                        "1 unsafe entries: \"../../etc/cron.d/evil\" (parent component)"));
}

BOOST_AUTO_TEST_CASE(absolute_drive_and_control_character_paths_fail_paths) {
    auto spec = demo_wheel();
    spec.unlisted = {{.path = "/etc/passwd", .contents = "x"},
                     {.path = "C:/Windows/evil.dll", .contents = "x"},
                     {.path = "demo_pkg/bell\x07", .contents = "x"}};

    const auto detail = outcome(check_wheel(spec), "paths").detail;

    BOOST_TEST(contains(detail, "3 unsafe entries"), detail);
    BOOST_TEST(contains(detail, "\"/etc/passwd\" (absolute path)"), detail);
    BOOST_TEST(contains(detail, "\"C:/Windows/evil.dll\" (drive letter)"), detail);
    BOOST_TEST(contains(detail, "\"demo_pkg/bell\\x07\" (control character)"), detail);
}

BOOST_AUTO_TEST_CASE(backslash_traversal_in_a_zip_fails_paths) {
    // libarchive's zip reader turns '\' into '/' (as Windows extracts it): a parent component.
    auto spec = demo_wheel();
    spec.unlisted = {{.path = "demo_pkg\\..\\..\\evil", .contents = "x"}};

    const auto detail = outcome(check_wheel(spec), "paths").detail;

    BOOST_TEST(contains(detail, "\"demo_pkg/../../evil\" (parent component)"), detail);
}

BOOST_AUTO_TEST_CASE(symlinks_fail_paths_by_target_or_by_mode) {
    auto spec = demo_wheel();
    spec.unlisted = {{.path = "demo_pkg/link", .symlink_target = "/etc/passwd"},
                     {.path = "demo_pkg/mode_link", .contents = "../../..", .mode = 0120777U}};

    const auto outcomes = check_wheel(spec);

    const auto detail = outcome(outcomes, "paths").detail;
    BOOST_TEST(contains(detail, "\"demo_pkg/link\" (symlink)"), detail);
    BOOST_TEST(contains(detail, "\"demo_pkg/mode_link\" (symlink)"), detail);
}

BOOST_AUTO_TEST_CASE(duplicate_entry_names_fail_paths) {
    auto spec = demo_wheel();
    spec.unlisted = {{.path = "demo_pkg/__init__.py", .contents = "import os\n"}};

    const auto outcomes = check_wheel(spec);

    BOOST_TEST(contains(outcome(outcomes, "paths").detail, "\"demo_pkg/__init__.py\" (duplicate)"));
    BOOST_TEST(!outcome(outcomes, "record").passed, "the second copy's hash is not RECORD's");
}

BOOST_AUTO_TEST_CASE(a_pth_file_fails_unless_allowed) {
    auto spec = demo_wheel();
    spec.files.emplace_back("zzz_hook.pth", "import os; os.system('id')\n");
    spec.files.emplace_back("demo_pkg-1.0.data/purelib/other.PTH", "import os\n");

    const auto refused = check_wheel(spec);
    BOOST_TEST(failed_checks(refused) == "pth ");
    const auto detail = outcome(refused, "pth").detail;
    BOOST_TEST(contains(detail, "2 .pth files not in pth_allow"), detail);
    BOOST_TEST(contains(detail, "\"zzz_hook.pth\""), detail);

    const auto allowed = check_wheel(spec, {.pth_allow = {"zzz_hook.pth", "other.PTH"}});
    BOOST_TEST(failed_checks(allowed) == "");
    BOOST_TEST(contains(outcome(allowed, "pth").detail, "2 allowed"));
}

BOOST_AUTO_TEST_CASE(metadata_name_or_version_other_than_the_filenames_fails_metadata) {
    auto liar = demo_wheel();
    liar.metadata_version = "9.9.9";
    const auto version = check_wheel(liar);
    BOOST_TEST(failed_checks(version) == "metadata ");
    BOOST_TEST(contains(outcome(version, "metadata").detail, "Version \"9.9.9\""));

    auto other = demo_wheel();
    other.metadata_name = "requests";
    const auto name = check_wheel(other);
    BOOST_TEST(failed_checks(name) == "metadata ");
    BOOST_TEST(contains(outcome(name, "metadata").detail, "Name \"requests\""));

    auto normalized = demo_wheel();
    normalized.metadata_name = "Demo.Pkg";
    normalized.metadata_version = "1.0.0a0";  // not 1.0
    BOOST_TEST(!outcome(check_wheel(normalized), "metadata").passed);
    normalized.metadata_version = "v01.0";
    BOOST_TEST(outcome(check_wheel(normalized), "metadata").passed);
}

BOOST_AUTO_TEST_CASE(a_dist_info_named_for_another_project_fails_metadata) {
    auto spec = demo_wheel();
    spec.dist_info = "other-1.0.dist-info";

    const auto outcomes = check_wheel(spec);

    BOOST_TEST(failed_checks(outcomes) == "metadata ");
    BOOST_TEST(contains(outcome(outcomes, "metadata").detail, "\"other-1.0.dist-info\""));
}

BOOST_AUTO_TEST_CASE(two_dist_info_directories_fail_record_and_metadata) {
    auto spec = demo_wheel();
    spec.unlisted = {{.path = "evil-1.0.dist-info/METADATA", .contents = "Name: evil\n"}};

    const auto outcomes = check_wheel(spec);

    BOOST_TEST(failed_checks(outcomes) == "record metadata ");
    BOOST_TEST(contains(outcome(outcomes, "record").detail, "2 .dist-info directories"));
}

BOOST_AUTO_TEST_CASE(only_the_enabled_checks_run) {
    auto spec = demo_wheel();
    spec.files.emplace_back("hook.pth", "");
    const auto outcomes = check_wheel(spec, {.paths = false, .record = false, .metadata = false});
    BOOST_TEST_REQUIRE(outcomes.size() == 1U);
    BOOST_TEST(outcomes[0].check == "pth");
    BOOST_TEST(!outcomes[0].passed);
}

BOOST_AUTO_TEST_CASE(garbage_and_truncated_archives_fail_as_archive) {
    const auto wheel = fixtures::make_wheel(demo_wheel());
    for (const auto& bytes :
         {std::string("not a zip at all"), std::string(), wheel.substr(0, wheel.size() / 2),
          wheel.substr(0, wheel.size() - 10)}) {
        const auto outcomes = check_distribution_archive_bytes(bytes, kDemoWheel, {});
        BOOST_TEST_REQUIRE(outcomes.size() == 1U);
        BOOST_TEST(outcomes[0].check == "archive");
        BOOST_TEST(!outcomes[0].passed);
    }
}

BOOST_AUTO_TEST_CASE(corrupt_entry_data_fails_as_archive) {
    auto spec = demo_wheel();
    spec.files.insert(spec.files.begin(),
                      {"demo_pkg/blob.bin", fixtures::pseudo_random_bytes(4096, 7)});
    auto wheel = fixtures::make_wheel(spec);
    wheel[2000] = static_cast<char>(wheel[2000] ^ 0x55);  // inside blob.bin's deflated data

    const auto outcomes = check_distribution_archive_bytes(wheel, kDemoWheel, {});

    BOOST_TEST_REQUIRE(outcomes.size() == 1U);
    BOOST_TEST(outcomes[0].check == "archive");
    BOOST_TEST(contains(outcomes[0].detail, "blob.bin"), outcomes[0].detail);
}

BOOST_AUTO_TEST_CASE(limits_on_entries_bytes_and_text_fail_as_archive) {
    const auto wheel = fixtures::make_wheel(demo_wheel());
    const std::vector<std::pair<ArchiveCheckSettings, std::string>> cases = {
        {{.max_entries = 3}, "max_entries (3)"},
        {{.max_total_bytes = 100}, "max_total_bytes (100)"},
        {{.max_text_bytes = 16}, "max_text_bytes (16)"},
    };
    for (const auto& [settings, problem] : cases) {
        const auto outcomes = check_distribution_archive_bytes(wheel, kDemoWheel, settings);
        BOOST_TEST_REQUIRE(outcomes.size() == 1U);
        BOOST_TEST(outcomes[0].check == "archive");
        BOOST_TEST(contains(outcomes[0].detail, problem), outcomes[0].detail);
    }
}

BOOST_AUTO_TEST_CASE(details_quote_at_most_ten_paths) {
    auto spec = demo_wheel();
    for (int index = 0; index < 25; ++index) {
        spec.files.emplace_back("hook" + std::to_string(index) + ".pth", "");
    }
    const auto detail = outcome(check_wheel(spec), "pth").detail;
    BOOST_TEST(contains(detail, "25 .pth files"), detail);
    BOOST_TEST(contains(detail, "and 15 more"), detail);
    BOOST_TEST(!contains(detail, "hook10.pth"), detail);
}

// ---- sdists

BOOST_AUTO_TEST_CASE(a_good_sdist_passes_and_record_does_not_apply) {
    const auto sdist = fixtures::make_sdist(
        {.name = "demo-pkg", .version = "1.0", .files = {{"setup.py", "setup()\n"}}});

    const auto outcomes = check_distribution_archive_bytes(sdist, kDemoSdist, {});

    BOOST_TEST_REQUIRE(outcomes.size() == 4U);
    BOOST_TEST(failed_checks(outcomes) == "");
    BOOST_TEST(outcome(outcomes, "record").detail == "not a wheel");
}

BOOST_AUTO_TEST_CASE(an_sdist_with_a_pth_file_fails_pth) {
    const auto sdist = fixtures::make_sdist(
        {.name = "demo-pkg", .version = "1.0", .files = {{"src/evil.pth", "import os\n"}}});

    const auto outcomes = check_distribution_archive_bytes(sdist, kDemoSdist, {});

    BOOST_TEST(failed_checks(outcomes) == "pth ");
    BOOST_TEST(contains(outcome(outcomes, "pth").detail, "\"demo-pkg-1.0/src/evil.pth\""));
}

BOOST_AUTO_TEST_CASE(an_sdist_without_pkg_info_or_for_another_version_fails_metadata) {
    const auto bare = fixtures::make_sdist(
        {.name = "demo-pkg", .version = "1.0", .files = {{"setup.py", ""}}, .pkg_info = false});
    const auto missing = check_distribution_archive_bytes(bare, kDemoSdist, {});
    BOOST_TEST(failed_checks(missing) == "metadata ");
    BOOST_TEST(contains(outcome(missing, "metadata").detail, "no PKG-INFO"));

    const auto other = fixtures::make_sdist({.name = "demo-pkg", .version = "2.0"});
    BOOST_TEST(failed_checks(check_distribution_archive_bytes(other, kDemoSdist, {})) ==
               "metadata ");
}

BOOST_AUTO_TEST_CASE(an_sdist_with_a_symlink_or_loose_files_fails) {
    const auto linked =
        fixtures::make_tar({{"demo-pkg-1.0/PKG-INFO", "Name: demo-pkg\nVersion: 1.0\n"},
                            {"demo-pkg-1.0/link", "->/etc/shadow"}},
                           true);
    BOOST_TEST(
        contains(outcome(check_distribution_archive_bytes(linked, kDemoSdist, {}), "paths").detail,
                 "(symlink)"));

    const auto loose = fixtures::make_tar(
        {{"demo-pkg-1.0/PKG-INFO", "Name: demo-pkg\nVersion: 1.0\n"}, {"setup.py", ""}}, true);
    BOOST_TEST(contains(
        outcome(check_distribution_archive_bytes(loose, kDemoSdist, {}), "metadata").detail,
        "top-level file"));
}

BOOST_AUTO_TEST_CASE(a_backslash_in_a_tar_entry_fails_paths) {
    const auto sdist =
        fixtures::make_tar({{"demo-pkg-1.0/PKG-INFO", "Name: demo-pkg\nVersion: 1.0\n"},
                            {"demo-pkg-1.0\\..\\evil.py", ""}},
                           true);
    BOOST_TEST(
        contains(outcome(check_distribution_archive_bytes(sdist, kDemoSdist, {}), "paths").detail,
                 "\"demo-pkg-1.0\\x5c..\\x5cevil.py\" (backslash)"));
}

BOOST_AUTO_TEST_CASE(an_uncompressed_tar_named_tar_gz_fails_as_archive) {
    const auto plain = fixtures::make_tar({{"demo-pkg-1.0/PKG-INFO", "Name: demo-pkg\n"}}, false);
    const auto outcomes = check_distribution_archive_bytes(plain, kDemoSdist, {});
    BOOST_TEST_REQUIRE(outcomes.size() == 1U);
    BOOST_TEST(outcomes[0].check == "archive");
    BOOST_TEST(contains(outcomes[0].detail, "not gzip"), outcomes[0].detail);
}
