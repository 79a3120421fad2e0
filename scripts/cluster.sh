#!/usr/bin/env bash
# A kiosque cluster on one machine, everything bound to loopback:
#   - three nats-server nodes, one JetStream cluster (Debian's nats-server);
#   - the writer (`kiosque writer`): it keeps the index up to date with the corpus and
#     publishes each generation through NATS;
#   - three replicas (`kiosque serve-http`) on 127.0.0.2, .3 and .4, each with its own copy
#     of the index;
#   - nginx on 127.0.0.1 in front of them (Debian's nginx), trying the next replica only when
#     one failed before answering.
#
# Usage: scripts/cluster.sh up | down | status | configure
#   up         writes the configurations, starts everything, waits until nginx answers
#   down       stops everything `up` started (SIGTERM, then SIGKILL after 5 s)
#   status     which parts run
#   configure  only writes the NATS nodes' and nginx's configurations (tests/cluster.rs
#              starts the parts itself, from these)
#
# Settings, from the environment (and .env for the Discord ones):
#   CLUSTER_DIR    where configurations, data, logs and pid files go (.kiosque/cluster)
#   NATS_PORTS     the nodes' client ports ("14221 14222 14223")
#   ROUTE_PORTS    the nodes' cluster ports ("16221 16222 16223")
#   REPLICAS       the replicas' addresses ("127.0.0.2:8080 127.0.0.3:8080 127.0.0.4:8080")
#   FRONT          nginx's address (127.0.0.1:8080): Discord's interactions endpoint URL
#                  points at a TLS proxy forwarding here
#   KIOSQUE        the kiosque binary (target/release/kiosque; built when missing)
#   KIOSQUE_CORPUS the writer's corpus (corpus), DISCORD_PUBLIC_KEY, DISCORD_APPLICATION_ID
#   REPLICA_WAIT   how long `up` waits for the replicas to listen, in s (120; a large
#                  corpus's first generation takes longer to build and copy)
set -euo pipefail
cd "$(dirname "$0")/.."

CLUSTER_DIR="${CLUSTER_DIR:-.kiosque/cluster}"
read -r -a NATS_PORTS <<<"${NATS_PORTS:-14221 14222 14223}"
read -r -a ROUTE_PORTS <<<"${ROUTE_PORTS:-16221 16222 16223}"
read -r -a REPLICAS <<<"${REPLICAS:-127.0.0.2:8080 127.0.0.3:8080 127.0.0.4:8080}"
FRONT="${FRONT:-127.0.0.1:8080}"
KIOSQUE="${KIOSQUE:-target/release/kiosque}"
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"

if [ "${#NATS_PORTS[@]}" -ne 3 ] || [ "${#ROUTE_PORTS[@]}" -ne 3 ]; then
  echo "NATS_PORTS and ROUTE_PORTS need three ports each" >&2
  exit 2
fi
for addr in "${REPLICAS[@]}" "$FRONT"; do
  case "$addr" in
    127.*:*) ;;
    *) echo "$addr is not a loopback address with a port (127.x.y.z:port)" >&2; exit 2 ;;
  esac
done

nats_url() {
  local urls=() p
  for p in "${NATS_PORTS[@]}"; do urls+=("nats://127.0.0.1:$p"); done
  (IFS=,; echo "${urls[*]}")
}

configure() {
  mkdir -p "$CLUSTER_DIR/nginx/logs"
  local dir i routes="" p
  dir="$(cd "$CLUSTER_DIR" && pwd)"
  for p in "${ROUTE_PORTS[@]}"; do routes+="nats-route://127.0.0.1:$p, "; done
  for i in 0 1 2; do
    mkdir -p "$dir/nats-$((i + 1))"
    cat >"$dir/nats-$((i + 1)).conf" <<EOF
server_name: kiosque-nats-$((i + 1))
listen: 127.0.0.1:${NATS_PORTS[$i]}
jetstream { store_dir: "$dir/nats-$((i + 1))" }
cluster {
  name: kiosque
  listen: 127.0.0.1:${ROUTE_PORTS[$i]}
  routes: [${routes%, }]
}
EOF
  done
  # nginx run by root hands its workers to `nobody` unless told otherwise; they must read
  # and write under CLUSTER_DIR
  local user=""
  if [ "$(id -u)" = 0 ]; then user="user root;"; fi
  {
    echo "$user"
    cat <<EOF
worker_processes 1;
pid $dir/nginx/nginx.pid;
error_log $dir/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $dir/nginx/body;
  proxy_temp_path $dir/nginx/proxy;
  fastcgi_temp_path $dir/nginx/fastcgi;
  uwsgi_temp_path $dir/nginx/uwsgi;
  scgi_temp_path $dir/nginx/scgi;
  upstream kiosque_replicas {
EOF
    for addr in "${REPLICAS[@]}"; do
      echo "    server $addr max_fails=1 fail_timeout=2s;"
    done
    cat <<EOF
    keepalive 16;
  }
  server {
    listen $FRONT;
    client_max_body_size 64k;
    location / {
      proxy_pass http://kiosque_replicas;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
      # Another replica only when this one failed before answering: the connection refused
      # or broken, or no answer in time. Discord's interactions are POSTs, which nginx
      # retries only with non_idempotent; a replica that died before answering did nothing
      # the next one could repeat (a reply is only sent after its answer).
      proxy_next_upstream error timeout non_idempotent;
      proxy_next_upstream_tries 3;
      proxy_connect_timeout 1s;
      proxy_send_timeout 3s;
      proxy_read_timeout 3s;
    }
  }
}
EOF
  } >"$dir/nginx.conf"
}

