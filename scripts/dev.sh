#!/usr/bin/env bash
# One entry point for a fresh Debian machine (Python ≥ 3.11):
#   scripts/dev.sh run    install what the dashboard needs, upgrade the store's schema
#                         (python -m ioc db upgrade), then run it on http://127.0.0.1:8050
#                         (arguments go to app.py: `scripts/dev.sh run --speed 60`)
#   scripts/dev.sh test   install what the tests need (Chromium, PostgreSQL, Redis included),
#                         start the services if they are down, and run the whole suite
#   scripts/dev.sh prod   the scaled deployment on one machine: PostgreSQL + Redis (started if
#                         down), `python -m ioc db upgrade`, one `python -m ioc scheduler`,
#                         gunicorn with several workers on 127.0.0.1 (IOC_HOST to change it),
#                         behind a reverse proxy
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV="$ROOT/.venv"

say() { printf '==> %s\n' "$*" >&2; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_install() {  # install Debian packages that are missing
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  if [ ${#missing[@]} -gt 0 ]; then
    say "apt-get install ${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

python_bin() {
  for py in python3.13 python3.12 python3.11 python3; do
    if command -v "$py" >/dev/null && "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
      echo "$py"; return
    fi
  done
  apt_install python3 python3-venv python3-dev
  echo python3
}

venv() {
  if [ ! -x "$VENV/bin/python" ]; then
    local py; py=$(python_bin)
    say "creating $VENV with $($py --version)"
    "$py" -m venv "$VENV" 2>/dev/null || { apt_install python3-venv; "$py" -m venv "$VENV"; }
  fi
  if ! cmp -s requirements.txt "$VENV/.requirements.txt"; then
    say "pip install -r requirements.txt"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r requirements.txt
    cp requirements.txt "$VENV/.requirements.txt"
  fi
}

start_services() {
  if ! command -v pg_ctlcluster >/dev/null || ! command -v redis-server >/dev/null; then
    apt_install postgresql redis-server
  fi
  if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    say "starting PostgreSQL"
    as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
  if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    say "starting Redis"
    as_root mkdir -p /var/lib/redis /var/log/redis
    as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log
    for _ in $(seq 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done
  fi
  pg_isready -h 127.0.0.1 -p 5432 >/dev/null || { echo "PostgreSQL is not reachable on 127.0.0.1:5432" >&2; exit 1; }
  redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null || { echo "Redis is not reachable on 127.0.0.1:6379" >&2; exit 1; }
}

case "${1:-}" in
  run)
    shift
    venv
    say "store: python -m ioc db upgrade (creates a new store, or brings an old one to this version)"
    "$VENV/bin/python" -m ioc db upgrade
    say "dashboard: python app.py (on a first start the simulated history is written in the background; the screens show its progress)"
    exec "$VENV/bin/python" app.py "$@"  # e.g. --speed 60 (README, Configuration)
    ;;
  test)
    shift
    apt_install chromium chromium-driver
    start_services
    venv
    mkdir -p test-artifacts/tmp
    export TMPDIR="$ROOT/test-artifacts/tmp"
    # pytest-xdist workers: one per two cores, at most 4 (a browser worker runs its own app, its live
    # simulator and Chromium; on 2 cores two of them at once made timed browser checks flake)
    workers="${IOC_TEST_WORKERS:-$(n=$(( $(nproc) / 2 )); [ "$n" -lt 1 ] && n=1; [ "$n" -gt 4 ] && n=4; echo "$n")}"
    set +e
    parallel=()
    [ "$workers" -gt 1 ] && parallel=(-n "$workers" --dist loadgroup)
    "$VENV/bin/python" -m pytest "${parallel[@]}" --basetemp="$ROOT/test-artifacts/pytest" "$@"
    code=$?
    set -e
    if [ "$code" = 5 ]; then echo "no tests were collected" >&2; exit 1; fi
    exit "$code"
    ;;
  prod)
    venv
    start_services
    : "${IOC_DATABASE_URL:=postgresql://postgres@127.0.0.1:5432/ioc}"
    : "${IOC_REDIS_URL:=redis://127.0.0.1:6379/0}"
    export IOC_DATABASE_URL IOC_REDIS_URL IOC_EMBEDDED_SCHEDULER=0
    case "$IOC_DATABASE_URL" in
      postgresql://*@127.0.0.1:5432/*|postgresql://*@localhost:5432/*)
        db="${IOC_DATABASE_URL##*/}"; db="${db%%\?*}"; user="${IOC_DATABASE_URL#postgresql://}"; user="${user%%@*}"
        if ! psql -h 127.0.0.1 -U "$user" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
          say "creating database $db"
          psql -h 127.0.0.1 -U "$user" -d postgres -c "CREATE DATABASE \"$db\"" >/dev/null
        fi
        ;;
    esac
    # schema first (migrations, or a new store): the scheduler and the workers refuse an outdated store
    "$VENV/bin/python" -m ioc db upgrade
    workers="${IOC_WORKERS:-$(( $(nproc) * 2 ))}"
    # loopback unless IOC_HOST says otherwise: a reverse proxy (README, "Production") faces the network
    bind="${IOC_HOST:-127.0.0.1}:${IOC_PORT:-8050}"
    say "scheduler: python -m ioc scheduler (backfills simulators once, then collects)"
    "$VENV/bin/python" -m ioc scheduler --backfill &
    scheduler=$!
    trap 'kill "$scheduler" 2>/dev/null; wait "$scheduler" 2>/dev/null' EXIT INT TERM
    say "web: gunicorn, $workers workers x 4 threads on http://$bind  (wall: http://$bind/wall)"
    "$VENV/bin/gunicorn" --workers "$workers" --worker-class gthread --threads 4 --bind "$bind" \
      --keep-alive 10 --timeout 120 --graceful-timeout 20 --access-logfile - 'app:create_server()'
    ;;
  *)
    echo "usage: scripts/dev.sh run [--speed N] | test [pytest args] | prod" >&2
    exit 2
    ;;
esac
