// Command duckdb runs SQL with DuckDB (through github.com/duckdb/duckdb-go,
// which needs cgo and a C compiler; the lowdim binary does not use it) and
// prints the results, for readers of lowdim's tables who have no DuckDB CLI:
//
//	go run ./internal/cmd/duckdb -c "SELECT * FROM read_parquet('out/quickstart/spectrum/**/*.parquet', hive_partitioning=1) LIMIT 5"
//	go run ./internal/cmd/duckdb < queries.sql
//
// Without -c it reads the SQL from standard input and runs each statement
// (separated by ';' at the end of a line). Results are printed as aligned
// columns, or as CSV with -csv; NULL prints as NULL (empty with -csv).
package main

import (
	"bufio"
	"database/sql"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
)

func main() {
	command := flag.String("c", "", "SQL to run (default: read statements from standard input)")
	asCSV := flag.Bool("csv", false, "print results as CSV with a header row")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: duckdb [-csv] [-c SQL] [DATABASE]   (SQL from standard input without -c)")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 1 {
		flag.Usage()
		os.Exit(2)
	}
	dsn := flag.Arg(0) // "" is an in-memory database
	db, err := sql.Open("duckdb", dsn)
	if err != nil {
		fmt.Fprintln(os.Stderr, "duckdb:", err)
		os.Exit(1)
	}
	defer db.Close()
	stmts := []string{*command}
	if *command == "" {
		if stmts, err = readStatements(os.Stdin); err != nil {
			fmt.Fprintln(os.Stderr, "duckdb:", err)
			os.Exit(1)
		}
	}
	for _, q := range stmts {
		if strings.TrimSpace(q) == "" {
			continue
		}
		if err := query(db, q, os.Stdout, *asCSV); err != nil {
			fmt.Fprintf(os.Stderr, "duckdb: %v\n", err)
			os.Exit(1)
		}
	}
}

// readStatements splits r into statements at lines ending in ';'.
func readStatements(r io.Reader) ([]string, error) {
	var stmts []string
	var cur strings.Builder
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for sc.Scan() {
		line := sc.Text()
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(strings.TrimSpace(line), ";") {
			stmts = append(stmts, cur.String())
			cur.Reset()
		}
	}
	stmts = append(stmts, cur.String())
	return stmts, sc.Err()
}

// query runs q and prints its rows to w.
func query(db *sql.DB, q string, w io.Writer, asCSV bool) error {
	rows, err := db.Query(q)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	var write func([]string)
	var flush func()
	if asCSV {
		cw := csv.NewWriter(w)
		write = func(r []string) { cw.Write(r) }
		flush = cw.Flush
	} else {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		write = func(r []string) { fmt.Fprintln(tw, strings.Join(r, "\t")) }
		flush = func() { tw.Flush() }
	}
	write(cols)
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	out := make([]string, len(cols))
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		for i, v := range vals {
			out[i] = format(v, asCSV)
		}
		write(out)
	}
	flush()
	return rows.Err()
}

// format prints one value: NULL as NULL (empty in CSV), times in RFC 3339,
// byte strings as text, everything else with %v.
func format(v any, asCSV bool) string {
	switch x := v.(type) {
	case nil:
		if asCSV {
			return ""
		}
		return "NULL"
	case []byte:
		return string(x)
	case time.Time:
		return x.Format(time.RFC3339Nano)
	default:
		return fmt.Sprint(x)
	}
}
