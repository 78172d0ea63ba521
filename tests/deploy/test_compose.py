"""docker-compose.yml and the Dockerfile, read as Docker would (no Docker on these machines):
every runtime component is a service, every command parses with the real command line
(click's tree, gunicorn's own parser), every variable is a setting, no secret is committed,
services that need the schema wait for the migration, the image runs as a non-root user, and
the package it installs (built from what .dockerignore lets in) holds every runtime file."""

from __future__ import annotations

import importlib.util
import json
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from tests.deploy.helpers import REPO, parse_env
from webapp.config import SETTINGS

COMPOSE: dict[str, Any] = yaml.safe_load((REPO / "docker-compose.yml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]
#: What `docker compose up -d` starts (profile services start only when named).
PRODUCTION = {name: s for name, s in SERVICES.items() if not s.get("profiles")}
#: The services running Relaydesk's own image.
APP = {name: s for name, s in PRODUCTION.items() if "build" in s}
SETTING_NAMES = {s.env for s in SETTINGS}
#: Variables of .env that are not settings of the app: the database's password, which
#: docker-compose.yml hands to the db service and builds DATABASE_URL from.
COMPOSE_ONLY = {"POSTGRES_PASSWORD"}
SECRET_NAME = re.compile(r"SECRET|PASSWORD|_KEY$|TOKEN", re.IGNORECASE)
INTERPOLATION = re.compile(r"\$\{(\w+)[^}]*\}")


def _design() -> Path:
    beside = REPO.parent / "shared" / "DESIGN.md"
    return beside if beside.is_file() else Path("/work/shared/DESIGN.md")


def _command(service: dict[str, Any]) -> list[str]:
    command = service.get("command")
    return shlex.split(command) if isinstance(command, str) else list(command or [])


def _healthcheck(service: dict[str, Any]) -> list[str]:
    test = service["healthcheck"]["test"]
    assert test[0] in {"CMD", "CMD-SHELL"}, test
    return list(test[1:]) if test[0] == "CMD" else ["sh", "-c", test[1]]


def _runs(argv: list[str]) -> str:
    """What a command line starts: ``relaydesk <sub>``, ``gunicorn`` or the program."""
    if argv[:1] == ["relaydesk"] and len(argv) > 1:
        return f"relaydesk {argv[1]}"
    return argv[0] if argv else ""


def _check_relaydesk(argv: list[str]) -> None:
    """Resolve ``relaydesk …`` through click's command tree and parse its options (an unknown
    command or option, or a missing required one, raises) without running it."""
    from webapp.cli import main

    command: click.Command = main
    name, rest = "relaydesk", list(argv[1:])
    while isinstance(command, click.Group):
        assert rest, f"{' '.join(argv)}: {name} needs a subcommand"
        sub = command.get_command(click.Context(command), rest[0])
        assert sub is not None, f"{' '.join(argv)}: relaydesk has no command {rest[0]!r}"
        command, name, rest = sub, rest[0], rest[1:]
    try:
        command.make_context(name, rest)
    except click.UsageError as exc:
        pytest.fail(f"{' '.join(argv)}: {exc.format_message()}")


def _check_gunicorn(argv: list[str]) -> Any:
    from gunicorn.config import Config

    try:
        parsed = Config().parser().parse_args(argv[1:])
    except SystemExit:
        pytest.fail(f"gunicorn refuses {' '.join(argv)}")
    assert len(parsed.args) == 1, parsed.args
    module, _, attribute = parsed.args[0].partition(":")
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin, f"no module {module}"
    assert re.search(rf"^{attribute} = ", Path(spec.origin).read_text(), re.MULTILINE), (
        f"{module} defines no {attribute}")
    return parsed


def _check_command(argv: list[str]) -> None:
    if argv[0] == "relaydesk":
        _check_relaydesk(argv)
    elif argv[0] == "gunicorn":
        _check_gunicorn(argv)
    elif argv[:2] == ["python", "-c"]:
        compile(argv[2], "<healthcheck>", "exec")
    else:
        pytest.fail(f"unexpected program in Relaydesk's image: {argv}")


def test_every_runtime_component_of_the_design_is_a_service() -> None:
    design = _design()
    if not design.is_file():
        pytest.skip("DESIGN.md is not beside the checkout")
    section = design.read_text().split("## Runtime components", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|")[1:-1] for line in section.splitlines()
            if line.startswith("|") and not line.startswith("|---")][1:]
    assert rows, "DESIGN.md's runtime component table was not found"
    started = {_runs(_command(s)) for s in PRODUCTION.values()}
    images = {str(s.get("image", "")).split(":")[0] for s in PRODUCTION.values()}
    for component, started_by, _default in (map(str.strip, row) for row in rows):
        needs: set[str] = set()
        commands = set(re.findall(r"`(relaydesk \w[\w-]*)", started_by))
        if "gunicorn" in started_by or "web processes" in started_by:
            needs.add("gunicorn")
            commands.discard("relaydesk run")  # the development server
        needs |= commands
        wanted_images = {image for word, image in (("PostgreSQL", "postgres"),
                                                   ("Redis", "redis")) if word in component}
        assert needs or wanted_images, f"DESIGN.md's component {component!r} is not mapped"
        assert needs <= started, f"{component!r}: no service runs {needs - started}"
        assert wanted_images <= images, f"{component!r}: no service from {wanted_images}"
    # Not in that table but in the design's conventions: the periodic pass, exactly once.
    schedulers = [s for s in PRODUCTION.values() if _runs(_command(s)) == "relaydesk scheduler"]
    assert len(schedulers) == 1, "one service runs `relaydesk scheduler`"
    assert schedulers[0].get("deploy", {}).get("replicas", 1) == 1, "exactly one scheduler"


def test_every_command_exists_in_the_cli() -> None:
    for service in APP.values():
        _check_command(_command(service))
        if "healthcheck" in service:
            _check_command(_healthcheck(service))
    dockerfile = (REPO / "Dockerfile").read_text()
    cmd = re.search(r"^CMD (\[.*?\])\s*$", dockerfile.replace("\\\n", ""), re.MULTILINE)
    assert cmd, "the Dockerfile has no CMD in exec form"
    _check_command(json.loads(cmd.group(1)))


def test_web_serves_long_lived_connections_and_health() -> None:
    web = [s for s in APP.values() if _command(s)[:1] == ["gunicorn"]]
    assert len(web) == 1
    parsed = _check_gunicorn(_command(web[0]))
    # Server-Sent Events hold a connection open: threads, not one request per sync worker.
    assert parsed.worker_class == "gthread" and int(parsed.threads) >= 4, (
        "web: gunicorn's gthread workers with threads, for long-lived connections")
    assert "/health" in " ".join(_healthcheck(web[0]))


def test_every_environment_variable_is_a_known_setting() -> None:
    for name, service in APP.items():
        unknown = set(service.get("environment", {})) - SETTING_NAMES
        assert not unknown, f"{name}: {unknown} are not settings of webapp/config.py"
        assert service.get("env_file") in ([".env"], ".env"), f"{name} does not read .env"
    dockerfile = (REPO / "Dockerfile").read_text().replace("\\\n", " ")
    for line in re.findall(r"^ENV (.*)$", dockerfile, re.MULTILINE):
        names = {n for n in re.findall(r"(\w+)=", line) if not n.startswith(("PYTHON", "PIP_"))}
        assert names <= SETTING_NAMES, f"Dockerfile ENV {names - SETTING_NAMES}"
    from webapp.cli import render_env_template

    template = set(parse_env(render_env_template()))
    assert template - SETTING_NAMES == COMPOSE_ONLY
    # Whatever the compose file takes from .env, the generated .env provides.
    used = set(INTERPOLATION.findall((REPO / "docker-compose.yml").read_text()))
    assert used <= template, f"docker-compose.yml uses {used - template}, .env lacks them"


def test_no_secret_value_is_committed() -> None:
    from sqlalchemy.engine import make_url

    for name, service in PRODUCTION.items():
        environment = service.get("environment", {})
        assert isinstance(environment, dict), f"{name}: environment as a mapping, please"
        for key, value in environment.items():
            if SECRET_NAME.search(key):
                assert INTERPOLATION.fullmatch(str(value)), f"{name}: {key} has a literal value"
            if key.endswith("_URL") and "://" in str(value):
                password = make_url(str(value)).password
                assert password is None or INTERPOLATION.fullmatch(str(password)), (
                    f"{name}: {key} carries a literal password")
        assert environment.get("POSTGRES_HOST_AUTH_METHOD") != "trust", name
        if str(service.get("image", "")).startswith(("postgres", "redis")):
            assert not service.get("ports"), f"{name}: the database is published on the host"
    example = (REPO / ".env.example").read_text()
    for line in example.splitlines():
        key, _, value = line.partition("=")
        if not line.startswith("#") and SECRET_NAME.search(key):
            assert value == "", f".env.example: {key} has a value"
    tracked = subprocess.run(["git", "ls-files", "--", ".env", "*.key", "var"], cwd=REPO,
                             capture_output=True, text=True, check=True).stdout
    assert tracked == "", f"committed: {tracked}"
    ignore = [line for line in (REPO / ".dockerignore").read_text().splitlines()
              if line.strip() and not line.startswith("#")]
    assert ignore[0] == "*" and "!.env" not in ignore, (
        ".dockerignore must be an allowlist (everything out, then what the build needs)")


def test_env_example_is_the_template_without_secrets() -> None:
    from webapp.cli import render_env_template

    assert (REPO / ".env.example").read_text() == render_env_template(generate=False), (
        ".env.example is stale: write it with render_env_template(generate=False)")


def test_services_that_need_the_schema_wait_for_the_migration() -> None:
    migrations = [n for n, s in APP.items() if _command(s) == ["relaydesk", "setup"]]
    assert len(migrations) == 1, "one one-shot migration service"
    migrate = APP[migrations[0]]
    assert migrate.get("restart") == "no" and "healthcheck" not in migrate
    database = next(n for n, s in PRODUCTION.items() if str(s.get("image")).startswith("postgres"))
    assert migrate["depends_on"][database]["condition"] == "service_healthy"
    for name, service in APP.items():
        if name == migrations[0]:
            continue
        condition = service.get("depends_on", {}).get(migrations[0], {}).get("condition")
        assert condition == "service_completed_successfully", f"{name} does not wait"


def test_long_running_services_restart_and_report_their_health() -> None:
    for name, service in PRODUCTION.items():
        if _command(service) == ["relaydesk", "setup"]:
            continue
        assert service.get("restart") == "unless-stopped", name
        assert "healthcheck" in service, f"{name} has no healthcheck"
        argv = _command(service)
        if argv[:2] in (["relaydesk", "worker"], ["relaydesk", "scheduler"]):
            assert _healthcheck(service) == ["relaydesk", "health", "--component", argv[1]]


def test_data_lives_in_named_volumes() -> None:
    declared = set(COMPOSE.get("volumes") or {})

    def mounts(service: dict[str, Any]) -> dict[str, str]:
        pairs = [v.split(":")[:2] for v in service.get("volumes", [])]
        assert all(source in declared for source, _ in pairs), f"not named: {pairs}"
        return {target: source for source, target in pairs}

    database = next(s for s in PRODUCTION.values() if str(s.get("image")).startswith("postgres"))
    assert "/var/lib/postgresql/data" in mounts(database)
    for name, service in APP.items():
        env, targets = service["environment"], mounts(service)
        assert env["ATTACHMENT_DIR"] in targets, f"{name}: attachments not on a volume"
        assert env["RELAYDESK_DATA_DIR"] in targets, f"{name}: key files not on a volume"
        assert targets[env["ATTACHMENT_DIR"]] != targets[env["RELAYDESK_DATA_DIR"]]


def _final_stage(dockerfile: str) -> str:
    return re.split(r"^FROM ", dockerfile, flags=re.MULTILINE)[-1]


def test_the_image_runs_as_a_non_root_user_with_only_what_runs() -> None:
    dockerfile = (REPO / "Dockerfile").read_text()
    users = re.findall(r"^USER (\S+)", _final_stage(dockerfile), re.MULTILINE)
    assert users, "the final stage sets no USER (it would run as root)"
    assert users[-1].split(":")[0] not in {"root", "0"}
    copied = set(re.findall(r"^COPY (?!--from)(.+) \S+$", dockerfile, re.MULTILINE))
    sources = {s for line in copied for s in line.split()}
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    packages = {p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]
                ["include"]}
    assert packages <= sources, f"the image lacks {packages - sources}"
    assert sources <= packages | {"pyproject.toml", "README.md"}, (
        f"the image copies more than the packages: {sources - packages}")
    assert re.search(r"pip wheel .* \.$", dockerfile, re.MULTILINE), (
        "the image is built from pyproject.toml (pip wheel .)")
    allowed = {line[1:].rstrip("/") for line in (REPO / ".dockerignore").read_text().split()
               if line.startswith("!")}
    assert sources <= allowed, f".dockerignore leaves out {sources - allowed}"
    assert not allowed & {"tests", "bench", "scripts", ".env", "var"}


def test_the_image_package_holds_every_runtime_file(tmp_path: Path) -> None:
    """The wheel the Dockerfile installs, built from exactly what .dockerignore lets into the
    build context: every template, static file, migration and translation is in it."""
    context = tmp_path / "context"
    for line in (REPO / ".dockerignore").read_text().splitlines():
        if not line.startswith("!"):
            continue
        source = REPO / line[1:].rstrip("/")
        if source.is_dir():
            shutil.copytree(source, context / source.name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.py[cod]"))
        else:
            context.mkdir(exist_ok=True)
            shutil.copy2(source, context / source.name)
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
                            "--wheel-dir", str(tmp_path / "wheels"), str(context)],
                           capture_output=True, text=True, timeout=240)
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = (tmp_path / "wheels").glob("relaydesk-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in ("templates", "static", "migrations", "translations"):
        files = {str(p.relative_to(REPO)) for p in (REPO / "webapp" / folder).rglob("*")
                 if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"}
        assert files and files <= names, f"the image lacks {sorted(files - names)[:5]}"
    assert not any(n.startswith(("tests/", "bench/", "scripts/")) for n in names)
