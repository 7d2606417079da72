"""Render tier: the CI workflow and the container files of every combination.

No container engine or CI runner here, so each file is read by a real parser:
YAML, the GitHub workflow and Compose specification schemas (vendored by
check-jsonschema, with their licences), and the Dockerfile by ``dockerfile``
(the official BuildKit parser). nginx's config runs in ``test_proxy_cache.py``.
"""

import json
import re
from importlib.resources import files
from pathlib import Path
from urllib.parse import urlsplit

import dockerfile
import jsonschema
import pytest
import yaml

from . import workflow
from .combinations import SUPPORTED, slug

SCHEMAS = files("check_jsonschema.builtin_schemas.vendor")
SERVER_PORTS = {"redis": 6379, "memcached": 11211, "postgres": 5432}


def servers(answers):
    """The servers a combination needs, by the names its files give them."""
    chosen = set()
    if answers["cache_backend"] in ("redis", "memcached"):
        chosen.add(answers["cache_backend"])
    if answers["orm"] == "sqlalchemy" and answers["database"] == "postgresql":
        chosen.add("postgres")
    return chosen


def validate(instance, schema_name):
    schema = json.loads(SCHEMAS.joinpath(schema_name).read_text(encoding="utf-8"))
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = [error.message for error in validator.iter_errors(instance)]
    assert errors == []


@pytest.fixture(params=SUPPORTED, ids=slug)
def project(request, baked):
    answers = request.param
    return answers, baked(repo_name="shop", **answers)


# -- CI workflow -------------------------------------------------------------


def test_the_workflow_is_valid(project):
    _, path = project
    validate(workflow.load(path), "github-workflows.json")


def test_the_workflow_starts_exactly_the_chosen_servers(project):
    answers, path = project
    job = workflow.job(workflow.load(path))
    services = job.get("services", {})
    assert set(services) == servers(answers)
    for name, service in services.items():
        assert "--health-cmd" in service["options"], name
        assert service["ports"] == [f"{SERVER_PORTS[name]}:{SERVER_PORTS[name]}"]


def test_the_workflow_points_the_tests_at_its_servers(project):
    answers, path = project
    environment = workflow.environment(workflow.load(path))
    assert environment["REQUIRE_SERVICES"] == "1"
    urls = {name: value for name, value in environment.items() if name.endswith("_URL")}
    expected = {
        "redis": {"TEST_CACHE_URL", "TEST_REDIS_URL"},
        "memcached": {"TEST_CACHE_URL", "TEST_MEMCACHED_URL"},
        "postgres": {"TEST_DATABASE_URL"},
    }
    assert set(urls) == set().union(*(expected[name] for name in servers(answers)))
    for name, url in urls.items():
        server = {"redis": "redis", "memcached": "memcached"}.get(
            urlsplit(url).scheme, "postgres"
        )
        assert server in servers(answers), name
        assert urlsplit(url).hostname == "127.0.0.1"
        assert urlsplit(url).port == SERVER_PORTS[server], name


def test_the_workflow_runs_make_lint_and_test_on_python_311_with_a_cache(project):
    answers, path = project
    ci = workflow.load(path)
    assert workflow.command(ci, "lint") == "make lint"
    assert workflow.command(ci, "test") == "make test"
    steps = {
        step.get("uses", "").split("@")[0]: step for step in workflow.job(ci)["steps"]
    }
    assert steps["actions/setup-python"]["with"]["python-version"] == "3.11"
    uv = steps["astral-sh/setup-uv"]["with"]
    assert uv["enable-cache"] is True
    assert uv["cache-dependency-glob"] == "pyproject.toml"
    binaries = [
        step["run"]
        for step in workflow.job(ci)["steps"]
        if "apt-get" in step.get("run", "")
    ]
    package = {"redis": "redis-server", "memcached": "memcached"}.get(
        answers["cache_backend"]
    )
    # The throwaway servers some tests start need the server binary on the runner.
    assert [package in run for run in binaries] == ([True] if package else [])


# -- Dockerfile --------------------------------------------------------------


def stages(path):
    """The Dockerfile's instructions, split into stages at each FROM."""
    result = []
    for command in dockerfile.parse_file(str(path / "Dockerfile")):
        if command.cmd == "FROM":
            result.append([])
        result[-1].append(command)
    return result


