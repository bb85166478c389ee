package experiments

import (
	"fmt"
	"strings"
)

// Error is one problem in a spec file. Line and Column are 1-based; they are
// zero when the problem has no position (for example a Spec built in code).
type Error struct {
	File   string
	Line   int
	Column int
	Msg    string
}

// Error formats the problem on one line as "file:line:col: msg", dropping the
// parts that are unknown.
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteString(":")
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, "%d:", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, "%d:", e.Column)
		}
	}
	if b.Len() > 0 {
		b.WriteString(" ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ErrorList is the list of problems found in one spec, in document order
// where possible. Its Error method prints one problem per line.
type ErrorList []*Error

func (l ErrorList) Error() string {
	lines := make([]string, len(l))
	for i, e := range l {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.As find the individual *Error values.
func (l ErrorList) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}

// pos is a 1-based line and column in a spec file.
type pos struct{ line, col int }

// errs accumulates the problems of one spec, dropping exact duplicates (the
// same message at the same place, as produced by validating many grid cells).
type errs struct {
	file    string
	list    ErrorList
	seen    map[string]bool
	dropped int
}

// maxErrors bounds the problems reported for one spec; the rest are counted.
const maxErrors = 50

func (e *errs) add(p pos, format string, args ...any) {
	err := &Error{File: e.file, Line: p.line, Column: p.col, Msg: fmt.Sprintf(format, args...)}
	key := err.Error()
	if e.seen == nil {
		e.seen = make(map[string]bool)
	}
	if e.seen[key] {
		return
	}
	e.seen[key] = true
	if len(e.list) >= maxErrors {
		e.dropped++
		return
	}
	e.list = append(e.list, err)
}

func (e *errs) err() error {
	if len(e.list) == 0 {
		return nil
	}
	if e.dropped > 0 {
		return append(e.list[:len(e.list):len(e.list)], &Error{File: e.file, Msg: fmt.Sprintf("and %d more problems", e.dropped)})
	}
	return e.list
}

// suggest returns " (did you mean x?)" for the known word x closest to got
// in optimal-string-alignment distance, when that distance is at most 2 and
// smaller than len(got). Ties go to the earlier word in known.
func suggest(got string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if d := osaDistance(got, k); d < bestD && d < len([]rune(got)) {
			best, bestD = k, d
		}
	}
	if best == "" {
		return ""
	}
	return " (did you mean " + best + "?)"
}

// osaDistance is the optimal string alignment distance between a and b: the
// Levenshtein distance with adjacent transpositions counting as one edit, so
// "shard_rwos" is at distance 1 from "shard_rows".
func osaDistance(a, b string) int {
	s, t := []rune(a), []rune(b)
	// Rows i-2, i-1 and i of the dynamic programme.
	prev2 := make([]int, len(t)+1)
	prev := make([]int, len(t)+1)
	cur := make([]int, len(t)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(s); i++ {
		cur[0] = i
		for j := 1; j <= len(t); j++ {
			cost := 1
			if s[i-1] == t[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && s[i-1] == t[j-2] && s[i-2] == t[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(t)]
}
