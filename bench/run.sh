#!/usr/bin/env bash
# deskgate's benchmark: in one run on one machine, the same load client (bench/load_client.cpp) and the same
# sinks (bench/sinks.cpp) measure deskgate against websockify (WS→TCP) and nginx and HAProxy (WS→WS), plus a
# direct connection to the WebSocket sink. Prints a table and writes bench/results/latest.md.
#
#   bench/run.sh            # the full run (about 5 minutes after the build)
#   BENCH_SECONDS=2 bench/run.sh   # shorter measurement windows
#   BENCH_ONLY="throughput upgrades" bench/run.sh   # only these parts (of: throughput latency upgrades hold soak),
#                                                   # printed as they run; no report file
#
# Needs: websockify, nginx (nginx-light), haproxy, curl. Only 127.0.0.1 is used. Everything started here is
# stopped on exit, by PID.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
SECONDS_T=${BENCH_SECONDS:-4}       # each throughput and upgrade window
LAT_COUNT=${BENCH_LAT_COUNT:-20000} # round trips per latency run (after 2,000 warm-up)
HOLD_SMALL=${BENCH_HOLD_SMALL:-1000}
HOLD_BIG=${BENCH_HOLD_BIG:-10000}
# Each relay holds two fds (browser side, desktop side): under a 20000 hard limit 10,000 relays cannot fit in
# one process, so the largest count that fits is measured as well.
HOLD_FIT=${BENCH_HOLD_FIT:-9900}
UNAUTH=${BENCH_UNAUTH:-10000}
BASE=${BENCH_PORT_BASE:-18100}
ONLY=${BENCH_ONLY:-}
want() { [[ -z $ONLY || " $ONLY " == *" $1 "* ]]; }  # want PART: whether this run measures PART

# Up to the hard limit (20000 on these machines) for everything started from here.
ulimit -n "$(ulimit -Hn)"

for tool in websockify nginx haproxy curl; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (apt-get install websockify nginx-light haproxy curl)" >&2; exit 1; }
done

# ---- build ----
echo "bench: building (release)" >&2
cmake --preset release >/dev/null
cmake --build --preset release --target deskgate >/dev/null
DESKGATE=$ROOT/build/release/deskgate
TOOLS=$ROOT/build/release/bench
cmake --build --preset release --target deskgate_bench_client deskgate_bench_sinks >/dev/null
CLIENT=$TOOLS/load_client

# ---- processes, cleanup ----
TMP=$(mktemp -d /tmp/deskgate-bench.XXXXXX)
chmod 755 "$TMP"  # nginx workers run as nobody
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_port() {  # wait_port PORT: until something listens there (10 s)
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "bench: nothing listens on port $1" >&2
  return 1
}
# cpu_of PID...: CPU time used so far in clock ticks, user + system, including reaped children (websockify
# forks one process per connection).
cpu_of() {
  local s=0 p; for p in "$@"; do s=$((s + $(awk '{print $14 + $15 + $16 + $17}' "/proc/$p/stat" 2>/dev/null || echo 0))); done; echo "$s"; }
TICK=$(getconf CLK_TCK)
rss_of() {  # rss_of PID...: summed VmRSS in KiB
  local s=0 p; for p in "$@"; do s=$((s + $(awk '/^VmRSS:/ {print $2}' "/proc/$p/status"))); done; echo "$s"; }
fds_of() { ls "/proc/$1/fd" | wc -l; }
kv() { grep -o "$2=[^ ]*" <<<"$1" | head -1 | cut -d= -f2; }  # kv LINE KEY

P_TCP_FLOOD=$((BASE + 1)) P_TCP_ECHO=$((BASE + 2)) P_WS_FLOOD=$((BASE + 3)) P_WS_ECHO=$((BASE + 4))
P_DG=$((BASE + 10))
P_WSF_FLOOD=$((BASE + 21)) P_WSF_ECHO=$((BASE + 22))
P_NGX_FLOOD=$((BASE + 31)) P_NGX_ECHO=$((BASE + 32))
P_HAP_FLOOD=$((BASE + 41)) P_HAP_ECHO=$((BASE + 42))

