package report

import (
	"encoding/json"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/lowdim/lowdim/pipelines"
)

// IndexFile is the name of the HTML report in the report folder.
const IndexFile = "index.html"

// imageRef matches a markdown image ![alt](file).
var imageRef = regexp.MustCompile(`!\[([^\]]*)\]\(([^)\s]+)\)`)

// captionFigures adds, under every line of md that shows figures, the
// caption each figure was saved with.
func captionFigures(md, dir string) string {
	lines := strings.Split(md, "\n")
	var out []string
	for _, l := range lines {
		out = append(out, l)
		for _, m := range imageRef.FindAllStringSubmatch(l, -1) {
			if c := figureCaption(filepath.Join(dir, m[2])); c != "" {
				out = append(out, "", "*Figure "+strings.TrimSuffix(m[2], filepath.Ext(m[2]))+".* "+c)
			}
		}
	}
	return strings.Join(out, "\n")
}

// svgProlog is what precedes the <svg> element in a saved SVG file.
var (
	svgProlog = regexp.MustCompile(`(?s)^.*?<svg `)
	svgSize   = regexp.MustCompile(`^<svg width="[^"]*" height="[^"]*"`)
)

// inlineSVG is the SVG saved beside png in dir, ready to be inlined in HTML
// (no XML prolog, scaled to the page's width), or "" when there is none.
func inlineSVG(dir, png string) string {
	b, err := os.ReadFile(filepath.Join(dir, strings.TrimSuffix(png, filepath.Ext(png))+".svg"))
	if err != nil {
		return ""
	}
	s := svgProlog.ReplaceAllString(string(b), "<svg ")
	return svgSize.ReplaceAllString(s, `<svg class="fig" role="img"`)
}

// sectionHTML renders a run's section: its details, the console summary,
// the study's figures (inlined SVG) and tables, and links to its tables
// and spec.
func sectionHTML(d runDoc) string {
	r := d.run
	var b strings.Builder
	fmt.Fprintf(&b, "<section class=\"run\" id=\"run-%s\">\n<h2>%s <small>(%s study, run <code>%s</code>)</small></h2>\n",
		html.EscapeString(r.RunID), html.EscapeString(r.Name), html.EscapeString(r.Study), html.EscapeString(r.RunID))
	fmt.Fprintf(&b, "<p class=\"meta\">runner <code>%s</code>, lowdim %s; started %s, took %.1f s; rows read %d in %d shards, bad rows %d; seed %d.</p>\n",
		html.EscapeString(r.Runner), html.EscapeString(r.LowdimVersion), r.StartedAt.Format(time.RFC3339), r.FinishedAt.Sub(r.StartedAt).Seconds(),
		r.RowsRead, r.Shards, r.BadRows, r.Seed)
	if d.summary != "" {
		fmt.Fprintf(&b, "<h3>Summary</h3>\n<pre class=\"summary\">%s</pre>\n", html.EscapeString(d.summary))
	}
	if d.failed != nil {
		fmt.Fprintf(&b, "<p class=\"error\">This run's figures could not be drawn: %s</p>\n", html.EscapeString(d.failed.Error()))
	} else {
		b.WriteString(markdownHTML(d.section, d.dir))
	}
	b.WriteString("<h3>Tables and spec</h3>\n<ul class=\"files\">\n")
	for _, t := range d.tables {
		name := filepath.Base(filepath.Dir(t))
		fmt.Fprintf(&b, "<li><b>%s</b>:", html.EscapeString(name))
		parts, _ := os.ReadDir(t)
		n := 0
		for _, p := range parts {
			if p.IsDir() && name != pipelines.CheckpointsFolder {
				continue
			}
			if n == 20 {
				fmt.Fprintf(&b, " … (%d files)", len(parts))
				break
			}
			href := "../" + name + "/" + filepath.Base(t) + "/" + p.Name()
			fmt.Fprintf(&b, " <a href=\"%s\">%s</a>", html.EscapeString(href), html.EscapeString(p.Name()))
			n++
		}
		b.WriteString("</li>\n")
	}
	spec := specFile(r.RunID)
	fmt.Fprintf(&b, "<li><b>spec</b>: <a href=\"%s\">%s</a></li>\n</ul>\n", html.EscapeString(spec), html.EscapeString(spec))
	if d.query != "" {
		b.WriteString(markdownHTML(d.query, d.dir))
	}
	b.WriteString("</section>\n")
	return b.String()
}

