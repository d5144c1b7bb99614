#!/usr/bin/env bash
# The sample app against a local fake Azure, with the environment the AKS workload identity webhook injects.
#
#   samples/demo.sh                   build, start the fake Azure and the sample, call each service, then keep
#                                     running
#   samples/demo.sh --smoke           the same flow once; exits 0 only if the greeting came from Key Vault at
#                                     startup, Key Vault, Blob and Service Bus all accepted the workload-identity
#                                     token and health is UP
#   samples/demo.sh --two-identities  two identities in one pod: the fake Azure gives Blob a role only for a
#                                     second identity, blob-writer, and Key Vault and Service Bus a role only for
#                                     the pod's; the sample runs with the two-identities profile
#                                     (SPRING_PROFILES_ACTIVE=two-identities, BLOB_WRITER_CLIENT_ID) and the demo
#                                     shows which identity each service saw. With --smoke as well (in either
#                                     order) it exits 0 only if, in addition, health shows blob-writer UP.
#                                     BLOB_WRITER_CLIENT_ID=<client ID> in the environment replaces blob-writer's
#                                     client ID, to see what a wrong one does.
#
# Needs Java 17+ and Node.js 20+ with npm (for Azurite, the Azure Storage emulator). Everything runs on
# 127.0.0.1; every process this script starts is stopped when it exits.
set -euo pipefail

smoke=false
two_identities=false
for arg in "$@"; do
  case "$arg" in
    --smoke) smoke=true ;;
    --two-identities) two_identities=true ;;
    *) echo "usage: samples/demo.sh [--smoke] [--two-identities]" >&2; exit 2 ;;
  esac
done
# Only the two-identities run reads it; taken before anything else can set it.
blob_writer_override=${BLOB_WRITER_CLIENT_ID:-}

root=$(cd "$(dirname "$0")/.." && pwd)
work="$root/samples/target/demo"
cd "$root"

for tool in java node npm curl; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "demo.sh needs $tool on the PATH (Java 17+, Node.js 20+ with npm, curl)." >&2
    exit 1
  }
done

say() { printf '\n==> %s\n' "$*"; }

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Waits up to $2 seconds for command $1 to succeed; fails naming the log to read.
wait_for() {
  local check=$1 seconds=$2 what=$3 log=$4
  for _ in $(seq "$((seconds * 4))"); do
    if eval "$check"; then return 0; fi
    for pid in "${pids[@]}"; do
      kill -0 "$pid" 2>/dev/null || { echo "$what exited; its log ($log):" >&2; tail -n 40 "$log" >&2; exit 1; }
    done
    sleep 0.25
  done
  echo "$what was not ready within ${seconds}s; its log ($log):" >&2
  tail -n 40 "$log" >&2
  exit 1
}

say "Building the starter, the fake Azure and the sample (./mvnw package)"
./mvnw -B -q package -DskipTests
# The build installs Azurite from test-support/azurite/package-lock.json when it is missing.
./mvnw -B -q -pl test-support initialize
mkdir -p "$work"
# The exec plugin (pinned by the build, which runs it to install Azurite) prints the runtime classpath.
./mvnw -B -q -pl test-support exec:exec -Dexec.executable=echo -Dexec.args=%classpath \
  -Dexec.outputFile="$work/fake-azure.classpath"
rm -f "$work/ready"

say "Starting the fake Azure: Entra token endpoint, Key Vault, Azurite (Blob) and Service Bus"
fake_azure_args=("$work")
if $two_identities; then fake_azure_args+=(--two-identities); fi
java -cp "$(cat "$work/fake-azure.classpath")" \
  -Dfake-azure.azurite-home="$root/test-support/azurite" \
  dev.workloadidentity.spring.testsupport.FakeAzureMain "${fake_azure_args[@]}" >"$work/fake-azure.log" 2>&1 &
pids+=($!)
wait_for '[ -f "$work/ready" ]' 90 "The fake Azure" "$work/fake-azure.log"
# Three lines: endpoints, federated credentials, role assignments; then the traffic.
head -n 3 "$work/fake-azure.log"

