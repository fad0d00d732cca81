#define BOOST_TEST_MODULE fixtures_process
#include "fixtures/process.h"

#include <boost/test/unit_test.hpp>

#include "fixtures/temp_dir.h"

using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(process)

BOOST_AUTO_TEST_CASE(captures_output_and_exit_status) {
    aiops::testing::TempDir dir;
    aiops::testing::Process child({"sh", "-c", "echo hello; exit 3"}, dir / "log");

    while (child.running()) {
    }

    BOOST_TEST(child.terminate() == 3);
    BOOST_TEST(child.log() == "hello\n");
}

BOOST_AUTO_TEST_CASE(kill9_stops_a_running_child) {
    aiops::testing::TempDir dir;
    aiops::testing::Process child({"sleep", "60"}, dir / "log");
    BOOST_TEST(child.running());

    child.kill9();

    BOOST_TEST(!child.running());
}

BOOST_AUTO_TEST_CASE(free_port_is_bindable_and_wait_times_out_when_closed) {
    const int port = aiops::testing::free_port();
    BOOST_TEST(port > 0);
    BOOST_TEST(!aiops::testing::wait_for_port(port, 100ms));
}

BOOST_AUTO_TEST_SUITE_END()
