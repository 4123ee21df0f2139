#!/usr/bin/env bash
# Production-like start: migrate, load reference data, then gunicorn with PORTAL_ENV=production.
# `make serve` runs this; a systemd unit or a container can run it directly.
#   SECRET_KEY    required, the same on every app server
#   TOTP_ENCRYPTION_KEY  required, the same on every app server; encrypts second-factor secrets
#   PORTAL_BASE_URL  the address people use (links in e-mail; other Host headers get 400);
#                 default http://HOST:PORT, enough on this machine only
#   DATABASE_URL  required, postgresql://user@host:5432/dbname (password via the URL or PGPASSWORD)
#   REDIS_URL     required, redis://host:6379/0 (rate limits shared by all workers and servers)
#   HOST, PORT    where gunicorn listens (default 127.0.0.1:8000); see gunicorn.conf.py for more
#   PORTAL_MIGRATE_ON_START=0  skip `flask db upgrade` (when a rollout migrates once beforehand)
#   PORTAL_JOBS_WORKER=0       start no background-job worker nor scheduler here (when they run
#                              elsewhere; one scheduler is enough, two send nothing twice)
#   MT_URL / MT_API_KEY, DEEPL_API_KEY, MT_TRUSTED=1  machine-translated drafts (README)
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${VENV:-.venv}"
fail() { echo "serve: $*" >&2; exit 1; }

[ -n "${SECRET_KEY:-}" ] || fail "SECRET_KEY is not set. Generate one once and keep it, e.g.
  export SECRET_KEY=\"\$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')\""
[ "${#SECRET_KEY}" -ge 32 ] || fail "SECRET_KEY is too short (at least 32 characters)."
[ -n "${TOTP_ENCRYPTION_KEY:-}" ] || fail "TOTP_ENCRYPTION_KEY is not set. Generate one once and keep it apart from SECRET_KEY, e.g.
  export TOTP_ENCRYPTION_KEY=\"\$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')\""
[ "${#TOTP_ENCRYPTION_KEY}" -ge 32 ] || fail "TOTP_ENCRYPTION_KEY is too short (at least 32 characters)."
case "${DATABASE_URL:-}" in
  postgres://* | postgresql://* | postgresql+psycopg://*) ;;
  "") fail "DATABASE_URL is not set, e.g. DATABASE_URL=postgresql://portal@127.0.0.1:5432/portal" ;;
  *) fail "DATABASE_URL must point to PostgreSQL in production (it is ${DATABASE_URL%%:*}://...)." ;;
esac
case "${REDIS_URL:-}" in
  redis://* | rediss://* | unix://*) ;;
  *) fail "REDIS_URL is not set, e.g. REDIS_URL=redis://127.0.0.1:6379/0 (workers share rate limits there)." ;;
esac

export PORTAL_ENV=production
if [ -z "${PORTAL_BASE_URL:-}" ]; then
  export PORTAL_BASE_URL="http://${HOST:-127.0.0.1}:${PORT:-8000}"
  echo "serve: PORTAL_BASE_URL is not set; links in e-mail point to $PORTAL_BASE_URL" >&2
fi
FLASK=("$VENV/bin/flask" --app portal)
if [ "${PORTAL_MIGRATE_ON_START:-1}" != "0" ]; then
  "${FLASK[@]}" db upgrade
fi
"${FLASK[@]}" seed reference
if [ "${PORTAL_JOBS_WORKER:-1}" = "0" ]; then
  exec "$VENV/bin/gunicorn" -c gunicorn.conf.py wsgi:app
fi
# One worker for the background jobs (machine translation, e-mail, digests) and the scheduler
# that queues the periodic ones (reminders, digests) next to gunicorn: all stop together.
"${FLASK[@]}" jobs worker &
worker=$!
"${FLASK[@]}" jobs scheduler &
scheduler=$!
"$VENV/bin/gunicorn" -c gunicorn.conf.py wsgi:app &
server=$!
stopping=0
trap 'stopping=1; kill -TERM "$server" "$worker" "$scheduler" 2>/dev/null || true' TERM INT
status=0
wait -n "$server" "$worker" "$scheduler" || status=$?
kill -TERM "$server" "$worker" "$scheduler" 2>/dev/null || true
if [ "$stopping" = 1 ]; then
  # Asked to stop (the wait above was interrupted by the signal): the portal's own exit says
  # whether the stop went well, as it does when gunicorn runs alone.
  status=0
  wait "$server" || status=$?
fi
wait "$server" "$worker" "$scheduler" 2>/dev/null || true
exit "$status"
