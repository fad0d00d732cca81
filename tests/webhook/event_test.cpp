#define BOOST_TEST_MODULE webhook_event
#include "event.h"

#include <boost/test/unit_test.hpp>

#include "rules.h"

// Harbor's Default and CloudEvents payloads and DevPI's upload trigger, exactly as the references
// show them (shared/reference/harbor-preheat-webhook-replication.md §3.2–§3.3, devpi-api.md §8a),
// and the rules that match them.
namespace {

using aiops::webhook::ArtifactKind;
using aiops::webhook::dedup_key;
using aiops::webhook::devpi_upload_event;
using aiops::webhook::event_from_json;
using aiops::webhook::glob_match;
using aiops::webhook::index_from_jobscript;
using aiops::webhook::matches;
using aiops::webhook::parse_harbor_cloudevent;
using aiops::webhook::parse_harbor_default;
using aiops::webhook::parse_rules_text;
using aiops::webhook::Source;
using json = nlohmann::json;

const std::string kDigest = "sha256:" + std::string(64, 'a');

json harbor_push() {
    return json::parse(R"({"type":"PUSH_ARTIFACT","occur_at":1767225600,"operator":"robot$ai+ci",
      "event_data":{"resources":[{"digest":")" +
                       kDigest + R"(","tag":"v1",
        "resource_url":"harbor.example.com/ai/llama3-8b:v1"}],
        "repository":{"date_created":1767000000,"name":"llama3-8b","namespace":"ai",
        "repo_full_name":"ai/llama3-8b","repo_type":"private"}}})");
}

}  // namespace

BOOST_AUTO_TEST_CASE(harbors_default_payload_is_read) {
    auto event = parse_harbor_default(harbor_push());
    BOOST_TEST_REQUIRE(event.has_value(), (event ? "" : event.error().message));
    BOOST_TEST(event->type == "PUSH_ARTIFACT");
    BOOST_TEST(event->occur_at == 1767225600);
    BOOST_TEST(event->operator_name == "robot$ai+ci");
    BOOST_TEST(event->project == "ai");
    BOOST_TEST(event->repository == "llama3-8b");
    BOOST_TEST_REQUIRE(event->resources.size() == 1U);
    BOOST_TEST(event->resources[0].digest == kDigest);
    BOOST_TEST(event->resources[0].tag == "v1");
    BOOST_TEST(event->id == dedup_key(*event));
    const auto again = event_from_json(aiops::webhook::to_json(*event)).value();
    BOOST_TEST(again.id == event->id);
    BOOST_TEST(again.resources[0].resource_url == "harbor.example.com/ai/llama3-8b:v1");
}

BOOST_AUTO_TEST_CASE(the_same_event_has_the_same_key_and_other_events_do_not) {
    const auto first = parse_harbor_default(harbor_push()).value();
    BOOST_TEST(parse_harbor_default(harbor_push()).value().id == first.id);  // a redelivery
    auto later = harbor_push();
    later["occur_at"] = 1767225601;
    BOOST_TEST(parse_harbor_default(later).value().id != first.id);
    auto pulled = harbor_push();
    pulled["type"] = "PULL_ARTIFACT";
    BOOST_TEST(parse_harbor_default(pulled).value().id != first.id);
    auto other_tag = harbor_push();
    other_tag["event_data"]["resources"][0]["tag"] = "v2";
    BOOST_TEST(parse_harbor_default(other_tag).value().id != first.id);
}

BOOST_AUTO_TEST_CASE(cloudevents_structured_mode_maps_back_to_harbor_types) {
    const auto body = json::parse(R"({"specversion":"1.0","id":"0f6e1c3a-7d4e-4f4a-9a53-3c2b",
      "source":"/projects/3/webhook/policies/7","type":"harbor.scan.completed",
      "datacontenttype":"application/json","time":"2026-01-01T00:00:00Z","operator":"admin",
      "data":{"resources":[{"digest":")" +
                                  kDigest + R"(","tag":"v1",
        "scan_overview":{"application/vnd.security.vulnerability.report; version=1.1":
          {"severity":"High","scan_status":"Success"}}}],
        "repository":{"name":"llama3-8b","namespace":"ai","repo_full_name":"ai/llama3-8b"}}})");
    auto event = parse_harbor_cloudevent(body);
    BOOST_TEST_REQUIRE(event.has_value(), (event ? "" : event.error().message));
    BOOST_TEST(event->type == "SCANNING_COMPLETED");
    BOOST_TEST(event->occur_at == 1767225600);
    BOOST_TEST(event->id == "harbor-ce|0f6e1c3a-7d4e-4f4a-9a53-3c2b");
    BOOST_TEST(event->resources[0].scan_severity == "High");
}

