#!/usr/bin/env python3
"""Packaging checks for deploy/ (issue 8, "Packaging").

  check_packaging.py <source dir>

(a) deploy/docker/*.Dockerfile: runtime apt list == SERVICE_RUNTIME_PACKAGES of
    scripts/install-deps.sh + curl ca-certificates, bookworm base images, apt hygiene, non-root
    USER, HEALTHCHECK on /healthz, ENTRYPOINT with --config; when build/bin/<service> exists, every
    shared library it links comes from a package of that list.
(b) deploy/docker/compose.yaml: every service built from its Dockerfile, on the external network
    harbor_harbor, file-based secrets only, configs mounted, each config's secret files mounted,
    Harbor's Redis with distinct DB indexes; make-secrets.sh creates exactly those secret files.
(c) deploy/k8s overlays rendered with `kubectl kustomize`: probes, resources, securityContext,
    config/secret wiring; embedded = 1 replica on SQLite + PVCs; ha = 2+ replicas on Redis + PDBs;
    the agent is a GPU DaemonSet with a hostPath.
(d) deploy/systemd units: hardening keys, credentials matching the configs, `systemd-analyze
    verify` on copies whose ExecStart is /bin/true.
(e) deploy/systemd/install.sh --dry-run --prefix <tmp>: prints the plan, writes nothing, exits 0.

Exit 0: passed; 1: a check failed; 77: nothing failed but kubectl or systemd-analyze is missing,
so those checks were skipped (CTest SKIP_RETURN_CODE). Needs python3 and python3-yaml only.
"""
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

import yaml

SERVICES = {
    "catalog-service": 8081,
    "proxy-adapter": 8082,
    "scanner-adapter": 8083,
    "webhook-handler": 8084,
    "preheat-provider": 8085,
    "preheat-agent": 8086,
}
AGENT = "preheat-agent"
STATELESS = [name for name in SERVICES if name != AGENT]  # Deployments, storage in SQLite/Redis
HEALTH_EXTRAS = ["curl", "ca-certificates"]
GPU_LABEL = "nvidia.com/gpu.present"
GPU_TAINT = "nvidia.com/gpu"
SYSTEMD_ADDRESS_FAMILIES = {"AF_INET", "AF_INET6", "AF_UNIX"}


class Report:
    def __init__(self):
        self.failures = []
        self.skipped = []
        self.section = ""

    def start(self, section):
        self.section = section
        print(f"== {section}")

    def check(self, condition, message):
        if not condition:
            self.failures.append(f"{self.section}: {message}")
            print(f"FAIL {message}")
        return bool(condition)

    def skip(self, what):
        self.skipped.append(what)
        print(f"SKIP {what}")


def read(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def run(args, timeout=60, **kwargs):
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False,
                          **kwargs)


# *_file keys that name plain files (rules, CA bundles, certificates), not secrets.
NOT_SECRET_FILE_KEYS = {"rules_file", "ca_file", "client_ca_file", "provider_ca_file", "cert_file"}


