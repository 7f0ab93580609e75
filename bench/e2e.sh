#!/bin/bash
# End-to-end benchmark (issue 7): jbuild next to buildah on every case of bench/cases, as root
# and as an unprivileged user, in alternation, several rounds. Writes bench/RESULTS.md (medians,
# min–max, jbuild/buildah ratio per pair of runs) and bench/ratios.png.
#
#   sudo RUNS=5 bench/e2e.sh              run everything (from the checkout, as root)
#   sudo bench/e2e.sh report [RAW]        rewrite RESULTS.md and the chart from a raw file
#
# env: RUNS=5 rounds · CASES="java-app run-heavy multi-stage big-context noop-rebuild"
#      MODES="root rootless" · BENCH_USER=builder (the unprivileged user; needs /etc/subuid)
#      KIT=../shared/bench (storage-fs.sh, registry.sh, base-images.sh) · BENCH_FS=/var/tmp/bench-fs
#      STARTS=10 (`jbuild --version` runs per round) · OUT=bench/RESULTS.md · PNG=bench/ratios.png
#
# Per round, mode (root, rootless) and case, each tool in turn (jbuild first in odd rounds,
# buildah first in even ones), every timed command after `sync`:
#   pull     fresh state, the case's base image(s) pulled from the registry: both tools' pulls
#            store the image and extract its layers (buildah into its overlay storage, jbuild into
#            its layers/ for RUN steps), as docker pull does
#   cold     the build right after that pull
#   cached   the same build again: nothing changed, every step must be a cache hit (checked)
#   push     build (cached) and push to a repository new to the registry (…/bench/CASE-TOOL-MODE-rN);
#            buildah's blob-info cache is reset to its state after the base pull first, as in the
#            kit, so both tools really compress/upload the case layers and may mount the base
#   changed  one file of the context changed (CHANGE below), build; then the file is restored
# Measured with /usr/bin/time: wall s, CPU s (user+sys), peak RSS (largest process of the tree);
# image size = compressed layer bytes of the pushed manifest (skopeo).
# All builder state (jbuild --root, buildah --root/--runroot, TMPDIR) and the contexts live on the
# journaled ext4 of KIT/storage-fs.sh (the root fs has no journal: big deletes slow the next build).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
KIT=${KIT:-$(cd "$ROOT/../shared/bench" 2>/dev/null && pwd)}
RUNS=${RUNS:-5}
CASES=${CASES:-"java-app run-heavy multi-stage big-context noop-rebuild"}
MODES=${MODES:-"root rootless"}
BUSER=${BENCH_USER:-builder}
FS=${BENCH_FS:-/var/tmp/bench-fs}
STARTS=${STARTS:-10}
OUT=${OUT:-$ROOT/bench/RESULTS.md}
PNG=${PNG:-$ROOT/bench/ratios.png}
REG=127.0.0.1:5000
WORK=$FS/e2e
J=$ROOT/jbuild
PATH_CLEAN=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# The file changed for the "changed" rebuild, per case (relative to the context).
declare -A CHANGE=(
  [java-app]=app.jar                   # the application jar (16 bytes at 1 MiB overwritten); lib/ unchanged
  [run-heavy]=Dockerfile               # its last RUN gets "&& echo N > /srv/changed": only steps 6.. re-run
  [multi-stage]=assets/page123.html    # one line appended: stage-b's COPY and RUN, the final COPY --from re-run
  [big-context]=src/mod123/File40.java # one line appended to one of 24,500 copied files
  [noop-rebuild]=app/static/page123.js # one line appended: COPY app/static and the RUNs after it re-run
)