say "Environment the AKS webhook would inject into the pod"
sed 's/^export /  /' "$work/pod.env"
if [ -n "${WORKLOADIDENTITY_CLIENTID:-}" ]; then
  # Spring's relaxed name for workload-identity.client-id, which wins over the webhook's AZURE_CLIENT_ID.
  echo "  WORKLOADIDENTITY_CLIENTID='$WORKLOADIDENTITY_CLIENTID' (from your environment; the app signs in with" \
    "this client ID instead of AZURE_CLIENT_ID)"
fi

if $two_identities; then
  # shellcheck disable=SC1091
  fake_blob_writer=$(source "$work/identities.env" && echo "$BLOB_WRITER_CLIENT_ID")
  blob_writer_client_id=${blob_writer_override:-$fake_blob_writer}
  say "Configuration for the second identity (the webhook injects only the pod's client ID)"
  echo "  SPRING_PROFILES_ACTIVE='two-identities'"
  if [ "$blob_writer_client_id" = "$fake_blob_writer" ]; then
    echo "  BLOB_WRITER_CLIENT_ID='$blob_writer_client_id' (blob-writer, federated to the same service account)"
  else
    echo "  BLOB_WRITER_CLIENT_ID='$blob_writer_client_id' (from your environment; the fake Azure's blob-writer is" \
      "'$fake_blob_writer')"
  fi
  say "Starting the sample app with that environment and the two-identities profile"
else
  say "Starting the sample app with that environment"
fi
(
  # shellcheck disable=SC1091
  source "$work/pod.env"
  if $two_identities; then
    export SPRING_PROFILES_ACTIVE=two-identities BLOB_WRITER_CLIENT_ID="$blob_writer_client_id"
  fi
  # shellcheck disable=SC2046
  exec java $(cat "$work/java-options") -jar samples/target/workload-identity-spring-boot-sample-*.jar \
    --spring.config.additional-location="file:$work/fake-azure.properties" --server.port=0 \
    --server.address=127.0.0.1
) >"$work/sample.log" 2>&1 &
pids+=($!)
port_of_sample() { grep -oE 'Tomcat started on port [0-9]+' "$work/sample.log" | grep -oE '[0-9]+$' | head -n 1; }
wait_for '[ -n "$(port_of_sample)" ]' 120 "The sample app" "$work/sample.log"
app="http://127.0.0.1:$(port_of_sample)"

say "GET $app/greeting (a property the Key Vault property source loaded at startup)"
greeting=$(curl -sS "$app/greeting" || true)
expected_greeting=$(cat "$work/greeting")
echo "  $greeting"
grep -m 1 "Property 'greeting' from property source" "$work/sample.log" | sed -E 's/^.* : /  log: /' || true
greeting_ok=$([ "$greeting" = "$expected_greeting" ] && echo yes || echo no)
if [ "$greeting_ok" = no ]; then echo "  expected: $expected_greeting"; fi

say "GET $app/actuator/health"
health=$(curl -sS "$app/actuator/health")
if command -v python3 >/dev/null 2>&1; then echo "$health" | python3 -m json.tool; else echo "$health"; fi

if $two_identities; then
  say "GET $app/actuator/health/workloadIdentity/blob-writer (the second identity's own component)"
  blob_writer_health=$(curl -sS "$app/actuator/health/workloadIdentity/blob-writer")
  if command -v python3 >/dev/null 2>&1; then echo "$blob_writer_health" | python3 -m json.tool
  else echo "$blob_writer_health"; fi
  say "GET $app/service-calls (Blob signs in as blob-writer, Key Vault and Service Bus as the pod's identity)"
else
  say "GET $app/service-calls (each call authenticates with the pod's workload identity)"
fi
calls=$(curl -sS "$app/service-calls")
echo "$calls" | sed 's/},{/}\n{/g; s/^\[//; s/\]$//' | sed -E \
  's/.*"service":"([^"]*)","ok":(true|false),"detail":"(.*)"}$/  \1: \2 - \3/; s/: true -/: OK   -/; s/: false -/: FAIL -/'

