#!/usr/bin/env bash
# Load on the web app as in production: uvicorn with several workers on 127.0.0.1, PostgreSQL with the
# taxonomy and the HN postings, wrk (Debian's) on loopback at a fixed request rate.
#
#   bench/web_load.sh                      # 200 req/s for 20 s per endpoint, 3 times, 2 uvicorn workers
#   RATE=400 SECONDS_EACH=30 WEB_WORKERS=4 REPEAT=1 bench/web_load.sh
#   DIGEST_WEB_CACHE_TTL=0 bench/web_load.sh  # without the page cache
#   bench/web_load.sh --smoke               # 20 req/s for 2 s, once, no HN import: seconds (the tests run it)
#   ONLY=subscribe bench/web_load.sh        # subscribe alone (no HN import), a Celery worker beside the web
#   CLIENTS=one bench/web_load.sh           # every subscribe from one client, its rate limit lifted
#
# Subscribes come from many clients by default (a random X-Forwarded-For, 127.0.0.1 a trusted proxy), so
# the rate limits stay at their defaults and count a few rows each, as in production; with CLIENTS=one the
# per-client count grows with every request of the run (the limit can only be lifted, not skipped).
# Prints requests per second, p50, p99 and errors (medians of REPEAT runs; errors summed) for the skill
# page, /api/skills/{slug}/demand and subscribe (POST /api/subscriptions), then the skill page's ceiling
# (no rate limit on the client), each with the CPU (user+sys) the web processes, the worker and the
# PostgreSQL backends of the bench's database spent per request: the robust figure on a shared machine. The page cache expires during the runs:
# its misses are in the figures. The worker takes the sign-up emails from DIGEST_BROKER_URL (the embedded
# broker when unset).
# Targets: skill page p99 <= 100 ms at 200 req/s, zero errors; subscribe served at the offered 200 req/s with
# p99 <= 100 ms, zero errors (issue #17).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--smoke" ]; then
  export RATE=20 SECONDS_EACH=2 REPEAT=1 WEB_WORKERS=1 CONNS=2 WEB_LOAD_SMOKE=1
fi
RATE=${RATE:-200}
SECONDS_EACH=${SECONDS_EACH:-20}
WEB_WORKERS=${WEB_WORKERS:-2}
CONNS=${CONNS:-20}
REPEAT=${REPEAT:-3}
SLUG=${SLUG:-python}
ONLY=${ONLY:-}
CLIENTS=${CLIENTS:-many}
PY=.venv/bin/python
command -v wrk >/dev/null || { echo "bench/web_load.sh needs wrk: apt-get install -y wrk" >&2; exit 2; }
export DIGEST_SHARED_DATA=${DIGEST_SHARED_DATA:-$(cd .. && pwd)/shared/data}
work=$(mktemp -d /tmp/digest-webload-XXXXXX)
[ "$ONLY" = subscribe ] && export WEB_LOAD_SMOKE=1  # subscribing needs the taxonomy, not the postings
url=$($PY -m bench.web_load prepare "$DIGEST_SHARED_DATA" "$work/var")
port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export DIGEST_DATABASE_URL=$url DIGEST_DATA_DIR=$work/var DIGEST_SECRET_KEY=load DIGEST_LOG_JSON=1
if [ "$CLIENTS" = one ]; then  # every subscribe from 127.0.0.1: the per-client limit lifted out of reach
  export DIGEST_RATE_LIMIT_PER_CLIENT_HOUR=100000000 DIGEST_RATE_LIMIT_PER_ADDRESS_HOUR=100000000
else  # each from its own client behind a trusted proxy, as in production; the limits at their defaults
  export DIGEST_TRUSTED_PROXIES=127.0.0.1
fi
setsid $PY -m uvicorn digest.web.app:create_app --factory --host 127.0.0.1 --port "$port" \
  --workers "$WEB_WORKERS" --log-level warning --no-access-log >"$work/web.log" 2>&1 &
web=$!
setsid $PY -m celery -A workers.app worker -Q "${DIGEST_QUEUE_PREFIX:-digest}.delivery" -P solo --loglevel WARNING \
  >"$work/worker.log" 2>&1 &
worker=$!
cleanup() {
  kill -TERM -- -"$web" -"$worker" 2>/dev/null || true; wait "$web" "$worker" 2>/dev/null || true
  $PY -m bench.web_load drop "$url"
}
trap cleanup EXIT
for _ in $(seq 200); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
base="http://127.0.0.1:$port"

