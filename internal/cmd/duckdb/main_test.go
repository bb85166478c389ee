package main

import (
	"bytes"
	"database/sql"
	"strings"
	"testing"
)

// TestQuery: statements split at a ';' ending a line, results printed as
// CSV and as aligned columns, NULL shown, Parquet read by path.
func TestQuery(t *testing.T) {
	stmts, err := readStatements(strings.NewReader("SELECT 1 AS a,\n  NULL AS b;\nSELECT 'x;y' AS s;\n"))
	if err != nil || len(stmts) != 3 || strings.TrimSpace(stmts[2]) != "" {
		t.Fatalf("readStatements: %q, %v", stmts, err)
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, c := range []struct {
		q    string
		csv  bool
		want string
	}{
		{stmts[0], true, "a,b\n1,\n"},
		{stmts[1], true, "s\nx;y\n"},
		{stmts[0], false, "a  b\n1  NULL\n"},
		{"SELECT count(*) AS n FROM read_parquet('../../../testdata/formats/m_list.parquet')", true, "n\n37\n"},
	} {
		var b bytes.Buffer
		if err := query(db, c.q, &b, c.csv); err != nil || b.String() != c.want {
			t.Errorf("%s: %q, %v; want %q", c.q, b.String(), err, c.want)
		}
	}
	if err := query(db, "SELECT nope", &bytes.Buffer{}, false); err == nil {
		t.Error("a bad query printed no error")
	}
}
