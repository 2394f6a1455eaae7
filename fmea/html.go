package fmea

import (
	"fmt"
	"html/template"
	"io"
	"time"
)

// WriteHTML writes the worksheet as one self-contained HTML page: no
// external assets, the style and the sorting script inline. The
// worksheet table is sorted by Action Priority, then RPN, and sorts by
// any column when its header is clicked; AP cells are coloured. With
// evidence it has the evidence columns, the proposed re-ratings with
// their reasons and the runs with links to their reports. All text is
// escaped.
func WriteHTML(w io.Writer, ws *Worksheet) error {
	return htmlPage.Execute(w, newHTMLView(ws))
}

// htmlView is what the page shows, in the words of the other formats.
type htmlView struct {
	System   string
	Header   [][2]string
	APCounts [3]int
	Evidence bool
	Proposed int
	Rows     []htmlRow
	Runs     []htmlRun
}

// htmlRow is one row of the page's worksheet table; the Key fields are
// the sort keys of their cells.
type htmlRow struct {
	AP, APWord                               string
	APKey                                    int
	RPN                                      int
	Component, Function, Effect              string
	FailureMode, Cause                       string
	Prevention, DetectionControls            []string
	Severity, Occurrence, Detection          int
	Actions                                  []htmlAction
	Hypotheses                               []string
	Runs, Verdicts, Impact, Detect           string
	RunsKey, VerdictsKey                     int
	ImpactKey, DetectKey                     float64
	LastRun, LastRunKey                      string
	LastRunHref                              string
	ProposedS, ProposedO, ProposedD          string
	ProposedSKey, ProposedOKey, ProposedDKey int
	Proposals                                []htmlProposal
}

type htmlAction struct{ Text, Details string }

type htmlProposal struct{ Summary, Rule, Reason string }

type htmlRun struct {
	ID, Date, Counts string
	Expired          bool
	Links            []Link
}

func newHTMLView(ws *Worksheet) htmlView {
	v := htmlView{System: ws.System(), Header: headerFields(ws), Evidence: len(ws.Runs) > 0, Proposed: proposalCount(ws)}
	v.APCounts[0], v.APCounts[1], v.APCounts[2] = apCounts(ws)
	for _, r := range ws.Rows {
		e := r.Evidence
		hr := htmlRow{
			AP: string(r.AP), APWord: r.AP.Word(), APKey: r.AP.rank()*10000 + r.RPN, RPN: r.RPN,
			Component: r.Component, Function: r.Function, Effect: r.Effect, FailureMode: r.FailureMode, Cause: r.Cause,
			Prevention: r.Prevention, DetectionControls: r.DetectionControls,
			Severity: r.Severity, Occurrence: r.Occurrence, Detection: r.Detection,
			Hypotheses: r.Hypotheses,
			Runs:       runsText(e), RunsKey: e.Runs, Verdicts: verdictsText(e), VerdictsKey: e.Verdicts(),
			Impact: impactText(e), ImpactKey: max(e.PeakOutliers, e.PeakErrors),
			Detect: detectText(e), DetectKey: -1,
			LastRun: lastRunText(e), LastRunKey: e.LastRun,
			ProposedS: proposedText(r, Severity, false), ProposedO: proposedText(r, Occurrence, false), ProposedD: proposedText(r, Detection, false),
		}
		if e.DetectionRuns > 0 {
			hr.DetectKey = float64(e.DetectedInTime) / float64(e.DetectionRuns)
		}
		if len(e.LastRunLinks) > 0 {
			hr.LastRunHref = e.LastRunLinks[len(e.LastRunLinks)-1].Href
		}
		for _, k := range []struct {
			rating Rating
			dst    *int
		}{{Severity, &hr.ProposedSKey}, {Occurrence, &hr.ProposedOKey}, {Detection, &hr.ProposedDKey}} {
			if p, ok := r.Proposal(k.rating); ok {
				*k.dst = p.To
			}
		}
		for _, a := range r.Actions {
			hr.Actions = append(hr.Actions, htmlAction{Text: a.Text, Details: actionDetails(a)})
		}
		for _, p := range r.Proposals {
			hr.Proposals = append(hr.Proposals, htmlProposal{Summary: proposalSummary(p), Rule: p.Rule, Reason: p.Reason})
		}
		v.Rows = append(v.Rows, hr)
	}
	for _, r := range ws.Runs {
		v.Runs = append(v.Runs, htmlRun{ID: r.ID, Date: r.Date.Format(time.DateOnly), Counts: r.Counts, Expired: r.Expired, Links: r.Links})
	}
	return v
}