func specFile(runID string) string { return "spec-" + runID + ".json" }

// writeIndex writes dir/index.html with a section per run (newest first)
// and each run's spec beside it.
func writeIndex(out, dir, runID string, runs []pipelines.RunRow, docs map[string]runDoc) error {
	sort.SliceStable(runs, func(i, j int) bool { return runs[i].StartedAt.After(runs[j].StartedAt) })
	var b strings.Builder
	abs, err := filepath.Abs(out)
	if err != nil {
		abs = out
	}
	fmt.Fprintf(&b, `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>lowdim report: %s</title>
<style>%s</style>
</head>
<body>
<header><h1>lowdim report</h1><p>%d run(s) in <code>%s</code>. Figures are inline SVG; the PNG and SVG files of run <code>%s</code>'s figures and its report.md are beside this file.</p>
<nav><ol>
`, html.EscapeString(filepath.Base(abs)), indexCSS, len(runs), html.EscapeString(abs), html.EscapeString(runID))
	for _, r := range runs {
		fmt.Fprintf(&b, "<li><a href=\"#run-%s\">%s</a> — %s study, run <code>%s</code>, %s</li>\n", html.EscapeString(r.RunID),
			html.EscapeString(r.Name), html.EscapeString(r.Study), html.EscapeString(r.RunID), r.StartedAt.Format(time.RFC3339))
	}
	b.WriteString("</ol></nav></header>\n<main>\n")
	for _, r := range runs {
		b.WriteString(docs[r.RunID].html)
		spec := r.Spec
		var v any
		if json.Unmarshal([]byte(spec), &v) == nil {
			if pretty, err := json.MarshalIndent(v, "", "  "); err == nil {
				spec = string(pretty)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, specFile(r.RunID)), []byte(spec+"\n"), 0o644); err != nil {
			return err
		}
	}
	b.WriteString("</main>\n</body>\n</html>\n")
	tmp := filepath.Join(dir, "."+IndexFile+".tmp")
	if err := os.WriteFile(tmp, []byte(b.String()), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, IndexFile))
}

