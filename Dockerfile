# The pipeline image: the dbt project, its locked runtime stack, and `notifier run` as the entry
# point. Built from the repo root: docker build -t accreditation-monitor .
FROM python:3.11-slim-bookworm AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY requirements-runtime.lock pyproject.toml README.md ./
COPY notifier ./notifier
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir uv==0.13.9 \
    && /opt/venv/bin/uv pip install --no-cache -p /opt/venv/bin/python -r requirements-runtime.lock \
    && /opt/venv/bin/uv pip install --no-cache -p /opt/venv/bin/python --no-deps . \
    && /opt/venv/bin/pip uninstall -y -q uv pip \
    && /opt/venv/bin/python -m compileall -q /opt/venv/lib > /dev/null

FROM python:3.11-slim-bookworm

# dbt writes its artifacts, logs and (local target) database under the project; only those
# directories belong to the unprivileged user, the code stays read-only.
RUN groupadd --gid 10001 pipeline \
    && useradd --create-home --uid 10001 --gid 10001 --shell /usr/sbin/nologin pipeline
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY dbt_project.yml ./
COPY profiles.example.yml ./profiles.yml
COPY macros ./macros
COPY models ./models
COPY seeds ./seeds
COPY tests ./tests
RUN mkdir target logs && chown pipeline:pipeline target logs

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DBT_PROJECT_DIR=/app \
    DBT_PROFILES_DIR=/app \
    DBT_SEND_ANONYMOUS_USAGE_STATS=false \
    DO_NOT_TRACK=1 \
    NOTIFIER_LOG_FORMAT=json

# Numeric, so the runtime need not resolve the name (hadolint DL3066).
USER 10001:10001
# A batch job, not a service: ECS and Step Functions watch the exit code, nothing listens.
HEALTHCHECK NONE
ENTRYPOINT ["notifier", "run"]