die() { echo "e2e.sh: $*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------
# report RAW: RESULTS.md and the chart from the raw records "tool mode case measure round value"
# ---------------------------------------------------------------------------------------------
report() {
  local raw=$1 meta=${2:-$WORK/meta.txt} tsv
  [ -s "$raw" ] || die "no raw records in $raw"
  # q TOOL MODE CASE MEASURE -> "median min max n" of the values over the rounds
  q() { awk -v t="$1" -v m="$2" -v c="$3" -v k="$4" '$1==t&&$2==m&&$3==c&&$4==k{print $6}' "$raw" | sort -g |
        awk '{a[NR]=$1} END{if(!NR){print "- - - 0";exit} printf "%s %s %s %d\n", (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2, a[1], a[NR], NR}'; }
  # qr MODE CASE MEASURE -> "median min max n" of jbuild/buildah over the rounds that have both
  qr() { awk -v m="$1" -v c="$2" -v k="$3" '$2==m&&$3==c&&$4==k{v[$1" "$5]=$6; r[$5]=1}
          END{for(i in r) if((("jbuild " i) in v) && (("buildah " i) in v) && v["buildah " i]>0) print v["jbuild " i]/v["buildah " i]}' "$raw" | sort -g |
         awk '{a[NR]=$1} END{if(!NR){print "- - - 0";exit} printf "%s %s %s %d\n", (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2, a[1], a[NR], NR}'; }
  fmt() { awk -v s="$1" -v d="${2:-2}" 'BEGIN{split(s,a," "); if(a[1]=="-"){print "–"; exit}
          f="%." d "f"; printf f " (" f "–" f ")", a[1], a[2], a[3]}'; }
  med() { echo "$1" | cut -d' ' -f1; }
  local modes cases rounds
  modes=$(awk '$2!="-"{print $2}' "$raw" | awk '!s[$0]++'); cases=$(awk '$3!="-"{print $3}' "$raw" | awk '!s[$0]++')
  rounds=$(awk '{print $5}' "$raw" | sort -u | wc -l)
  tsv=$(mktemp)
  {
    echo "# jbuild vs buildah: end to end (issue 7)"
    echo
    echo "Generated by \`bench/e2e.sh\` ($(grep -m1 '^generated' "$meta" 2>/dev/null | cut -d' ' -f2-)); $rounds round(s)."
    echo "Seconds of wall time, **median (min–max)** over the rounds; the ratio is jbuild/buildah per round"
    echo "(same round, same case, same mode, run one right after the other), median (min–max) of those ratios;"
    echo "below 1 means jbuild is faster; ×N = number of pairs. CPU s = user+sys of the whole process tree, medians."
    echo "The chart of the ratios: [ratios.png](ratios.png)."
    echo
    echo "Budget of issue 7: cold ≤ 0.5×, one-file-changed ≤ 0.5×, cached ≤ 1× (≤ 0.5× where buildah"
    echo "needs ≥ 1 s, and under 0.5 s after JVM start); JVM start < 0.3 s; peak RSS < 300 MB."
    for m in $modes; do
      echo
      echo "## $m$( [ "$m" = rootless ] && echo " (user \`$(grep -m1 '^user' "$meta" 2>/dev/null | cut -d' ' -f2)\`)")"
      echo
      echo "| case | measure | jbuild s | buildah s | jbuild/buildah | CPU s jbuild / buildah | budget |"
      echo "|---|---|---|---|---|---|---|"
      for c in $cases; do
        for k in pull cold cached changed push; do
          local js bs rs jc bc verdict=""
          js=$(q jbuild "$m" "$c" "$k"); bs=$(q buildah "$m" "$c" "$k"); rs=$(qr "$m" "$c" "$k")
          [ "$(med "$js")" = - ] && [ "$(med "$bs")" = - ] && continue
          jc=$(q jbuild "$m" "$c" "$k-cpu"); bc=$(q buildah "$m" "$c" "$k-cpu")
          local r; r=$(med "$rs")
          if [ "$r" != - ]; then
            case $k in
              cold|changed) verdict=$(awk -v r="$r" 'BEGIN{print (r<=0.5)?"≤ 0.5: met":"≤ 0.5: **missed**"}') ;;
              cached) local inj; inj=$(med "$(q jbuild "$m" "$c" cached-in-jvm)")
                verdict=$(awk -v r="$r" -v b="$(med "$bs")" -v i="$inj" 'BEGIN{lim=(b>=1)?0.5:1;
                  ok=(r<=lim)&&(i=="-"||i<0.5); printf "≤ %s, in-JVM %s s < 0.5: %s", lim, i, ok?"met":"**missed**"}') ;;
              pull|push) verdict="–" ;;
            esac
            printf '%s\t%s\t%s\t%s\n' "$m" "$c" "$k" "$rs" >> "$tsv"
          fi
          echo "| $c | $k | $(fmt "$js") | $(fmt "$bs") | $(fmt "$rs")$(echo "$rs" | awk '$4>0{printf " ×%d", $4}') | $(med "$jc") / $(med "$bc") | $verdict |"
        done
      done
      echo
      echo "| case | jbuild cached, inside the JVM (\"built … in X s\") | peak RSS MiB jbuild (cold / cached / changed / push) | buildah | image MB jbuild / buildah (all layers, compressed) |"
      echo "|---|---|---|---|---|"
      for c in $cases; do
        local rj="" rb="" k
        for k in cold cached changed push; do
          rj="$rj / $(med "$(q jbuild "$m" "$c" "$k-rss")")"; rb="$rb / $(med "$(q buildah "$m" "$c" "$k-rss")")"
        done
        echo "| $c | $(fmt "$(q jbuild "$m" "$c" cached-in-jvm)" 1) | ${rj# / } | ${rb# / } | $(med "$(q jbuild "$m" "$c" size-MB)") / $(med "$(q buildah "$m" "$c" size-MB)") |"
      done
    done
    echo
    echo "## JVM start-up (\`./jbuild --version\`, CDS archive mapped, $(grep -m1 '^starts' "$meta" 2>/dev/null | cut -d' ' -f2) runs per round, root)"
    echo
    echo "| measure | median (min–max) |"
    echo "|---|---|"
    echo "| wall s | $(fmt "$(q jbuild - - jvm-start)" 3) |"
    echo "| CPU s (user+sys) | $(fmt "$(q jbuild - - jvm-start-cpu)" 3) |"
    echo "| peak RSS MiB | $(fmt "$(q jbuild - - jvm-start-rss)" 0) |"
    local st rmax
    st=$(med "$(q jbuild - - jvm-start)")
    rmax=$(awk '$1=="jbuild" && $4 ~ /-rss$/ && $2!="-" {print $6}' "$raw" | sort -n | tail -1)
    echo
    echo "Budget: JVM start-up < 0.3 s: $(awk -v s="$st" 'BEGIN{print (s!="-" && s<0.3)?"met":"**missed**"}') ($st s);"
    echo "peak RSS < 300 MB over every jbuild build of this run: $(awk -v r="${rmax:-0}" 'BEGIN{print (r*1.048576<300)?"met":"**missed**"}') (largest ${rmax:-?} MiB)."
    if [ -f "$ROOT/bench/layer-throughput.txt" ]; then
      echo
      echo "## Layer writing throughput (big-context, \`bench/layer-throughput.sh\`, a separate run)"
      echo
      echo '```'
      cat "$ROOT/bench/layer-throughput.txt"
      echo '```'
    fi
    echo
    echo "## What changed in the one-file-changed rebuild"
    echo
    for c in $cases; do echo "- \`$c\`: \`${CHANGE[$c]:-?}\` — $(grep -m1 "^\s*\[$c\]=" "$0" | sed 's/.*# //')"; done
    echo
    echo "## Machine and run"
    echo
    echo '```'
    grep -v '^generated' "$meta" 2>/dev/null
    echo '```'
    echo
    echo "## Commands"
    echo
    echo "Per round, mode and case; \`W=$FS/WHO\` (WHO = root or the user; the rootless runs are the same"
    echo "commands under \`runuser -u USER -- env -i HOME=… PATH=… TMPDIR=\$W/tmp XDG_RUNTIME_DIR=/tmp/xdg-run-UID\`),"
    echo "\`CTX=$WORK/cases/CASE\` (a copy of bench/cases with the contexts of gen-contexts.sh), each timed"
    echo "command as \`sync; /usr/bin/time -f '%e %U %S %M' …\`:"
    echo
    echo '```'
    echo "# jbuild (fresh \$W/jbuild)"
    echo "./jbuild pull --root \$W/jbuild --insecure-registry $REG BASE…                        # pull (extracts the layers)"
    echo "./jbuild build --root \$W/jbuild --progress plain --iidfile F -t bench/CASE:jbuild CTX  # cold, cached, changed"
    echo "./jbuild build --root \$W/jbuild --progress plain --push --insecure-registry $REG -t $REG/bench/CASE-jbuild-MODE-rN CTX  # push"
    echo "# buildah, as the kit's run-buildah.sh (fresh storage)"
    echo "B='buildah --storage-driver overlay --root \$W/storage --runroot \$W/run'"
    echo "\$B pull -q --tls-verify=false BASE…                                                  # pull (extracts the layers)"
    echo "cp BLOB-INFO-CACHE SNAPSHOT                                                          # not timed"
    echo "\$B bud --layers --network none --runtime runc --tls-verify=false -q --iidfile F -t localhost/bench/CASE:latest CTX  # cold, cached, changed"
    echo "cp SNAPSHOT BLOB-INFO-CACHE   # not timed"
    echo "sh -c '\$B bud … CTX && \$B push -q --tls-verify=false localhost/bench/CASE:latest docker://$REG/bench/CASE-buildah-MODE-rN'  # push"
    echo "# size"
    echo "skopeo inspect --raw --tls-verify=false docker://$REG/bench/CASE-TOOL-MODE-rN | jq '[.layers[].size]|add'"
    echo '```'
    echo
    echo "## Raw records (tool mode case measure round value)"
    echo
    echo '<details><summary>raw</summary>'
    echo
    echo '```'; cat "$raw"; echo '```'
    echo
    echo '</details>'
  } > "$OUT"
  local jar=$ROOT/bench/target/benchmarks.jar
  if [ -f "$jar" ]; then
    java -Djava.awt.headless=true -cp "$jar" dev.jbuild.bench.RatioChart "$tsv" "$PNG" \
      || echo "e2e.sh: the chart failed" >&2
  else
    echo "e2e.sh: no $jar (./mvnw -o package -pl bench -am -DskipTests): no chart" >&2
  fi
  rm -f "$tsv"
  echo "wrote $OUT and $PNG" >&2
}

if [ "${1:-}" = report ]; then report "${2:-$WORK/raw.tsv}" "${3:-$WORK/meta.txt}"; exit; fi

# ---------------------------------------------------------------------------------------------
# setup
# ---------------------------------------------------------------------------------------------
[ "$(id -u)" = 0 ] || die "run as root (the rootless runs go through runuser -u $BUSER)"
[ -n "$KIT" ] && [ -x "$KIT/storage-fs.sh" ] || die "no benchmark kit (set KIT to shared/bench)"
id "$BUSER" >/dev/null 2>&1 || die "no user $BUSER: useradd -m $BUSER (it also gets an /etc/subuid range)"
grep -q "^$BUSER:" /etc/subuid || die "$BUSER has no /etc/subuid range"
command -v runc >/dev/null || die "buildah runs with --runtime runc as in the kit: apt-get install runc"
for t in buildah skopeo jq /usr/bin/time; do command -v "$t" >/dev/null || die "$t is missing"; done
BUID=$(id -u "$BUSER")
BHOME=$(getent passwd "$BUSER" | cut -d: -f6)

"$KIT/storage-fs.sh" up >/dev/null 2>&1; mountpoint -q "$FS" || die "storage-fs.sh up failed: no journaled fs at $FS"
"$KIT/registry.sh" start >/dev/null || die "registry.sh start failed"
"$KIT/base-images.sh" >/dev/null || die "base-images.sh failed"
for b in busybox debian-mini; do
  skopeo inspect --tls-verify=false --raw "docker://$REG/$b:latest" >/dev/null || die "no $REG/$b:latest"
done
mkdir -p "$WORK/cases" "$WORK/orig" "$WORK/logs"
# the cases (Dockerfiles of bench/cases) and their generated contexts, on the bench fs
for c in $CASES; do
  [ -f "$ROOT/bench/cases/$c/Dockerfile" ] || die "no case bench/cases/$c"
  mkdir -p "$WORK/cases/$c"
  cp "$ROOT/bench/cases/$c/Dockerfile" "$WORK/cases/$c/"
  [ -f "$ROOT/bench/cases/$c/.dockerignore" ] && cp "$ROOT/bench/cases/$c/.dockerignore" "$WORK/cases/$c/"
done
cp "$ROOT/bench/cases/gen-contexts.sh" "$WORK/cases/"
gen=""; for c in $CASES; do [ "$c" != run-heavy ] && gen="$gen $c"; done
[ -z "$gen" ] || (umask 022; "$WORK/cases/gen-contexts.sh" $gen >"$WORK/logs/gen.log" 2>&1) || die "gen-contexts.sh failed: $WORK/logs/gen.log"
chmod -R a+rX "$WORK/cases"

for who in root "$BUSER"; do mkdir -p "$FS/$who/tmp"; done
chown -R "$BUSER:" "$FS/$BUSER"
# the CLI jar and its CDS archive, built and recorded once
"$J" --version >/dev/null || die "./jbuild --version failed"
jar=$ROOT/bench/target/benchmarks.jar
[ -f "$jar" ] || (cd "$ROOT" && ./mvnw -q -B -ntp -o -DskipTests package -pl bench -am) || echo "e2e.sh: bench module did not build: no chart" >&2

RAW=$WORK/raw.tsv; : > "$RAW"
META=$WORK/meta.txt
{
  echo "generated $(date -u +%Y-%m-%dT%H:%MZ), commit $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- . 2>/dev/null || echo ' + local changes'), RUNS=$RUNS"
  echo "user $BUSER"
  echo "starts $STARTS"
  echo "cpu: $(nproc) × $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "memory: $(free -h | awk '/^Mem/{print $2}'), kernel $(uname -r), $(. /etc/os-release; echo "$PRETTY_NAME")"
  echo "java: $(java -version 2>&1 | sed -n 2p)"
  echo "buildah: $(buildah --version), runc: $(runc --version | head -1), skopeo: $(skopeo --version)"
  echo "storage (state, TMPDIR, contexts): $FS = $(findmnt -n -o SOURCE,FSTYPE,OPTIONS "$FS") (journaled ext4 of storage-fs.sh)"
  echo "registry: docker-registry on $REG (registry.sh); bases: $(for b in busybox debian-mini; do printf '%s@%s ' $b "$(skopeo inspect --tls-verify=false --format '{{.Digest}}' docker://$REG/$b:latest | cut -c1-19)"; done)"
  echo "debian-mini origin: $(cat /var/tmp/bench-cache/debian-mini.origin 2>/dev/null || echo '?')"
  echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
} > "$META"

# ---------------------------------------------------------------------------------------------
# running and timing
# ---------------------------------------------------------------------------------------------
rec() { echo "$1 $2 $3 $4 $5 $6" >> "$RAW"; }

# as MODE CMD...: run CMD as root or as the unprivileged user, with the same clean environment
as() {
  local mode=$1; shift
  if [ "$mode" = root ]; then
    env -i HOME=/root PATH=$PATH_CLEAN LANG=C.UTF-8 TMPDIR=$FS/root/tmp "$@"
  else
    runuser -u "$BUSER" -- env -i HOME="$BHOME" PATH=$PATH_CLEAN LANG=C.UTF-8 TMPDIR="$FS/$BUSER/tmp" \
      XDG_RUNTIME_DIR=/tmp/xdg-run-$BUID "$@"
  fi
}
who() { [ "$1" = root ] && echo root || echo "$BUSER"; }

# timed TOOL MODE CASE MEASURE ROUND CMD...: records wall s, CPU s and peak RSS MiB; log in $LOG
timed() {
  local tool=$1 mode=$2 c=$3 m=$4 r=$5; shift 5
  local w; w=$(who "$mode")
  local tf=$FS/$w/tmp/time.$$
  LOG=$WORK/logs/$tool-$mode-$c-$m-r$r.log
  rm -f "$tf"; sync
  if ! as "$mode" /usr/bin/time -f '%e %U %S %M' -o "$tf" "$@" > "$LOG" 2>&1; then
    echo "FAILED ($tool $mode $c $m round $r): $*" >&2; tail -5 "$LOG" | sed 's/^/    /' >&2
    rec "$tool" "$mode" "$c" "$m-failed" "$r" 1; rm -f "$tf"; return 1
  fi
  local e u s k; read -r e u s k < <(tail -1 "$tf"); rm -f "$tf"
  rec "$tool" "$mode" "$c" "$m" "$r" "$e"
  rec "$tool" "$mode" "$c" "$m-cpu" "$r" "$(awk -v u="$u" -v s="$s" 'BEGIN{printf "%.2f", u+s}')"
  rec "$tool" "$mode" "$c" "$m-rss" "$r" "$(awk -v k="$k" 'BEGIN{printf "%.0f", k/1024}')"
  printf '  %-7s %-8s %-12s %-7s %6ss\n' "$tool" "$mode" "$c" "$m" "$e" >&2
}

bases() { awk 'toupper($1)=="FROM" && $2 ~ /^127\.0\.0\.1:5000\// {print $2}' "$WORK/cases/$1/Dockerfile" | sort -u; }

# size TOOL MODE CASE ROUND REF: compressed bytes of all layers of the pushed image, in MB
size() {
  local b; b=$(skopeo inspect --raw --tls-verify=false "docker://$5" 2>/dev/null | jq '[.layers[].size]|add') || return 0
  [ -n "$b" ] && [ "$b" != null ] && rec "$1" "$2" "$3" size-MB "$4" "$(awk -v b="$b" 'BEGIN{printf "%.1f", b/1e6}')"
}

# change CASE ROUND / restore CASE: the one-file change of the "changed" rebuild
change() {
  local c=$1 r=$2 f=$WORK/cases/$1/${CHANGE[$1]}
  mkdir -p "$WORK/orig/$c"; cp -p "$f" "$WORK/orig/$c/file"
  case $c in
    java-app) printf 'changed-round-%02d' "$r" | dd of="$f" bs=1 seek=1048576 conv=notrunc status=none ;;
    run-heavy) sed -i "s|^RUN rm /srv/blob.bin\$|RUN rm /srv/blob.bin \&\& echo $r > /srv/changed|" "$f"
               grep -q "echo $r > /srv/changed" "$f" || die "run-heavy: the change did not apply" ;;
    *) echo "// changed in round $r" >> "$f" ;;
  esac
}
restore() { cp -p "$WORK/orig/$1/file" "$WORK/cases/$1/${CHANGE[$1]}"; }

