FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY webapp webapp
COPY hub hub
COPY triggers triggers
COPY connectors connectors
RUN pip install --no-cache-dir .
CMD ["sh", "-c", "relaydesk db upgrade && gunicorn -w 4 -b 0.0.0.0:8000 webapp.wsgi:app"]
