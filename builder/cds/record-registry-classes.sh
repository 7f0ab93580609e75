#!/usr/bin/env bash
# Records the classes jbuild loads to pull from and push to a registry, for the launcher's CDS
# training (which has no registry to talk to): builder/cds/registry-classes.lst.
#   builder/cds/record-registry-classes.sh [REGISTRY]   (default 127.0.0.1:5000, plain HTTP,
#                                                        holding REGISTRY/busybox:latest)
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
reg=${1:-127.0.0.1:5000}
jar="$here/builder/target/jbuild-builder-0.1.0-SNAPSHOT-cli.jar"
"$here/jbuild" --version >/dev/null   # builds the jar when stale
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
mkdir "$t/ctx" && printf 'FROM %s/busybox:latest\nCOPY f /f\n' "$reg" > "$t/ctx/Dockerfile" && echo x > "$t/ctx/f"
for tls in "--insecure-registry $reg" ""; do   # both ways of reaching a plain-HTTP registry
  java -XX:DumpLoadedClassList="$t/pull.lst" -jar "$jar" pull --root "$t/root" $tls "$reg/busybox:latest" >/dev/null
  java -XX:DumpLoadedClassList="$t/push.lst" -jar "$jar" build --root "$t/root" --progress plain $tls --push \
    -t "$reg/jbuild-cds-training/img:$RANDOM" "$t/ctx" >/dev/null 2>&1
  cat "$t/pull.lst" "$t/push.lst" >> "$t/all.lst"
  rm -rf "$t/root"
done
{
  echo "# Classes of jbuild's registry path (pull, build --push), recorded by record-registry-classes.sh"
  echo "# against $reg; appended to the launcher's CDS training list. Regenerate when the registry code moves."
  grep -v '^#' "$t/all.lst" | awk '!seen[$0]++'
} > "$here/builder/cds/registry-classes.lst"
wc -l "$here/builder/cds/registry-classes.lst"
