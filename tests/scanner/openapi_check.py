#!/usr/bin/python3
"""Validates real scanner-adapter responses against the Pluggable Scanner API v1.2 OpenAPI file.

Run by CTest (label integration). Starts a real docker-registry (Debian's distribution v2) and the
scanner-adapter binary on free loopback ports, pushes a small ModelPack artifact (a pickle that
runs posix.system, a benign safetensors file), then drives every operation of
shared/specs/harbor-pluggable-scanner/scanner-adapter-openapi-v1.2.yaml the way Harbor does
(harbor-scanner.md §6: 1.0 MIME types in Accept, 302 + Refresh-After polling) and checks for each
answer that its status is documented for the operation, its Content-Type is one the operation
documents for that status, and its body validates (jsonschema) against the documented schema.
Usage: openapi_check.py <scanner-adapter binary> <openapi-v1.2.yaml> <docker-registry binary>
"""
import base64
import hashlib
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

import jsonschema
import yaml

TOKEN = "openapi-harbor-token-0123456789"
ERROR_MIME = "application/vnd.scanner.adapter.error+json; version=1.0"
REQUEST_MIME = "application/vnd.scanner.adapter.scan.request+json; version=1.0"
RESPONSE_MIME = "application/vnd.scanner.adapter.scan.response+json; version=1.0"
GENERIC_REPORT = "application/vnd.security.vulnerability.report; version=1.1"
HARBOR_REPORT = "application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0"
SBOM_REPORT = "application/vnd.security.sbom.report+json; version=1.0"
METADATA_10 = "application/vnd.scanner.adapter.metadata+json; version=1.0"
METADATA_11 = "application/vnd.scanner.adapter.metadata+json; version=1.1"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port, seconds=20):
    deadline = time.time() + seconds
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.05)


def request(port, method, path, body=None, headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)  # Harbor's 5 s
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    raw = response.read()
    result = (response.status, dict(response.getheaders()), raw)
    connection.close()
    return result


def mime_key(text):
    return "".join(text.split()).lower()


