# The worker image: the project, its Python dependencies and the CJK font its PDFs embed.
FROM python:3.11-slim
RUN if [ ! -f /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ]; then \
      apt-get update && apt-get install -y --no-install-recommends fonts-wqy-zenhei \
      && rm -rf /var/lib/apt/lists/*; \
    fi
WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY domain domain
COPY registry registry
COPY activities activities
COPY documents documents
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