replica_names() {
  local i
  for i in "${!REPLICAS[@]}"; do echo "replica-$((i + 1))"; done
}

started() { # name pidfile
  [ -f "$2" ] && kill -0 "$(cat "$2")" 2>/dev/null
}

start() { # name, then the command
  local name="$1"
  shift
  local pid="$CLUSTER_DIR/$name.pid"
  if started "$name" "$pid"; then
    echo "$name already runs (pid $(cat "$pid"))"
    return
  fi
  nohup "$@" >>"$CLUSTER_DIR/$name.log" 2>&1 &
  echo $! >"$pid"
  echo "$name: pid $!, log $CLUSTER_DIR/$name.log"
}

wait_port() { # host:port [seconds]
  local i
  for i in $(seq 1 $((${2:-20} * 10))); do
    if (exec 3<>"/dev/tcp/${1%:*}/${1##*:}") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "nothing listens on $1 after ${2:-20} s" >&2
  return 1
}

up() {
  command -v nats-server >/dev/null || { echo "nats-server is missing: apt-get install nats-server" >&2; exit 1; }
  [ -x "$NGINX" ] || { echo "nginx is missing: apt-get install nginx" >&2; exit 1; }
  if [ ! -x "$KIOSQUE" ]; then cargo build --release; fi
  # kiosque reads .env itself (what the environment sets wins)
  local var
  for var in DISCORD_PUBLIC_KEY DISCORD_APPLICATION_ID; do
    if [ -z "${!var:-}" ] && ! grep -q "^$var=." .env 2>/dev/null; then
      echo "set $var in the environment or in .env (see .env.example)" >&2
      exit 2
    fi
  done
  configure
  local i
  for i in 1 2 3; do
    start "nats-$i" nats-server -c "$CLUSTER_DIR/nats-$i.conf"
  done
  for i in 0 1 2; do wait_port "127.0.0.1:${NATS_PORTS[$i]}"; done
  export KIOSQUE_NATS_URL KIOSQUE_NATS_REPLICAS=3
  KIOSQUE_NATS_URL="$(nats_url)"
  start writer env KIOSQUE_NAME=writer "$KIOSQUE" writer \
    --corpus "${KIOSQUE_CORPUS:-corpus}" --index "$CLUSTER_DIR/writer/index"
  for i in "${!REPLICAS[@]}"; do
    start "replica-$((i + 1))" env KIOSQUE_NAME="replica-$((i + 1))" "$KIOSQUE" serve-http \
      --listen "${REPLICAS[$i]}" --index "$CLUSTER_DIR/replica-$((i + 1))/index"
  done
  # a replica listens once it has the writer's first generation
  for i in "${!REPLICAS[@]}"; do wait_port "${REPLICAS[$i]}" "${REPLICA_WAIT:-120}"; done
  start nginx "$NGINX" -p "$CLUSTER_DIR/nginx" -c "$CLUSTER_DIR/nginx.conf" -g "daemon off;"
  wait_port "$FRONT"
  echo "the interactions endpoint is http://$FRONT/interactions (put TLS in front for Discord)"
}

down() {
  local name pid stopped=()
  for name in nginx $(replica_names) writer nats-1 nats-2 nats-3; do
    pid="$CLUSTER_DIR/$name.pid"
    if started "$name" "$pid"; then
      kill "$(cat "$pid")" 2>/dev/null || true
      stopped+=("$name:$(cat "$pid")")
    fi
    rm -f "$pid"
  done
  local entry i
  for entry in "${stopped[@]}"; do
    for i in $(seq 1 50); do kill -0 "${entry#*:}" 2>/dev/null || break; sleep 0.1; done
    kill -9 "${entry#*:}" 2>/dev/null || true
    echo "${entry%%:*} stopped"
  done
}

status() {
  local name pid
  for name in nats-1 nats-2 nats-3 writer $(replica_names) nginx; do
    pid="$CLUSTER_DIR/$name.pid"
    if started "$name" "$pid"; then echo "$name: runs (pid $(cat "$pid"))"; else echo "$name: stopped"; fi
  done
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  configure) configure ;;
  *) echo "usage: $0 up|down|status|configure" >&2; exit 2 ;;
esac
