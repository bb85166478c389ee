#!/usr/bin/env bash
# Side-by-side timing of lowdim's RandomizedSVD (pure Go, CGO_ENABLED=0) and
# scikit-learn's randomized_svd (numpy + OpenBLAS) on the same .npy matrices,
# K = 20, p = 10, q = 2 and 7; writes the section "## Randomized SVD vs
# scikit-learn" of docs/BENCHMARKS.md (other sections are kept).
#
#   bash scripts/bench_rsvd.sh            # both sizes
#   SIZES="2000x300" RUNS=3 bash scripts/bench_rsvd.sh   # quick check
#
# Installs what it needs (Debian: time, python3-sklearn, python3-threadpoolctl).
set -euo pipefail

cd "$(dirname "$0")/.."
SIZES=${SIZES:-"20000x1000 100000x512"}
QS=${QS:-"2 7"}
RUNS=${RUNS:-5}
K=20
P=10
if [ -z "${WORK:-}" ]; then # a scratch folder of our own (GBs of matrices): removed on exit
	WORK=$(mktemp -d /tmp/bench_rsvd.XXXXXX)
	trap 'rm -rf "$WORK"' EXIT
fi
OUT=${OUT:-docs/BENCHMARKS.md}
PY=/usr/bin/python3

need_apt=()
[ -x /usr/bin/time ] || need_apt+=(time)
if ! [ -x "$PY" ] || ! "$PY" -c 'import sklearn, numpy' 2>/dev/null; then
	need_apt+=(python3-sklearn python3-numpy)
fi
if [ -x "$PY" ] && ! "$PY" -c 'import threadpoolctl' 2>/dev/null; then
	need_apt+=(python3-threadpoolctl)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
	echo "installing: ${need_apt[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2
	apt-get install -y -qq "${need_apt[@]}" >&2
fi

mkdir -p bin "$WORK"
CGO_ENABLED=0 go build -o bin/benchrsvd ./internal/cmd/benchrsvd