# ---- sinks ----
"$TOOLS/sinks" --tcp-flood $P_TCP_FLOOD --tcp-echo $P_TCP_ECHO --ws-flood $P_WS_FLOOD --ws-echo $P_WS_ECHO &
PIDS+=($!)
SINKS_PID=$!

# ---- websockify (WS→TCP peer) ----
websockify 127.0.0.1:$P_WSF_FLOOD 127.0.0.1:$P_TCP_FLOOD >"$TMP/websockify-flood.log" 2>&1 &
PIDS+=($!)
WSF_FLOOD_PID=$!
websockify 127.0.0.1:$P_WSF_ECHO 127.0.0.1:$P_TCP_ECHO >"$TMP/websockify-echo.log" 2>&1 &
PIDS+=($!)
WSF_ECHO_PID=$!

# ---- nginx (WS→WS peer), private instance ----
mkdir -p "$TMP/nginx"
nginx_server() {  # nginx_server LISTEN UPSTREAM
  cat <<EOF
  server {
    listen 127.0.0.1:$1;
    location / {
      proxy_pass http://127.0.0.1:$2;
      proxy_http_version 1.1;
      proxy_set_header Upgrade \$http_upgrade;
      proxy_set_header Connection \$connection_upgrade;
      proxy_read_timeout 3600s;
      proxy_send_timeout 3600s;
      proxy_buffering off;
    }
  }
EOF
}
cat >"$TMP/nginx/nginx.conf" <<EOF
daemon off;
worker_processes 2;
worker_rlimit_nofile 20000;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;
events { worker_connections 16000; }
http {
  access_log off;
  client_body_temp_path $TMP/nginx/body;
  proxy_temp_path $TMP/nginx/proxy;
  fastcgi_temp_path $TMP/nginx/fastcgi;
  uwsgi_temp_path $TMP/nginx/uwsgi;
  scgi_temp_path $TMP/nginx/scgi;
  map \$http_upgrade \$connection_upgrade { default upgrade; '' close; }
$(nginx_server $P_NGX_FLOOD $P_WS_FLOOD)
$(nginx_server $P_NGX_ECHO $P_WS_ECHO)
}
EOF
nginx -c "$TMP/nginx/nginx.conf" -p "$TMP/nginx" -e "$TMP/nginx/error.log" &
PIDS+=($!)
NGINX_PID=$!

# ---- HAProxy (WS→WS peer) ----
cat >"$TMP/haproxy.cfg" <<EOF
global
  maxconn 9900  # each needs two fds; 2 × maxconn must stay under the 20000 open-files hard limit
  nbthread 2
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  timeout tunnel 3600s
frontend flood
  bind 127.0.0.1:$P_HAP_FLOOD
  default_backend flood
frontend echo
  bind 127.0.0.1:$P_HAP_ECHO
  default_backend echo
backend flood
  server sink 127.0.0.1:$P_WS_FLOOD
backend echo
  server sink 127.0.0.1:$P_WS_ECHO
EOF
haproxy -db -f "$TMP/haproxy.cfg" >"$TMP/haproxy.log" 2>&1 &
PIDS+=($!)
HAPROXY_PID=$!

# ---- deskgate ----
mkdir -p "$TMP/dg"
dg_type() {  # dg_type SLUG PORT PROTOCOL
  cat <<EOF
[[desktop_types]]
slug = "$1"
name = "bench $1"
backend = "static"
host = "127.0.0.1"
port = $2
protocol = "$3"
auth = "none"
open_to_all = true
EOF
}
cat >"$TMP/deskgate.toml" <<EOF
[server]
listen = "127.0.0.1:$P_DG"
public_url = "http://127.0.0.1:$P_DG"
data_dir = "$TMP/dg"
max_connections = 15000

[log]
level = "warn"

[desktops]
max_per_user = 10

