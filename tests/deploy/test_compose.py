"""Consistency checks for docker-compose.yml, the Dockerfile and deploy/.

Docker cannot run here, so these tests read the files and check them against
each other and against the code: pinned images, ports, health checks and
start-up order, the worker's environment (exactly what worker.py and
``temporalio.envconfig`` read), the store URL, the search attributes the
setup service creates, the files the worker command needs, and secrets.
"""

from __future__ import annotations

import ast
import re
import shlex
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

yaml = pytest.importorskip("yaml")

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"

#: Custom search attributes graphcompat's workflows carry, with their types.
SEARCH_ATTRIBUTES = {"GraphThreadId": "Keyword", "GraphName": "Keyword", "GraphStep": "Int"}
#: What the worker's container may (and must) be given: envconfig's address and
#: namespace, the task queue worker.py reads, and the store URL (read from the environment).
WORKER_ENV = {"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "GRAPHCOMPAT_TASK_QUEUE", "GRAPHCOMPAT_STORE"}
#: Host ports the stack publishes (container port -> host port).
EXPECTED_PORTS = {"temporal": {7233: 7233}, "temporal-ui": {8080: 8080}}
OPTIONAL_PORTS = {"postgres": {5432: 5432}}
#: The documented development defaults; any other literal secret is a leak.
DEV_DEFAULT_SECRETS = {"temporal"}
SECRET_NAME = re.compile(r"(PASSWORD|PWD|SECRET|TOKEN|API_KEY|_KEY_DATA|CERT_DATA)$", re.IGNORECASE)

_VAR = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<default>[^}]*))?\}")


# -- helpers -------------------------------------------------------------------------


def interpolate(value: str) -> str:
    """Compose's interpolation with an empty environment: ``${X:-d}`` -> ``d``, ``$$`` -> ``$``.

    An unset variable without a default would come out empty at ``up`` time;
    for our files that is always a mistake, so it fails the test.
    """
    placeholder = "\0"
    value = value.replace("$$", placeholder)

    def sub(match: re.Match[str]) -> str:
        if match.group("op") in (":-", "-"):
            return match.group("default")
        raise AssertionError(f"{match.group(0)} has no default in docker-compose.yml")

    return _VAR.sub(sub, value).replace(placeholder, "$")


def env_of(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): interpolate(str(v)) for k, v in env.items()}


def command_text(service: dict[str, Any], key: str = "command") -> str:
    cmd = service.get(key)
    if cmd is None:
        return ""
    return interpolate(cmd if isinstance(cmd, str) else " ".join(str(part) for part in cmd))


def published_ports(service: dict[str, Any]) -> dict[int, int]:
    """container port -> host port, for short ("[ip:]host:container[/proto]") and long syntax."""
    result: dict[int, int] = {}
    for port in service.get("ports") or []:
        if isinstance(port, dict):
            result[int(port["target"])] = int(interpolate(str(port["published"])))
            continue
        spec = interpolate(str(port)).split("/")[0]
        parts = spec.rsplit(":", 2)
        assert len(parts) >= 2, f"port {port!r} publishes no fixed host port"
        result[int(parts[-1])] = int(parts[-2])
    return result


def image_is_pinned(image: str) -> bool:
    if "@sha256:" in image:
        return True
    name, _, tag = image.rpartition(":")
    if not name or "/" in tag:  # no tag (the colon belonged to a registry port)
        return False
    return tag != "latest" and bool(re.search(r"\d+\.\d+", tag))


def depends_on(service: dict[str, Any]) -> dict[str, str]:
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return {name: "service_started" for name in deps}
    return {name: (spec or {}).get("condition", "service_started") for name, spec in deps.items()}


def volume_sources(service: dict[str, Any]) -> dict[str, str]:
    """container path -> host path, for bind mounts of files in the repository."""
    result: dict[str, str] = {}
    for volume in service.get("volumes") or []:
        if isinstance(volume, dict):
            source, target = volume.get("source", ""), volume["target"]
        else:
            source, target = volume.split(":")[:2]
        if source.startswith("."):
            result[target] = source
    return result