say "What the fake Azure saw (tokens are checked, never printed)"
sleep 0.5
traffic=$(tail -n +4 "$work/fake-azure.log" | grep -E '^\[fake' || true)
if [ -n "$traffic" ]; then echo "$traffic"; fi

# The callers the fake named in the traffic lines containing $1, each with the statuses it was answered.
callers_of() {
  grep -F "$1" <<<"$traffic" | grep -oE -- '-> [0-9]+, client [0-9a-f-]+( \([^)]*\))?' | awk '
    { status = $2; sub(/,$/, "", status); who = $0; sub(/^-> [0-9]+, /, "", who) }
    !(who in statuses) { order[++n] = who; statuses[who] = status; seen[who, status]; next }
    !((who, status) in seen) { statuses[who] = statuses[who] ", " status; seen[who, status] }
    END {
      for (i = 1; i <= n; i++) printf "%s%s, answered %s", (i > 1) ? "; " : "", order[i], statuses[order[i]]
      if (n == 0) printf "no request with a valid token"
    }'
}
if $two_identities; then
  say "Which identity each service saw"
  echo "  Key Vault:   $(callers_of '[fake Key Vault]')"
  echo "  Blob:        $(callers_of '[fake Blob]')"
  echo "  Service Bus: $(callers_of '[fake Service Bus] put-token')"
fi

count() { grep -o "$1" <<<"$2" | wc -l || true; }
ok=$(count '"ok":true' "$calls")
failed=$(count '"ok":false' "$calls")
# The overall status is the last member of the health document.
health_up=$(grep -qE '"status":"UP"\}$' <<<"$health" && echo yes || echo no)
echo
if $two_identities; then
  blob_writer_up=$(grep -qE '"status":"UP"\}$' <<<"$blob_writer_health" && echo yes || echo no)
  if [ "$greeting_ok" = yes ] && [ "$ok" -eq 3 ] && [ "$failed" -eq 0 ] && [ "$health_up" = yes ] \
    && [ "$blob_writer_up" = yes ]; then
    echo "RESULT: the greeting property came from Key Vault at startup; Key Vault and Service Bus accepted the pod's"
    echo "        identity and Blob Storage accepted blob-writer, each the only identity with a role there; health"
    echo "        is UP, blob-writer's component included."
    result=0
  else
    echo "RESULT: FAILED (greeting from Key Vault: $greeting_ok, $ok of 3 service calls succeeded, health UP:" \
      "$health_up, blob-writer UP: $blob_writer_up). Logs: $work/sample.log, $work/fake-azure.log"
    if [ "$blob_writer_client_id" != "$fake_blob_writer" ]; then
      echo "        The app's blob-writer was BLOB_WRITER_CLIENT_ID='$blob_writer_client_id', not the fake Azure's"
      echo "        blob-writer ('$fake_blob_writer'), the only identity with a role on its storage account."
    fi
    result=1
  fi
elif [ "$greeting_ok" = yes ] && [ "$ok" -eq 3 ] && [ "$failed" -eq 0 ] && [ "$health_up" = yes ]; then
  echo "RESULT: the greeting property came from Key Vault at startup; Key Vault, Blob Storage and Service Bus all"
  echo "        accepted the workload-identity token; health is UP."
  result=0
else
  echo "RESULT: FAILED (greeting from Key Vault: $greeting_ok, $ok of 3 service calls succeeded, health UP:" \
    "$health_up). Logs: $work/sample.log, $work/fake-azure.log"
  result=1
fi

if $smoke; then
  exit "$result"
fi

say "The demo keeps running. Try:"
echo "  curl $app/greeting"
echo "  curl $app/service-calls"
echo "  curl $app/actuator/health/workloadIdentity"
if $two_identities; then echo "  curl $app/actuator/health/workloadIdentity/blob-writer"; fi
echo "Logs: $work/sample.log and $work/fake-azure.log. Press Ctrl-C to stop everything."
tail -n 0 -f "$work/fake-azure.log" &
pids+=($!)
wait "${pids[0]}"
