// Command spectrumsigma prints, as JSON, the singular values and summary of
// the latest spectrum run in an output folder: the benchmark scripts compare
// them with NumPy's.
//
//	spectrumsigma OUT
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"

	"github.com/lowdim/lowdim/io/tables"
	"github.com/lowdim/lowdim/pipelines"
	"github.com/lowdim/lowdim/report"
	"github.com/lowdim/lowdim/transforms"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: spectrumsigma OUT")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "spectrumsigma:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	ctx := context.Background()
	r, err := report.LatestRun(ctx, out)
	if err != nil {
		return err
	}
	rows, err := tables.ReadRun[transforms.SpectrumRow](ctx, out, pipelines.SpectrumTable, r.RunID)
	if err != nil {
		return err
	}
	sums, err := tables.ReadRun[transforms.SpectrumSummaryRow](ctx, out, pipelines.SpectrumSummaryTable, r.RunID)
	if err != nil || len(sums) != 1 {
		return fmt.Errorf("summary: %d rows, %v", len(sums), err)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Index < rows[j].Index })
	sigma := make([]float64, len(rows))
	for i, row := range rows {
		sigma[i] = row.Sigma
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]any{
		"sigma": sigma, "method": sums[0].Method, "reads": sums[0].Reads, "shards": sums[0].Shards,
		"seconds": r.FinishedAt.Sub(r.StartedAt).Seconds(),
	})
}
