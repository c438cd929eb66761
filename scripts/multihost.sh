#!/usr/bin/env bash
# Multi-host test of the swarm: four "hosts" in network namespaces of their own, joined by a
# bridge in a fifth namespace, each with its own address on 10.77.0.0/24 and no loopback
# shortcut between them (the nodes listen on their host's 10.77.0.x only, mDNS off).
#
#   h1 10.77.0.1  the bootstrap registry (fixed key of docker/compose.yaml, port 4100)
#   h2 10.77.0.2  agent "ingest": the one that announces the tasks
#   h3 10.77.0.3  agent analytics:expert + viz:intermediate
#   h4 10.77.0.4  agent analytics:advanced + viz:expert
#
# Agents are configured through SWARM_* variables as in the containers. Tasks needing analytics
# and viz are announced on h2 (`swarm-node announce --wait --json` against h2's control API on
# 127.0.0.1 inside its namespace): groups must form with members on other hosts, and the
# results must come back. Then h3 is cut off (its link on the bridge goes down): new tasks must
# complete without it. Then the registry's host is cut off too: a task must still complete.
#
# Needs root (ip netns). Cleans up everything on exit, also on failure. The last line is
#   MULTIHOST_RESULT <json>
# with what was observed; test/multihost/multihost.test.ts runs this script and checks it.
# Usage: bash scripts/multihost.sh        (MULTIHOST_KEEP_LOGS=1 keeps the node logs)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
NODE="$ROOT/node_modules/.bin/node"
CLI="$ROOT/packages/cli/bin/swarm-node.js"
HANDLER="$ROOT/docker/handlers/demo.mjs"
COMPOSE="$ROOT/docker/compose.yaml"

# Unique names per run (interface names are at most 15 characters).
TAG="sw$(( $$ % 100000 ))"
NET_NS="${TAG}-net"
HOSTS=(1 2 3 4)
WORK="$(mktemp -d "${TMPDIR:-/tmp}/swarm-multihost-$$-XXXX")"
PIDS=()
START=$(date +%s)

log () { printf '[multihost %3ds] %s\n' "$(( $(date +%s) - START ))" "$*" >&2; }
fail () {
  log "FAIL: $*"
  exit 1
}
ns () { echo "${TAG}-h$1"; }