def secret_file_paths(node, prefix=""):
    """Every (key path, value) of a config's secret files (token_file, password_file...)."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if (str(key).endswith("_file") and str(key) not in NOT_SECRET_FILE_KEYS
                    and isinstance(value, str)):
                found.append((path, value))
            else:
                found.extend(secret_file_paths(value, path))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(secret_file_paths(value, f"{prefix}[{index}]"))
    return found


def under(path, directory):
    directory = directory.rstrip("/")
    return path == directory or path.startswith(directory + "/")


def redis_db(url):
    match = re.fullmatch(r"redis://[^/]+/(\d+)", url or "")
    return int(match.group(1)) if match else None


# ---------------------------------------------------------------- (a) Dockerfiles


def service_runtime_packages(source):
    text = read(os.path.join(source, "scripts", "install-deps.sh"))
    match = re.search(r"^SERVICE_RUNTIME_PACKAGES=\((.*?)^\)", text, re.MULTILINE | re.DOTALL)
    if not match:
        return None
    body = "\n".join(line.split("#", 1)[0] for line in match.group(1).splitlines())
    return body.split()


def parse_dockerfile(text):
    """[(INSTRUCTION, arguments)] with continuations joined and comment lines dropped."""
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    instructions = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, rest = line.strip().partition(" ")
            instructions.append((keyword.upper(), " ".join(rest.split())))
    return instructions


def stages_of(instructions):
    stages = []
    for keyword, args in instructions:
        if keyword == "FROM":
            stages.append([])
        if stages:
            stages[-1].append((keyword, args))
    return stages


def apt_packages(run_args):
    for segment in run_args.split("&&"):
        words = segment.split()
        if "apt-get" in words and "install" in words:
            return [w for w in words[words.index("install") + 1:] if not w.startswith("-")]
    return None


def check_base_images(report, stages):
    for stage in stages:
        words = stage[0][1].split()
        image = words[0] if words else ""
        report.check(re.fullmatch(r"debian:bookworm(-[a-z0-9.-]+)?(@sha256:[0-9a-f]{64})?", image)
                     and "latest" not in image,
                     f"base image {image!r} is not a pinned Debian 12 bookworm tag")
    report.check(len(stages) == 2, f"expected a build and a runtime stage, got {len(stages)}")


def check_apt_hygiene(report, instructions):
    for keyword, args in instructions:
        if keyword == "RUN" and "apt-get install" in args:
            report.check("--no-install-recommends" in args, "apt-get install without "
                         "--no-install-recommends")
            report.check(re.search(r"apt-get install -y\b|apt-get install .*-y\b", args),
                         "apt-get install without -y")
            report.check("apt-get update" in args, "apt-get install without update in its RUN")
            report.check("rm -rf /var/lib/apt/lists/*" in args,
                         "apt-get install without rm -rf /var/lib/apt/lists/* in its RUN")
        report.check(keyword != "ADD", "ADD used (COPY instead)")
        if keyword == "WORKDIR":
            report.check(args.startswith("/"), f"WORKDIR {args} is not absolute")


def check_runtime_stage(report, name, stage, expected_packages):
    port = SERVICES[name]
    by_keyword = {}
    for keyword, args in stage:
        by_keyword.setdefault(keyword, []).append(args)
    packages = None
    for args in by_keyword.get("RUN", []):
        packages = apt_packages(args) or packages
    report.check(packages is not None, "runtime stage installs no packages")
    if packages is not None:
        report.check(len(packages) == len(set(packages)), f"duplicate runtime packages {packages}")
        report.check(sorted(packages) == sorted(expected_packages),
                     "runtime packages differ from SERVICE_RUNTIME_PACKAGES + curl "
                     "ca-certificates: "
                     f"extra {sorted(set(packages) - set(expected_packages))}, "
                     f"missing {sorted(set(expected_packages) - set(packages))}")
    users = by_keyword.get("USER", [])
    report.check(users and users[-1].split(":")[0] not in ("root", "0"),
                 f"runtime USER is missing or root: {users}")
    healthchecks = by_keyword.get("HEALTHCHECK", [])
    report.check(len(healthchecks) == 1 and "curl" in healthchecks[0]
                 and f"http://127.0.0.1:{port}/healthz" in healthchecks[0],
                 f"HEALTHCHECK is not curl on http://127.0.0.1:{port}/healthz: {healthchecks}")
    report.check(str(port) in " ".join(by_keyword.get("EXPOSE", [])), f"EXPOSE {port} missing")
    entrypoints = by_keyword.get("ENTRYPOINT", [])
    expected_entry = [f"/usr/local/bin/{name}", "--config", f"/etc/aiops/{name}.yaml"]
    report.check(len(entrypoints) == 1 and json.loads(entrypoints[0]) == expected_entry,
                 f"ENTRYPOINT is not {expected_entry}: {entrypoints}")
    report.check(by_keyword.get("VOLUME"), "no VOLUME for the data dir")
    report.check(any("--from=build" in args and f"/usr/local/bin/{name}" in args
                     for args in by_keyword.get("COPY", [])),
                 "the binary is not copied from the build stage")


def check_dockerfile(report, source, name, expected_packages):
    path = os.path.join(source, "deploy", "docker", f"{name}.Dockerfile")
    if not report.check(os.path.isfile(path), f"{path} missing"):
        return None
    instructions = parse_dockerfile(read(path))
    stages = stages_of(instructions)
    check_base_images(report, stages)
    check_apt_hygiene(report, instructions)
    if len(stages) != 2:
        return instructions
    report.check(re.search(r"\bAS build$", stages[0][0][1], re.IGNORECASE),
                 "first stage is not named build")
    report.check(any(k == "RUN" and "cmake --build" in a and f"--target {name}" in a
                     for k, a in stages[0]), f"build stage does not build --target {name}")
    check_runtime_stage(report, name, stages[1], expected_packages)
    return instructions


def package_of_library(path, cache):
    if path in cache:
        return cache[path]
    candidates = [path, os.path.realpath(path)]
    for candidate in list(candidates):
        if candidate.startswith("/lib"):
            candidates.append("/usr" + candidate)
        elif candidate.startswith("/usr/lib"):
            candidates.append(candidate[len("/usr"):])
    package = None
    for candidate in candidates:
        result = run(["dpkg", "-S", candidate])
        if result.returncode == 0 and result.stdout:
            package = result.stdout.split(":", 1)[0].strip()
            break
    cache[path] = package
    return package


def check_linked_libraries(report, source, name, packages, cache):
    """When build/bin/<name> exists, each NEEDED library must come from one of `packages`."""
    binary = os.path.join(source, "build", "bin", name)
    if not os.path.isfile(binary) or not all(shutil.which(t) for t in ("readelf", "ldd", "dpkg")):
        print(f"note: {name}: no build/bin binary (or readelf/ldd/dpkg); library check not run")
        return
    needed = re.findall(r"\(NEEDED\).*\[(.+?)\]", run(["readelf", "-d", binary]).stdout)
    resolved = dict(re.findall(r"^\s*(\S+) => (\S+)", run(["ldd", binary]).stdout, re.MULTILINE))
    for library in needed:
        if re.match(r"lib(asan|ubsan|tsan|lsan)\.", library):
            continue  # a sanitizer build in build/: not what the image ships
        path = resolved.get(library)
        package = package_of_library(path, cache) if path else None
        report.check(package in packages,
                     f"{name} links {library} ({path}) from package {package}, "
                     "which is not in SERVICE_RUNTIME_PACKAGES")


def check_dockerfiles(report, source):
    report.start("(a) Dockerfiles")
    packages = service_runtime_packages(source)
    if not report.check(packages, "scripts/install-deps.sh has no SERVICE_RUNTIME_PACKAGES=(...)"):
        return {}
    install_deps = read(os.path.join(source, "scripts", "install-deps.sh"))
    report.check(re.search(r'^for pkg in .*"\$\{SERVICE_RUNTIME_PACKAGES\[@\]\}"', install_deps,
                           re.MULTILINE),
                 "install-deps.sh does not check/install SERVICE_RUNTIME_PACKAGES")
    parsed = {}
    cache = {}
    for name in SERVICES:
        parsed[name] = check_dockerfile(report, source, name, packages + HEALTH_EXTRAS)
        check_linked_libraries(report, source, name, packages, cache)
    print(f"checked {len(parsed)} Dockerfiles against {len(packages)} runtime packages")
    return parsed


# ---------------------------------------------------------------- (b) compose


def interpolate(text):
    """Compose's ${VAR:-default} / ${VAR-default} / ${VAR} with every variable unset."""
    return re.sub(r"\$\{[A-Za-z_][A-Za-z0-9_]*(?::?-([^}]*))?\}", lambda m: m.group(1) or "",
                  text)


