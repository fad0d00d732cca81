#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "aiops/common/clock.h"
#include "aiops/common/result.h"
#include "aiops/common/retention.h"
#include "aiops/common/storage.h"
#include "preheat_job.h"

// Preheat jobs in the foundation Store (SQLite, or Redis for several provider replicas), so a
// restart resumes them. Harbor needs a numeric job id: ids come from a counter document advanced
// with compare-and-set, unique across replicas (a crash between the counter and the job leaves a
// gap, never a duplicate). Every change is a compare-and-set of the whole job: agents reporting
// progress concurrently never lose each other's updates.
namespace aiops::preheat {

class JobStore {
public:
    // Jobs that reach a final state are tracked in `retention` (null: kept for ever).
    JobStore(common::Store& store, const common::Clock& clock,
             common::Retention* retention = nullptr)
        : store_(store), clock_(clock), retention_(retention) {}

    // How retention reads a stored job: finished at its finished_at (empty while pending).
    static std::vector<common::RetentionRule> retention_rules();

    // Assigns the id and the created/updated times; the stored job.
    common::Result<PreheatJob> create(PreheatJob job);
    // kNotFound for an unknown id.
    common::Result<PreheatJob> get(std::int64_t id);
    // Applies `change` to the current job and stores it (retried on a concurrent write);
    // `change` may run several times and fails the update by returning an error.
    common::Result<PreheatJob> update(std::int64_t id,
                                      const std::function<common::Status(PreheatJob&)>& change);

    // Like update(), but `change` says whether it changed anything: nothing is written (and
    // updated_at does not move) when it did not. `finished` is true only for the one write that
    // took the job from PENDING to a final state.
    struct Modified {
        PreheatJob job{};
        bool changed = false;
        bool finished = false;
    };
    common::Result<Modified> modify(std::int64_t id,
                                    const std::function<common::Result<bool>(PreheatJob&)>& change);

private:
    common::Result<std::int64_t> next_id();
    std::string now_text() const;
    void track_finished(const PreheatJob& job);

    common::Store& store_;
    const common::Clock& clock_;
    common::Retention* retention_;
};

}  // namespace aiops::preheat