cleanup () {
  local code=$?
  set +e
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  if [ "$code" -ne 0 ]; then
    for i in "${HOSTS[@]}"; do
      [ -f "$WORK/h$i.out" ] && { echo "--- h$i output (last lines)"; tail -n 15 "$WORK/h$i.out"; } >&2
      [ -f "$WORK/h$i/node.log" ] && { echo "--- h$i node.log (last warnings)"; grep -E '"level":"(warn|error)"' "$WORK/h$i/node.log" | tail -n 5; } >&2
    done
  fi
  for i in "${HOSTS[@]}"; do
    ip netns del "$(ns "$i")" 2>/dev/null
    ip link del "${TAG}v$i" 2>/dev/null
  done
  ip netns del "$NET_NS" 2>/dev/null
  if [ "${MULTIHOST_KEEP_LOGS:-}" = "1" ]; then log "logs kept in $WORK"; else rm -rf "$WORK"; fi
  log "cleaned up (exit $code)"
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- preconditions --------------------------------------------------------------------------
[ -x "$NODE" ] || fail "no $NODE: run npm ci first"
[ -f "$ROOT/packages/cli/dist/src/main.js" ] || fail "the CLI is not built: run npm run build first"
command -v ip >/dev/null || fail "the ip command (iproute2) is missing: apt-get install iproute2"
if ! ip netns add "$NET_NS" 2>"$WORK/netns.err"; then
  fail "cannot create network namespaces ($(cat "$WORK/netns.err")): run as root (or with CAP_SYS_ADMIN and CAP_NET_ADMIN)"
fi

# The registry's fixed key and peer id come from docker/compose.yaml: the same known address.
REGISTRY_KEY="$(sed -n 's/^ *SWARM_PEER_KEY: *//p' "$COMPOSE" | head -n 1)"
REGISTRY_ID="$(sed -n 's|^ *SWARM_BOOTSTRAP: */dns4/registry/tcp/4100/p2p/||p' "$COMPOSE" | head -n 1)"
[ -n "$REGISTRY_KEY" ] && [ -n "$REGISTRY_ID" ] || fail "no SWARM_PEER_KEY / SWARM_BOOTSTRAP in $COMPOSE"
BOOTSTRAP="/ip4/10.77.0.1/tcp/4100/p2p/$REGISTRY_ID"

# --- network ----------------------------------------------------------------------------------
log "creating the bridge namespace $NET_NS and hosts $(ns 1) .. $(ns 4)"
ip -n "$NET_NS" link add br0 type bridge
ip -n "$NET_NS" link set br0 up
for i in "${HOSTS[@]}"; do
  ip netns add "$(ns "$i")"
  ip link add "${TAG}v$i" type veth peer name "${TAG}b$i"
  ip link set "${TAG}v$i" netns "$(ns "$i")"
  ip link set "${TAG}b$i" netns "$NET_NS"
  ip -n "$(ns "$i")" link set "${TAG}v$i" name eth0
  ip -n "$(ns "$i")" addr add "10.77.0.$i/24" dev eth0
  ip -n "$(ns "$i")" link set eth0 up
  ip -n "$(ns "$i")" link set lo up
  ip -n "$NET_NS" link set "${TAG}b$i" master br0
  ip -n "$NET_NS" link set "${TAG}b$i" up
done

# --- nodes ------------------------------------------------------------------------------------
# start <host> <env assignments...> -- <swarm-node args...>
start () {
  local i=$1; shift
  local envs=()
  while [ "$1" != "--" ]; do envs+=("$1"); shift; done
  shift
  ip netns exec "$(ns "$i")" env "${envs[@]}" SWARM_DATA_DIR="$WORK/h$i" SWARM_MDNS=false \
    "$NODE" "$CLI" "$@" --listen "/ip4/10.77.0.$i/tcp/${PORT:-4001}" --json >"$WORK/h$i.out" 2>&1 &
  PIDS+=("$!")
}

exec_for () { echo "$1=$NODE $HANDLER $1"; }

log "starting the registry on h1 and agents on h2, h3, h4"
PORT=4100 start 1 SWARM_PEER_KEY="$REGISTRY_KEY" -- registry --api-port 7500
start 2 SWARM_BOOTSTRAP="$BOOTSTRAP" SWARM_NAME=ingest SWARM_SKILLS=ingest:novice "SWARM_EXEC=$(exec_for ingest)" -- start
start 3 SWARM_BOOTSTRAP="$BOOTSTRAP" SWARM_NAME=h3 SWARM_SKILLS=analytics:expert,viz:intermediate "SWARM_EXEC=$(exec_for analytics);$(exec_for viz)" -- start
start 4 SWARM_BOOTSTRAP="$BOOTSTRAP" SWARM_NAME=h4 SWARM_SKILLS=analytics:advanced,viz:expert "SWARM_EXEC=$(exec_for analytics);$(exec_for viz)" -- start

# The peer id a node printed in its "started" line.
peer_of () {
  local i=$1
  for _ in $(seq 1 150); do
    if grep -q '"event":"started"' "$WORK/h$i.out" 2>/dev/null; then
      grep -m 1 '"event":"started"' "$WORK/h$i.out" | grep -o '"peerId":"[^"]*"' | cut -d '"' -f 4
      return 0
    fi
    kill -0 "${PIDS[$((i - 1))]}" 2>/dev/null || { cat "$WORK/h$i.out" >&2; fail "the node on h$i exited"; }
    sleep 0.2
  done
  fail "the node on h$i did not start within 30 s"
}
declare -A PEER
for i in "${HOSTS[@]}"; do PEER[$i]="$(peer_of "$i")"; log "h$i: ${PEER[$i]}"; done
[ "${PEER[1]}" = "$REGISTRY_ID" ] || fail "the registry's peer id ${PEER[1]} is not the one of docker/compose.yaml ($REGISTRY_ID)"

cli () { local i=$1; shift; ip netns exec "$(ns "$i")" env SWARM_DATA_DIR="$WORK/h$i" "$NODE" "$CLI" "$@"; }

# Nothing listens on loopback: every node's addresses are its host's 10.77.0.x only.
for i in "${HOSTS[@]}"; do
  cli "$i" status --json >"$WORK/status$i.json" || fail "swarm-node status on h$i failed"
  "$NODE" -e '
    const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))
    const bad = s.addrs.filter(a => !a.startsWith(`/ip4/10.77.0.${process.argv[2]}/tcp/`))
    if (bad.length > 0 || s.addrs.length === 0) { console.error(`h${process.argv[2]} advertises ${s.addrs.join(" ")}`); process.exit(1) }
  ' "$WORK/status$i.json" "$i" || fail "h$i listens elsewhere than on 10.77.0.$i"