const indexCSS = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Liberation Sans",sans-serif;margin:0 auto;max-width:1200px;padding:1em 2em;color:#222;line-height:1.45}
h1{margin-bottom:.2em}h2{border-top:2px solid #ccc;padding-top:1em;margin-top:2em}h2 small{font-weight:normal;color:#666;font-size:.6em}
code,pre{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:.9em}
pre{background:#f6f6f6;padding:.6em .8em;overflow-x:auto;border-radius:4px}
table{border-collapse:collapse;margin:.8em 0;font-size:.92em}th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right}
th{background:#f0f0f0}td:first-child,th:first-child{text-align:left}
figure{margin:1.2em 0}svg.fig{display:block;width:100%;height:auto;max-width:1100px}
figcaption{font-size:.92em;color:#333;margin-top:.3em}figcaption b{font-weight:600}
.meta{color:#555}.error{color:#a00}.files a{margin-right:.4em}
`

// markdownHTML renders the markdown the study sections write (headings,
// paragraphs, lists, pipe tables, fenced code, images) as HTML; images
// become figures with the SVG saved beside the PNG in dir inlined.
func markdownHTML(md, dir string) string {
	var b strings.Builder
	lines := strings.Split(md, "\n")
	for i := 0; i < len(lines); i++ {
		l := strings.TrimRight(lines[i], " ")
		switch {
		case strings.TrimSpace(l) == "":
		case strings.HasPrefix(l, "```"):
			var code []string
			for i++; i < len(lines) && !strings.HasPrefix(lines[i], "```"); i++ {
				code = append(code, lines[i])
			}
			fmt.Fprintf(&b, "<pre><code>%s</code></pre>\n", html.EscapeString(strings.Join(code, "\n")))
		case strings.HasPrefix(l, "#"):
			level := len(l) - len(strings.TrimLeft(l, "#"))
			h := min(level+1, 6) // the page has h1, a run h2
			fmt.Fprintf(&b, "<h%d>%s</h%d>\n", h, inlineHTML(strings.TrimSpace(l[level:])), h)
		case strings.HasPrefix(l, "|"):
			var rows []string
			for ; i < len(lines) && strings.HasPrefix(lines[i], "|"); i++ {
				rows = append(rows, strings.TrimSpace(lines[i]))
			}
			i--
			b.WriteString(tableHTML(rows))
		case strings.HasPrefix(l, "- "):
			b.WriteString("<ul>\n")
			for ; i < len(lines) && strings.HasPrefix(lines[i], "- "); i++ {
				fmt.Fprintf(&b, "<li>%s</li>\n", inlineHTML(lines[i][2:]))
			}
			i--
			b.WriteString("</ul>\n")
		case imageRef.MatchString(l) && strings.TrimSpace(imageRef.ReplaceAllString(l, "")) == "":
			for _, m := range imageRef.FindAllStringSubmatch(l, -1) {
				b.WriteString(figureHTML(m[1], m[2], dir))
			}
			// The markdown caption lines that follow are the figcaptions.
			for i+2 < len(lines) && strings.TrimSpace(lines[i+1]) == "" && strings.HasPrefix(lines[i+2], "*Figure ") {
				i += 2
			}
		default:
			var para []string
			for ; i < len(lines) && strings.TrimSpace(lines[i]) != "" && !strings.HasPrefix(lines[i], "|") && !strings.HasPrefix(lines[i], "```") && !strings.HasPrefix(lines[i], "#"); i++ {
				para = append(para, lines[i])
			}
			i--
			fmt.Fprintf(&b, "<p>%s</p>\n", inlineHTML(strings.Join(para, "\n")))
		}
	}
	return b.String()
}

func figureHTML(alt, png, dir string) string {
	svg := inlineSVG(dir, png)
	caption := figureCaption(filepath.Join(dir, png))
	if caption == "" {
		caption = alt
	}
	name := strings.TrimSuffix(png, filepath.Ext(png))
	if svg == "" {
		return fmt.Sprintf("<figure><p class=\"error\">figure %s: no SVG</p><figcaption>%s</figcaption></figure>\n", html.EscapeString(name), html.EscapeString(caption))
	}
	return fmt.Sprintf("<figure id=\"fig-%s\" data-alt=\"%s\">\n%s<figcaption><b>%s.</b> %s</figcaption>\n</figure>\n",
		html.EscapeString(name), html.EscapeString(alt), svg, html.EscapeString(name), html.EscapeString(caption))
}

// tableHTML renders pipe-table rows (header, separator, body).
func tableHTML(rows []string) string {
	var b strings.Builder
	b.WriteString("<table>\n")
	for i, r := range rows {
		if i == 1 && strings.Trim(r, "|-: ") == "" {
			continue
		}
		cells := splitCells(r)
		tag := "td"
		if i == 0 {
			tag = "th"
		}
		b.WriteString("<tr>")
		for _, c := range cells {
			fmt.Fprintf(&b, "<%s>%s</%s>", tag, inlineHTML(c), tag)
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</table>\n")
	return b.String()
}

// splitCells splits a pipe-table row, keeping escaped pipes (\|).
func splitCells(row string) []string {
	row = strings.TrimSuffix(strings.TrimPrefix(row, "|"), "|")
	var cells []string
	var cur strings.Builder
	for i := 0; i < len(row); i++ {
		switch {
		case row[i] == '\\' && i+1 < len(row) && row[i+1] == '|':
			cur.WriteByte('|')
			i++
		case row[i] == '|':
			cells = append(cells, strings.TrimSpace(cur.String()))
			cur.Reset()
		default:
			cur.WriteByte(row[i])
		}
	}
	return append(cells, strings.TrimSpace(cur.String()))
}

var (
	codeSpan = regexp.MustCompile("`([^`]*)`")
	emSpan   = regexp.MustCompile(`\*([^*\s][^*]*)\*`)
	linkSpan = regexp.MustCompile(`\[([^\]]+)\]\(([^)\s]+)\)`)
)

// inlineHTML escapes text and renders `code`, *emphasis* and [links](href).
func inlineHTML(s string) string {
	var b strings.Builder
	for {
		loc := codeSpan.FindStringSubmatchIndex(s)
		if loc == nil {
			b.WriteString(inlineText(s))
			return b.String()
		}
		b.WriteString(inlineText(s[:loc[0]]))
		fmt.Fprintf(&b, "<code>%s</code>", html.EscapeString(s[loc[2]:loc[3]]))
		s = s[loc[1]:]
	}
}

func inlineText(s string) string {
	s = html.EscapeString(s)
	s = linkSpan.ReplaceAllString(s, `<a href="$2">$1</a>`)
	return emSpan.ReplaceAllString(s, "<em>$1</em>")
}