$(dg_type raw-flood $P_TCP_FLOOD vnc)
$(dg_type raw-echo $P_TCP_ECHO vnc)
$(dg_type ws-flood $P_WS_FLOOD websocket)
$(dg_type ws-echo $P_WS_ECHO websocket)
EOF
BENCH_PASSWORD=bench-password-$RANDOM$RANDOM
"$DESKGATE" --config "$TMP/deskgate.toml" migrate >/dev/null 2>&1 || true
echo "$BENCH_PASSWORD" | "$DESKGATE" --config "$TMP/deskgate.toml" user add bench --role student --password-stdin \
  >"$TMP/user-add.log" 2>&1
"$DESKGATE" --config "$TMP/deskgate.toml" serve >"$TMP/deskgate.log" 2>&1 &
PIDS+=($!)
DG_PID=$!

for p in $P_TCP_FLOOD $P_TCP_ECHO $P_WS_FLOOD $P_WS_ECHO $P_WSF_FLOOD $P_WSF_ECHO $P_NGX_FLOOD $P_NGX_ECHO \
  $P_HAP_FLOOD $P_HAP_ECHO $P_DG; do
  wait_port "$p"
done

# Sign in, start the four static desktops, wait until they run.
DG_URL=http://127.0.0.1:$P_DG
login=$(curl -sf -c "$TMP/jar" -H 'Content-Type: application/json' \
  -d "{\"username\":\"bench\",\"password\":\"$BENCH_PASSWORD\"}" "$DG_URL/api/auth/login") ||
  { echo "bench: login failed; deskgate log:" >&2; tail -20 "$TMP/deskgate.log" >&2; exit 1; }
CSRF=$(grep -o '"csrf_token":"[^"]*"' <<<"$login" | cut -d'"' -f4)
SESSION=$(awk '$6 == "deskgate_session" {print $7}' "$TMP/jar")
COOKIE="deskgate_session=$SESSION"
declare -A DESKTOP
for slug in raw-flood raw-echo ws-flood ws-echo; do
  answer=$(curl -sf -b "$TMP/jar" -H "X-CSRF-Token: $CSRF" -H 'Content-Type: application/json' \
    -d "{\"type\":\"$slug\"}" "$DG_URL/api/desktops") || { echo "bench: starting $slug failed" >&2; exit 1; }
  DESKTOP[$slug]=$(grep -o '"id":"[^"]*"' <<<"$answer" | head -1 | cut -d'"' -f4)
done
for slug in raw-flood raw-echo ws-flood ws-echo; do
  for i in $(seq 150); do
    curl -sf -b "$TMP/jar" "$DG_URL/api/desktops/${DESKTOP[$slug]}" | grep -q '"state":"running"' && break
    ((i == 150)) && { echo "bench: desktop $slug did not start" >&2; exit 1; }
    sleep 0.2
  done
done
echo "bench: all servers up; deskgate desktops ${DESKTOP[*]}" >&2

# client ARGS...: the same binary for every target; one result line.
client() { { "$CLIENT" "$@" 2>>"$TMP/client.err" || true; } | tail -1; }
dg_path() { echo "/desktop/${DESKTOP[$1]}/websockify"; }
DG_AUTH=(--cookie "$COOKIE" --origin "$DG_URL")

# Soak, before: the gateway's fds and RSS at rest.
SOAK_FDS0=$(fds_of $DG_PID) SOAK_RSS0=$(rss_of $DG_PID)

# The processes that do a path's work besides the client: the proxy (nginx: master and workers), or for
# direct the sinks. Their CPU time per unit of work does not depend on what else shares the cores.
NGINX_ALL="$NGINX_PID $(pgrep -P $NGINX_PID | tr '\n' ' ')"
declare -A WORKERS=([direct]=$SINKS_PID [dg_raw]=$DG_PID [dg_ws]=$DG_PID [websockify]="$WSF_FLOOD_PID $WSF_ECHO_PID"
  [nginx]=$NGINX_ALL [haproxy]=$HAPROXY_PID)
cpu_ms_since() {  # cpu_ms_since TICKS NAME: CPU ms the NAME path's processes used since TICKS
  sleep 0.3  # websockify's per-connection processes are counted once reaped
  # shellcheck disable=SC2086
  echo $((($(cpu_of ${WORKERS[$2]}) - $1) * 1000 / TICK))
}

