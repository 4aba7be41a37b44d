# Touchbase in a container. The same image runs one polling instance on SQLite or N webhook
# instances on PostgreSQL; everything is configured through the environment (see .env.example).
#
#   docker build -t touchbase .
#   docker run -d --name touchbase --env-file .env -v touchbase-data:/app/data \
#       --stop-timeout 60 touchbase
#
# In webhook mode publish the port (-p 8080:8080) and put an HTTPS load balancer in front.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# The code is run from /app (migrations are found next to it); the install brings the
# dependencies, with the PostgreSQL driver and the Redis client included.
COPY . .
RUN pip install '.[postgres,redis]' \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin touchbase \
    && mkdir -p /app/data \
    && chown touchbase:touchbase /app/data

USER touchbase

# The SQLite database, its backups and received files live here; keep it on a volume.
VOLUME ["/app/data"]
EXPOSE 8080

# Webhook mode answers GET /health (503 when the database does not); polling has no port.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 CMD \
    python -c "import os, urllib.request; os.environ.get('BOT_MODE', 'polling') != 'webhook' or urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('WEBHOOK_PORT', '8080'), timeout=4)"

# SIGTERM (docker stop) stops gracefully: updates in flight and the clock's tick finish.
CMD ["python", "-m", "bot"]
