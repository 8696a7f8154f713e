# The worker image: the project and its Python dependencies, nothing else.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY domain domain
COPY registry registry
COPY activities activities
COPY workflows workflows
COPY notifications notifications
COPY client client
COPY admin admin
COPY web web
COPY migrations migrations
COPY templates templates
COPY samples samples
COPY worker.py starter.py local_stack.py ./
RUN pip install --no-cache-dir .
ENV ALLIANCE_DATA_DIR=/data
CMD ["sh", "-c", "alliance-admin db-upgrade && python worker.py"]