BOOST_AUTO_TEST_CASE(malformed_payloads_are_refused_naming_the_field) {
    for (const auto& [field, value] :
         std::vector<std::pair<std::string, json>>{{"type", "NOT_AN_EVENT"},
                                                   {"type", 7},
                                                   {"occur_at", "yesterday"},
                                                   {"operator", json::array()}}) {
        auto body = harbor_push();
        body[field] = value;
        auto event = parse_harbor_default(body);
        BOOST_TEST(!event.has_value(), field);
        if (!event) {
            BOOST_TEST(event.error().message.find(field) != std::string::npos);
        }
    }
    auto bad_digest = harbor_push();
    bad_digest["event_data"]["resources"][0]["digest"] = "md5:x";
    BOOST_TEST(!parse_harbor_default(bad_digest).has_value());
    BOOST_TEST(!parse_harbor_default(json::array()).has_value());
    BOOST_TEST(!parse_harbor_cloudevent(json{{"specversion", "0.3"}}).has_value());
}

BOOST_AUTO_TEST_CASE(devpi_uploads_come_from_the_route_or_the_jenkins_job_script) {
    const std::string script =
        "#!/usr/bin/env python\n...\nmain(indexurl = \"http://127.0.0.1:3141/bob/staging\", "
        "devpi_install_index = \"http://127.0.0.1:3141/bob/staging/+simple/\", "
        "testspec = \"devpi-demo==1.0.0\")\n";
    BOOST_TEST(index_from_jobscript(script).value() == "bob/staging");
    auto event = devpi_upload_event("devpi-demo", "1.0.0", "", script);
    BOOST_TEST_REQUIRE(event.has_value());
    BOOST_TEST((event->source == Source::kDevpi));
    BOOST_TEST(event->project == "bob/staging");
    BOOST_TEST(event->repository == "devpi-demo");
    BOOST_TEST(event->version == "1.0.0");
    BOOST_TEST(devpi_upload_event("devpi-demo", "1.0.0", "bob/staging", "").value().id ==
               event->id);
    BOOST_TEST(!devpi_upload_event("devpi-demo", "1.0.0", "", "no index here").has_value());
    BOOST_TEST(!devpi_upload_event("../etc", "1.0.0", "bob/staging", "").has_value());
    BOOST_TEST(!devpi_upload_event("demo", "1.0 0", "bob/staging", "").has_value());
    BOOST_TEST(!devpi_upload_event("demo", "1.0", "bob", "").has_value());
}

BOOST_AUTO_TEST_CASE(rules_are_validated_and_matched) {
    auto rules = parse_rules_text(R"(
rules:
  - name: models
    when: {source: harbor, events: [PUSH_ARTIFACT], project: "ai", repository: "llama*",
           tag: "v*", artifact: model}
    do:
      - {action: preheat, pools: [1], scope: all_peers}
      - {action: notify, url: "http://127.0.0.1:1/hook"}
  - name: severe
    when: {event: SCANNING_COMPLETED, min_severity: High}
    do: [{action: notify, url: "http://127.0.0.1:1/hook"}]
)");
    BOOST_TEST_REQUIRE(rules.has_value(), (rules ? "" : rules.error().message));
    BOOST_TEST_REQUIRE(rules->size() == 2U);
    BOOST_TEST((*rules)[0].actions[0].params["pools"] == json::array({1}));
    const auto push = parse_harbor_default(harbor_push()).value();
    BOOST_TEST(matches((*rules)[0].when, push, ArtifactKind::kModel));
    BOOST_TEST(!matches((*rules)[0].when, push, ArtifactKind::kImage));
    BOOST_TEST(!matches((*rules)[0].when, push, std::nullopt));
    BOOST_TEST(!matches((*rules)[1].when, push, ArtifactKind::kModel));

    for (const std::string bad : {
             "rules: [{name: a, do: [{action: launch}]}]",
             "rules: [{name: a, when: {colour: red}, do: [{action: notify}]}]",
             "rules: [{name: a, do: []}]",
             "rules: [{name: a, do: [{action: notify}]}, {name: a, do: [{action: notify}]}]",
             "rules: [{name: a, when: {min_severity: Scary}, do: [{action: notify}]}]",
             "rules: {name: a}",
         }) {
        BOOST_TEST(!parse_rules_text(bad).has_value(), bad);
    }
}