def to_json_schema(node):
    """OpenAPI 3.0 schema → JSON Schema: nullable → type union, refs kept."""
    if isinstance(node, list):
        return [to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: to_json_schema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable"):
        out = {"anyOf": [out, {"type": "null"}]}
    return out


class Checker:
    def __init__(self, spec, port):
        self.spec = spec
        self.port = port
        self.resolver = jsonschema.RefResolver.from_schema(
            {"components": to_json_schema(spec["components"])})
        self.checked = []

    def call(self, method, template, path, body=None, accept=None, content_type=None,
             token=TOKEN, expect=None):
        headers = {}
        if accept:
            headers["Accept"] = accept
        if content_type:
            headers["Content-Type"] = content_type
        if token:
            headers["Authorization"] = f"Bearer {token}"
        status, response_headers, raw = request(self.port, method.upper(), path, body, headers)
        where = f"{method.upper()} {path} (Accept {accept})"
        if expect is not None and status != expect:
            raise AssertionError(f"{where}: expected {expect}, got {status}: {raw[:300]!r}")
        responses = {str(code): value for code, value in
                     self.spec["paths"][template][method]["responses"].items()}
        if str(status) not in responses:
            raise AssertionError(f"{where}: status {status} is not documented")
        documented = responses[str(status)]
        content = documented.get("content") or {}
        if content:
            served = response_headers.get("Content-Type", "")
            match = [mime for mime in content if mime_key(mime) == mime_key(served)]
            if not match:
                raise AssertionError(
                    f"{where}: Content-Type {served!r} not documented for {status}: {list(content)}")
            schema = content[match[0]].get("schema")
            if schema is not None:
                jsonschema.validate(json.loads(raw), to_json_schema(schema),
                                    resolver=self.resolver)
        for header in documented.get("headers") or {}:
            if header not in response_headers:
                raise AssertionError(f"{where}: documented header {header} missing")
        self.checked.append(f"{method.upper()} {template} {status}")
        return status, response_headers, raw


def push_artifact(registry_port, repository):
    """Pushes a ModelPack artifact (monolithic blob uploads, then the manifest); its digest."""
    pickle_exec = b"\x80\x02cposix\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03."
    header = json.dumps({"w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}}).encode()
    safetensors = len(header).to_bytes(8, "little") + header + b"\x01" * 16
    config = json.dumps({"descriptor": {"name": "tiny", "licenses": ["apache-2.0"]},
                         "config": {"format": "safetensors"},
                         "modelfs": {"type": "layers", "diffIds": ["sha256:00"]}}).encode()

    def upload(data):
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        status, headers, raw = request(registry_port, "POST", f"/v2/{repository}/blobs/uploads/")
        assert status == 202, (status, raw)
        location = headers["Location"]
        location = location.split("127.0.0.1:%d" % registry_port)[-1]
        separator = "&" if "?" in location else "?"
        status, _, raw = request(registry_port, "PUT", f"{location}{separator}digest={digest}",
                                 data, {"Content-Type": "application/octet-stream"})
        assert status == 201, (status, raw)
        return {"digest": digest, "size": len(data)}

    weight = "application/vnd.cncf.model.weight.v1.raw"
    layers = []
    for path, data in (("pytorch_model.bin", pickle_exec), ("model.safetensors", safetensors)):
        layers.append(dict(upload(data), mediaType=weight,
                           annotations={"org.cncf.model.filepath": path}))
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "artifactType": "application/vnd.cncf.model.manifest.v1+json",
        "config": dict(upload(config), mediaType="application/vnd.cncf.model.config.v1+json"),
        "layers": layers}).encode()
    status, _, raw = request(registry_port, "PUT", f"/v2/{repository}/manifests/v1", manifest,
                             {"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
    assert status == 201, (status, raw)
    return "sha256:" + hashlib.sha256(manifest).hexdigest()


def scan_request(registry_port, repository, digest):
    robot = base64.b64encode(b"robot$scanner:s3cret").decode()
    return json.dumps({
        "registry": {"url": f"http://127.0.0.1:{registry_port}",
                     "authorization": f"Basic {robot}"},
        "artifact": {"repository": repository, "digest": digest,
                     "mime_type": "application/vnd.oci.image.manifest.v1+json"},
        "enabled_capabilities": [
            {"type": "vulnerability", "produces_mime_types": [GENERIC_REPORT, HARBOR_REPORT]},
            {"type": "sbom", "produces_mime_types": [SBOM_REPORT],
             "parameters": {"sbom_media_types": ["application/spdx+json"]}}]}).encode()


def poll_report(check, scan_id, accept, query=""):
    template = "/scan/{scan_request_id}/report"
    for _ in range(150):
        status, headers, raw = check.call("get", template,
                                          f"/api/v1/scan/{scan_id}/report{query}", accept=accept)
        if status != 302:
            return status, raw
        refresh = int(headers["Refresh-After"])
        assert 1 <= refresh <= 127, refresh
        time.sleep(0.2)
    raise AssertionError("scan did not finish")


def run(check, registry_port):
    api = "/api/v1"
    for accept in (METADATA_10, METADATA_11):
        status, _, raw = check.call("get", "/metadata", f"{api}/metadata", accept=accept,
                                    expect=200)
    metadata = json.loads(raw)
    assert all(isinstance(v, str) for v in metadata.get("properties", {}).values())

    digest = push_artifact(registry_port, "models/tiny")
    body = scan_request(registry_port, "models/tiny", digest)
    check.call("post", "/scan", f"{api}/scan", b"{", accept=RESPONSE_MIME,
               content_type=REQUEST_MIME, expect=400)
    check.call("post", "/scan", f"{api}/scan", b'{"registry":{}}', accept=RESPONSE_MIME,
               content_type=REQUEST_MIME, expect=422)
    _, _, raw = check.call("post", "/scan", f"{api}/scan", body, accept=RESPONSE_MIME,
                           content_type=REQUEST_MIME, expect=202)
    scan_id = json.loads(raw)["id"]

    status, raw = poll_report(check, scan_id, GENERIC_REPORT)
    assert status == 200, raw
    report = json.loads(raw)
    assert report["severity"] == "Critical", report
    assert any(v["id"] == "AIMS-PICKLE-EXEC" for v in report["vulnerabilities"]), report
    status, raw = poll_report(check, scan_id, HARBOR_REPORT)
    assert status == 200, raw
    status, raw = poll_report(check, scan_id, SBOM_REPORT, "?sbom_media_type=application%2Fspdx%2Bjson")
    assert status == 200, raw
    assert json.loads(raw)["sbom"]["spdxVersion"] == "SPDX-2.3"
    status, raw = poll_report(check, scan_id, SBOM_REPORT)  # no sbom_media_type
    assert status == 400, raw
    status, raw = poll_report(check, scan_id, "application/vnd.scanner.adapter.vuln.report.raw")
    assert status in (400, 501), raw
    check.call("get", "/scan/{scan_request_id}/report", f"{api}/scan/unknown-id/report",
               accept=GENERIC_REPORT, expect=404)

    missing = scan_request(registry_port, "models/tiny", "sha256:" + "0" * 64)
    _, _, raw = check.call("post", "/scan", f"{api}/scan", missing, accept=RESPONSE_MIME,
                           content_type=REQUEST_MIME, expect=202)
    status, raw = poll_report(check, json.loads(raw)["id"], GENERIC_REPORT)
    assert status == 500, raw


def main():
    binary, spec_path, registry_binary = sys.argv[1], sys.argv[2], sys.argv[3]
    with open(spec_path, encoding="utf-8") as handle:
        spec = yaml.safe_load(handle)
    with tempfile.TemporaryDirectory() as tmp:
        registry_port, port = free_port(), free_port()
        with open(os.path.join(tmp, "registry.yml"), "w", encoding="utf-8") as handle:
            handle.write("version: 0.1\nlog: {level: warn, accesslog: {disabled: true}}\n"
                         f"storage: {{filesystem: {{rootdirectory: '{tmp}/registry'}}}}\n"
                         f"http: {{addr: '127.0.0.1:{registry_port}', secret: openapi-check}}\n")
        with open(os.path.join(tmp, "scanner.yaml"), "w", encoding="utf-8") as handle:
            handle.write(f"server: {{listen: '127.0.0.1:{port}', data_dir: '{tmp}/scanner'}}\n"
                         "log: {level: warn}\n"
                         f"auth: {{tokens: [{{name: harbor, role: writer, token: {TOKEN}}}]}}\n"
                         "registry: {url_policy: {allow_loopback: true}}\n"
                         "scan: {workers: 2, refresh_after_s: 1}\n")
        log = open(os.path.join(tmp, "log"), "w", encoding="utf-8")
        registry = subprocess.Popen([registry_binary, "serve", os.path.join(tmp, "registry.yml")],
                                    stdout=log, stderr=log)
        scanner = subprocess.Popen([binary, "--config", os.path.join(tmp, "scanner.yaml")],
                                   stdout=log, stderr=log)
        try:
            wait_for_port(registry_port)
            wait_for_port(port)
            check = Checker(spec, port)
            run(check, registry_port)
            print(f"{len(check.checked)} responses valid: " + ", ".join(sorted(set(check.checked))))
        except Exception:
            log.flush()
            with open(os.path.join(tmp, "log"), encoding="utf-8") as handle:
                sys.stderr.write(handle.read()[-4000:])
            raise
        finally:
            for process in (scanner, registry):
                process.terminate()
                process.wait(timeout=15)
    return 0


if __name__ == "__main__":
    sys.exit(main())
