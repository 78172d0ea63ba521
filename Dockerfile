# syntax=docker/dockerfile:1
# Relaydesk's image: the `relaydesk` command and gunicorn, installed from pyproject.toml.
# No tests, benches, dev tools or build tools in the final stage; runs as a non-root user.
# docker-compose.yml runs every process from it (migrate, web, worker, scheduler, smtpd).

# Build: a wheel of Relaydesk and of every dependency pyproject.toml declares.
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY webapp webapp
COPY hub hub
COPY triggers triggers
COPY connectors connectors
RUN pip wheel --wheel-dir /wheels .

# Run: only those wheels, installed offline (the same set the build stage resolved).
FROM python:3.11-slim-bookworm
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    RELAYDESK_DATA_DIR=/data \
    ATTACHMENT_DIR=/data/attachments
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-index --find-links=/wheels relaydesk
# The data folder belongs to the app's user: an empty named volume mounted on /data or
# /data/attachments takes this ownership, so key files and attachments can be written.
RUN groupadd --system --gid 10001 relaydesk \
    && useradd --system --uid 10001 --gid relaydesk --home-dir /data --no-create-home \
       --shell /usr/sbin/nologin relaydesk \
    && mkdir -p /data/attachments \
    && chown -R relaydesk:relaydesk /data
USER relaydesk:relaydesk
WORKDIR /data
EXPOSE 8000 2525
# The web process; docker-compose.yml names each service's command (run `relaydesk setup`
# once first: it applies the migrations and creates the first admin).
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--worker-class", "gthread", "--workers", "2", \
     "--threads", "8", "--timeout", "60", "--graceful-timeout", "30", "--access-logfile", "-", \
     "--worker-tmp-dir", "/dev/shm", "webapp.wsgi:app"]