BOOST_AUTO_TEST_CASE(catalog_and_preheat_after_a_releasing_scan_gate_act_on_the_released_copy) {
    auto rules = parse_rules_text(R"(
rules:
  - name: gated
    when: {project: staging}
    do:
      - {action: scan_gate, release_project: models, release_repository: llm/llama}
      - {action: notify, url: "http://127.0.0.1:1/hook"}
      - {action: catalog, registry_id: h}
      - {action: preheat, pools: [1]}
  - name: own-place
    when: {project: staging}
    do:
      - {action: scan_gate, release_project: models}
      - {action: catalog, registry_id: h, project: elsewhere}
  - name: no-release
    when: {project: staging}
    do: [{action: scan_gate}, {action: catalog, registry_id: h}]
  - name: catalog-first
    when: {project: staging}
    do: [{action: catalog, registry_id: h}, {action: scan_gate, release_project: models}]
)");
    BOOST_TEST_REQUIRE(rules.has_value(), (rules ? "" : rules.error().message));
    const auto& gated = (*rules)[0].actions[2].params;
    BOOST_TEST(gated.at("project") == "models");
    BOOST_TEST(gated.at("repository") == "llm/llama");
    BOOST_TEST((*rules)[0].actions[3].params.at("project") == "models");
    BOOST_TEST(!(*rules)[0].actions[1].params.contains("project"));  // notify: untouched
    const auto& own = (*rules)[1].actions[1].params;
    BOOST_TEST(own.at("project") == "elsewhere");
    BOOST_TEST(!own.contains("repository"));
    BOOST_TEST(!(*rules)[2].actions[1].params.contains("project"));
    BOOST_TEST(!(*rules)[3].actions[0].params.contains("project"));
    for (const std::string bad : {
             "rules: [{name: a, do: [{action: catalog, registry_id: h, project: 3}]}]",
             "rules: [{name: a, do: [{action: catalog, registry_id: h, repository: ''}]}]",
             "rules: [{name: a, do: [{action: preheat, project: [x]}]}]",
         }) {
        BOOST_TEST(!parse_rules_text(bad).has_value(), bad);
    }
}

BOOST_AUTO_TEST_CASE(globs_match_by_path_segment_and_omitted_ones_match_nested_repositories) {
    BOOST_TEST(glob_match("**", "tiny"));
    BOOST_TEST(glob_match("**", "meta-llama/Llama-3.2-1B"));
    BOOST_TEST(glob_match("**", "a/b/c"));
    BOOST_TEST(glob_match("*", "tiny"));
    BOOST_TEST(!glob_match("*", "meta-llama/Llama-3.2-1B"));  // '*' stays in one segment
    BOOST_TEST(glob_match("*/*", "meta-llama/Llama-3.2-1B"));
    BOOST_TEST(glob_match("meta-llama/**", "meta-llama/Llama-3.2-1B"));
    BOOST_TEST(glob_match("meta-llama/**", "meta-llama"));  // ** may be empty
    BOOST_TEST(!glob_match("meta-llama/**", "qwen/Qwen2"));
    BOOST_TEST(glob_match("**/Llama-*", "hf/meta-llama/Llama-3.2-1B"));
    BOOST_TEST(!glob_match("**/Llama-*", "hf/meta-llama/Qwen"));
    BOOST_TEST(glob_match("ml/st?ging", "ml/staging"));
    BOOST_TEST(!glob_match("ml", "ml/staging"));
    BOOST_TEST(!glob_match("", "x"));

    // A rule that names no repository fires for models replicated from the proxy-adapter, whose
    // Harbor repositories are "<org>/<model>".
    auto rules = parse_rules_text(R"(
rules:
  - name: every-push
    when: {source: harbor, events: [PUSH_ARTIFACT]}
    do: [{action: notify, url: "http://127.0.0.1:1/hook"}]
)");
    BOOST_TEST_REQUIRE(rules.has_value());
    auto nested = harbor_push();
    nested["event_data"]["repository"]["name"] = "meta-llama/Llama-3.2-1B";
    nested["event_data"]["repository"]["repo_full_name"] = "ai/meta-llama/Llama-3.2-1B";
    const auto push = parse_harbor_default(nested).value();
    BOOST_TEST(push.repository == "meta-llama/Llama-3.2-1B");
    BOOST_TEST(matches((*rules)[0].when, push, std::nullopt));
}
