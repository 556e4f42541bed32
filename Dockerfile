# One image for every tracker process (migrate, worker, beat, api).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY tracker ./tracker
COPY workers ./workers
RUN pip install . && useradd --create-home tracker
USER tracker
ENV TRACKER_DATA_DIR=/home/tracker/data
ENTRYPOINT ["tracker"]
CMD ["--help"]
