package cli

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"sync"

	beamlog "github.com/apache/beam/sdks/v2/go/pkg/beam/log"
)

// The runner reports a failed pipeline to the launcher as "job failed"; the
// cause — our DoFn's error, which names the file and row — reaches only the
// runner's log. For runs whose workers share this process (Prism, and
// universal with LOOPBACK) failureLog keeps the first cause so the CLI can
// print it as one line, and hides Beam's log unless LOWDIM_BEAM_LOGS is set.
var failureLog = &causeLog{}

type causeLog struct {
	mu    sync.Mutex
	cause string
}

func (c *causeLog) first() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cause
}

func (c *causeLog) reset() {
	c.mu.Lock()
	c.cause = ""
	c.mu.Unlock()
}

func (c *causeLog) record(text string) {
	// "...DoFn[UID:10, PID:e3, Name: …readFn] failed:\n<our error>"
	i := strings.LastIndex(text, "] failed:\n")
	if i < 0 {
		return
	}
	cause := strings.TrimSpace(text[i+len("] failed:\n"):])
	if j := strings.IndexByte(cause, '\n'); j >= 0 {
		cause = cause[:j]
	}
	c.mu.Lock()
	if c.cause == "" {
		c.cause = cause
	}
	c.mu.Unlock()
}

// causeHandler is a slog.Handler that records failure causes and, unless
// verbose, drops everything else.
type causeHandler struct {
	next    slog.Handler // nil: print nothing
	log     *causeLog
	attrsOf []slog.Attr
}

func (h *causeHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelError || (h.next != nil && h.next.Enabled(ctx, l))
}

func (h *causeHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError {
		h.log.record(r.Message)
		r.Attrs(func(a slog.Attr) bool {
			h.log.record(a.Value.String())
			return true
		})
	}
	if h.next != nil && h.next.Enabled(ctx, r.Level) {
		return h.next.Handle(ctx, r)
	}
	return nil
}

func (h *causeHandler) WithAttrs(as []slog.Attr) slog.Handler {
	n := *h
	if h.next != nil {
		n.next = h.next.WithAttrs(as)
	}
	return &n
}

func (h *causeHandler) WithGroup(name string) slog.Handler {
	n := *h
	if h.next != nil {
		n.next = h.next.WithGroup(name)
	}
	return &n
}

// captureBeamLogs must run after beam.Init, which installs Beam's own slog
// handler. With show set (a dry run, whose job is printed in Beam's log) or
// LOWDIM_BEAM_LOGS, Beam's log is printed too.
func captureBeamLogs(show bool) {
	var next slog.Handler
	if show || os.Getenv("LOWDIM_BEAM_LOGS") != "" {
		next = slog.Default().Handler()
	}
	slog.SetDefault(slog.New(&causeHandler{next: next, log: failureLog}))
}

func init() {
	if os.Getenv("LOWDIM_BEAM_LOGS") == "" {
		beamlog.LogLevel = "error" // read by beam.Init
	}
}