same_id() {  # record whether the cached build gave the same image ID as the cold one
  cmp -s "$FS/$(who "$2")/tmp/iid.cold" "$FS/$(who "$2")/tmp/iid.cached" && v=1 || v=0
  rec "$1" "$2" "$3" cached-same-id "$4" "$v"
  [ "$v" = 1 ] || echo "  WARNING: $1 $2 $3: the cached build gave another image ID" >&2
}

run_jbuild() {
  local mode=$1 c=$2 r=$3 w; w=$(who "$mode")
  local st=$FS/$w/jbuild ctx=$WORK/cases/$c t=$FS/$w/tmp ref=$REG/bench/$c-jbuild-$mode-r$r
  rm -rf "$st"
  # jbuild pull takes one reference
  timed jbuild "$mode" "$c" pull "$r" sh -c 'r=$1; shift; for b; do "$0" pull --root "$r" --insecure-registry '$REG' "$b" || exit 1; done' \
    "$J" "$st" $(bases "$c") || return 1
  timed jbuild "$mode" "$c" cold "$r" "$J" build --root "$st" --progress plain --iidfile "$t/iid.cold" -t "bench/$c:jbuild" "$ctx" || return 1
  timed jbuild "$mode" "$c" cached "$r" "$J" build --root "$st" --progress plain --iidfile "$t/iid.cached" -t "bench/$c:jbuild" "$ctx" || return 1
  local s; s=$(grep -oE 'in [0-9]+(\.[0-9]+)? ?s' "$LOG" | tail -1 | grep -oE '[0-9]+(\.[0-9]+)?')
  [ -n "$s" ] && rec jbuild "$mode" "$c" cached-in-jvm "$r" "$s"
  same_id jbuild "$mode" "$c" "$r"
  timed jbuild "$mode" "$c" push "$r" "$J" build --root "$st" --progress plain --push --insecure-registry $REG -t "$ref" "$ctx" \
    && size jbuild "$mode" "$c" "$r" "$ref"
  change "$c" "$r"
  timed jbuild "$mode" "$c" changed "$r" "$J" build --root "$st" --progress plain --iidfile "$t/iid.changed" -t "bench/$c:jbuild" "$ctx"
  restore "$c"
  rm -rf "$st"
}