# ---- throughput ----
declare -A R
tp() {  # tp NAME CONNS ARGS...
  local name=$1 n=$2 line c0 ms
  shift 2
  # shellcheck disable=SC2086
  c0=$(cpu_of ${WORKERS[$name]})
  line=$(client throughput --connections "$n" --seconds "$SECONDS_T" --warmup 0.5 "$@")
  ms=$(cpu_ms_since "$c0" "$name")
  R[tp_${name}_$n]=$(kv "$line" mbps)
  R[tperr_${name}_$n]=$(kv "$line" errors)
  # CPU over warm-up and window, bytes over the window: scaled by the window's share of the run.
  R[tpcpu_${name}_$n]=$(awk -v ms="$ms" -v b="$(kv "$line" bytes)" -v w="$SECONDS_T" \
    'BEGIN {if (b > 0) printf "%.0f", ms * (w / (w + 0.5)) * 1e9 / b; else print "n/a"}')
  echo "  throughput $name x$n: ${R[tp_${name}_$n]} MB/s (errors ${R[tperr_${name}_$n]}), ${R[tpcpu_${name}_$n]} CPU ms/GB" >&2
}
if want throughput; then
  echo "bench: throughput" >&2
  for n in 1 4; do
    tp direct "$n" --port $P_WS_FLOOD
    tp dg_raw "$n" --port $P_DG --path "$(dg_path raw-flood)" "${DG_AUTH[@]}"
    tp websockify "$n" --port $P_WSF_FLOOD
    tp dg_ws "$n" --port $P_DG --path "$(dg_path ws-flood)" "${DG_AUTH[@]}"
    tp nginx "$n" --port $P_NGX_FLOOD
    tp haproxy "$n" --port $P_HAP_FLOOD
  done
fi

# ---- latency ----
lat() {  # lat NAME ARGS...
  local name=$1 line
  shift
  line=$(client latency --count "$LAT_COUNT" --warmup-count 2000 "$@")
  R[p50_$name]=$(kv "$line" p50_us) R[p99_$name]=$(kv "$line" p99_us) R[p999_$name]=$(kv "$line" p999_us)
  echo "  latency $name: p50 ${R[p50_$name]} p99 ${R[p99_$name]} p999 ${R[p999_$name]} µs" >&2
}
if want latency; then
  echo "bench: latency" >&2
  lat direct --port $P_WS_ECHO
  lat dg_raw --port $P_DG --path "$(dg_path raw-echo)" --preamble 12 "${DG_AUTH[@]}"
  lat websockify --port $P_WSF_ECHO --preamble 12
  lat dg_ws --port $P_DG --path "$(dg_path ws-echo)" "${DG_AUTH[@]}"
  lat nginx --port $P_NGX_ECHO
  lat haproxy --port $P_HAP_ECHO
fi

# ---- upgrades ----
upg() {  # upg NAME ARGS...
  local name=$1 line c0 ms
  shift
  # shellcheck disable=SC2086
  c0=$(cpu_of ${WORKERS[$name]})
  line=$(client upgrades --workers 16 --seconds "$SECONDS_T" "$@")
  ms=$(cpu_ms_since "$c0" "$name")
  R[upg_$name]=$(kv "$line" per_second) R[upgerr_$name]=$(kv "$line" errors)
  R[upgcpu_$name]=$(awk -v ms="$ms" -v n="$(kv "$line" ok)" 'BEGIN {if (n > 0) printf "%.0f", ms * 1000 / n; else print "n/a"}')
  echo "  upgrades $name: ${R[upg_$name]}/s (errors ${R[upgerr_$name]}), ${R[upgcpu_$name]} CPU µs each" >&2
}
if want upgrades; then
  echo "bench: upgrades" >&2
  upg direct --port $P_WS_ECHO
  upg dg_raw --port $P_DG --path "$(dg_path raw-echo)" "${DG_AUTH[@]}"
  upg websockify --port $P_WSF_ECHO --seconds 2
  upg dg_ws --port $P_DG --path "$(dg_path ws-echo)" "${DG_AUTH[@]}"
  upg nginx --port $P_NGX_ECHO
  upg haproxy --port $P_HAP_ECHO
  sleep 2  # let closed relays finish on both sides
