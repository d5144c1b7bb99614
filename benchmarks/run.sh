#!/bin/sh
# Runs the benchmarks against the fake Azure on 127.0.0.1 (about 4 to 5 minutes) and prints a markdown table.
# Extra arguments go to Maven, e.g. -o to stay offline, or -Dbenchmark.calls=20000 (see benchmarks/README.md).
set -eu
cd "$(dirname "$0")/.."
exec ./mvnw -B -q -pl benchmarks -am verify -DskipTests -Pbenchmark "$@"