run_buildah() {
  local mode=$1 c=$2 r=$3 w; w=$(who "$mode")
  local ctx=$WORK/cases/$c t=$FS/$w/tmp ref=$REG/bench/$c-buildah-$mode-r$r tag=localhost/bench/$c:latest cache
  local B="buildah --storage-driver overlay --root $FS/$w/storage --runroot $FS/$w/run"
  local BUD="$B bud --layers --network none --runtime runc --tls-verify=false -q"
  if [ "$mode" = root ]; then cache=/var/lib/containers/cache/blob-info-cache-v1.boltdb
  else cache=$BHOME/.local/share/containers/cache/blob-info-cache-v1.boltdb; fi
  buildah_clean "$mode"
  rm -f "$cache"
  timed buildah "$mode" "$c" pull "$r" sh -c "for b in $(bases "$c" | tr '\n' ' '); do $B pull -q --tls-verify=false \$b || exit 1; done" || return 1
  cp -p "$cache" "$t/blob-cache.base"
  timed buildah "$mode" "$c" cold "$r" $BUD --iidfile "$t/iid.cold" -t "$tag" "$ctx" || return 1
  timed buildah "$mode" "$c" cached "$r" $BUD --iidfile "$t/iid.cached" -t "$tag" "$ctx" || return 1
  same_id buildah "$mode" "$c" "$r"
  cp -p "$t/blob-cache.base" "$cache"
  timed buildah "$mode" "$c" push "$r" sh -c "$BUD -t $tag $ctx && $B push -q --tls-verify=false $tag docker://$ref" \
    && size buildah "$mode" "$c" "$r" "$ref"
  change "$c" "$r"
  timed buildah "$mode" "$c" changed "$r" $BUD --iidfile "$t/iid.changed" -t "$tag" "$ctx"
  restore "$c"
  buildah_clean "$mode"
}