# Constant offered rate (as wrk2 does; Debian's wrk has no -R): each wrk thread keeps a schedule of
# RATE/threads requests per second and every connection takes the next slot when its answer is in. A slow
# server gets the missed slots at once (no back-off), so the rate a slow server sees stays near RATE.
THREADS=2
cat >"$work/paced.lua" <<LUA
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } pace_timespec;
int clock_gettime(int clk_id, pace_timespec *tp);
]]
local ts = ffi.new("pace_timespec")
local function now_ms() ffi.C.clock_gettime(1, ts); return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6 end
local interval, slot = 1000 * $THREADS / $RATE, nil
function delay()
  slot = (slot or now_ms()) + interval
  local wait = slot - now_ms()
  if wait < 0 then return 0 end
  return math.floor(wait)
end
LUA
cp "$work/paced.lua" "$work/subscribe.lua"
# wrk seeds every thread's Lua random numbers alike, in every run: without a seed of its own each thread would
# repeat the others' addresses and clients, and a third run meets the per-address limit (5 an hour) or an
# address already pending (no email owed). Each thread takes its number and the run's start time.
cat >>"$work/subscribe.lua" <<LUA
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_no", threads)
end
function init(args)
  run_id = os.time() % 100000000
  math.randomseed(run_id * 100 + thread_no)
end
counter = 0
request = function()
  counter = counter + 1
  local body = string.format('{"email": "load-%d-%d-%d@example.com", "skill": "$SLUG", "cadence": "daily"}',
                              run_id, thread_no, counter)
  local client = string.format("10.%d.%d.%d", math.random(0, 255), math.random(0, 255), math.random(1, 254))
  return wrk.format("POST", "/api/subscriptions",
                    {["Content-Type"] = "application/json", ["X-Forwarded-For"] = client}, body)
end
LUA
curl -fs "$base/skills/$SLUG" >/dev/null && curl -fs "$base/api/skills/$SLUG/demand" >/dev/null  # warm caches
for i in $(seq 10); do  # and each web process's subscribe path (its first email owed loads Celery)
  curl -fs -H "Content-Type: application/json" "$base/api/subscriptions" \
    -d "{\"email\": \"warm-$i@example.com\", \"skill\": \"$SLUG\", \"cadence\": \"daily\"}" >/dev/null
done

echo "web load: $WEB_WORKERS uvicorn workers, $CONNS connections, $RATE req/s offered for ${SECONDS_EACH}s each," \
  "median of $REPEAT runs ($(nproc) cores, page cache TTL: ${DIGEST_WEB_CACHE_TTL:-default})"
ticks() {  # CPU (user+sys) in clock ticks of the live processes pgrep finds with these arguments
  local total=0 pid stat
  for pid in $(pgrep "$@"); do
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
    stat=${stat##*) }
    total=$((total + $(echo "$stat" | awk '{print $12 + $13}')))
  done
  echo "$total"
}
backends="postgres: .*${url##*/} "  # the PostgreSQL server's processes serving the bench's database
runs=0
run() {  # name, target?, wrk args...: REPEAT runs, the median of each figure, and CPU per request
  local name=$1 target=$2 outs=() out web0 worker0; shift 2
  for _ in $(seq "$REPEAT"); do
    out="$work/run$((++runs)).txt"; outs+=("$out")
    web0=$(ticks -s "$web"); worker0=$(ticks -s "$worker"); db0=$(ticks -f "$backends")
    wrk --latency -t"$THREADS" -c"$CONNS" -d"${SECONDS_EACH}s" "$@" >"$out" 2>&1
    echo "cpu_ticks web $(($(ticks -s "$web") - web0)) worker $(($(ticks -s "$worker") - worker0))" \
      "db $(($(ticks -f "$backends") - db0)) hz $(getconf CLK_TCK)" >>"$out"
  done
  $PY -m bench.web_load report "$name" "$target" "$RATE" "${outs[@]}"
  psql "${url/+psycopg/}" -Atc "select 'database sessions opened so far: ' || sessions from pg_stat_database where datname = current_database()" 2>/dev/null || true
}
if [ "$ONLY" != subscribe ]; then
  run "skill page /skills/$SLUG" target -s "$work/paced.lua" "$base/skills/$SLUG"
  run "demand API" "" -s "$work/paced.lua" "$base/api/skills/$SLUG/demand"
fi
run "subscribe POST" rate -s "$work/subscribe.lua" "$base/api/subscriptions"
[ "$ONLY" = subscribe ] || run "skill page, unpaced" "" "$base/skills/$SLUG"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "wrk outputs and the web log: $work"