def compose_mounts(service):
    """{container path: host source} of a compose service's volumes."""
    mounts = {}
    for volume in service.get("volumes", []):
        if isinstance(volume, str):
            parts = interpolate(volume).split(":")
            if len(parts) >= 2:
                mounts[parts[1]] = parts[0]
        elif isinstance(volume, dict):
            mounts[volume.get("target")] = volume.get("source")
    return mounts


def check_compose_networks(report, compose, name, service):
    networks = service.get("networks", [])
    names = list(networks) if isinstance(networks, (list, dict)) else []
    harbor = [n for n in names if (compose.get("networks") or {}).get(n, {}) and
              compose["networks"][n].get("external") is True and
              compose["networks"][n].get("name") == "harbor_harbor"]
    report.check(harbor, f"{name} does not join the external network harbor_harbor")


def check_compose_build(report, compose_dir, name, service, dockerfiles):
    image = service.get("image", "")
    report.check(image and not image.endswith(":latest") and ":" in image.rsplit("/", 1)[-1],
                 f"{name}: image {image!r} has no pinned tag")
    build = service.get("build") or {}
    context = os.path.normpath(os.path.join(compose_dir, build.get("context", ".")))
    dockerfile = os.path.join(context, build.get("dockerfile", "Dockerfile"))
    expected = os.path.join(compose_dir, f"{name}.Dockerfile")
    report.check(os.path.normpath(dockerfile) == os.path.normpath(expected),
                 f"{name}: build.dockerfile is not deploy/docker/{name}.Dockerfile")
    if "healthcheck" in service:
        test = service["healthcheck"].get("test", "")
        report.check("/healthz" in " ".join(test if isinstance(test, list) else [test]),
                     f"{name}: compose healthcheck does not probe /healthz")
    else:
        instructions = dockerfiles.get(name) or []
        report.check(any(k == "HEALTHCHECK" for k, _ in instructions),
                     f"{name}: no compose healthcheck and no HEALTHCHECK in its Dockerfile")


