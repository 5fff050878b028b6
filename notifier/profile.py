"""Resolve the dbt target the way dbt does, without importing dbt (it costs ~3 s at startup)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import jinja2.nativetypes
import yaml

from notifier.errors import BadInputError


@dataclass(frozen=True)
class DuckDBTarget:
    name: str
    path: Path


@dataclass(frozen=True)
class AthenaTarget:
    name: str
    region_name: str
    s3_staging_dir: str
    work_group: str | None
    aws_profile_name: str | None


Target = DuckDBTarget | AthenaTarget


def find_profiles_dir(profiles_dir: Path | None, project_dir: Path) -> Path:
    """Same precedence as dbt: flag, DBT_PROFILES_DIR, the project directory, ~/.dbt."""
    if profiles_dir is not None:
        candidates = [profiles_dir]
    elif env_dir := os.environ.get("DBT_PROFILES_DIR"):
        candidates = [Path(env_dir)]
    else:
        candidates = [project_dir, Path.home() / ".dbt"]
    for candidate in candidates:
        if (candidate / "profiles.yml").is_file():
            return candidate
    searched = ", ".join(str(c / "profiles.yml") for c in candidates)
    raise BadInputError(f"no profiles.yml found (looked for {searched})")


def _env_var(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise BadInputError(f"profiles.yml needs environment variable {name}, which is not set")
    return value


def _as_number(value: Any) -> Any:
    return yaml.safe_load(str(value))


def _as_bool(value: Any) -> bool:
    return str(value).strip().lower() in {"true", "1", "yes", "on"}


_JINJA = jinja2.nativetypes.NativeEnvironment(undefined=jinja2.StrictUndefined)
_JINJA.globals["env_var"] = _env_var
# dbt's profile filters, so a profile written for dbt renders here too.
_JINJA.filters.update(
    as_text=str, as_number=_as_number, as_bool=_as_bool, as_native=lambda value: value
)


def _render(value: Any) -> Any:
    if isinstance(value, str) and ("{{" in value or "{%" in value):
        try:
            return _JINJA.from_string(value).render()
        except jinja2.TemplateError as exc:
            raise BadInputError(f"cannot render {value!r} in profiles.yml: {exc}") from exc
    if isinstance(value, Mapping):
        return {key: _render(item) for key, item in value.items()}
    return value


def read_project_profile_name(project_dir: Path) -> str:
    project_file = project_dir / "dbt_project.yml"
    try:
        project = yaml.safe_load(project_file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise BadInputError(f"cannot read {project_file}: {exc}") from exc
    profile = project.get("profile") if isinstance(project, dict) else None
    if not isinstance(profile, str):
        raise BadInputError(f"{project_file} names no profile")
    return profile


def _resolve_path(raw: object, project_dir: Path) -> Path:
    path = Path(str(raw)).expanduser()
    # dbt resolves a relative path against the directory it runs in, which is the project root.
    return path if path.is_absolute() else project_dir / path


@dataclass(frozen=True)
class ResolvedTarget:
    target: Target
    # The freshness guard compares it with the target of the last dbt run, which dbt records as
    # null when it ran with the profile's default.
    profile_default: str


def load_target(
    project_dir: Path, profiles_dir: Path | None, target_name: str | None
) -> ResolvedTarget:
    profile_name = read_project_profile_name(project_dir)
    profiles_file = find_profiles_dir(profiles_dir, project_dir) / "profiles.yml"
    try:
        profiles = yaml.safe_load(profiles_file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise BadInputError(f"cannot read {profiles_file}: {exc}") from exc
    profile = profiles.get(profile_name) if isinstance(profiles, dict) else None
    if not isinstance(profile, dict) or not isinstance(profile.get("outputs"), dict):
        raise BadInputError(f"profile {profile_name!r} not found in {profiles_file}")
    default = _render(profile.get("target"))
    name = target_name or default
    outputs = profile["outputs"]
    if not isinstance(name, str) or name not in outputs:
        known = ", ".join(sorted(outputs))
        raise BadInputError(
            f"target {name!r} not found in profile {profile_name!r} ({profiles_file}); "
            f"known targets: {known}"
        )
    return ResolvedTarget(_build_target(name, _render(outputs[name]), project_dir), str(default))


def _build_target(name: str, output: dict[str, Any], project_dir: Path) -> Target:
    kind = output.get("type")
    if kind == "duckdb":
        return DuckDBTarget(name=name, path=_resolve_path(output.get("path"), project_dir))
    if kind == "athena":
        return AthenaTarget(
            name=name,
            region_name=str(output.get("region_name") or ""),
            s3_staging_dir=str(output.get("s3_staging_dir") or ""),
            work_group=output.get("work_group") or None,
            aws_profile_name=output.get("aws_profile_name") or None,
        )
    raise BadInputError(f"target {name!r} has type {kind!r}; the notifier reads duckdb or athena")
