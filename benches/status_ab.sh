#!/bin/bash
# The status JSON row of `make bench` for two builds, one after the other, ROUNDS times:
#   benches/status_ab.sh OLD_BINARY NEW_BINARY [ROUNDS]
# Each run: a fresh data directory, an admin with a token, a repository set to push
# downstream (as the bench's row), then `wrk -t2 -c50 -d10s --latency` on its status JSON.
# Prints each run's rate, p50 and p99, and the host's steal ticks so far (/proc/stat).
set -u
OLD=$1 NEW=$2 ROUNDS=${3:-3}
run() {
  local bin=$1 label=$2 port=$3
  local dir=$(mktemp -d)
  MIRRORFORGE_DATA_DIR=$dir MIRRORFORGE_LISTEN=127.0.0.1:$port MIRRORFORGE_ALLOW_LOCAL_NETWORKS=true $bin serve >/dev/null 2>&1 &
  local pid=$!
  for i in $(seq 50); do curl -sf http://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.2; done
  echo 'Adm1n-pass-99' | MIRRORFORGE_DATA_DIR=$dir $bin admin create-user --username alice --email a@example.com --admin --password-stdin >/dev/null 2>&1
  local token=$(MIRRORFORGE_DATA_DIR=$dir $bin admin create-token --username alice --name b 2>/dev/null | tail -1)
  local H="Authorization: Bearer $token"
  curl -s -o /dev/null -H "$H" -H 'Content-Type: application/json' -d '{"name":"src"}' http://127.0.0.1:$port/api/v1/repos
  curl -s -o /dev/null -X PATCH -H "$H" -H 'Content-Type: application/json' -d '{"mirror_enabled":true,"mirror_direction":"downstream","downstream_url":"http://127.0.0.1:9/unused.git"}' http://127.0.0.1:$port/api/v1/repos/alice/src/mirror
  local code=$(curl -s -o /dev/null -w "%{http_code}" -H "$H" http://127.0.0.1:$port/api/v1/repos/alice/src/mirror/status)
  local out=$(wrk -t2 -c50 -d10s --latency -H "$H" http://127.0.0.1:$port/api/v1/repos/alice/src/mirror/status)
  local rate=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  local p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  local p50=$(echo "$out" | awk '$1=="50%" {print $2}')
  local non2xx=$(echo "$out" | grep -c Non-2xx)
  echo "$label status=$code rate=$rate p50=$p50 p99=$p99 non2xx=$non2xx steal=$(awk '/^cpu / {print $9}' /proc/stat)"
  kill $pid; wait $pid 2>/dev/null; rm -rf $dir
}
for round in $(seq "$ROUNDS"); do
  run "$OLD" old 8301
  run "$NEW" new 8302
done