fi

# ---- memory per held idle connection ----
hold() {  # hold NAME N "PIDS" ARGS...: RSS of PIDS at rest and with N idle connections open
  local name=$1 n=$2 pids=$3 out=$TMP/hold-$1-$2.out rss0 rss1 fds1=0 line
  shift 3
  sleep 1
  # shellcheck disable=SC2086
  rss0=$(rss_of $pids)
  "$CLIENT" hold --connections "$n" --seconds 6 --parallel 64 "$@" >"$out" 2>>"$TMP/client.err" &
  local cpid=$!
  for _ in $(seq 600); do grep -q '^ready' "$out" && break; kill -0 $cpid 2>/dev/null || break; sleep 0.1; done
  sleep 2
  # shellcheck disable=SC2086
  rss1=$(rss_of $pids)
  fds1=$(fds_of "${pids%% *}")
  wait $cpid || true
  line=$(tail -1 "$out")
  R[held_${name}_$n]=$(kv "$line" held) R[holderr_${name}_$n]=$(kv "$line" errors)
  R[holddrop_${name}_$n]=$(kv "$line" dropped)
  R[kib_${name}_$n]=$(awk -v a="$rss0" -v b="$rss1" -v n="$n" 'BEGIN {printf "%.1f", (b - a) / n}')
  echo "  hold $name x$n: held ${R[held_${name}_$n]} errors ${R[holderr_${name}_$n]} dropped ${R[holddrop_${name}_$n]}; RSS $rss0 → $rss1 KiB (${R[kib_${name}_$n]} KiB/conn), fds $fds1" >&2
}
if want hold; then
  echo "bench: held idle connections" >&2
  hold dg_raw "$HOLD_SMALL" "$DG_PID" --port $P_DG --path "$(dg_path raw-echo)" "${DG_AUTH[@]}"
  hold dg_ws "$HOLD_SMALL" "$DG_PID" --port $P_DG --path "$(dg_path ws-echo)" "${DG_AUTH[@]}"
  hold nginx "$HOLD_SMALL" "$NGINX_ALL" --port $P_NGX_ECHO
  hold haproxy "$HOLD_SMALL" "$HAPROXY_PID" --port $P_HAP_ECHO
  hold dg_raw "$HOLD_BIG" "$DG_PID" --port $P_DG --path "$(dg_path raw-echo)" "${DG_AUTH[@]}"
  sleep 3
  hold dg_raw "$HOLD_FIT" "$DG_PID" --port $P_DG --path "$(dg_path raw-echo)" "${DG_AUTH[@]}"
  sleep 3
fi

# ---- soak ----
if want soak; then
  echo "bench: soak" >&2
  SOAK_FDS1=$(fds_of $DG_PID) SOAK_RSS1=$(rss_of $DG_PID)
  line=$(client unauthenticated --connections "$UNAUTH" --workers 16 --port $P_DG --path "$(dg_path raw-echo)" --origin "$DG_URL")
  R[unauth_attempts]=$(kv "$line" attempts) R[unauth_401]=$(kv "$line" status_401) R[unauth_upgraded]=$(kv "$line" upgraded)
  R[unauth_errors]=$(kv "$line" errors)
  R[unauth_line]=$line
  sleep 2
  SOAK_FDS2=$(fds_of $DG_PID) SOAK_RSS2=$(rss_of $DG_PID)
  echo "  $line" >&2
fi

# A partial run has no complete table: its lines above are the result.
[[ -n $ONLY ]] && { echo "bench: partial run ($ONLY); no report written" >&2; exit 0; }