def check_compose_environment(report, name, service):
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) if "=" in item else (item, None)
                           for item in environment)
    for key, value in environment.items():
        report.check(not re.search(r"TOKEN|PASSWORD|SECRET|AUTH", key) or value in (None, ""),
                     f"{name}: environment {key} carries a secret value; use secrets:")


def check_compose_config(report, compose_dir, name, service, secret_names):
    mounts = compose_mounts(service)
    target = f"/etc/aiops/{name}.yaml"
    source = mounts.get(target)
    if not report.check(source, f"{name}: {target} is not mounted"):
        return None
    path = os.path.normpath(os.path.join(compose_dir, source))
    if not report.check(os.path.isfile(path), f"{name}: config {source} missing"):
        return None
    config = yaml.safe_load(read(path)) or {}
    server = config.get("server") or {}
    report.check(str(server.get("listen", "")).endswith(f":{SERVICES[name]}"),
                 f"{name}: server.listen is not on port {SERVICES[name]} (HEALTHCHECK, EXPOSE)")
    data_dir = server.get("data_dir", "")
    report.check(data_dir and any(under(data_dir, t) for t in mounts),
                 f"{name}: server.data_dir {data_dir!r} is not on a volume")
    service_secrets = set(service.get("secrets") or [])
    for key, value in secret_file_paths(config) + [("rules_file", config.get("rules_file"))]:
        if not value:
            continue
        if under(value, "/run/secrets"):
            secret = value[len("/run/secrets/"):]
            report.check(secret in service_secrets and secret in secret_names,
                         f"{name}: {key} {value} is not one of the service's compose secrets")
        else:
            report.check(any(under(value, t) for t in mounts),
                         f"{name}: {key} {value} is not mounted")
    return config


def check_make_secrets(report, compose_dir, secret_names):
    script = os.path.join(compose_dir, "make-secrets.sh")
    if not report.check(os.path.isfile(script), "deploy/docker/make-secrets.sh missing"):
        return
    if not shutil.which("openssl"):
        print("note: no openssl; make-secrets.sh not run")
        return
    with tempfile.TemporaryDirectory() as scratch:
        target = os.path.join(scratch, "secrets")
        result = run(["bash", script, target])
        report.check(result.returncode == 0, f"make-secrets.sh failed: {result.stderr.strip()}")
        created = set(os.listdir(target)) if os.path.isdir(target) else set()
        report.check(created == secret_names,
                     f"make-secrets.sh creates {sorted(created ^ secret_names)} differently "
                     "from compose.yaml's secrets")


def check_compose(report, source, dockerfiles):
    report.start("(b) compose.yaml")
    compose_dir = os.path.join(source, "deploy", "docker")
    try:
        compose = yaml.safe_load(read(os.path.join(compose_dir, "compose.yaml")))
    except (OSError, yaml.YAMLError) as error:
        report.check(False, f"compose.yaml does not parse: {error}")
        return
    if not report.check(isinstance(compose, dict) and isinstance(compose.get("services"), dict),
                        "compose.yaml has no services mapping"):
        return
    secrets = compose.get("secrets") or {}
    for secret, spec in secrets.items():
        report.check(isinstance(spec, dict) and set(spec) == {"file"}
                     and os.path.normpath(spec["file"]).startswith("secrets/"),
                     f"secret {secret} is not a file under ./secrets/: {spec}")
    secret_names = set(secrets)
    redis_dbs = {}
    for name in SERVICES:
        service = compose["services"].get(name)
        if not report.check(isinstance(service, dict), f"service {name} missing"):
            continue
        check_compose_build(report, compose_dir, name, service, dockerfiles)
        check_compose_networks(report, compose, name, service)
        check_compose_environment(report, name, service)
        for secret in service.get("secrets") or []:
            report.check(secret in secret_names, f"{name}: secret {secret} is not defined")
        config = check_compose_config(report, compose_dir, name, service, secret_names)
        if config is not None and name != AGENT:
            url = (config.get("storage") or {}).get("url", "")
            report.check(url.startswith("redis://redis:6379/") and redis_db(url) is not None,
                         f"{name}: storage.url {url!r} is not Harbor's Redis "
                         "(redis://redis:6379/N)")
            redis_dbs[name] = redis_db(url)
    indexes = [db for db in redis_dbs.values() if db is not None]
    report.check(len(indexes) == len(set(indexes)),
                 f"Redis DB indexes are not distinct: {redis_dbs}")
    report.check(all(10 <= db <= 15 for db in indexes),
                 f"Redis DB indexes must be 10–15 (Harbor uses the low ones): {redis_dbs}")
    check_make_secrets(report, compose_dir, secret_names)
    print(f"checked {len(compose['services'])} compose services, {len(secret_names)} secrets, "
          f"Redis DBs {sorted(indexes)}")


