#pragma once

#include <string>

#include "aiops/common/http_client.h"
#include "aiops/common/result.h"

// What every action returns, shared by the handler and the action modules (promotion, model
// gate): ok, or an error that is retryable (transport failures, timeouts, 408, 429, 5xx: the
// event is retried with backoff, then dead-lettered and replayable) or final (the rule failed:
// recorded on the event, later actions of that rule do not run).
namespace aiops::webhook {

struct ActionResult {
    common::Status status{};
    bool retryable = false;
    std::string detail{};  // what happened when ok ("promoted", "already promoted", …)
};

inline ActionResult final_failure(std::string message) {
    return {common::Error{common::ErrorCode::kInvalidInput, std::move(message)}, false, {}};
}
inline ActionResult retry_later(common::Error error) { return {std::move(error), true, {}}; }

bool retryable_status(int status);
// Any transport error is retryable except a blocked or malformed URL; a 2xx (or `also_ok`, a
// status meaning "already done", 0 = none) is ok; other statuses are final unless retryable.
ActionResult http_outcome(const common::Result<common::HttpResponse>& response,
                          const std::string& what, int also_ok);

}  // namespace aiops::webhook
