#!/usr/bin/env bash
# Make sure PostgreSQL (127.0.0.1:5432, trust auth, user postgres) and Redis (127.0.0.1:6379) are up
# for the test suite: start them when they are installed but stopped, install them when missing.
set -euo pipefail

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_install() {
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

pg_up() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }
redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }

if ! pg_up; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    echo "Installing PostgreSQL..."
    apt_install postgresql
  fi
  echo "Starting PostgreSQL..."
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  pg_up || { echo "PostgreSQL did not start on 127.0.0.1:5432" >&2; exit 1; }
fi
# The suite connects as postgres over TCP without a password (trust), as these machines are set up.
if ! psql -h 127.0.0.1 -U postgres -tAc "select 1" >/dev/null 2>&1; then
  echo "Cannot connect to PostgreSQL as postgres on 127.0.0.1 without a password; allowing trust for loopback." >&2
  hba=$(as_root su postgres -c "psql -tAc 'show hba_file'" | tr -d ' ')
  as_root sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
  as_root su postgres -c "psql -tAc 'select pg_reload_conf()'" >/dev/null
fi

if ! redis_up; then
  if ! command -v redis-server >/dev/null 2>&1; then
    echo "Installing Redis..."
    apt_install redis-server
  fi
  echo "Starting Redis..."
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  for _ in $(seq 1 30); do redis_up && break; sleep 0.5; done
  redis_up || { echo "Redis did not start on 127.0.0.1:6379" >&2; exit 1; }
fi

# Debian's chromium for the browser tests (never Playwright's own download, which cannot work here).
if [ ! -x /usr/bin/chromium ]; then
  echo "Installing chromium for the browser tests..."
  apt_install chromium
fi
# WeasyPrint renders certificate PDFs with Pango.
if ! ldconfig -p 2>/dev/null | grep -q "libpango-1.0.so.0"; then
  echo "Installing Pango for WeasyPrint..."
  apt_install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b
fi
# Chinese, Japanese and Korean names in certificate PDFs: the bundled fonts cover the other scripts (1.6 MB).
if [ ! -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] && ! fc-list :lang=zh 2>/dev/null | grep -q .; then
  echo "Installing a CJK font (WenQuanYi Micro Hei) for certificate PDFs..."
  apt_install fonts-wqy-microhei
fi
echo "PostgreSQL, Redis, chromium, Pango and the CJK font are ready."
