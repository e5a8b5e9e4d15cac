# codex2claudecode as a container: the gateway alone (headless), listening on 0.0.0.0:8787.
#   docker build -t codex2claudecode .
#   docker run -d -p 8787:8787 -e API_PASSWORD=choose-one -v c2c-state:/data codex2claudecode
#   docker exec -it <container> codex2claudecode login --device
# API_PASSWORD is required: a gateway on 0.0.0.0 refuses to start without one.

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip wheel --no-cache-dir --disable-pip-version-check -w /wheels .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 gateway \
    && mkdir /data && chown gateway /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --disable-pip-version-check /wheels/*.whl && rm -rf /wheels
USER gateway
ENV CODEX2CLAUDECODE_HOME=/data \
    CODEX_HOME=/data/codex \
    CLAUDE_CONFIG_DIR=/data/claude \
    HOST=0.0.0.0 \
    PORT=8787 \
    CODEX_NO_UI=1 \
    PYTHONUNBUFFERED=1
VOLUME ["/data"]
EXPOSE 8787
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('PORT', '8787'), timeout=4)"
CMD ["codex2claudecode", "--headless"]
