#!/usr/bin/python3
"""Validates the ModelPack config blobs build_model_artifact emits against the spec's schema.

Run by CTest (label unit): runs model_config_print, which prints one JSON line per artifact
({"naming", "config", "manifest"}), and validates each config against proxy-adapter/schema/
config-schema.json (cncf names) or legacy-v0.0.6/config-schema.json (cnai names), formats asserted
(createdAt is an RFC 3339 date-time). Also checks the manifest uses the matching naming throughout.
Usage: config_schema_check.py <model_config_print binary> <proxy-adapter/schema dir>
"""
import json
import os
import subprocess
import sys

import jsonschema


def load_validator(path):
    with open(path, encoding="utf-8") as handle:
        schema = json.load(handle)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def check_manifest(naming, manifest, config):
    assert manifest["artifactType"] == f"application/vnd.{naming}.model.manifest.v1+json"
    assert manifest["config"]["mediaType"] == f"application/vnd.{naming}.model.config.v1+json"
    ids_key = "diffIds" if naming == "cncf" else "diff_ids"
    assert config["modelfs"][ids_key] == [layer["digest"] for layer in manifest["layers"]]
    for layer in manifest["layers"]:
        assert layer["mediaType"].startswith(f"application/vnd.{naming}.model.")
        assert layer["mediaType"].endswith(".v1.raw")
        assert f"org.{naming}.model.filepath" in layer["annotations"]
        json.loads(layer["annotations"][f"org.{naming}.model.file.metadata+json"])


def main():
    printer, schema_dir = sys.argv[1], sys.argv[2]
    validators = {
        "cncf": load_validator(os.path.join(schema_dir, "config-schema.json")),
        "cnai": load_validator(os.path.join(schema_dir, "legacy-v0.0.6", "config-schema.json")),
    }
    output = subprocess.run([printer], check=True, capture_output=True, text=True).stdout
    lines = [json.loads(line) for line in output.splitlines()]
    assert len(lines) == 4, f"expected 4 artifacts, got {len(lines)}"
    for line in lines:
        naming, config = line["naming"], line["config"]
        validators[naming].validate(config)
        check_manifest(naming, line["manifest"], config)
    # The schema really rejects what it should: an unknown key and the other naming's diff ids.
    for line in lines:
        naming, config = line["naming"], dict(line["config"])
        config["extra"] = 1
        assert not validators[naming].is_valid(config)
        other = validators["cnai" if naming == "cncf" else "cncf"]
        assert not other.is_valid(line["config"])
    print(f"{len(lines)} configs valid")


if __name__ == "__main__":
    main()
