// model_licenses (model_manifest.h): license ids from the model card, i.e. the model info's
// cardData or the README's YAML front matter.
#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "aiops/common/json.h"
#include "model_manifest.h"

namespace aiops::proxy {
namespace {

constexpr std::size_t kMaxFrontMatterBytes = 64U << 10;
constexpr int kMaxFrontMatterFlowDepth = 32;
constexpr std::size_t kMaxLicenses = 32;
constexpr std::size_t kMaxLicenseBytes = 256;

struct CardLicense {
    std::vector<std::string> ids;
    std::string license_name;  // the real name when ids holds "other"
};

void add_license(CardLicense& card, std::string id) {
    if (!id.empty() && id.size() <= kMaxLicenseBytes && card.ids.size() < kMaxLicenses) {
        card.ids.push_back(std::move(id));
    }
}

CardLicense from_card_data(const nlohmann::json& card_data) {
    CardLicense card;
    if (!card_data.is_object()) {
        return card;
    }
    if (const auto license = card_data.find("license"); license != card_data.end()) {
        if (license->is_string()) {
            add_license(card, license->get<std::string>());
        }
        for (const auto& item : license->is_array() ? *license : nlohmann::json::array()) {
            if (item.is_string()) {
                add_license(card, item.get<std::string>());
            }
        }
    }
    if (const auto name = card_data.find("license_name");
        name != card_data.end() && name->is_string()) {
        card.license_name = name->get<std::string>();
    }
    return card;
}

// The YAML between a leading "---" line and the next "---" line; "" when there is none within
// kMaxFrontMatterBytes.
std::string_view front_matter(std::string_view readme) {
    std::size_t start = 0;
    if (readme.starts_with("---\n")) {
        start = 4;
    } else if (readme.starts_with("---\r\n")) {
        start = 5;
    } else {
        return {};
    }
    for (std::size_t pos = start; pos <= readme.size() && pos - start <= kMaxFrontMatterBytes;) {
        const std::string_view rest = readme.substr(pos);
        if (rest.starts_with("---") &&
            (rest.size() == 3 || rest[3] == '\n' || rest.substr(3).starts_with("\r\n"))) {
            return readme.substr(start, pos - start);
        }
        const std::size_t newline = readme.find('\n', pos);
        if (newline == std::string_view::npos) {
            return {};
        }
        pos = newline + 1;
    }
    return {};
}

CardLicense from_yaml_node(const YAML::Node& root) {
    CardLicense card;
    if (!root.IsMap()) {
        return card;
    }
    // A missing key yields an invalid node whose type queries throw: check IsDefined() first.
    const YAML::Node license = root["license"];
    if (!license.IsDefined()) {
        return card;
    }
    if (license.IsScalar()) {
        add_license(card, license.as<std::string>());
    } else if (license.IsSequence()) {
        for (const YAML::Node& item : license) {
            if (item.IsScalar()) {
                add_license(card, item.as<std::string>());
            }
        }
    }
    if (const YAML::Node name = root["license_name"]; name.IsDefined() && name.IsScalar()) {
        card.license_name = name.as<std::string>();
    }
    return card;
}

CardLicense from_readme(std::string_view readme) {
    const std::string_view yaml = front_matter(readme);
    // yaml-cpp recurses per flow level (its own guard stops at 2000): keep well below that.
    if (yaml.empty() ||
        common::json_nesting_depth(yaml, kMaxFrontMatterFlowDepth) > kMaxFrontMatterFlowDepth) {
        return {};
    }
    try {
        return from_yaml_node(YAML::Load(std::string(yaml)));
    } catch (const YAML::Exception&) {
        return {};  // E3: a broken model card only costs the license, converted here
    }
}

}  // namespace

std::vector<std::string> model_licenses(const HfModelInfo& info, std::string_view readme) {
    CardLicense card = from_card_data(info.card_data);
    if (card.ids.empty()) {
        card = from_readme(readme);
    }
    const bool use_name =
        !card.license_name.empty() && card.license_name.size() <= kMaxLicenseBytes;
    for (std::string& id : card.ids) {
        if (id == "other" && use_name) {
            id = card.license_name;
        }
    }
    std::sort(card.ids.begin(), card.ids.end());
    card.ids.erase(std::unique(card.ids.begin(), card.ids.end()), card.ids.end());
    return card.ids;
}

}  // namespace aiops::proxy
