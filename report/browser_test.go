package report_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/lowdim/lowdim/report"
)

// chromium finds a headless-capable Chromium: $LOWDIM_CHROMIUM, then the
// Debian package's /usr/bin/chromium, then the PATH. Without one the test
// skips, unless LOWDIM_REQUIRE_BROWSER=1 (make test sets it) makes it fail.
func chromium(t *testing.T) string {
	t.Helper()
	candidates := []string{os.Getenv("LOWDIM_CHROMIUM"), "/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"}
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	msg := "no Chromium (apt-get install -y chromium, or set LOWDIM_CHROMIUM)"
	if os.Getenv("LOWDIM_REQUIRE_BROWSER") == "1" {
		t.Fatal(msg + "; LOWDIM_REQUIRE_BROWSER=1 requires it")
	}
	t.Skip(msg)
	return ""
}

// pageCheck is what the page reports about itself once loaded.
type pageCheck struct {
	Images []struct {
		Src string  `json:"src"`
		W   float64 `json:"w"`
	} `json:"images"`
	SVGs []struct {
		Figure string  `json:"figure"`
		W      float64 `json:"w"`
		H      float64 `json:"h"`
	} `json:"svgs"`
	SVGImages []struct {
		Figure string  `json:"figure"`
		W      float64 `json:"w"`
		RW     float64 `json:"rw"` // drawn size
		RH     float64 `json:"rh"`
		Err    string  `json:"err"`
	} `json:"svgImages"`
	Figures  int      `json:"figures"`
	Sections []string `json:"sections"`
	Tables   int      `json:"tables"`
	Links    []string `json:"links"`
}

const pageCheckJS = `(async () => {
  const fig = el => (el.closest('figure') || {}).id || '';
  const svgImages = [];
  for (const im of document.querySelectorAll('svg image')) {
    const href = im.getAttribute('href') || im.getAttribute('xlink:href') || '';
    const probe = new Image();
    probe.src = href;
    const r = im.getBoundingClientRect();
    // Unless preserveAspectRatio is "none", SVG draws the image at its own
    // aspect ratio inside the box ("meet"): a 1 × 256 bar becomes a hairline.
    const keep = (im.getAttribute('preserveAspectRatio') || 'xMidYMid meet') !== 'none';
    try {
      await probe.decode();
      const ar = probe.naturalWidth / probe.naturalHeight;
      const rw = keep ? Math.min(r.width, r.height * ar) : r.width;
      const rh = keep ? Math.min(r.height, r.width / ar) : r.height;
      svgImages.push({figure: fig(im), w: probe.naturalWidth, rw, rh, err: ''});
    }
    catch (e) { svgImages.push({figure: fig(im), w: 0, rw: r.width, rh: r.height, err: String(e)}); }
  }
  return {
    images: [...document.images].map(i => ({src: i.src.slice(0, 100), w: i.complete ? i.naturalWidth : 0})),
    svgs: [...document.querySelectorAll('figure svg')].map(s => { const r = s.getBoundingClientRect(); return {figure: fig(s), w: r.width, h: r.height}; }),
    svgImages,
    figures: document.querySelectorAll('figure').length,
    sections: [...document.querySelectorAll('section.run')].map(s => s.id),
    tables: document.querySelectorAll('table').length,
    links: [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href')),
  };
})()`

// TestReportInBrowser renders the index.html of an output folder holding a
// run of every study's example in headless Chromium, saves a screenshot,
// and checks that every figure drew (each inline SVG has a size, every
// image decoded), every run has its section, every link to a table or
// spec resolves, and the console shows no error.
func TestReportInBrowser(t *testing.T) {
	bin := chromium(t)
	out := allStudiesOutput(t)
	index := filepath.Join(out, "report", report.IndexFile)
	abs, err := filepath.Abs(index)
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 1000),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()

	// Subscribe to the console (calls, exceptions, browser log such as a
	// failed image) before loading the page.
	msgCtx, stopMessages := context.WithCancel(ctx)
	messages := chromedp.Console(msgCtx)
	var consoleErrors []string
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				consoleErrors = append(consoleErrors, fmt.Sprintf("%s (%s:%d)", m, m.URL, m.Line+1))
			}
		}
	}()
	page := (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
	if err := chromedp.Do(ctx, chromedp.Navigate(page), chromedp.WaitReady("body")); err != nil {
		t.Fatalf("%s: %v", page, err)
	}
	check, err := chromedp.Run(ctx, chromedp.Evaluate[pageCheck](pageCheckJS, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: checking the page: %v", page, err)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("%s: screenshot: %v", page, err)
	}
	stopMessages()
	wg.Wait()
	png := filepath.Join(t.TempDir(), "index.png")
	if err := os.WriteFile(png, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	if keep := os.Getenv("LOWDIM_KEEP_SCREENSHOT"); keep != "" {
		os.WriteFile(keep, shot, 0o644)
	}
	if len(shot) < 1000 || string(shot[1:4]) != "PNG" {
		t.Errorf("screenshot %s: %d bytes, not a PNG", png, len(shot))
	}

	for _, e := range consoleErrors {
		t.Errorf("console: %s", e)
	}
	if len(check.Sections) != len(allStudies.runs) {
		t.Errorf("page has sections %v, want one per run %v", check.Sections, allStudies.runs)
	}
	if check.Figures < 30 || len(check.SVGs) != check.Figures {
		t.Errorf("page has %d figures and %d inline SVGs; want every study's figures (≥ 30), one SVG each", check.Figures, len(check.SVGs))
	}
	for _, s := range check.SVGs {
		if s.W < 300 || s.H < 100 {
			t.Errorf("figure %s drew at %.0f × %.0f px", s.Figure, s.W, s.H)
		}
	}
	for _, im := range check.Images {
		if im.W <= 0 {
			t.Errorf("image %s did not load", im.Src)
		}
	}
	if len(check.SVGImages) == 0 {
		t.Error("no colour bar images in the page's SVGs")
	}
	for _, im := range check.SVGImages {
		if im.W <= 0 {
			t.Errorf("figure %s: embedded image did not decode: %s", im.Figure, im.Err)
		}
		if im.RW < 8 || im.RH < 100 {
			t.Errorf("figure %s: colour bar drawn at %.1f × %.1f px", im.Figure, im.RW, im.RH)
		}
	}
	if check.Tables < len(allStudies.runs) {
		t.Errorf("page has %d tables, want at least one per run", check.Tables)
	}
	var parquet, specs int
	for _, l := range check.Links {
		if strings.HasPrefix(l, "#") {
			continue
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(index), filepath.FromSlash(l))); err != nil {
			t.Errorf("link %s: %v", l, err)
		}
		switch {
		case strings.HasSuffix(l, ".parquet"):
			parquet++
		case strings.HasPrefix(l, "spec-"):
			specs++
		}
	}
	if parquet < len(allStudies.runs) || specs != len(allStudies.runs) {
		t.Errorf("page links %d Parquet files and %d specs; want the tables and spec of every run (%d)", parquet, specs, len(allStudies.runs))
	}
}
