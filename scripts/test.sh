#!/usr/bin/env bash
# Runs every test: installs what the tests need from Debian's packages, builds, runs the unit and integration
# tests, then the external contract checks (../shared/contracts/check) when they are beside the project.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# Debian packages the tests use (python3 for the contract checks).
need=()
command -v python3 >/dev/null || need+=(python3)
command -v curl >/dev/null || need+=(curl)
command -v flock >/dev/null || need+=(util-linux)
command -v mount >/dev/null || need+=(mount)
command -v chattr >/dev/null || need+=(e2fsprogs)   # the data-directory fault tests (a tmpfs made full or immutable)
command -v clang >/dev/null || command -v gcc >/dev/null || need+=(gcc)   # links the native build of `parse`
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# Servers the integration tests need (PostgreSQL, NATS, slapd, MariaDB, Chromium …): each script in
# scripts/services/ installs its server from Debian's packages, starts it on 127.0.0.1 and exports how to reach
# it (GUMSHOE_TEST_* variables). A test whose server is missing fails; none is skipped silently.
for svc in scripts/services/*.sh; do
  [ -f "$svc" ] || continue
  echo "starting $(basename "$svc" .sh)…"
  # shellcheck source=/dev/null
  source "$svc"
done

dotnet build Gumshoe.sln -c Debug --nologo -v quiet
# the native build of `parse` (Native AOT, about a minute), before the tests rather than inside one of them;
# required: a failed native build fails the run instead of falling back to the portable build
GUMSHOE_NATIVE=required ./gumshoe parse --parser sshd /dev/null >/dev/null
results="$root/.build/test-results"
rm -rf "$results"; mkdir -p "$results"
status=0
dotnet test Gumshoe.sln -c Debug --no-build --nologo --logger "trx" --results-directory "$results" -- RunConfiguration.TestSessionTimeout=2400000 || status=$?

# Totals over every test project, as one plain line.
passed=0; failed=0; skipped=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  read -r p f s < <(python3 - "$trx" <<'PY'
import sys, xml.etree.ElementTree as ET
c = ET.parse(sys.argv[1]).getroot().find('{http://microsoft.com/schemas/VisualStudio/TeamTest/2010}ResultSummary/{http://microsoft.com/schemas/VisualStudio/TeamTest/2010}Counters')
print(c.get('passed'), int(c.get('failed')) + int(c.get('error')) + int(c.get('timeout')) + int(c.get('aborted')), c.get('notExecuted'))
PY
)
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
done

contracts=0
if [ -x ../shared/contracts/check ]; then
  ./gumshoe version >/dev/null
  ../shared/contracts/check || contracts=$?
fi

# The crash, rotation and restart soak, short setting: a few SIGKILLs during rotations of a steadily written log;
# the alerts file must equal a replay of every line written (0 lost, 0 duplicated).
soak=0
dotnet run --project tools/Gumshoe.Soak -c Release -- --lines 30000 --kills 4 --rate 1000 --work "$root/.build/soak" || soak=$?
if [ "$soak" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi

echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ] && [ "$contracts" -eq 0 ] && [ "$soak" -eq 0 ]
