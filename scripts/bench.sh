#!/usr/bin/env bash
# make bench: Go benchmarks, then side-by-side comparisons with peers on this
# machine (scikit-learn, Ripser, GUDHI, NumPy), then the scaling study and the
# use of every core (CPU/wall per study). Each script
# installs what it needs with apt-get and rewrites its own section of
# docs/BENCHMARKS.md (or docs/SCALING.md).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p docs
echo "== Go benchmarks (kernels, readers) =="
go test -run '^$' -bench . -benchtime 3x ./linalg/... ./io/... | tee /tmp/lowdim-gobench.txt
echo "== randomized SVD vs scikit-learn =="
bash scripts/bench_rsvd.sh
echo "== spectrum study vs scikit-learn, whole process" >&2
bash scripts/bench_spectrum.sh
echo "== persistent homology vs Ripser and GUDHI =="
bash scripts/bench_ph.sh
echo "== reading matrices =="
bash scripts/bench_io.sh
echo "== rank dynamics at scale vs NumPy =="
bash scripts/bench_rankdyn.sh
echo "== scaling of the spectrum study =="
bash scripts/bench_scaling.sh
echo "== cores: CPU/wall per study, ten tori vs ripser =="
bash scripts/bench_cores.sh
