#!/usr/bin/env bash
# Records the classes the sandbox worker JVM loads to run RUN steps, and those the build's own
# JVM loads to pull a base, extract it and drive the worker, for the launcher's CDS training
# (whose builds have no RUN: no namespaces needed): builder/cds/worker-classes.lst.
#   builder/cds/record-worker-classes.sh [REGISTRY]   (default 127.0.0.1:5000, plain HTTP,
#                                                      holding REGISTRY/busybox:latest)
# Run it where RUN works (as root, or rootless with a subordinate id range).
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
reg=${1:-127.0.0.1:5000}
jar="$here/builder/target/jbuild-builder-0.1.0-SNAPSHOT-cli.jar"
"$here/jbuild" --version >/dev/null   # builds the jar when stale
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
mkdir "$t/ctx"
# new files, a file over 1 MiB (the compressibility check), deleted and changed base files
# (whiteouts, copy-ups), a chown, a here-document and a cache mount
cat > "$t/ctx/Dockerfile" <<DOCKERFILE
FROM $reg/busybox:latest
RUN mkdir -p /srv/d && for i in 1 2 3 4 5; do echo \$i > /srv/d/f\$i; done && head -c 2000000 /dev/urandom > /srv/big
RUN rm -rf /srv/big /etc/group && echo x >> /etc/passwd && chown -R 1000:1000 /srv/d
RUN --mount=type=cache,target=/cache <<EOT
echo cached > /cache/x && cp /cache/x /srv/x
EOT
DOCKERFILE
java -XX:DumpLoadedClassList="$t/pull.lst" -Djbuild.sandbox.classList="$t/worker-pull.lst" \
  -jar "$jar" pull --root "$t/root" --insecure-registry "$reg" "$reg/busybox:latest" >/dev/null 2>&1
java -XX:DumpLoadedClassList="$t/build.lst" -Djbuild.sandbox.classList="$t/worker.lst" \
  -jar "$jar" build --root "$t/root" --progress plain \
  --insecure-registry "$reg" -t cds-training:1 "$t/ctx" >/dev/null 2>&1
{
  echo "# Classes of jbuild's sandbox worker (RUN steps) and of the build's JVM that drives it, recorded"
  echo "# by record-worker-classes.sh against $reg; appended to the launcher's CDS training list."
  echo "# Regenerate when the sandbox code moves."
  cat "$t/worker-pull.lst" "$t/worker.lst" "$t/pull.lst" "$t/build.lst" | grep -v '^#' | awk '!seen[$0]++'
} > "$here/builder/cds/worker-classes.lst"
wc -l "$here/builder/cds/worker-classes.lst"