# ---- report ----
pct() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.0f%%", 100 * a / b; else print "n/a"}'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN {exit !(a + 0 >= b + 0)}'; }
verdict() { if "$@"; then echo "met"; else echo "**MISSED**"; fi; }
max() { awk -v a="$1" -v b="$2" 'BEGIN {print (a + 0 > b + 0) ? a : b}'; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", a - b}'; }

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
out=$ROOT/bench/results/latest.md
mkdir -p "$ROOT/bench/results"
{
  echo "# deskgate benchmark — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Machine: $(nproc) cores ($cpu), $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo), $(uname -sr)."
  echo "Client, sinks and servers share the cores; compare ratios within this run."
  echo "deskgate $($DESKGATE --version 2>/dev/null | head -1), websockify $(dpkg-query -W -f='${Version}' websockify 2>/dev/null)," \
    "nginx $(nginx -v 2>&1 | cut -d/ -f2), HAProxy $(haproxy -v | head -1 | awk '{print $3}')."
  echo
  echo "## Throughput server→client (MB/s, 10^6 bytes)"
  echo
  echo "| path | 1 conn | 4 conns | CPU ms/GB, 1 conn | CPU ms/GB, 4 conns |"
  echo "|---|---:|---:|---:|---:|"
  for name in direct dg_raw websockify dg_ws nginx haproxy; do
    echo "| $name | ${R[tp_${name}_1]} | ${R[tp_${name}_4]} | ${R[tpcpu_${name}_1]} | ${R[tpcpu_${name}_4]} |"
  done
  echo
  echo "CPU ms/GB: CPU time of the proxy's processes (for direct: the sinks') per 10^9 bytes delivered; unlike MB/s"
  echo "it does not depend on what else ran on the cores."
  echo
  echo "## Round trip of 16-byte messages (µs, $LAT_COUNT round trips after 2,000 warm-up)"
  echo
  echo "| path | p50 | p99 | p99.9 | added p99 vs direct |"
  echo "|---|---:|---:|---:|---:|"
  for name in direct dg_raw websockify dg_ws nginx haproxy; do
    echo "| $name | ${R[p50_$name]} | ${R[p99_$name]} | ${R[p999_$name]} | $(sub "${R[p99_$name]}" "${R[p99_direct]}") |"
  done
  echo
  echo "## Upgrades per second (16 concurrent workers: connect, upgrade, close)"
  echo
  echo "| path | upgrades/s | errors | CPU µs per upgrade |"
  echo "|---|---:|---:|---:|"
  for name in direct dg_raw websockify dg_ws nginx haproxy; do
    echo "| $name | ${R[upg_$name]} | ${R[upgerr_$name]} | ${R[upgcpu_$name]} |"
  done
  echo
  echo "deskgate's upgrades include the session lookup (cookie), the desktop authorization and the upstream connect."
  echo
  echo "## Memory per held idle connection (RSS growth of the proxy ÷ connections)"
  echo
  echo "| path | connections | held | errors | dropped | KiB per connection |"
  echo "|---|---:|---:|---:|---:|---:|"
  for key in "dg_raw $HOLD_SMALL" "dg_ws $HOLD_SMALL" "nginx $HOLD_SMALL" "haproxy $HOLD_SMALL" "dg_raw $HOLD_BIG" "dg_raw $HOLD_FIT"; do
    set -- $key
    echo "| $1 | $2 | ${R[held_$1_$2]} | ${R[holderr_$1_$2]} | ${R[holddrop_$1_$2]} | ${R[kib_$1_$2]} |"
  done
  echo
  echo "## Soak (deskgate process)"
  echo
  echo "| moment | open fds | RSS KiB |"
  echo "|---|---:|---:|"
  echo "| before all measurements | $SOAK_FDS0 | $SOAK_RSS0 |"
  echo "| after all measurements, connections closed | $SOAK_FDS1 | $SOAK_RSS1 |"
  echo "| after $UNAUTH upgrades without a session | $SOAK_FDS2 | $SOAK_RSS2 |"
  echo
  echo "Unauthenticated attempts: \`${R[unauth_line]}\`"
  echo
  echo "## Targets"
  echo
  echo "| target | measured | verdict |"
  echo "|---|---|---|"
  for n in 1 4; do
    echo "| WS→TCP throughput x$n ≥ websockify | deskgate ${R[tp_dg_raw_$n]} vs ${R[tp_websockify_$n]} ($(pct "${R[tp_dg_raw_$n]}" "${R[tp_websockify_$n]}")) | $(verdict ge "${R[tp_dg_raw_$n]}" "${R[tp_websockify_$n]}") |"
    best=$(max "${R[tp_nginx_$n]}" "${R[tp_haproxy_$n]}")
    echo "| WS→WS throughput x$n ≥ best of nginx, HAProxy | deskgate ${R[tp_dg_ws_$n]} vs $best ($(pct "${R[tp_dg_ws_$n]}" "$best")) | $(verdict ge "${R[tp_dg_ws_$n]}" "$best") |"
    for m in dg_raw dg_ws; do
      eighty=$(awk -v d="${R[tp_direct_$n]}" 'BEGIN {printf "%.1f", 0.8 * d}')
      echo "| $m throughput x$n ≥ 80% of direct | ${R[tp_${m}_$n]} vs direct ${R[tp_direct_$n]} ($(pct "${R[tp_${m}_$n]}" "${R[tp_direct_$n]}")) | $(verdict ge "${R[tp_${m}_$n]}" "$eighty") |"
    done
  done
  ngx_added=$(sub "${R[p99_nginx]}" "${R[p99_direct]}")
  for m in dg_raw dg_ws; do
    added=$(sub "${R[p99_$m]}" "${R[p99_direct]}")
    echo "| $m added p99 ≤ nginx's | $added µs vs $ngx_added µs | $(verdict ge "$ngx_added" "$added") |"
  done
  echo "| upgrades/s with auth ≥ 3,000 | ${R[upg_dg_raw]}/s (raw), ${R[upg_dg_ws]}/s (websocket) | $(verdict ge "${R[upg_dg_raw]}" 3000) |"
  for n in "$HOLD_SMALL" "$HOLD_BIG" "$HOLD_FIT"; do
    echo "| ≤ 16 KiB per idle connection at $n | ${R[kib_dg_raw_$n]} KiB | $(verdict ge 16 "${R[kib_dg_raw_$n]}") |"
  done
  ok_big=false
  [[ ${R[held_dg_raw_$HOLD_BIG]} == "$HOLD_BIG" && ${R[holderr_dg_raw_$HOLD_BIG]} == 0 && ${R[holddrop_dg_raw_$HOLD_BIG]} == 0 ]] && ok_big=true
  echo "| $HOLD_BIG concurrent relays, no errors | held ${R[held_dg_raw_$HOLD_BIG]}, errors ${R[holderr_dg_raw_$HOLD_BIG]}, dropped ${R[holddrop_dg_raw_$HOLD_BIG]} (open-files hard limit $(ulimit -Hn)) | $(verdict $ok_big) |"
  ok_fit=false
  [[ ${R[held_dg_raw_$HOLD_FIT]} == "$HOLD_FIT" && ${R[holderr_dg_raw_$HOLD_FIT]} == 0 && ${R[holddrop_dg_raw_$HOLD_FIT]} == 0 ]] && ok_fit=true
  echo "| $HOLD_FIT concurrent relays (what fits in the fd limit), no errors | held ${R[held_dg_raw_$HOLD_FIT]}, errors ${R[holderr_dg_raw_$HOLD_FIT]}, dropped ${R[holddrop_dg_raw_$HOLD_FIT]} | $(verdict $ok_fit) |"
  ok_unauth=false
  [[ ${R[unauth_401]:-0} == "$UNAUTH" ]] && ok_unauth=true
  echo "| $UNAUTH attempts without a session → 401 | ${R[unauth_401]:-0} × 401, ${R[unauth_upgraded]} upgraded, ${R[unauth_errors]} errors | $(verdict $ok_unauth) |"
  ok_fds=false
  (( SOAK_FDS2 <= SOAK_FDS0 + 2 && SOAK_FDS1 <= SOAK_FDS0 + 2 )) && ok_fds=true
  echo "| no fd leak (soak) | $SOAK_FDS0 → $SOAK_FDS1 → $SOAK_FDS2 | $(verdict $ok_fds) |"
  echo "| RSS after soak (informational) | $SOAK_RSS0 → $SOAK_RSS1 → $SOAK_RSS2 KiB | — |"
} >"$out"
cat "$out"
echo "bench: written to $out" >&2
