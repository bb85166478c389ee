#!/usr/bin/env bash
# Whole-process comparison of `lowdim run` (spectrum study, k = 20, p = 10,
# q = 7, default method for the shape) with scikit-learn's randomized_svd
# (same k, p, q; NumPy run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset),
# both timed from process start to exit with /usr/bin/time, on the same .npy.
# Writes the section "## Spectrum study vs scikit-learn, whole process" of
# docs/BENCHMARKS.md. Run it on a quiet machine.
#
#   bash scripts/bench_spectrum.sh
#   CASES="20000x256:float64" RUNS=1 bash scripts/bench_spectrum.sh   # quick check
set -euo pipefail
cd "$(dirname "$0")/.."
CASES=${CASES:-"100000x512:float64 20000x4096:float32 1000000x256:float32"}
RUNS=${RUNS:-3}
# Seconds of idle before each timed process: a process started right after
# another one that kept both cores busy ran about 10% slower (2.08 s against
# 1.89 s for the 20,000 × 4,096 spectrum after scikit-learn or after 2 s of
# idle), so each side starts from an idle machine.
SETTLE=${SETTLE:-2}
OUT=${OUT:-docs/BENCHMARKS.md}
PY=/usr/bin/python3
if ! [ -x /usr/bin/time ] || ! "$PY" -c 'import sklearn' 2>/dev/null; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2 && apt-get install -y -qq time python3-sklearn >&2
fi
WORK=$(mktemp -d /tmp/bench_spectrum.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
mkdir -p bin
CGO_ENABLED=0 go build -o bin/lowdim .
go build -o bin/spectrumsigma ./internal/cmd/spectrumsigma

wall() { sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$1" | awk -F: '{ if (NF == 3) print $1*3600+$2*60+$3; else print $1*60+$2 }'; }
cpu() { awk '/User time/ {u=$4} /System time/ {s=$4} END {print u+s}' "$1"; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
rows=()
for c in $CASES; do
	size=${c%%:*}; dtype=${c#*:}; m=${size%x*}; n=${size#*x}
	npy="$WORK/a.npy"
	echo "== $size $dtype: generating" >&2
	"$PY" scripts/bench_spectrum.py gen "$m" "$n" "$dtype" "$npy"
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$PY" scripts/bench_spectrum.py exact "$npy" >"$WORK/exact.json"
	printf 'study: spectrum\nname: bench\nseed: 1\ninput:\n  path: %s\nparams:\n  k: 20\n  oversample: 10\n  power_iters: 7\n' "$npy" >"$WORK/spec.yaml"
	go_t=(); go_c=(); py_t=(); py_c=()
	for i in $(seq "$RUNS"); do
		rm -rf "$WORK/out"
		sleep "$SETTLE"
		/usr/bin/time -v -o "$WORK/tg" bin/lowdim run "$WORK/spec.yaml" --out "$WORK/out" --quiet --report=false >/dev/null
		go_t+=("$(wall "$WORK/tg")"); go_c+=("$(cpu "$WORK/tg")")
		sleep "$SETTLE"
		/usr/bin/time -v -o "$WORK/tp" env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$PY" scripts/bench_spectrum.py sklearn "$npy" >"$WORK/py.json"
		py_t+=("$(wall "$WORK/tp")"); py_c+=("$(cpu "$WORK/tp")")
	done
	bin/spectrumsigma "$WORK/out" >"$WORK/go.json"
	tg=$(printf '%s\n' "${go_t[@]}" | median); tp=$(printf '%s\n' "${py_t[@]}" | median)
	cg=$(printf '%s\n' "${go_c[@]}" | median); cp=$(printf '%s\n' "${py_c[@]}" | median)
	rows+=("$("$PY" - "$size" "$dtype" "$tg" "$tp" "$cg" "$cp" "$WORK/go.json" "$WORK/py.json" "$WORK/exact.json" <<'PYEOF'
import json, sys
size, dtype, tg, tp, cg, cp, g, p, e = sys.argv[1:]
g, p, e = (json.load(open(f)) for f in (g, p, e))
err = lambda s: max(abs(a - b) / b for a, b in zip(s, e["sigma"]))
tg, tp, cg, cp = map(float, (tg, tp, cg, cp))
print(f"| {size} {dtype} | {g['method']} ({g['reads']} reads, {g['shards']} shards) | {tg:.2f} | {tp:.2f} | **{tg / tp:.2f}** | {cg / tg:.2f} | {cp / tp:.2f} | {err(g['sigma']):.1e} | {err(p['sigma']):.1e} |")
PYEOF
)")
	rm -f "$npy"
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
section=$(
	echo "## Spectrum study vs scikit-learn, whole process"
	echo
	echo "Produced by \`bash scripts/bench_spectrum.sh\` (do not edit by hand): \`lowdim run\` of a spectrum spec"
	echo "(k = 20, oversample 10, power_iters 7, the method \`auto\` picks) against a Python process that loads"
	echo "the same .npy and calls scikit-learn's \`randomized_svd(A, 20, n_oversamples=10, n_iter=7)\`; wall time"
	echo "from process start to exit, median of $RUNS runs, each started after ${SETTLE} s of idle; CPU/wall is (user + sys)/wall. σ error: max over the"
	echo "top 20 of |σ̂ᵢ − σᵢ|/σᵢ against NumPy's SVD in float64."
	echo
	echo "| matrix | lowdim method | lowdim s | sklearn s | ratio | lowdim CPU/wall | sklearn CPU/wall | σ err lowdim | σ err sklearn |"
	echo "|---|---|---|---|---|---|---|---|---|"
	printf '%s\n' "${rows[@]}"
	echo
	echo "Load average (1, 5, 15 min) before / after: $load_before / $load_after."
)
"$PY" - "$OUT" "$section" <<'PYEOF'
import re, sys
path, section = sys.argv[1], sys.argv[2]
text = open(path).read()
head = "## Spectrum study vs scikit-learn, whole process"
if head in text:
    text = re.sub(re.escape(head) + r".*?(?=\n## |\Z)", section.rstrip() + "\n", text, flags=re.S)
else:
    text = text.rstrip() + "\n\n" + section.rstrip() + "\n"
open(path, "w").write(text)
PYEOF
echo "wrote $OUT" >&2