# ---------------------------------------------------------------- (c) Kubernetes


def render(report, source, overlay):
    path = os.path.join(source, "deploy", "k8s", "overlays", overlay)
    result = run(["kubectl", "kustomize", path], timeout=90)
    if not report.check(result.returncode == 0,
                        f"kubectl kustomize {overlay} failed: {result.stderr.strip()[:500]}"):
        return None
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def effective(container, pod, key):
    value = (container.get("securityContext") or {}).get(key)
    return value if value is not None else (pod.get("securityContext") or {}).get(key)


def check_container(report, where, container, pod):
    probes = {"livenessProbe": "/healthz", "readinessProbe": "/readyz"}
    for probe, path in probes.items():
        got = ((container.get(probe) or {}).get("httpGet") or {}).get("path")
        report.check(got == path, f"{where}: {probe} is not httpGet {path} (got {got})")
    resources = container.get("resources") or {}
    for kind in ("requests", "limits"):
        report.check({"cpu", "memory"} <= set(resources.get(kind) or {}),
                     f"{where}: resources.{kind} needs cpu and memory")
    context = container.get("securityContext") or {}
    report.check(effective(container, pod, "runAsNonRoot") is True, f"{where}: runAsNonRoot")
    report.check(context.get("readOnlyRootFilesystem") is True, f"{where}: readOnlyRootFilesystem")
    report.check(context.get("allowPrivilegeEscalation") is False,
                 f"{where}: allowPrivilegeEscalation is not false")
    report.check("ALL" in ((context.get("capabilities") or {}).get("drop") or []),
                 f"{where}: capabilities do not drop ALL")
    report.check(not context.get("privileged"), f"{where}: privileged")
    mounts = [m["mountPath"] for m in container.get("volumeMounts") or []]
    report.check("/tmp" in mounts, f"{where}: no writable /tmp mount")


def workload_config(report, where, name, pod, container, by_kind):
    """The service's YAML config from the ConfigMap mounted at /etc/aiops, parsed."""
    volumes = {v["name"]: v for v in pod.get("volumes") or []}
    mount = next((m for m in container.get("volumeMounts") or []
                  if m["mountPath"] == "/etc/aiops"), None)
    volume = volumes.get(mount["name"]) if mount else None
    config_map_name = ((volume or {}).get("configMap") or {}).get("name")
    config_map = by_kind.get("ConfigMap", {}).get(config_map_name)
    key = f"{name}.yaml"
    if not report.check(config_map and key in (config_map.get("data") or {}),
                        f"{where}: no ConfigMap with {key} mounted at /etc/aiops"):
        return None
    return yaml.safe_load(config_map["data"][key]) or {}


def check_wiring(report, where, name, pod, container, config):
    """Listen port, data dir and every secret file of the config exist in the pod."""
    volumes = {v["name"]: v for v in pod.get("volumes") or []}
    mounts = {m["mountPath"]: volumes.get(m["name"], {})
              for m in container.get("volumeMounts") or []}
    ports = [p.get("containerPort") for p in container.get("ports") or []]
    listen = str((config.get("server") or {}).get("listen", ""))
    report.check(listen.rsplit(":", 1)[-1] in {str(p) for p in ports},
                 f"{where}: server.listen {listen} is not a containerPort {ports}")
    data_dir = (config.get("server") or {}).get("data_dir", "")
    report.check(data_dir and any(under(data_dir, path) for path in mounts),
                 f"{where}: server.data_dir {data_dir!r} is not on a volume")
    for key, value in secret_file_paths(config) + [("rules_file", config.get("rules_file"))]:
        if not value:
            continue
        holder = next((path for path in mounts if under(value, path)), None)
        if not report.check(holder, f"{where}: {key} {value} is not mounted"):
            continue
        secret = mounts[holder].get("secret")
        if secret:
            item_paths = [i["path"] for i in secret.get("items") or []]
            report.check(not item_paths or os.path.relpath(value, holder) in item_paths,
                         f"{where}: {key} {value} is not an item of Secret "
                         f"{secret.get('secretName')}")