def worker_argv(compose: dict[str, Any]) -> list[str]:
    """The worker's argv as the container's shell runs it (``$GRAPHCOMPAT_STORE`` expanded)."""
    service = compose["services"]["worker"]
    cmd = service["command"]
    argv = shlex.split(cmd) if isinstance(cmd, str) else [str(part) for part in cmd]
    if argv[:2] == ["sh", "-c"] or argv[:2] == ["/bin/sh", "-c"]:
        script = interpolate(argv[2])
        env = env_of(service)
        script = re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", lambda m: env.get(m.group(1), f"<unset {m.group(1)}>"), script)
        argv = shlex.split(script)
        if argv and argv[0] == "exec":
            argv = argv[1:]
    else:
        argv = [interpolate(part) for part in argv]
    return argv


def flag(argv: list[str], name: str) -> str | None:
    for i, arg in enumerate(argv):
        if arg == name and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def dockerignore_patterns() -> list[str]:
    return [
        line.strip().rstrip("/")
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(data, dict) and isinstance(data.get("services"), dict)
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


# -- the tests -----------------------------------------------------------------------


def test_expected_services(services: dict[str, dict[str, Any]]) -> None:
    assert {"postgres", "temporal", "temporal-ui", "temporal-setup", "worker"} <= set(services)


def test_images_are_pinned(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        if "build" in service and "image" not in service:
            continue
        image = interpolate(str(service.get("image", "")))
        assert image, f"service {name} has neither image nor build"
        assert image_is_pinned(image), f"service {name}: image {image!r} is not pinned to a version"


def test_image_pinning_check_can_fail() -> None:
    for bad in ("postgres", "postgres:latest", "temporalio/ui:latest", "registry:5000/temporalio/ui", "postgres:16"):
        assert not image_is_pinned(bad), bad
    for good in ("postgres:16.4", "temporalio/admin-tools:1.28.1-tctl-1.18.4-cli-1.4.1", "x/y@sha256:" + "0" * 64):
        assert image_is_pinned(good), good


def test_expected_images(services: dict[str, dict[str, Any]]) -> None:
    assert services["temporal"]["image"].startswith("temporalio/auto-setup:")
    assert services["temporal-ui"]["image"].startswith("temporalio/ui:")
    assert services["temporal-setup"]["image"].startswith("temporalio/admin-tools:")
    assert services["postgres"]["image"].startswith("postgres:")
    # admin-tools tags name the server version first: keep it with auto-setup's.
    server = services["temporal"]["image"].split(":", 1)[1]
    admin = services["temporal-setup"]["image"].split(":", 1)[1]
    assert admin.split("-")[0] == server, (server, admin)
    assert services["worker"].get("build") in (".", {"context": "."}, {"context": ".", "dockerfile": "Dockerfile"})


def test_ports(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        ports = published_ports(service)
        allowed = {**EXPECTED_PORTS.get(name, {}), **OPTIONAL_PORTS.get(name, {})}
        assert set(ports.items()) <= set(allowed.items()), f"{name} publishes unexpected ports {ports}"
    for name, expected in EXPECTED_PORTS.items():
        assert published_ports(services[name]) == expected, name
    assert not services["worker"].get("ports"), "--scale worker=N needs a worker without fixed host ports"


def test_healthchecks(services: dict[str, dict[str, Any]]) -> None:
    pg = services["postgres"].get("healthcheck") or {}
    assert "pg_isready" in " ".join(pg.get("test", [])), "postgres needs a pg_isready healthcheck"
    temporal = " ".join((services["temporal"].get("healthcheck") or {}).get("test", []))
    assert "cluster health" in temporal, "temporal needs a cluster-health healthcheck"
    assert "temporal:7233" in temporal, "the frontend listens on the container address, not localhost"


def test_dependencies(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        for dep, condition in depends_on(service).items():
            assert dep in services, f"{name} depends on unknown service {dep}"
            assert condition in {"service_started", "service_healthy", "service_completed_successfully"}
            if condition == "service_healthy":
                assert services[dep].get("healthcheck"), f"{name} waits for {dep} to be healthy; it has no healthcheck"
            if condition == "service_completed_successfully":
                assert services[dep].get("restart", "no") == "no", f"{dep} is a one-shot; it must not restart"
    assert depends_on(services["temporal"]).get("postgres") == "service_healthy"
    assert depends_on(services["temporal-ui"]).get("temporal") in {"service_healthy", "service_started"}
    assert depends_on(services["temporal-setup"]).get("temporal") == "service_healthy"
    worker = depends_on(services["worker"])
    assert worker.get("temporal-setup") == "service_completed_successfully"
    assert worker.get("postgres") == "service_healthy"
    assert services["temporal-setup"].get("restart") == "no"
    assert services["worker"].get("restart") == "unless-stopped"


def test_temporal_persists_to_postgres(services: dict[str, dict[str, Any]]) -> None:
    env = env_of(services["temporal"])
    pg_env = env_of(services["postgres"])
    assert env["DB"] == "postgres12"
    assert env["POSTGRES_SEEDS"] == "postgres"
    assert env["DB_PORT"] == "5432"
    assert env["POSTGRES_USER"] == pg_env["POSTGRES_USER"]
    assert env["POSTGRES_PWD"] == pg_env["POSTGRES_PASSWORD"]
    assert any(str(v).endswith(":/var/lib/postgresql/data") for v in services["postgres"].get("volumes", []))


def test_mounted_files_exist(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        for target, source in volume_sources(service).items():
            assert (REPO / source).is_file(), f"{name} mounts missing {source} at {target}"
    dyn = env_of(services["temporal"]).get("DYNAMIC_CONFIG_FILE_PATH")
    if dyn:
        mounts = volume_sources(services["temporal"])
        target = "/etc/temporal/" + dyn if not dyn.startswith("/") else dyn
        assert target in mounts, f"DYNAMIC_CONFIG_FILE_PATH {dyn} is not mounted"
        assert isinstance(yaml.safe_load((REPO / mounts[target]).read_text()), dict)


def test_worker_environment_is_what_the_worker_reads(services: dict[str, dict[str, Any]]) -> None:
    env = env_of(services["worker"])
    assert set(env) == WORKER_ENV
    # temporalio.envconfig (what connect_from_env uses) reads the address and namespace.
    from temporalio.envconfig import ClientConfig

    connect = ClientConfig.load_client_connect_config(disable_file=True, override_env_vars=env)
    assert connect["target_host"] == "temporal:7233"
    host, _, port = connect["target_host"].partition(":")
    assert host in services and "7233" in port
    assert 7233 in published_ports(services[host])
    assert connect["namespace"] == env_of(services["temporal-setup"])["TEMPORAL_NAMESPACE"]
    # the worker reads the task queue from the environment.
    from graphcompat import _settings

    assert env["GRAPHCOMPAT_TASK_QUEUE"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GRAPHCOMPAT_TASK_QUEUE", env["GRAPHCOMPAT_TASK_QUEUE"])
        assert _settings.task_queue(None, None) == env["GRAPHCOMPAT_TASK_QUEUE"]


def test_store_url(services: dict[str, dict[str, Any]], compose: dict[str, Any]) -> None:
    env = env_of(services["worker"])
    argv = worker_argv(compose)
    # The password stays off the command line (visible to every process on the host, `ps`):
    # worker.py reads the store from GRAPHCOMPAT_STORE when --store is not given.
    assert flag(argv, "--store") is None, "pass the store in GRAPHCOMPAT_STORE, not as --store on the command line"
    assert not [arg for arg in argv if "postgresql://" in arg or "postgres://" in arg], argv
    from graphcompat._worker import build_parser

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GRAPHCOMPAT_STORE", env["GRAPHCOMPAT_STORE"])
        assert build_parser().parse_args(argv[2:]).store == env["GRAPHCOMPAT_STORE"]
    store = env["GRAPHCOMPAT_STORE"]
    url = urlsplit(store)
    assert url.scheme in {"postgresql", "postgres"}
    assert url.hostname == "postgres" and (url.port or 5432) == 5432
    pg_env = env_of(services["postgres"])
    assert url.username == pg_env["POSTGRES_USER"] and url.password == pg_env["POSTGRES_PASSWORD"]
    database = url.path.lstrip("/")
    assert database and database not in {"temporal", "temporal_visibility", "postgres"}, "the store needs its own database"
    # ... created by the init script mounted into the postgres image.
    mounts = volume_sources(services["postgres"])
    init = [src for target, src in mounts.items() if target.startswith("/docker-entrypoint-initdb.d/")]
    assert init, "no init script is mounted into /docker-entrypoint-initdb.d/"
    sql = " ".join((REPO / src).read_text() for src in init)
    assert re.search(rf"CREATE\s+DATABASE\s+\"?{re.escape(database)}\"?", sql, re.IGNORECASE)


def test_worker_command_runs_an_existing_graph(compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    argv = worker_argv(compose)
    assert argv[:2] == ["python", "worker.py"], argv
    assert (REPO / "worker.py").is_file()
    # every flag is one worker.py defines
    from graphcompat._worker import build_parser

    defined = {option for action in build_parser()._actions for option in action.option_strings}
    used = {arg.split("=", 1)[0] for arg in argv if arg.startswith("--")}
    assert used <= defined, f"worker.py does not accept {used - defined}"
    spec = flag(argv, "--graph")
    assert spec and ":" in spec
    module, attribute = spec.split(":", 1)
    path = REPO / Path(*module.split("."))
    module_file = path.with_suffix(".py") if path.with_suffix(".py").is_file() else path / "__init__.py"
    assert module_file.is_file(), f"--graph {spec}: {module_file} is not in the repository"
    tree = ast.parse(module_file.read_text())
    names = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    names |= {t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
    assert attribute.split(".")[0] in names, f"--graph {spec}: {module} defines no {attribute}"
    # and worker.py really turns it into a compiled graph
    monkeypatch.chdir(REPO)
    monkeypatch.syspath_prepend(str(REPO))
    import worker

    from graphcompat.graph._compiled import CompiledStateGraph

    assert isinstance(worker.load_graph(spec), CompiledStateGraph)
    # the graph's top-level package is in the image: copied, and not ignored
    top = module.split(".")[0]
    assert re.search(rf"^COPY\s+(\S+\s+)*{re.escape(top)}/?\s+\S+", DOCKERFILE.read_text(), re.MULTILINE), (
        f"the Dockerfile does not COPY {top}/"
    )
    assert top not in dockerignore_patterns()


def test_setup_creates_namespace_and_search_attributes(services: dict[str, dict[str, Any]]) -> None:
    setup = services["temporal-setup"]
    env = env_of(setup)
    assert env["TEMPORAL_ADDRESS"] == "temporal:7233"
    script = command_text(setup, "entrypoint") + " " + command_text(setup, "command")
    for target, source in volume_sources(setup).items():
        if target in script:
            script += "\n" + (REPO / source).read_text()
    assert "operator namespace create" in script
    created: dict[str, str] = {}
    for line in re.split(r"\n", script):
        for name, sa_type in re.findall(r"--name\s+\"?(\w+)\"?\s+--type\s+\"?(\w+)\"?", line):
            created[name] = sa_type
        # a helper called as: create_search_attribute NAME TYPE
        m = re.match(r"\s*create_search_attribute\s+(\w+)\s+(\w+)\s*$", line)
        if m:
            created[m.group(1)] = m.group(2)
    assert "operator search-attribute create" in script
    for name, sa_type in SEARCH_ATTRIBUTES.items():
        assert created.get(name) == sa_type, f"setup does not create {name} ({sa_type}); found {created}"


_KEY_TYPES = {
    "keyword": "Keyword",
    "int": "Int",
    "text": "Text",
    "float": "Double",
    "bool": "Bool",
    "datetime": "Datetime",
    "keyword_list": "KeywordList",
}


def test_search_attributes_used_in_code_are_created() -> None:
    """Every search attribute key the code declares is one the setup creates, with its type."""
    used: dict[str, str] = {}
    for folder in ("graphcompat", "workflows", "activities"):
        for path in (REPO / folder).rglob("*.py"):
            for kind, name in re.findall(r"SearchAttributeKey\.for_(\w+)\(\s*[\"'](\w+)[\"']", path.read_text()):
                used[name] = _KEY_TYPES.get(kind, kind)
    for name, sa_type in used.items():
        assert SEARCH_ATTRIBUTES.get(name) == sa_type, f"code uses search attribute {name} ({sa_type}); setup creates {SEARCH_ATTRIBUTES}"
    try:
        from graphcompat import _wire
    except ImportError:  # pragma: no cover - older layout
        return
    declared = getattr(_wire, "SEARCH_ATTRIBUTES", None)
    if declared is not None:
        assert dict(declared) == SEARCH_ATTRIBUTES, "graphcompat._wire.SEARCH_ATTRIBUTES and the compose setup differ"


def test_namespace_is_consistent(services: dict[str, dict[str, Any]]) -> None:
    assert env_of(services["worker"])["TEMPORAL_NAMESPACE"] == env_of(services["temporal-setup"])["TEMPORAL_NAMESPACE"]


def test_no_plaintext_secrets(compose: dict[str, Any]) -> None:
    raw = COMPOSE_FILE.read_text()
    for name, service in compose["services"].items():
        raw_env = service.get("environment") or {}
        if isinstance(raw_env, list):
            raw_env = dict(item.split("=", 1) for item in raw_env if "=" in item)
        for key, value in raw_env.items():
            value = str(value)
            if SECRET_NAME.search(key):
                assert re.fullmatch(r"\$\{\w+(:?-[^}]*)?\}", value), f"{name}.{key} is a literal secret"
                assert interpolate(value) in DEV_DEFAULT_SECRETS, f"{name}.{key} defaults to an undocumented secret"
            password = urlsplit(interpolate(value)).password if "://" in value else None
            if password is not None:
                assert "${" in value, f"{name}.{key} has a literal password in a URL"
                assert password in DEV_DEFAULT_SECRETS
        for key in raw_env:
            assert key not in {"TEMPORAL_API_KEY", "TEMPORAL_TLS_CLIENT_KEY_DATA"}, f"{name}.{key}: no credentials in compose"
    # every default given to a password variable is a documented dev default
    for match in _VAR.finditer(raw):
        if SECRET_NAME.search(match.group("name")) and match.group("op"):
            assert match.group("default") in DEV_DEFAULT_SECRETS, match.group(0)
    assert not re.search(r"^\s*(ENV|ARG)\s+\S*(PASSWORD|SECRET|TOKEN|API_KEY)", DOCKERFILE.read_text(), re.MULTILINE | re.IGNORECASE)


def test_dockerfile(services: dict[str, dict[str, Any]]) -> None:
    text = DOCKERFILE.read_text()
    bases = re.findall(r"^FROM\s+(?:--platform=\S+\s+)?(\S+)", text, re.MULTILINE)
    assert bases, "Dockerfile has no FROM"
    for base in bases:
        assert image_is_pinned(base), f"base image {base} is not pinned"
        # python:3.11-slim moves with every patch release; pin the patch version.
        assert re.fullmatch(r"python:3\.11\.\d+-slim(-\w+)?", base), f"base image {base}: want python:3.11.<patch>-slim"
    user = re.findall(r"^USER\s+(\S+)", text, re.MULTILINE)
    assert user and user[-1] not in {"root", "0"}, "the image must run as a non-root user"
    assert re.search(r"pip install --no-cache-dir \.", text)
    for needed in ("pyproject.toml", "README.md", "graphcompat", "workflows", "activities", "worker.py"):
        assert re.search(rf"^COPY\s+.*\b{re.escape(needed)}\b", text, re.MULTILINE), f"Dockerfile does not copy {needed}"
        assert needed not in dockerignore_patterns(), f".dockerignore excludes {needed}"
    for excluded in (".venv", ".graphcompat", ".git", "tests", ".env"):
        assert excluded in dockerignore_patterns(), f".dockerignore does not exclude {excluded}"


def test_interpolation_helper() -> None:
    assert interpolate("${A:-x}/${B-y}/$$C") == "x/y/$C"
    with pytest.raises(AssertionError):
        interpolate("${NO_DEFAULT}")


def test_docs_list_every_variable_graphcompat_reads() -> None:
    """docs/deploy.md's table names every GRAPHCOMPAT_* variable the code reads."""
    docs = (REPO / "docs" / "deploy.md").read_text()
    sources = [REPO / "worker.py"]
    for folder in ("graphcompat", "workflows", "activities"):
        sources += sorted((REPO / folder).rglob("*.py"))
    read: set[str] = set()
    for path in sources:
        read |= set(re.findall(r"\b(GRAPHCOMPAT_[A-Z][A-Z0-9_]*)\b", path.read_text()))
    missing = sorted(name for name in read if f"`{name}`" not in docs)
    assert not missing, f"docs/deploy.md does not document {missing}"
    for name in ("docker compose up -d --build", "http://localhost:8080", "--scale worker=", "TEMPORAL_API_KEY",
                 "TEMPORAL_TLS_CLIENT_CERT_PATH", "TEMPORAL_TLS_CLIENT_KEY_PATH", "tmprl.cloud:7233"):
        assert name in docs, f"docs/deploy.md does not mention {name}"
