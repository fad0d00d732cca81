#pragma once

#include <memory>

#include "aiops/common/storage.h"
#include "fixtures/fake_clock.h"

// The storage conformance suite (storage_conformance.cpp) is written once and linked into one
// test executable per backend. Each executable defines fresh_storage_settings() for its backend.
namespace aiops::testing {

// Settings naming a fresh, empty store on the backend under test. Opening them twice gives two
// handles on the same data (like two replicas).
common::StorageSettings fresh_storage_settings();

struct StoreFixture {
    StoreFixture();
    std::unique_ptr<common::Store> open_again() const;  // a second handle on the same data

    common::StorageSettings settings;
    FakeClock clock;
    std::unique_ptr<common::Store> store;
};

}  // namespace aiops::testing
