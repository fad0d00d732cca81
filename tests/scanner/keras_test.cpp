#define BOOST_TEST_MODULE keras
#include <boost/test/unit_test.hpp>

#include "format_samples.h"
#include "formats.h"

using aiops::scanner::Findings;
using aiops::scanner::Severity;
using aiops::testing::has_finding;

namespace {

constexpr auto kLambda = "AIMS-KERAS-LAMBDA";
constexpr auto kImport = "AIMS-KERAS-IMPORT";
constexpr auto kCustom = "AIMS-KERAS-CUSTOM-OBJECT";
constexpr auto kConfig = "AIMS-KERAS-CONFIG";

Findings scan(const char* name, const std::string& config) {
    aiops::testing::save_seed("scanner_keras", name, config);
    auto findings = aiops::scanner::scan_keras_config(config, "model.keras/config.json");
    BOOST_TEST_MESSAGE(name << ":\n" << aiops::testing::describe(findings));
    return findings;
}

// A Keras 3 Sequential config.json with `layer` between an InputLayer and a Dense layer.
std::string sequential(const std::string& layer) {
    return R"({"module": "keras", "class_name": "Sequential", "config": {"name": "sequential",
  "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy",
  "config": {"name": "float32"}, "registered_name": null},
  "layers": [{"module": "keras.layers", "class_name": "InputLayer",
    "config": {"batch_shape": [null, 4], "dtype": "float32", "name": "input_layer"},
    "registered_name": null},)" +
           layer + R"(
   {"module": "keras.layers", "class_name": "Dense", "config": {"name": "dense", "units": 2,
    "activation": "relu", "kernel_initializer": {"module": "keras.initializers",
    "class_name": "GlorotUniform", "config": {"seed": null}, "registered_name": null}},
    "registered_name": null, "build_config": {"input_shape": [null, 4]}}]},
  "registered_name": null, "build_config": {"input_shape": [null, 4]},
  "compile_config": {"optimizer": {"module": "keras.optimizers", "class_name": "Adam",
    "config": {"name": "adam", "learning_rate": 0.001}, "registered_name": null},
    "loss": "mean_squared_error"}})";
}

const std::string kDropout =
    R"({"module": "keras.layers", "class_name": "Dropout", "config": {"name": "dropout",
       "rate": 0.1}, "registered_name": null},)";

}  // namespace

BOOST_AUTO_TEST_CASE(invalid_json_is_a_config_finding) {
    const auto findings = scan("invalid", R"({"class_name": "Sequential", "config": )");

    BOOST_TEST(has_finding(findings, kConfig, Severity::kMedium));
}

BOOST_AUTO_TEST_CASE(deeply_nested_config_is_a_config_finding) {
    const auto findings = scan("deep", std::string(1000, '[') + std::string(1000, ']'));

    BOOST_TEST(has_finding(findings, kConfig, Severity::kMedium));
}

BOOST_AUTO_TEST_CASE(keras3_lambda_layer_is_high_and_shows_its_code) {
    const auto layer =
        R"({"module": "keras.layers", "class_name": "Lambda", "config": {"name": "evil_lambda",
        "function": {"class_name": "__lambda__", "config": {"code": "4wEAAAAAAAAAAAAAAAEAAAADAAAAQwAAAHMOAAAAZABkAGwAfQF8AFMA",
        "defaults": null, "closure": null}}, "arguments": {}}, "registered_name": null},)";

    const auto findings = scan("keras3_lambda", sequential(layer));

    BOOST_TEST_REQUIRE(has_finding(findings, kLambda, Severity::kHigh));
    BOOST_TEST(findings.size() == 1U, aiops::testing::describe(findings));
    BOOST_TEST(findings[0].title.find("evil_lambda") != std::string::npos);
    BOOST_TEST(findings[0].description.find("4wEAAAAAAAA") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(keras2_h5_lambda_layer_is_high) {
    const auto config = R"({"class_name": "Model", "config": {"name": "model", "layers": [
        {"class_name": "Lambda", "config": {"name": "lambda_1", "trainable": true,
         "function": ["4wEAAAAAAAAAAAAAAAEAAAAEAAAAQwAAAHMWAAAAZABkAGwAfQF8AaABZAKhAQEAfABTAA==", null, null],
         "function_type": "lambda", "module": "__main__", "output_shape": null}, "name": "lambda_1"}]},
        "keras_version": "2.13.1", "backend": "tensorflow"})";

    const auto findings = scan("keras2_lambda", config);

    BOOST_TEST(has_finding(findings, kLambda, Severity::kHigh));
}

BOOST_AUTO_TEST_CASE(object_from_a_dangerous_module_is_an_import_finding) {
    const auto layer =
        R"({"module": "keras.layers", "class_name": "Activation", "config": {"name": "act",
        "activation": {"module": "os", "class_name": "function", "config": "system",
        "registered_name": "function"}}, "registered_name": null},)";

    const auto findings = scan("os_function", sequential(layer));

    BOOST_TEST(has_finding(findings, kImport, Severity::kHigh));
}

BOOST_AUTO_TEST_CASE(custom_registered_layer_is_a_medium_custom_object_finding) {
    const auto layer =
        R"({"module": "my_project.layers", "class_name": "FancyAttention", "config": {"name": "fa"},
        "registered_name": "MyProject>FancyAttention"},)";

    const auto findings = scan("custom_layer", sequential(layer));

    BOOST_TEST(has_finding(findings, kCustom, Severity::kMedium));
    BOOST_TEST(aiops::testing::count_high(findings) == 0);
}

BOOST_AUTO_TEST_CASE(plain_keras_model_has_no_findings) {
    const auto findings = scan("benign_sequential", sequential(kDropout));

    BOOST_TEST(findings.empty(), aiops::testing::describe(findings));
}

BOOST_AUTO_TEST_CASE(tf_op_lambda_layers_are_not_lambda_findings) {
    const auto layer =
        R"({"module": "keras.layers", "class_name": "TFOpLambda", "config": {"name": "tf.math.add",
        "function": "math.add"}, "registered_name": null},)";

    const auto findings = scan("tf_op_lambda", sequential(layer));

    BOOST_TEST(findings.empty(), aiops::testing::describe(findings));
}
