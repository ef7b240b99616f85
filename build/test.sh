#!/usr/bin/env bash
# Builds everything (warnings are errors in src/ and tests/) and runs every test project.
# Ends with one line "N passed, N failed" summed over all test projects, so a run that
# executed no test shows it. Exit code: non-zero on any build error or failing test.
set -uo pipefail
cd "$(dirname "$0")/.."

configuration="${CONFIGURATION:-Release}"
results="artifacts/test-results"
rm -rf "$results"

dotnet build GradientGuard.sln -c "$configuration" -nologo -clp:ErrorsOnly || { echo "0 passed, 0 failed: build failed"; exit 1; }

status=0
for project in tests/*/*.csproj; do
  name=$(basename "$project" .csproj)
  dotnet test "$project" -c "$configuration" --no-build -nologo \
    --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=minimal" --results-directory "$results" || status=1
done

passed=0; failed=0; files=0
for trx in "$results"/*.trx; do
  [ -e "$trx" ] || continue
  files=$((files + 1))
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
done
if [ "$files" -eq 0 ] || [ "$passed" -eq 0 ]; then status=1; fi
echo "$passed passed, $failed failed"
exit "$status"