def instructions(stage, name):
    return [command for command in stage if command.cmd == name]


def test_the_dockerfile_builds_in_two_stages_and_runs_unprivileged(project):
    _, path = project
    build, final = stages(path)
    assert instructions(build, "FROM")[0].value[1:] == ("AS", "build")
    assert [run.value[0] for run in instructions(build, "RUN")][-1] == (
        "deploy/app.sh install"
    )
    # No compilers or package installs in the image that ships.
    for run in instructions(final, "RUN"):
        assert "apt-get" not in run.value[0] and "pip" not in run.value[0]
    copied_from_build = [
        copy.value for copy in instructions(final, "COPY") if copy.flags
    ]
    assert copied_from_build == [("/opt/venv", "/opt/venv")]
    assert all(
        copy.flags == ("--from=build",)
        for copy in instructions(final, "COPY")
        if copy.flags
    )
    (user,) = instructions(final, "USER")
    assert user.value[0] not in ("root", "0")
    assert instructions(final, "USER")[0].start_line > max(
        run.start_line for run in instructions(final, "RUN")
    )


def test_the_image_starts_and_checks_health_with_the_one_script(project):
    _, path = project
    _, final = stages(path)
    (health,) = instructions(final, "HEALTHCHECK")
    assert health.value == ("CMD", "deploy/app.sh", "health")
    (cmd,) = instructions(final, "CMD")
    assert cmd.value == ("deploy/app.sh", "start")
    script = (path / "deploy" / "app.sh").read_text(encoding="utf-8")
    assert "/healthz" in script


def test_the_script_starts_the_command_make_serve_runs(project):
    _, path = project
    makefile = (path / "Makefile").read_text(encoding="utf-8")
    serve = set(re.findall(r"(?m)^\t\$\(WITH_SECRET\) \$\(VENV\)/bin/(\S+)$", makefile))
    script = (path / "deploy" / "app.sh").read_text(encoding="utf-8")
    (start,) = re.findall(r'(?m)^\s+exec "\$VENV/bin/(\S+)"$', script)
    assert serve == {start} == {"shop-serve"}


# -- compose.yaml ------------------------------------------------------------


def test_compose_file_is_valid(project):
    _, path = project
    validate(yaml.safe_load((path / "compose.yaml").read_text()), "compose-spec.json")


def test_compose_runs_the_app_behind_the_proxy_with_the_chosen_servers(project):
    answers, path = project
    compose = yaml.safe_load((path / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert set(services) == {"app", "proxy"} | servers(answers)
    app = services["app"]
    assert set(app.get("depends_on", {})) == servers(answers)
    for name in servers(answers):
        assert app["depends_on"][name] == {"condition": "service_healthy"}
        assert services[name]["healthcheck"]["test"]
    # The app reaches each server by its service name.
    for url in (
        app["environment"].get("CACHE_URL"),
        app["environment"].get("DATABASE_URL"),
    ):
        if url and not url.startswith("sqlite"):
            assert urlsplit(url).hostname in servers(answers)
    proxy = services["proxy"]
    assert proxy["image"].startswith("nginx")
    assert "./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro" in proxy["volumes"]
    assert proxy["depends_on"] == {"app": {"condition": "service_healthy"}}


def test_compose_keeps_data_in_named_volumes(project):
    _, path = project
    compose = yaml.safe_load((path / "compose.yaml").read_text(encoding="utf-8"))
    used = {
        volume.split(":")[0]
        for service in compose["services"].values()
        for volume in service.get("volumes", [])
        if not volume.startswith(".")
    }
    assert used == set(compose["volumes"])
    stateful = {"redis": "redis-data", "postgres": "postgres-data"}
    for name, volume in stateful.items():
        assert (volume in used) == (name in compose["services"])


def test_the_template_repository_workflow_runs_ci_run():
    """The template's own CI (not a baked project's) runs .ci/run."""
    root = Path(__file__).resolve().parents[1]
    ci = workflow.load(root)
    validate(ci, "github-workflows.json")
    runs = [step["run"] for step in workflow.job(ci)["steps"] if "run" in step]
    assert runs[-1] == "bash .ci/run"
    assert set(workflow.job(ci)["services"]) == {"redis", "memcached", "postgres"}