# peak_kb FILE: the peak resident set size that /usr/bin/time -v wrote to FILE.
peak_kb() { sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$1"; }

echo "== Go product benchmarks" >&2
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
go test -run '^$' -bench 'TallSkinny' -benchtime "${PRODUCT_BENCHTIME:-5x}" -count 3 ./linalg/ | tee "$WORK/products.txt" >&2

results="$WORK/results.jsonl"
: >"$results"
for size in $SIZES; do
	m=${size%x*}
	n=${size#*x}
	npy="$WORK/a_${m}x${n}.npy"
	echo "== ${m}x${n}: generating $npy" >&2
	bin/benchrsvd gen -m "$m" -n "$n" -seed 1 -out "$npy"
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$PY" scripts/bench_rsvd.py exact "$npy" --k $K >"$WORK/exact_${size}.json"
	for q in $QS; do
		echo "== ${m}x${n} q=$q: lowdim" >&2
		/usr/bin/time -v -o "$WORK/time_go_${size}_$q.txt" \
			bin/benchrsvd run -npy "$npy" -k $K -p $P -q "$q" -runs "$RUNS" >"$WORK/go_${size}_$q.json"
		echo "== ${m}x${n} q=$q: scikit-learn" >&2
		/usr/bin/time -v -o "$WORK/time_py_${size}_$q.txt" \
			env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$PY" scripts/bench_rsvd.py sklearn "$npy" \
			--k $K --p $P --q "$q" --runs "$RUNS" >"$WORK/py_${size}_$q.json"
		printf '{"size":"%s","q":%s,"go":%s,"py":%s,"exact":%s,"go_peak_kb":%s,"py_peak_kb":%s}\n' \
			"$size" "$q" "$(cat "$WORK/go_${size}_$q.json")" "$(cat "$WORK/py_${size}_$q.json")" \
			"$(cat "$WORK/exact_${size}.json")" \
			"$(peak_kb "$WORK/time_go_${size}_$q.txt")" "$(peak_kb "$WORK/time_py_${size}_$q.txt")" >>"$results"
	done
	rm -f "$npy"
done

load_after=$(cut -d' ' -f1-3 /proc/loadavg)
"$PY" - "$results" "$OUT" "$RUNS" "$WORK/products.txt" "$load_before" "$load_after" <<'EOF'
import json, os, platform, re, statistics, sys

results_path, out_path, runs, products_path, load_before, load_after = sys.argv[1:7]
rows = [json.loads(l) for l in open(results_path) if l.strip()]

# Product benchmarks: median GFLOP/s over the -count repetitions.
gflops = {}
for line in open(products_path):
    mt = re.match(r"Benchmark(\w+)/(\d+x\d+x\d+)/([\w-]+?)(-\d+)?\s.*?([\d.]+) GFLOP/s", line)
    if mt:
        gflops.setdefault((mt.group(1), mt.group(2), mt.group(3)), []).append(float(mt.group(5)))

def relerr(sig, exact):
    return max(abs(s - e) / e for s, e in zip(sig, exact))

def cpu():
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()

go_version = rows[0]["go"]["go_version"] if rows else "?"
py0 = rows[0]["py"] if rows else {}
blas = py0.get("blas")
if isinstance(blas, list):
    blas = "; ".join(f"{b['internal_api']} {b['version']}, kernel {b['architecture']}, {b['num_threads']} threads" for b in blas)
lines = [
    "## Randomized SVD vs scikit-learn",
    "",
    "Produced by `bash scripts/bench_rsvd.sh` (do not edit by hand). Matrix: float64, rank-20 planted",
    "signal U·diag(0.85^(i−1))·Vᵀ plus Gaussian noise of spectral norm ≈ 0.01·σ₁ (`benchrsvd gen`,",
    "seed 1), written once as .npy and loaded by both sides. K = 20, p = 10 (sketch of l = 30",
    "columns), q power iterations. lowdim: `RandomizedSVD` with WantU (re-orthonormalises by",
    "thin QR after every product; also computes ‖A‖_F and the a-posteriori error estimate),",
    f"`CGO_ENABLED=0`, {go_version}, GOMAXPROCS = {rows[0]['go']['gomaxprocs'] if rows else '?'}. scikit-learn {py0.get('sklearn_version', '?')}",
    f"`randomized_svd(A, 20, n_oversamples=10, n_iter=q)` (power_iteration_normalizer 'auto': none",
    f"for q ≤ 2, LU above), numpy {py0.get('numpy_version', '?')}, BLAS: {blas}; run with",
    "OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset. Time: median of "
    f"{runs} runs after one warm-up run, in one process. σ error: max over the top 20 of",
    "|σ̂ᵢ − σᵢ|/σᵢ against numpy's exact `svd`. Peak memory: maximum RSS of the whole process",
    "(`/usr/bin/time -v`: loading the .npy, the warm-up and timed runs; Python's includes the",
    "interpreter and imports), and its ratio to the matrix size 8·m·n bytes.",
    f"Machine: {cpu()}, {os.cpu_count()} cores.",
    "",
    "| matrix | q | lowdim s | sklearn s | lowdim/sklearn | σ err lowdim | σ err sklearn | peak MiB lowdim (×A) | peak MiB sklearn (×A) |",
    "|---|---|---|---|---|---|---|---|---|",
]
for r in rows:
    m, n = r["go"]["m"], r["go"]["n"]
    abytes = 8 * m * n
    exact = r["exact"]["sigma"]
    tg, tp = r["go"]["median_s"], r["py"]["median_s"]
    gk, pk = r["go_peak_kb"], r["py_peak_kb"]
    lines.append(
        f"| {m}×{n} | {r['q']} | {tg:.3f} | {tp:.3f} | {tg / tp:.2f} | "
        f"{relerr(r['go']['sigma'], exact):.1e} | {relerr(r['py']['sigma'], exact):.1e} | "
        f"{gk / 1024:.0f} ({gk * 1024 / abytes:.2f}) | {pk / 1024:.0f} ({pk * 1024 / abytes:.2f}) |"
    )
lines += [
    "",
    f"Load average (1, 5, 15 min) before / after the whole run: {load_before} / {load_after}",
    "(the machine is shared with other builds: figures taken under load are pessimistic for both sides).",
    "",
    "### The products with A",
    "",
    "`go test -run '^$' -bench TallSkinny ./linalg/` (median of 3 repetitions): GFLOP/s = 2·m·n·l /",
    "time, wall clock on all GOMAXPROCS cores. `lowdim`: the AVX2+FMA assembly micro-kernel;",
    "`lowdim-purego`: the same code on the pure-Go micro-kernel (what non-amd64 machines run);",
    "`gonum`: `mat.Dense.Mul` (gonum's pure-Go GEMM), the implementation before this kernel.",
    "",
    "| product | m×n×l | lowdim | lowdim-purego | gonum | lowdim/gonum |",
    "|---|---|---|---|---|---|",
]
for (name, shape) in sorted({(k[0], k[1]) for k in gflops}, key=lambda t: (t[0], int(t[1].split("x")[0]))):
    med = {impl: statistics.median(gflops.get((name, shape, impl), [float("nan")])) for impl in ("lowdim", "lowdim-purego", "gonum")}
    prod = "A·B (MulTallSkinny)" if name == "MulTallSkinny" else "Aᵀ·Q (MulTransTallSkinny)"
    lines.append(
        f"| {prod} | {shape.replace('x', '×')} | {med['lowdim']:.1f} | {med['lowdim-purego']:.1f} | "
        f"{med['gonum']:.1f} | {med['lowdim'] / med['gonum']:.1f}× |"
    )
lines.append("")
section = "\n".join(lines) + "\n"

doc = open(out_path).read() if os.path.exists(out_path) else "# lowdim benchmarks\n\n"
head = "## Randomized SVD vs scikit-learn"
if head in doc:
    start = doc.index(head)
    nxt = doc.find("\n## ", start + len(head))
    doc = doc[:start] + section + (doc[nxt + 1:] if nxt >= 0 else "")
else:
    doc = doc.rstrip("\n") + "\n\n" + section
with open(out_path, "w") as f:
    f.write(doc)
print(section)
EOF