buildah_clean() {
  local w; w=$(who "$1")
  local B="buildah --storage-driver overlay --root $FS/$w/storage --runroot $FS/$w/run"
  if [ -d "$FS/$w/storage" ]; then
    as "$1" $B rm -a >/dev/null 2>&1; as "$1" $B rmi -a -f >/dev/null 2>&1
    umount "$FS/$w/storage/overlay" 2>/dev/null
  fi
  rm -rf "$FS/$w/storage" "$FS/$w/run"
}

# Every push leaves its blobs in the registry (buildah's layers and run-heavy's random 200 MiB
# differ each round: ~4 GB a run), and the bench fs's image file keeps every block it ever
# wrote; after some runs they filled a 100 GB disk. So after the report: the bench/* repositories
# are dropped from the kit's registry (the base images stay) and its blobs garbage-collected,
# and the freed blocks of the bench fs are given back to the disk.
cleanup_disk() {
  local dir=${BENCH_REGISTRY_DIR:-/tmp/bench-registry}
  if [ -d "$dir/data/docker/registry/v2/repositories/bench" ] && [ -f "$dir/config.yml" ]; then
    "$KIT/registry.sh" stop >/dev/null
    rm -rf "$dir/data/docker/registry/v2/repositories/bench"
    docker-registry garbage-collect "$dir/config.yml" >/dev/null 2>&1 \
      || echo "registry garbage-collect failed: see $dir" >&2
    "$KIT/registry.sh" start >/dev/null || echo "registry.sh start failed after the clean-up" >&2
  fi
  fstrim "$FS" >/dev/null 2>&1 || true
}