var htmlPage = template.Must(template.New("fmea").Funcs(template.FuncMap{
	"plural": plural,
	"num":    func(f float64) string { return fmt.Sprintf("%.4f", f) },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>FMEA: {{.System}}</title>
<style>
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 1.5em; color: #1a1a1a; }
h1 { font-size: 1.5em; margin: 0 0 .6em; }
h2 { font-size: 1.2em; margin: 1.6em 0 .5em; }
table { border-collapse: collapse; }
.scroll { overflow-x: auto; }
#worksheet { font-size: 13px; }
th, td { border: 1px solid #c8c8c8; padding: .3em .5em; vertical-align: top; text-align: left; }
th { background: #f0f0f0; }
table.header th { width: 8em; }
table.sortable th { cursor: pointer; user-select: none; white-space: nowrap; }
table.sortable th[aria-sort="ascending"]::after { content: " ▲"; }
table.sortable th[aria-sort="descending"]::after { content: " ▼"; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.name, td.date { white-space: nowrap; }
td.ap { font-weight: bold; text-align: center; }
td.ap-H { background: #c62828; color: #fff; }
td.ap-M { background: #f9a825; color: #1a1a1a; }
td.ap-L { background: #2e7d32; color: #fff; }
td.proposed { background: #fff3cd; font-weight: bold; }
ul.cell { margin: 0; padding-left: 1.1em; }
.muted { color: #666; }
.expired { color: #888; }
</style>
</head>
<body>
<h1>FMEA: {{.System}}</h1>
<table class="header">
{{- range .Header}}
<tr><th>{{index . 0}}</th><td>{{index . 1}}</td></tr>
{{- end}}
</table>
<p>Action Priority (AIAG-VDA 2019): <strong>{{index .APCounts 0}} high</strong>, {{index .APCounts 1}} medium, {{index .APCounts 2}} low.
{{- if .Evidence}} {{.Proposed}} {{plural .Proposed "re-rating" "re-ratings"}} proposed from the evidence, none applied.{{end}}</p>

<h2>Worksheet</h2>
<p class="muted">Sorted by AP, then RPN. Click a column header to sort by it; click again to reverse.</p>
<div class="scroll">
<table id="worksheet" class="sortable">
<thead><tr>
<th data-type="num" aria-sort="descending">AP</th><th data-type="num">RPN</th><th>component</th><th>function</th><th>failure effect</th><th data-type="num">S</th><th>failure mode</th><th>failure cause</th><th>prevention controls</th><th data-type="num">O</th><th>detection controls</th><th data-type="num">D</th><th>recommended actions</th>
{{- if .Evidence}}<th>hypotheses</th><th data-type="num">runs</th><th data-type="num">verdicts</th><th data-type="num">peak impact</th><th data-type="num">alert time to detect</th><th>last run</th><th data-type="num">proposed S</th><th data-type="num">proposed O</th><th data-type="num">proposed D</th>{{end}}
</tr></thead>
<tbody>
{{- range $i, $r := .Rows}}
<tr data-order="{{$i}}">
<td class="ap ap-{{$r.AP}}" data-sort="{{$r.APKey}}" title="{{$r.APWord}} priority">{{$r.AP}}</td>
<td class="num">{{$r.RPN}}</td>
<td class="name">{{$r.Component}}</td>
<td>{{$r.Function}}</td>
<td>{{$r.Effect}}</td>
<td class="num">{{$r.Severity}}</td>
<td class="name">{{$r.FailureMode}}</td>
<td>{{$r.Cause}}</td>
<td>{{if $r.Prevention}}<ul class="cell">{{range $r.Prevention}}<li>{{.}}</li>{{end}}</ul>{{end}}</td>
<td class="num">{{$r.Occurrence}}</td>
<td>{{if $r.DetectionControls}}<ul class="cell">{{range $r.DetectionControls}}<li>{{.}}</li>{{end}}</ul>{{end}}</td>
<td class="num">{{$r.Detection}}</td>
<td>{{if $r.Actions}}<ul class="cell">{{range $r.Actions}}<li>{{.Text}} <span class="muted">({{.Details}})</span></li>{{end}}</ul>{{end}}</td>
{{- if $.Evidence}}
<td class="name">{{if $r.Hypotheses}}<ul class="cell">{{range $r.Hypotheses}}<li>{{.}}</li>{{end}}</ul>{{end}}</td>
<td class="num" data-sort="{{$r.RunsKey}}">{{$r.Runs}}</td>
<td data-sort="{{$r.VerdictsKey}}">{{$r.Verdicts}}</td>
<td data-sort="{{num $r.ImpactKey}}">{{$r.Impact}}</td>
<td data-sort="{{num $r.DetectKey}}">{{$r.Detect}}</td>
<td class="date" data-sort="{{$r.LastRunKey}}">{{if $r.LastRunHref}}<a href="{{$r.LastRunHref}}">{{$r.LastRun}}</a>{{else}}{{$r.LastRun}}{{end}}</td>
<td class="num{{if $r.ProposedS}} proposed{{end}}" data-sort="{{$r.ProposedSKey}}">{{$r.ProposedS}}</td>
<td class="num{{if $r.ProposedO}} proposed{{end}}" data-sort="{{$r.ProposedOKey}}">{{$r.ProposedO}}</td>
<td class="num{{if $r.ProposedD}} proposed{{end}}" data-sort="{{$r.ProposedDKey}}">{{$r.ProposedD}}</td>
{{- end}}
</tr>
{{- end}}
</tbody>
</table>
</div>
{{- if .Evidence}}

<h2>Proposed re-ratings</h2>
{{- if .Proposed}}
<p class="muted">Never applied: if the review agrees, change the ratings in the experiment file. The rules are in docs/fmea.md.</p>
<ul>
{{- range .Rows}}{{$fm := .FailureMode}}{{range .Proposals}}
<li><strong>{{$fm}}</strong>: {{.Summary}} (<code>{{.Rule}}</code>): {{.Reason}}.</li>
{{- end}}{{end}}
</ul>
{{- else}}
<p>None: the evidence supports the ratings as written.</p>
{{- end}}

<h2>Runs</h2>
<table>
<thead><tr><th>run</th><th>date</th><th>verdicts</th><th>evidence</th><th>reports</th></tr></thead>
<tbody>
{{- range .Runs}}
<tr{{if .Expired}} class="expired"{{end}}><td>{{.ID}}</td><td>{{.Date}}</td><td>{{.Counts}}</td><td>{{if .Expired}}expired{{else}}used{{end}}</td><td>{{range $i, $l := .Links}}{{if $i}}, {{end}}<a href="{{$l.Href}}">{{$l.Name}}</a>{{end}}</td></tr>
{{- end}}
</tbody>
</table>
{{- end}}
<script>
(function () {
  "use strict";
  function key(row, col, num) {
    var cell = row.cells[col];
    var v = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent.trim();
    if (!num) { return v.toLowerCase(); }
    var f = parseFloat(v);
    return isNaN(f) ? -Infinity : f;
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, col) {
      th.addEventListener("click", function () {
        var num = th.getAttribute("data-type") === "num";
        var current = th.getAttribute("aria-sort");
        var desc = current ? current === "ascending" : num;
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", desc ? "descending" : "ascending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = key(a, col, num), y = key(b, col, num);
          if (x < y) { return desc ? 1 : -1; }
          if (x > y) { return desc ? -1 : 1; }
          return Number(a.getAttribute("data-order")) - Number(b.getAttribute("data-order"));
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
})();
</script>
</body>
</html>
`))
