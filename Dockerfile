# The intake service image: one image for every process (web, worker, beat,
# migrations); docker-compose.yml picks the command.  Configure it only through
# the environment variables of spec section 4 (see .env.example).
FROM python:3.11-slim

# intake/config.py finds templates/, static/, migrations/ and data/ next to the
# intake package (PROJECT_ROOT = the folder above it).  The copy `pip install .`
# puts in site-packages has none of them beside it, so the source tree in /app
# must come first on sys.path for every process (gunicorn, celery and the
# `intake` console script alike): PYTHONPATH=/app.  INTAKE_INSTANCE_PATH is
# only written to when SECRET_KEY / DATA_ENCRYPTION_KEY are unset.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    INTAKE_INSTANCE_PATH=/app/instance

WORKDIR /app

# WeasyPrint renders the PDF guide with Pango; the fonts cover names in other scripts (DejaVu:
# Greek, Cyrillic, Hebrew, Arabic; WenQuanYi Zen Hei: Chinese, Japanese, Korean; Noto: Thai,
# Devanagari and more), as scripts/_bootstrap.sh installs them for a checkout.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
       fonts-wqy-zenhei fonts-noto-core \
    && rm -rf /var/lib/apt/lists/*

# A writable home: gunicorn puts its control socket in ~/.gunicorn.
RUN groupadd --system --gid 10001 intake \
    && useradd --system --uid 10001 --gid intake --create-home --home-dir /home/intake \
       --shell /usr/sbin/nologin intake

# The project and its pinned dependencies (also installs the `intake` console script).
COPY pyproject.toml constraints.txt README.md gunicorn.conf.py ./
COPY intake/ intake/
COPY worker/ worker/
RUN pip install -c constraints.txt . \
    && rm -rf build *.egg-info

# What the app reads at run time from beside the package.
COPY templates/ templates/
COPY static/ static/
COPY migrations/ migrations/
COPY data/ data/
COPY translations/ translations/
# The Spanish catalogue compiled at build time (compiled files are never committed; the app
# would also compile a stale one at start, but the image's /app is not writable by intake).
RUN python -c "from pathlib import Path; from intake.catalogues import compile_stale; compile_stale(Path('translations'))"

RUN mkdir -p /app/instance && chown intake:intake /app/instance

USER intake

EXPOSE 8000

# Liveness only (no curl in the slim image); compose's web service checks /readyz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--workers", "2", "intake:create_app()"]