done

# Waits until the agent on host $1 knows agents $2... (peer ids) through the registry.
wait_agents () {
  local i=$1; shift
  local deadline=$(( $(date +%s) + 30 ))
  while [ "$(date +%s)" -le "$deadline" ]; do
    cli "$i" agents --json >"$WORK/agents$i.json" 2>/dev/null || true
    if "$NODE" -e '
      const a = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8") || "{}")
      const list = Array.isArray(a) ? a : a.agents ?? []
      const known = new Set(list.map(x => x.peerId))
      process.exit(process.argv.slice(2).every(p => known.has(p)) ? 0 : 1)
    ' "$WORK/agents$i.json" "$@" 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  fail "h$i did not learn the agents $* within 30 s"
}
log "waiting until the agents know each other through the registry"
wait_agents 2 "${PEER[3]}" "${PEER[4]}" "${PEER[1]}"
wait_agents 3 "${PEER[2]}" "${PEER[4]}"
wait_agents 4 "${PEER[2]}" "${PEER[3]}"
# The registry answers "who has skill viz" for anyone that asks.
cli 1 agents --skill viz:expert --json >"$WORK/registry-viz.json" || fail "swarm-node agents on the registry failed"

# announce <label> <analytics level> <viz level>: a task from h2; records the completed outcome.
TASKS=()
announce () {
  local label=$1 code=0
  cli 2 announce "multihost $label" --skill "analytics:$2" --skill "viz:$3" \
    --input-json '{"values":[2,4,9],"text":"Across hosts. Through the bridge."}' \
    --deadline 30s --timeout 40s --wait --json >"$WORK/task-$label.jsonl" 2>"$WORK/task-$label.err" || code=$?
  [ "$code" -eq 0 ] || { cat "$WORK/task-$label.jsonl" "$WORK/task-$label.err" | tail -n 20 >&2; fail "task $label ended with exit code $code"; }
  TASKS+=("$label")
  log "task $label completed: $("$NODE" -e '
    const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(l => JSON.parse(l))
    const done = lines.find(e => e.type === "completed")
    console.log((done?.outcome?.members ?? []).map(m => m.peerId.slice(-6) + ":" + m.skills.join("+")).join(" "))
  ' "$WORK/task-$label.jsonl")"
}

# Only h3 is an analytics expert and only h4 a viz expert: the group spans both hosts.
log "announcing 2 tasks from h2 with everything connected"
announce before-1 expert expert
announce before-2 expert expert

log "cutting h3 off (its link on the bridge goes down)"
ip -n "$NET_NS" link set "${TAG}b3" down
announce cut-1 novice novice
announce cut-2 novice novice
announce cut-3 novice novice

log "cutting the registry's host h1 off as well"
ip -n "$NET_NS" link set "${TAG}b1" down
announce no-registry novice novice

# --- result -----------------------------------------------------------------------------------
"$NODE" -e '
  const fs = require("fs")
  const [work, peersJson, ...labels] = process.argv.slice(1)
  const peers = JSON.parse(peersJson)
  const hostOf = Object.fromEntries(Object.entries(peers).map(([h, p]) => [p, h]))
  const tasks = labels.map(label => {
    const events = fs.readFileSync(`${work}/task-${label}.jsonl`, "utf8").trim().split("\n").map(l => JSON.parse(l))
    const done = events.find(e => e.type === "completed")
    const o = done?.outcome ?? {}
    return {
      label,
      status: o.status ?? null,
      members: (o.members ?? []).map(m => ({ host: hostOf[m.peerId] ?? "unknown", skills: m.skills })),
      output: o.output ?? null
    }
  })
  const viz = JSON.parse(fs.readFileSync(`${work}/registry-viz.json`, "utf8"))
  const registryViz = (Array.isArray(viz) ? viz : viz.agents ?? []).map(a => hostOf[a.peerId] ?? "unknown")
  console.log("MULTIHOST_RESULT " + JSON.stringify({ announcer: "h2", cut: ["h3", "h1"], registryViz, tasks }))
' "$WORK" "{\"h1\":\"${PEER[1]}\",\"h2\":\"${PEER[2]}\",\"h3\":\"${PEER[3]}\",\"h4\":\"${PEER[4]}\"}" "${TASKS[@]}"
log "done in $(( $(date +%s) - START )) s"
