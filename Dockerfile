# graphcompat worker image: `python worker.py --graph package.module:attr ...`.
# docker-compose.yml builds it for the `worker` service and sets the command;
# on its own:  docker run --rm -e TEMPORAL_ADDRESS=host:7233 IMAGE \
#                python worker.py --graph examples.research:build --store postgresql://...
FROM python:3.11.10-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

RUN groupadd --system --gid 10001 graphcompat \
    && useradd --system --uid 10001 --gid graphcompat --create-home --home-dir /home/graphcompat \
       --shell /usr/sbin/nologin graphcompat

WORKDIR /app

# Dependencies and the package first, so code-only changes to the graphs
# (examples/ or your own modules) reuse the installed layer.
COPY pyproject.toml README.md ./
COPY graphcompat ./graphcompat
COPY workflows ./workflows
COPY activities ./activities
COPY worker.py ./
RUN pip install --no-cache-dir . \
    && rm -rf build ./*.egg-info

# Graph modules the worker imports with --graph (worker.py puts the working
# directory on sys.path). Add a COPY line for your own graphs package.
COPY examples ./examples

USER graphcompat

CMD ["python", "worker.py", "--help"]