mkdir -p -m 700 "/tmp/xdg-run-$BUID"; chown "$BUSER:" "/tmp/xdg-run-$BUID"
echo "e2e: $RUNS round(s) of: $CASES; modes: $MODES; state on $FS; raw records in $RAW" >&2
for r in $(seq 1 "$RUNS"); do
  echo "round $r ($(date -u +%H:%M:%S), load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  for i in $(seq 1 "$STARTS"); do
    LOG=/dev/null
    tf=$FS/root/tmp/start.$$
    /usr/bin/time -f '%e %U %S %M' -o "$tf" "$J" --version >/dev/null 2>&1 || die "jbuild --version failed"
    read -r e u s k < "$tf"; rm -f "$tf"
    rec jbuild - - jvm-start "$r" "$e"
    rec jbuild - - jvm-start-cpu "$r" "$(awk -v u="$u" -v s="$s" 'BEGIN{printf "%.2f", u+s}')"
    rec jbuild - - jvm-start-rss "$r" "$(awk -v k="$k" 'BEGIN{printf "%.0f", k/1024}')"
  done
  for mode in $MODES; do
    for c in $CASES; do
      if [ $((r % 2)) = 1 ]; then run_jbuild "$mode" "$c" "$r"; run_buildah "$mode" "$c" "$r"
      else run_buildah "$mode" "$c" "$r"; run_jbuild "$mode" "$c" "$r"; fi
    done
  done
  rec - - - load1 "$r" "$(cut -d' ' -f1 /proc/loadavg)"
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$META"
report "$RAW" "$META"
cleanup_disk
