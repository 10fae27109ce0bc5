#!/usr/bin/env bash
# Copies the Apache Kafka broker's jars and their runtime dependencies (see pom.xml beside
# this file) into the cache folder the Kafka tests and the bench start the broker from:
# ${SYMBOLON_KAFKA_HOME:-$HOME/.cache/symbolon/kafka-VERSION}/jars. Reused when complete.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/pom.xml")"
dest="${SYMBOLON_KAFKA_HOME:-$HOME/.cache/symbolon/kafka-$version}"
if [ -f "$dest/.complete" ]; then
  echo "kafka $version broker jars: $dest (cached)"
  exit 0
fi
command -v mvn >/dev/null 2>&1 || { echo "kafka broker fetch needs Maven (apt-get install maven)" >&2; exit 1; }
command -v java >/dev/null 2>&1 || { echo "kafka broker fetch needs Java 17 (apt-get install openjdk-17-jre-headless)" >&2; exit 1; }
rm -rf "$dest.tmp"
mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$dest.tmp/jars"
rm -rf "$dest"
mv "$dest.tmp" "$dest"
touch "$dest/.complete"
echo "kafka $version broker jars: $dest"
