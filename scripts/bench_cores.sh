#!/usr/bin/env bash
# Does lowdim use every core it is given? For each study's benchmark run,
# `lowdim run` is timed from process start to exit with /usr/bin/time: wall,
# CPU (user + sys), CPU/wall and peak RSS, with --cores=1 and with every core.
# Beside them, the two whole-process comparisons of issue #14: ten noisy tori
# (2,000 points, H0+H1, threshold 1.0) through `lowdim run` with its default
# report against Debian's `ripser` run on the ten files one after another, and
# the spectrum of a 100,000 × 512 float64 matrix against scikit-learn's
# randomized_svd (NumPy run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset).
# Medians of RUNS runs. Writes "## Cores: CPU/wall per study" in
# docs/BENCHMARKS.md. Run it on a quiet machine.
#
#   bash scripts/bench_cores.sh
#   RUNS=1 STUDIES="landscape phase" bash scripts/bench_cores.sh   # quick look
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
STUDIES=${STUDIES:-"spectrum landscape phase intrinsic rank_dynamics"}
OUT=${OUT:-docs/BENCHMARKS.md}
PY=/usr/bin/python3
need=()
[ -x /usr/bin/time ] || need+=(time)
command -v ripser >/dev/null || need+=(ripser)
"$PY" -c 'import sklearn' 2>/dev/null || need+=(python3-sklearn)
if [ ${#need[@]} -gt 0 ]; then
	apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >&2
fi
W=$(mktemp -d /tmp/bench_cores.XXXXXX)
trap 'rm -rf "$W"' EXIT
CGO_ENABLED=0 go build -o "$W/lowdim" .
CGO_ENABLED=0 go build -o "$W/benchrankdyn" ./internal/cmd/benchrankdyn
cores=$(nproc)

# Inputs: ten tori, the 100,000 × 512 matrix, a small checkpoint series.
"$PY" - "$W/tori" <<'PYEOF'
import os, sys, numpy as np
d = sys.argv[1]; os.makedirs(d)
for s in range(10):
    rng = np.random.default_rng(20240610 + s)
    n, R, r = 2000, 2.0, 1.0
    u, v = rng.uniform(0, 2*np.pi, n), rng.uniform(0, 2*np.pi, n)
    p = np.stack([(R + r*np.cos(v))*np.cos(u), (R + r*np.cos(v))*np.sin(u), r*np.sin(v)], 1)
    p += 0.05*rng.standard_normal(p.shape)
    np.savetxt(f"{d}/torus{s}.csv", p, delimiter=",", fmt="%.17g")
PYEOF
"$PY" scripts/bench_spectrum.py gen 100000 512 float64 "$W/a.npy"
"$W/benchrankdyn" gen -dir "$W/series" -steps 8 -tensors 8 -rows 512 -cols 1024 >/dev/null

spec() { # study → spec file
	case $1 in
	spectrum) printf 'study: spectrum\nname: bench\nseed: 1\ninput:\n  path: %s\nparams:\n  k: 20\n  oversample: 10\n  power_iters: 7\n' "$W/a.npy" >"$W/spectrum.yaml" ;;
	landscape) printf 'study: landscape\nname: tori\nseed: 1\ninput:\n  path: %s\nparams:\n  max_dim: 1\n  threshold: 1.0\n' "$W/tori" >"$W/landscape.yaml" ;;
	phase) cp experiments/molrg-phase.yaml "$W/phase.yaml" ;;
	intrinsic) cp experiments/intrinsic-digits.yaml "$W/intrinsic.yaml" ;;
	rank_dynamics) printf 'study: rank_dynamics\nname: series\nseed: 1\ninput:\n  path: %s\nparams:\n  k: 20\n' "$W/series" >"$W/rank_dynamics.yaml" ;;
	esac
	echo "$W/$1.yaml"
}
wall() { sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$1" | awk -F: '{ if (NF == 3) print $1*3600+$2*60+$3; else print $1*60+$2 }'; }
cpu() { awk '/User time/ {u=$4} /System time/ {s=$4} END {print u+s}' "$1"; }
rss() { awk '/Maximum resident/ {print $6/1024}' "$1"; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
# measure NAME CMD…: RUNS timings of CMD; prints "wall cpu rss" medians.
measure() {
	local name=$1; shift
	local ws=() cs=() rs=()
	for _ in $(seq "$RUNS"); do
		rm -rf "$W/out"
		/usr/bin/time -v -o "$W/t" "$@" >/dev/null 2>"$W/err" || { cat "$W/err" >&2; exit 1; }
		ws+=("$(wall "$W/t")"); cs+=("$(cpu "$W/t")"); rs+=("$(rss "$W/t")")
	done
	echo "$(printf '%s\n' "${ws[@]}" | median) $(printf '%s\n' "${cs[@]}" | median) $(printf '%s\n' "${rs[@]}" | median)"
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
rows=()
for study in $STUDIES; do
	s=$(spec "$study")
	for c in 1 "$cores"; do
		echo "== $study --cores=$c" >&2
		read -r w cp r < <(measure "$study" "$W/lowdim" run "$s" --out "$W/out" --quiet --report=false --cores="$c")
		rows+=("| $study | $c | $w | $cp | $(awk -v c="$cp" -v w="$w" 'BEGIN {printf "%.2f", c/w}') | $(printf '%.0f' "$r") |")
	done
done

echo "== ten tori: lowdim (default report) vs ripser" >&2
read -r tl cl rl < <(measure tori "$W/lowdim" run "$(spec landscape)" --out "$W/out" --quiet)
cat >"$W/ripser10.sh" <<SH
for f in "$W"/tori/*.csv; do ripser --format point-cloud --dim 1 --threshold 1.0 "\$f" >/dev/null; done
SH
read -r tr cr rr < <(measure ripser bash "$W/ripser10.sh")
echo "== spectrum 100,000 × 512: lowdim vs scikit-learn" >&2
read -r ts cs rs < <(measure spectrum "$W/lowdim" run "$(spec spectrum)" --out "$W/out" --quiet --report=false)
read -r tk ck rk < <(measure sklearn env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$PY" scripts/bench_spectrum.py sklearn "$W/a.npy")
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a/b}'; }

section=$(
	echo "## Cores: CPU/wall per study"
	echo
	echo "Produced by \`bash scripts/bench_cores.sh\` (do not edit by hand) on $cores cores: \`lowdim run SPEC --report=false\`"
	echo "timed from process start to exit, median of $RUNS runs; CPU is user + sys. Runs: spectrum of a 100,000 × 512"
	echo "float64 matrix (k = 20, p = 10, q = 7, randomized), landscape of ten noisy tori (2,000 points each, H0+H1,"
	echo "threshold 1.0), \`experiments/molrg-phase.yaml\`, \`experiments/intrinsic-digits.yaml\`, rank dynamics of 8 steps ×"
	echo "8 tensors of 512 × 1,024 float16 (\`internal/cmd/benchrankdyn\`)."
	echo
	echo "| study | --cores | wall s | CPU s | CPU/wall | peak RSS MiB |"
	echo "|---|---|---|---|---|---|"
	printf '%s\n' "${rows[@]}"
	echo
	echo "Whole process, every core:"
	echo
	echo "| comparison | lowdim s | peer s | ratio (lowdim ÷ peer) | lowdim CPU/wall | lowdim / peer peak RSS MiB |"
	echo "|---|---|---|---|---|---|"
	echo "| ten tori, \`lowdim run\` with its report vs \`ripser\` on each file in turn | $tl | $tr | **$(ratio "$tl" "$tr")** | $(ratio "$cl" "$tl") | $(printf '%.0f' "$rl") / $(printf '%.0f' "$rr") |"
	echo "| spectrum 100,000 × 512 f64 vs scikit-learn \`randomized_svd\` | $ts | $tk | **$(ratio "$ts" "$tk")** | $(ratio "$cs" "$ts") | $(printf '%.0f' "$rs") / $(printf '%.0f' "$rk") |"
	echo
	echo "Load average (1, 5, 15 min) before / after: $load_before / $load_after."
)
"$PY" - "$OUT" "$section" <<'PYEOF'
import re, sys
path, section = sys.argv[1], sys.argv[2]
text = open(path).read()
head = section.splitlines()[0]
pat = re.compile(r"^" + re.escape(head) + r"\n.*?(?=^## |\Z)", re.S | re.M)
text = pat.sub(section + "\n\n", text) if pat.search(text) else text.rstrip("\n") + "\n\n" + section + "\n"
open(path, "w").write(text)
PYEOF
echo "$section"