def labels_match(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def check_services(report, overlay, workloads, by_kind):
    for name, workload in workloads.items():
        if workload["kind"] != "Deployment":
            continue
        labels = workload["spec"]["template"]["metadata"].get("labels") or {}
        service = by_kind.get("Service", {}).get(name)
        if report.check(service, f"{overlay}: no Service {name}"):
            report.check(labels_match(service["spec"].get("selector"), labels),
                         f"{overlay}: Service {name} does not select its pods")


def check_agent(report, overlay, workload, config):
    where = f"{overlay}/DaemonSet/{AGENT}"
    pod = workload["spec"]["template"]["spec"]
    report.check(str((pod.get("nodeSelector") or {}).get(GPU_LABEL)) == "true",
                 f"{where}: nodeSelector {GPU_LABEL}: \"true\" missing")
    report.check(any(t.get("key") == GPU_TAINT for t in pod.get("tolerations") or []),
                 f"{where}: no toleration for {GPU_TAINT}")
    host_volumes = {v["name"]: v["hostPath"]["path"] for v in pod.get("volumes") or []
                    if "hostPath" in v}
    container = pod["containers"][0]
    host_mounts = [m["mountPath"] for m in container.get("volumeMounts") or []
                   if m["name"] in host_volumes]
    report.check(host_mounts, f"{where}: no hostPath volume mounted")
    if config is None:
        return
    agent = config.get("agent") or {}
    data_dir = (config.get("server") or {}).get("data_dir", "")
    models_dir = agent.get("models_dir", "")
    same = [m for m in host_mounts if under(models_dir, m) and under(data_dir, m)]
    report.check(same, f"{where}: models_dir {models_dir!r} and data_dir {data_dir!r} are not "
                 "on one hostPath mount (model files are hard links into the cache)")


def check_embedded(report, workloads, by_kind, configs):
    claims = set(by_kind.get("PersistentVolumeClaim", {}))
    for name in STATELESS:
        workload = workloads.get(name)
        if not workload:
            continue
        report.check(workload["spec"].get("replicas") == 1, f"embedded: {name} replicas != 1")
        url = ((configs.get(name) or {}).get("storage") or {}).get("url", "")
        report.check(not url or url.startswith("sqlite://"),
                     f"embedded: {name} storage.url {url!r} is not SQLite")
        pod = workload["spec"]["template"]["spec"]
        container = pod["containers"][0]
        volumes = {v["name"]: v for v in pod.get("volumes") or []}
        data_dir = ((configs.get(name) or {}).get("server") or {}).get("data_dir", "")
        data_mount = next((m for m in container.get("volumeMounts") or []
                           if under(data_dir, m["mountPath"])), None)
        claim = ((volumes.get(data_mount["name"]) if data_mount else {}) or {}).get(
            "persistentVolumeClaim", {}).get("claimName")
        report.check(claim in claims, f"embedded: {name} data_dir is not on a PVC of the overlay")
    proxy = workloads.get("proxy-adapter")
    if proxy:
        volumes = proxy["spec"]["template"]["spec"].get("volumes") or []
        cache = next((v for v in volumes if v["name"] == "cache"), {})
        report.check(cache.get("persistentVolumeClaim", {}).get("claimName") in claims,
                     "embedded: the proxy cache is not a PVC")


def check_ha(report, workloads, by_kind, configs):
    pdbs = list(by_kind.get("PodDisruptionBudget", {}).values())
    indexes = {}
    for name in STATELESS:
        workload = workloads.get(name)
        if not workload:
            continue
        report.check((workload["spec"].get("replicas") or 1) >= 2, f"ha: {name} replicas < 2")
        labels = workload["spec"]["template"]["metadata"].get("labels") or {}
        report.check(any(labels_match(p["spec"].get("selector", {}).get("matchLabels"), labels)
                         for p in pdbs), f"ha: no PodDisruptionBudget selects {name}")
        url = ((configs.get(name) or {}).get("storage") or {}).get("url", "")
        report.check(url.startswith("redis://") and redis_db(url) is not None,
                     f"ha: {name} storage.url {url!r} is not redis://host:port/db")
        indexes[name] = redis_db(url)
        volumes = workload["spec"]["template"]["spec"].get("volumes") or []
        report.check(not any("persistentVolumeClaim" in v for v in volumes),
                     f"ha: {name} has replicas but mounts a shared ReadWriteOnce PVC")
    values = [v for v in indexes.values() if v is not None]
    report.check(len(values) == len(set(values)), f"ha: Redis DB indexes not distinct: {indexes}")
    proxy = workloads.get("proxy-adapter")
    if proxy:
        volumes = proxy["spec"]["template"]["spec"].get("volumes") or []
        cache = next((v for v in volumes if v["name"] == "cache"), {})
        report.check("volumeClaimTemplate" in (cache.get("ephemeral") or {}),
                     "ha: the proxy cache is not a per-replica PVC (ephemeral volumeClaimTemplate)")


def check_overlay(report, source, overlay):
    docs = render(report, source, overlay)
    if docs is None:
        return
    by_kind = {}
    for doc in docs:
        by_kind.setdefault(doc["kind"], {})[doc["metadata"]["name"]] = doc
    report.check("Secret" not in by_kind, f"{overlay}: renders a Secret (reference them only)")
    workloads = {**by_kind.get("Deployment", {}), **by_kind.get("DaemonSet", {})}
    for name in SERVICES:
        kind = "DaemonSet" if name == AGENT else "Deployment"
        report.check(name in by_kind.get(kind, {}), f"{overlay}: no {kind} {name}")
    configs = {}
    for name, workload in workloads.items():
        pod = workload["spec"]["template"]["spec"]
        for container in pod.get("initContainers", []) + pod.get("containers", []):
            where = f"{overlay}/{workload['kind']}/{name}/{container['name']}"
            check_container(report, where, container, pod)
        where = f"{overlay}/{workload['kind']}/{name}"
        config = workload_config(report, where, name, pod, pod["containers"][0], by_kind)
        if config is not None:
            configs[name] = config
            check_wiring(report, where, name, pod, pod["containers"][0], config)
    check_services(report, overlay, workloads, by_kind)
    if AGENT in workloads:
        check_agent(report, overlay, workloads[AGENT], configs.get(AGENT))
    (check_embedded if overlay == "embedded" else check_ha)(report, workloads, by_kind, configs)
    print(f"{overlay}: {len(docs)} objects, "
          f"{', '.join(f'{k} {len(v)}' for k, v in sorted(by_kind.items()))}")


def check_kubernetes(report, source):
    report.start("(c) Kubernetes (kubectl kustomize)")
    if not shutil.which("kubectl"):
        report.skip("kubectl not found: the Kustomize overlays were not rendered")
        return
    for overlay in ("embedded", "ha"):
        check_overlay(report, source, overlay)


# ---------------------------------------------------------------- (d) systemd


def parse_unit(text):
    """{(section, key): [values]} (systemd keys repeat; an empty assignment is kept)."""
    entries = {}
    section = ""
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        key, _, value = line.partition("=")
        entries.setdefault((section, key.strip()), []).append(value.strip())
    return entries


def check_unit_hardening(report, name, unit):
    def values(key):
        return unit.get(("Service", key), [])

    def one(key):
        return values(key)[-1] if values(key) else None

    expected = f"/usr/local/bin/{name} --config /etc/aiops/{name}.yaml"
    report.check(one("ExecStart") == expected, f"{name}: ExecStart is not {expected!r}")
    report.check(one("DynamicUser") == "yes" or one("User") not in (None, "", "root", "0"),
                 f"{name}: neither DynamicUser=yes nor a service User=")
    for key, value in [("ProtectSystem", "strict"), ("NoNewPrivileges", "yes"),
                       ("PrivateTmp", "yes"), ("ProtectHome", "yes"),
                       ("Restart", "on-failure")]:
        report.check(one(key) == value, f"{name}: {key}={value} missing (got {one(key)})")
    report.check(values("CapabilityBoundingSet") and all(v == "" for v in values(
        "CapabilityBoundingSet")), f"{name}: CapabilityBoundingSet= is not empty")
    families = set(" ".join(values("RestrictAddressFamilies")).split())
    report.check(families == SYSTEMD_ADDRESS_FAMILIES,
                 f"{name}: RestrictAddressFamilies is {sorted(families)}")
    state = " ".join(values("StateDirectory")).split()
    report.check(state, f"{name}: no StateDirectory=")
    for path in " ".join(values("ReadWritePaths")).split():
        report.check(any(path == f"/var/lib/{s}" for s in state),
                     f"{name}: ReadWritePaths={path} is not the state directory")
    return [f"/var/lib/{s}" for s in state]


def check_unit_config(report, systemd_dir, name, unit, state_dirs):
    path = os.path.join(systemd_dir, "config", f"{name}.yaml")
    if not report.check(os.path.isfile(path), f"{name}: config/{name}.yaml missing"):
        return
    config = yaml.safe_load(read(path)) or {}
    dirs = [(config.get("server") or {}).get("data_dir", "")]
    if name == AGENT:
        dirs.append((config.get("agent") or {}).get("models_dir", ""))
    for directory in dirs:
        report.check(directory and any(under(directory, s) for s in state_dirs),
                     f"{name}: {directory!r} is not in the StateDirectory {state_dirs}")
    credentials = {}
    for value in unit.get(("Service", "LoadCredential"), []):
        credential, _, source_path = value.partition(":")
        credentials[credential] = source_path
        report.check(source_path == f"/etc/aiops/secrets/{credential}",
                     f"{name}: LoadCredential {value} is not /etc/aiops/secrets/<name>")
    prefix = f"/run/credentials/{name}.service/"
    for key, value in secret_file_paths(config):
        report.check(value.startswith(prefix) and value[len(prefix):] in credentials,
                     f"{name}: {key} {value} is not a LoadCredential= of the unit")


def check_systemd_verify(report, systemd_dir):
    if not shutil.which("systemd-analyze"):
        report.skip("systemd-analyze not found: the units were not verified")
        return
    with tempfile.TemporaryDirectory() as scratch:
        copies = []
        for name in SERVICES:
            text = read(os.path.join(systemd_dir, f"{name}.service"))
            text = re.sub(r"^ExecStart=/usr/local/bin/\S+", "ExecStart=/bin/true", text,
                          flags=re.MULTILINE)
            copy = os.path.join(scratch, f"{name}.service")
            with open(copy, "w", encoding="utf-8") as handle:
                handle.write(text)
            copies.append(copy)
        result = run(["systemd-analyze", "verify", "--man=no", *copies])
        # verify exits 0 on unknown keys and bad values; it only warns: any warning fails here
        output = (result.stdout + result.stderr).strip()
        report.check(result.returncode == 0 and not output,
                     f"systemd-analyze verify: rc {result.returncode}: {output[:1000]}")
        print(f"systemd-analyze verify: {len(copies)} units, rc {result.returncode}")


def check_systemd(report, source):
    report.start("(d) systemd units")
    systemd_dir = os.path.join(source, "deploy", "systemd")
    for name in SERVICES:
        path = os.path.join(systemd_dir, f"{name}.service")
        if not report.check(os.path.isfile(path), f"{name}.service missing"):
            continue
        unit = parse_unit(read(path))
        state_dirs = check_unit_hardening(report, name, unit)
        check_unit_config(report, systemd_dir, name, unit, state_dirs)
    check_systemd_verify(report, systemd_dir)


# ---------------------------------------------------------------- (e) install.sh


def check_scripts_lint(report, source):
    scripts = [os.path.join(source, "deploy", "systemd", "install.sh"),
               os.path.join(source, "deploy", "docker", "make-secrets.sh"),
               os.path.join(source, "scripts", "install-deps.sh")]
    for script in scripts:
        result = run(["bash", "-n", script])
        report.check(result.returncode == 0, f"bash -n {script}: {result.stderr.strip()}")
    if shutil.which("shellcheck"):
        result = run(["shellcheck", *scripts])
        report.check(result.returncode == 0, f"shellcheck: {result.stdout.strip()[:1000]}")
    else:
        print("note: no shellcheck; scripts only syntax-checked")


def check_install_script(report, source):
    report.start("(e) deploy/systemd/install.sh --dry-run")
    check_scripts_lint(report, source)
    script = os.path.join(source, "deploy", "systemd", "install.sh")
    with tempfile.TemporaryDirectory() as prefix, tempfile.TemporaryDirectory() as empty_build:
        for extra in ([], ["--build-dir", empty_build]):
            args = ["bash", script, "--dry-run", "--prefix", prefix, *extra]
            result = run(args)
            shown = " ".join(shlex.quote(a) for a in args[1:])
            if not report.check(result.returncode == 0,
                                f"{shown} exited {result.returncode}: {result.stderr.strip()}"):
                continue
            for name in SERVICES:
                for target in (f"{prefix}/usr/local/bin/{name}",
                               f"{prefix}/etc/systemd/system/{name}.service",
                               f"{prefix}/etc/aiops/{name}.yaml"):
                    report.check(target in result.stdout, f"{shown} does not plan {target}")
            report.check(not os.listdir(prefix), f"{shown} wrote into the prefix")
        print(f"install.sh --dry-run planned {len(SERVICES)} services")


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    source = os.path.abspath(sys.argv[1])
    report = Report()
    dockerfiles = check_dockerfiles(report, source)
    check_compose(report, source, dockerfiles)
    check_kubernetes(report, source)
    check_systemd(report, source)
    check_install_script(report, source)
    if report.failures:
        print(f"\n{len(report.failures)} packaging check(s) failed:")
        for failure in report.failures:
            print(f"  - {failure}")
        return 1
    if report.skipped:
        print("\nno failures, but skipped: " + "; ".join(report.skipped))
        return 77
    print("\nall packaging checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
