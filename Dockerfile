# syntax=docker/dockerfile:1
# The production image: `alliance worker` (the default), `alliance web`, `alliance migrate`.
# Dependencies come from the hashed locks; the Temporal CLI, its test server and the SMTP
# capture server (the `local` extra, for the one-machine stack and the tests) are not in it.
# For byte-for-byte repeatable builds also pin the base image's digest, as shown by
#   docker buildx imagetools inspect python:3.11.14-slim-bookworm
# (PYTHON_IMAGE=python:3.11.14-slim-bookworm@sha256:...).
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_ROOT_USER_ACTION=ignore
WORKDIR /src
# Dependencies first: this layer is rebuilt only when a lock changes.
COPY requirements.lock requirements-build.lock ./
RUN pip install --require-hashes --no-deps --only-binary :all: -r requirements-build.lock \
    && python -m venv --without-pip /opt/venv \
    && pip --python /opt/venv/bin/python install --require-hashes --no-deps --only-binary :all: \
        -r requirements.lock
COPY pyproject.toml README.md ./
COPY worker.py starter.py local_stack.py ./
COPY domain domain
COPY registry registry
COPY activities activities
COPY documents documents
COPY workflows workflows
COPY notifications notifications
COPY client client
COPY admin admin
COPY web web
COPY observability observability
COPY migrations migrations
COPY templates templates
RUN pip wheel --no-deps --no-build-isolation --no-index --wheel-dir /wheels . \
    && pip --python /opt/venv/bin/python install --no-deps --no-index /wheels/*.whl

FROM ${PYTHON_IMAGE}
# PDFs (certificates, approval forms) embed this CJK font.
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-wqy-zenhei \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --uid 10001 --user-group --create-home --shell /usr/sbin/nologin alliance \
    && install -d -o alliance -g alliance -m 0750 /data
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    ALLIANCE_DATA_DIR=/data \
    ALLIANCE_WEB_HOST=0.0.0.0 \
    ALLIANCE_WEB_PORT=8000
WORKDIR /data
USER 10001:10001
EXPOSE 8000
ENTRYPOINT ["alliance"]
CMD ["worker"]
