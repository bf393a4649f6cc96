# learnstream: one image for the api and the worker (see compose.yaml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    LEARNSTREAM_DATA_DIR=/data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY domain ./domain
COPY application ./application
COPY infrastructure ./infrastructure
COPY projections ./projections
COPY api ./api
RUN pip install . \
    && useradd --create-home --uid 10001 learnstream \
    && mkdir -p /data && chown learnstream /data

USER learnstream
EXPOSE 8000
CMD ["learnstream", "serve", "--host", "0.0.0.0", "--port", "8000"]
