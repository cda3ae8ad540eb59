FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DIGEST_DATA_DIR=/data
WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY digest ./digest
COPY workers ./workers
RUN pip install --no-cache-dir -c constraints.txt -e . && python -m compileall -q digest workers
COPY alembic.ini ./
COPY alembic ./alembic
COPY templates ./templates
COPY static ./static
RUN useradd --system --home /data digest && mkdir -p /data && chown digest /data
USER digest
EXPOSE 8000
CMD ["digest", "serve", "--host", "0.0.0.0", "--port", "8000"]
