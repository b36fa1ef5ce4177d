#!/usr/bin/env bash
# Runs the web server (gunicorn) and the worker (run_worker) side by side; Ctrl-C stops both.
set -euo pipefail
HOST="${1:-127.0.0.1}"
PORT="${2:-8000}"
BIN=.venv/bin
# links in SMS and on printed notices point at this server unless configured otherwise
export SMARTDUTY_PUBLIC_BASE_URL="${SMARTDUTY_PUBLIC_BASE_URL:-http://$HOST:$PORT}"
mkdir -p var/log

"$BIN/python" manage.py run_worker &
WORKER=$!
"$BIN/gunicorn" -c python:smartduty.gunicorn_conf smartduty.wsgi --bind "$HOST:$PORT" \
  --access-logfile - --error-logfile - --pythonpath src &
WEB=$!
trap 'kill $WEB $WORKER 2>/dev/null; wait' INT TERM EXIT

for _ in $(seq 1 50); do
  if "$BIN/python" -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)" \
    "http://$HOST:$PORT/healthz" >/dev/null 2>&1; then break; fi
  sleep 0.2
done
"$BIN/python" manage.py demo_banner --url "http://$HOST:$PORT"
wait -n $WEB $WORKER
