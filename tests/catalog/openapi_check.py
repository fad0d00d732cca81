#!/usr/bin/python3
"""Validates real catalog-service responses against catalog-service/openapi.yaml.

Run by CTest (label integration): starts the binary on a free loopback port with SQLite in a temp
dir, drives every documented operation, and checks each answer's status is documented for that
operation and its JSON body validates (jsonschema) against the documented schema.
Usage: openapi_check.py <catalog-service binary> <openapi.yaml>
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import jsonschema
import yaml

TOKEN = "openapi-writer-token-0123456789"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def to_json_schema(node):
    """OpenAPI 3.0 schema → JSON Schema: nullable → type union, refs kept."""
    if isinstance(node, list):
        return [to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: to_json_schema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable"):
        if "type" in out:
            out["type"] = [out["type"], "null"]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


class Checker:
    def __init__(self, spec, port):
        self.spec = spec
        self.port = port
        self.components = to_json_schema(spec["components"])
        self.checked = 0

    def schema_for(self, path, method, status):
        operation = self.spec["paths"][path][method]
        responses = operation["responses"]
        if str(status) not in responses:
            raise AssertionError(f"{method.upper()} {path}: status {status} is not documented")
        response = responses[str(status)]
        if "$ref" in response:
            response = self.spec["components"]["responses"][response["$ref"].split("/")[-1]]
        content = response.get("content", {}).get("application/json")
        return None if content is None else to_json_schema(content["schema"])

    def call(self, method, template, url_path, body=None, token=TOKEN, expect=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{url_path}", data=data,
                                         method=method.upper())
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        if expect is not None and status != expect:
            raise AssertionError(f"{method.upper()} {url_path}: expected {expect}, got {status}: {raw!r}")
        schema = self.schema_for(template, method, status)
        payload = json.loads(raw)
        if schema is not None:
            resolver_root = {"components": self.components}
            resolver = jsonschema.RefResolver.from_schema(resolver_root)
            jsonschema.validate(payload, schema, resolver=resolver)
        self.checked += 1
        return payload


def main():
    binary, spec_path = sys.argv[1], sys.argv[2]
    with open(spec_path, encoding="utf-8") as handle:
        spec = yaml.safe_load(handle)
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        config = os.path.join(tmp, "catalog.yaml")
        with open(config, "w", encoding="utf-8") as handle:
            handle.write(f"server: {{listen: '127.0.0.1:{port}', data_dir: '{tmp}'}}\n"
                         f"auth: {{tokens: [{{name: t, role: writer, token: {TOKEN}}}]}}\n"
                         "health: {interval_s: 0, url_policy: {allow_loopback: true}}\n")
        log = open(os.path.join(tmp, "log"), "w", encoding="utf-8")
        process = subprocess.Popen([binary, "--config", config], stdout=log, stderr=log)
        try:
            deadline = time.time() + 20
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.time() > deadline:
                        raise
                    time.sleep(0.05)
            run(Checker(spec, port))
        finally:
            process.terminate()
            process.wait(timeout=15)
    return 0


def run(check):
    reg = "/container_registry/{id}"
    record = check.call("post", "/container_registry", "/container_registry",
                        {"container_registry_name": "r", "container_registry_tags": ["ai"],
                         "container_registry_public_url": f"http://127.0.0.1:{free_port()}",
                         "container_registry_storage_info": {"storage_type": "fs", "storage_size": -1,
                                                             "memory_size": -1, "registry_type": "aios"}},
                        expect=201)
    rid = record["container_registry_id"]
    check.call("post", "/container_registry", "/container_registry",
               {"container_registry_id": rid, "container_registry_name": "dup"}, expect=409)
    check.call("post", "/container_registry", "/container_registry", {"bogus": 1}, expect=400)
    check.call("post", "/container_registry", "/container_registry", {"container_registry_name": "x"},
               token=None, expect=401)
    check.call("get", reg, f"/container_registry/{rid}", expect=200)
    check.call("get", reg, "/container_registry/missing", expect=404)
    check.call("put", reg, f"/container_registry/{rid}",
               {"$set": {"container_registry_metadata.owner": "ml"}}, expect=200)
    check.call("put", reg, f"/container_registry/{rid}", {"$inc": {"a": 1}}, expect=400)
    check.call("post", "/container_registries", "/container_registries?limit=5",
               {"container_registry_tags": {"$in": ["ai"]}}, expect=200)
    check.call("post", "/container_registries", "/container_registries", {"a": {"$bad": 1}}, expect=400)
    health = check.call("get", "/check_container_health/{id}", f"/check_container_health/{rid}",
                        expect=200)
    assert health["status"] == "down", health
    check.call("get", reg, f"/container_registry/{rid}", expect=200)  # now with health
    model = {"registry_id": "h", "repository": "hf/o/m", "digest": "sha256:" + "d" * 64}
    created = check.call("post", "/models", "/models", model, expect=201)
    check.call("post", "/models", "/models", model, expect=200)
    check.call("post", "/models/query", "/models/query", {"repository": "hf/o/m"}, expect=200)
    check.call("get", "/models/{id}", f"/models/{created['model_id']}", expect=200)
    check.call("delete", "/models/{id}", f"/models/{created['model_id']}", expect=200)
    check.call("delete", "/models/{id}", f"/models/{created['model_id']}", expect=404)
    check.call("delete", reg, f"/container_registry/{rid}", expect=200)
    check.call("delete", reg, f"/container_registry/{rid}", expect=404)
    print(f"openapi_check: {check.checked} responses valid against the OpenAPI document")


if __name__ == "__main__":
    sys.exit(main())
