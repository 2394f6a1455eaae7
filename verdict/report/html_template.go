package report

// pageHTML is the template of report.html. html/template escapes every
// value for its context; the page has no script and loads nothing.
const pageHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>{{.Title}}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#1d2329;background:#fff;margin:0}
main{max-width:1000px;margin:0 auto;padding:16px 20px 40px}
h1{font-size:22px;margin:8px 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #d5dbe1;padding-bottom:4px}
h3{font-size:15px;margin:18px 0 6px}
a{color:#1456a0}
code,pre{font:12.5px/1.4 ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace}
pre{background:#f4f6f8;border:1px solid #dde2e7;padding:8px 10px;white-space:pre-wrap;word-break:break-word;margin:4px 0 10px}
table{border-collapse:collapse;margin:6px 0 12px;font-size:13px}
th,td{border-bottom:1px solid #e3e7eb;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f4f6f8;font-weight:600}
td.nowrap{white-space:nowrap}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tr.bad td{background:#fff3f1}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:6px 0 10px}
dl.facts dt{color:#56606a}dl.facts dd{margin:0}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600;font-size:12.5px;color:#fff;background:#6b7580}
.badge.confirmed{background:#2e7d32}.badge.refuted{background:#c62828}.badge.aborted{background:#b45309}.badge.inconclusive{background:#6b7580}
.alert{border-left:4px solid #c62828;background:#fff3f1;padding:6px 10px;margin:8px 0}
.note{color:#56606a}
.hyp{border-top:2px solid #d5dbe1;margin-top:28px}
.hyp h2{border:0;margin-top:14px}
.verdict{font-size:15px;margin:4px 0}
.caption{font-size:12px;color:#56606a;margin:0 0 10px}
svg.chart{display:block;width:100%;height:auto}
svg.spark{display:block;width:160px;height:26px}
svg.latency{max-width:480px}
.multiples{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:8px 14px}
.multiples figure{margin:0}
.multiples figcaption{font-size:12px;word-break:break-all}
.multiples figcaption .why{color:#56606a;word-break:normal}
ul.toc{padding-left:18px}
svg text{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
.tick{font-size:10.5px;fill:#4a535c}.value{font-size:10px;fill:#1d2329}.rowlabel{font-size:11.5px;fill:#1d2329}.label{font-size:10.5px;fill:#37414b}
.ylabel{font-size:11px;fill:#56606a}.strip{font-size:9.5px;fill:#1d2329}.note{font-size:10.5px;fill:#37414b}.note.bad{fill:#c62828}
.axis{stroke:#6b7580;stroke-width:1}.grid{stroke:#e6e9ec;stroke-width:1}
.ph-warmup{fill:#e9ecef}.ph-baseline{fill:#b9c6d3}.ph-fault{fill:#f0a177}.ph-recovery{fill:#a9d18e}.ph-other{fill:#ddd}.dim{opacity:.35}
.shade-fault{fill:#f4511e;opacity:.10}
.bar{fill:#8da2b8}.bar.baseline{fill:#b9c6d3}.bar.fault,.bar.recovery{fill:#6d8aa8}.bar.alarm{fill:#c62828}.bar.skipped{fill:#d5dbe1}
.threshold{stroke:#c62828;stroke-width:1.2;stroke-dasharray:6 4}.threshold.thin{stroke-width:.8;stroke-dasharray:3 2}
.threshold-label{fill:#c62828}
.baserate{stroke:#37414b;stroke-width:1;stroke-dasharray:2 3}
.faultbar{fill:#f0a177}.faultbar.bad{fill:#9e9e9e}
.m-inject{fill:#b71c1c}.m-effective{fill:#fff;stroke:#b71c1c;stroke-width:1.5}.m-landed{fill:#e65100}.m-notlanded{fill:#9e9e9e}
.m-revert{fill:#2e7d32}.m-recovered{fill:#fff;stroke:#2e7d32;stroke-width:1.5}
.m-trip{fill:#c62828}.m-skip{fill:#9e9e9e}.m-note{fill:#00838f}.notepole{stroke:#00838f;stroke-width:1}.trip{stroke:#c62828;stroke-width:2}
.ttd{stroke:#6a1b9a;stroke-width:2}.deadline{stroke:#6a1b9a;stroke-width:1.5;stroke-dasharray:2 2}
.m-from{fill:#6a1b9a}.m-fired{fill:#6a1b9a}.m-late{fill:#c62828}
.qbar.p50{fill:#1565c0}.qbar.p90{fill:#5e92d0}.qbar.p99{fill:#a7c3e6}
.p90{fill:none;stroke:#1565c0;stroke-width:2}.p50{fill:none;stroke:#7fb0e6;stroke-width:1.5}
.cutoff{stroke:#c62828;stroke-width:1;stroke-dasharray:4 3}
.hover{fill:transparent}
.err{fill:#c62828}.err1{opacity:.25}.err2{opacity:.5}.err3{opacity:.75}.err4{opacity:1}
.sbar{fill:#6d8aa8}.sbar.over{fill:#c62828}
.key{display:inline-block;width:18px;height:0;border-top:2px solid;vertical-align:middle;margin:0 3px 0 8px}
@media print{main{max-width:none}.hyp{break-before:page}}
</style>
</head>
<body>
<main>
<h1>{{.Exp.Name}} <span class="note">run {{.RunID}}</span></h1>
{{if .Exp.Description}}<p>{{.Exp.Description}}</p>{{end}}
<p>File <code>{{.Exp.File}}</code>, started {{.Started}}, took {{.Took}}.
<span class="badge {{.CountsClass}}">{{.Counts}}</span></p>
{{if .Aborted}}<div class="alert"><b>Aborted:</b> {{.AbortReason}}</div>{{end}}
{{range .Problems}}<div class="alert">{{.}}</div>{{end}}
<ul class="toc">
{{range .Hypotheses}}<li><a href="#{{.ID}}">{{.Name}}</a> <span class="badge {{.OutcomeClass}}">{{.Outcome}}</span> <span class="note">{{.Subject}} under {{.FailureMode}}</span></li>
{{end}}</ul>

<h2>Experiment and environment</h2>
<table>
<tr>{{range .Settings}}<th>{{.Name}}</th>{{end}}</tr>
<tr>{{range .Settings}}<td>{{.Value}}</td>{{end}}</tr>
</table>
{{if .Components}}<table>
<tr><th>component</th><th>address</th><th>listen</th><th>proxied</th><th class="num">pid</th><th>container</th><th>image</th></tr>
{{range .Components}}<tr><td>{{.Name}}</td><td><code>{{.Address}}</code></td><td><code>{{.Listen}}</code></td><td>{{if .Proxied}}yes{{else}}no{{end}}</td><td class="num">{{if .PID}}{{.PID}}{{end}}</td><td>{{.Container}}</td><td>{{.Image}}</td></tr>
{{end}}</table>{{end}}
{{if .Signals}}<table>
<tr><th>signal</th><th class="num">series</th><th class="num">samples</th><th class="num">no value</th><th>error</th></tr>
{{range .Signals}}<tr{{if .Error}} class="bad"{{end}}><td>{{.Name}}</td><td class="num">{{.Series}}</td><td class="num">{{.Samples}}</td><td class="num">{{.NaN}}</td><td>{{.Error}}</td></tr>
{{end}}</table>{{end}}

<h2>Timeline</h2>
<p class="caption">Seconds from the start of the run. Hover a mark for its time.</p>
{{template "svg" .Timeline}}
{{template "svg" .Legend}}
{{if .Faults}}<table>
<tr><th>failure mode</th><th>fault</th><th>target</th><th class="num">injected</th><th class="num">effective after</th><th>landed</th><th>check</th><th class="num">reverted</th><th class="num">recovered after</th></tr>
{{range .Faults}}<tr{{if .Bad}} class="bad"{{end}}><td>{{.FailureMode}}</td><td>{{.Kind}}</td><td>{{.Target}}</td><td class="num">{{.Injected}}</td><td class="num">{{.EffectiveAfter}}</td><td>{{.Landed}}</td><td>{{.LandedDetail}}{{if .Problem}} <b>{{.Problem}}</b>{{end}}</td><td class="num">{{.Reverted}}</td><td class="num">{{.RecoveredAfter}}</td></tr>
{{end}}</table>{{end}}
{{if .Trips}}<h3>Abort limits that tripped</h3><table>
<tr><th>failure mode</th><th>limit</th><th>reason</th><th class="num">window end</th><th class="num">reverted</th></tr>
{{range .Trips}}<tr class="bad"><td>{{.FailureMode}}</td><td>{{.Limit}}</td><td>{{.Reason}}</td><td class="num">{{.WindowEnd}}</td><td class="num">{{.Reverted}}</td></tr>
{{end}}</table>{{end}}
{{if .Skips}}<h3>Failure modes skipped</h3><table>
<tr><th>failure mode</th><th class="num">when</th><th>reason</th></tr>
{{range .Skips}}<tr><td>{{.FailureMode}}</td><td class="num">{{.Time}}</td><td>{{.Reason}}</td></tr>
{{end}}</table>{{end}}
{{if .Detections}}<h3>Detection</h3>{{template "detections" .Detections}}{{end}}
{{if .Notes}}<h3>Notes</h3><table>
<tr><th class="num">time</th><th>phase</th><th>failure mode</th><th>note</th></tr>
{{range .Notes}}<tr><td class="num">{{.Time}}</td><td>{{.Phase}}</td><td>{{.FailureMode}}</td><td>{{.Text}}</td></tr>
{{end}}</table>{{end}}
<details><summary>Phases</summary><table>
<tr><th>phase</th><th>failure mode</th><th class="num">from</th><th class="num">to</th><th>completed</th></tr>
{{range .Phases}}<tr><td>{{.Name}}</td><td>{{.FailureMode}}</td><td class="num">{{.From}}</td><td class="num">{{.To}}</td><td>{{.Completed}}</td></tr>
{{end}}</table></details>

{{range .Hypotheses}}
<section class="hyp" id="{{.ID}}">
<h2>{{.Name}} <span class="badge {{.OutcomeClass}}">{{.Outcome}}</span></h2>
{{if .Description}}<p>{{.Description}}</p>{{end}}
<p>Judged on {{.Subject}} under failure mode <b>{{.FailureMode}}</b>; expected {{.Expect}}.</p>
<p class="verdict"><b>{{.Words}}</b> {{.Reason}}</p>
{{if .Query}}<p class="caption">PromQL of the signal, as queried over the run (samples in <a href="signals.csv">signals.csv</a>):</p><pre><code>{{.Query}}</code></pre>{{end}}
{{if .Detections}}{{template "detections" .Detections}}{{end}}
{{if .HasWindows}}
<dl class="facts">{{range .Facts}}<dt>{{.Name}}</dt><dd>{{.Value}}</dd>{{end}}</dl>
<h3>Outlier fraction per window</h3>
{{template "svg" .Fractions}}
<p class="caption">Bars: the share of outliers in each window (red: the window alarmed); dashed red: the threshold; dotted: the baseline rate windows are tested against ({{.BaselineRate}}); shaded: the fault in place. Same scale for every hypothesis. Source: <code>evidence.windows</code> in <a href="conclusions.json">conclusions.json</a>, from <a href="{{.Source}}">{{.Source}}</a> ({{.Filter}}).</p>
<h3>{{if eq .Source "signals.csv"}}Value{{else}}Latency{{end}} per phase</h3>
<table>
<tr><th>phase</th><th>span</th><th class="num">events</th><th class="num">outliers</th><th class="num">errors</th><th class="num">p50</th><th class="num">p90</th><th class="num">p99</th></tr>
{{range .PhaseRows}}<tr><td>{{.Phase}}</td><td>{{.Span}}</td><td class="num">{{.Events}}</td><td class="num">{{.Outliers}}</td><td class="num">{{.Errors}}</td><td class="num">{{.P50}}</td><td class="num">{{.P90}}</td><td class="num">{{.P99}}</td></tr>
{{end}}</table>
{{template "svg" .Latency}}
<p class="caption">Quantiles of every event of each phase (failed ones too), from 0 to {{.LatencyScale}}, the scale of every hypothesis on the same {{if eq .Source "signals.csv"}}signal{{else}}workload{{end}}. Source: <code>evidence.latency</code> in <a href="conclusions.json">conclusions.json</a>.</p>
{{if .Excursions}}<h3>Excursions</h3><table>
<tr><th class="num">from</th><th class="num">to</th><th class="num">duration</th><th class="num">peak</th><th class="num">excess outliers</th><th>cohorts with excess</th></tr>
{{range .Excursions}}<tr class="bad"><td class="num">{{.From}}</td><td class="num">{{.To}}</td><td class="num">{{.Duration}}</td><td class="num">{{.Peak}}</td><td class="num">{{.Excess}}</td><td>{{.Cohorts}}</td></tr>
{{end}}</table>{{end}}
{{if .Localized}}<h3>Localized</h3>
<p class="caption">Cohorts and label values whose outliers after the baseline are significantly above their own baseline (Benjamini-Hochberg, q ≤ 0.05).</p>
<table><tr><th>kind</th><th>key</th><th class="num">events</th><th class="num">outliers</th><th class="num">fraction</th><th class="num">baseline</th><th class="num">q</th></tr>
{{range .Localized}}<tr><td>{{.Kind}}</td><td><code>{{.Key}}</code></td><td class="num">{{.Events}}</td><td class="num">{{.Outliers}}</td><td class="num">{{.Fraction}}</td><td class="num">{{.Baseline}}</td><td class="num">{{.Q}}</td></tr>
{{end}}</table>{{end}}
{{if .Multiples}}<h3>Most affected cohorts</h3>
<p class="caption"><span class="key" style="border-color:#1565c0"></span>p90 <span class="key" style="border-color:#7fb0e6"></span>p50 per window <span class="key" style="border-color:#c62828;border-top-style:dashed"></span>the cohort's cutoff; red strip: windows with failed requests. Every chart from 0 to {{.MultScale}}. Measured from <a href="{{.Source}}">{{.Source}}</a> ({{.Filter}}) with the windows and cutoffs of the evidence.</p>
<div class="multiples">{{range .Multiples}}<figure>{{template "svg" .Chart}}<figcaption><code>{{.Key}}</code>{{if .Why}} <span class="why">{{.Why}}</span>{{end}}</figcaption></figure>
{{end}}</div>{{end}}
{{if .Cohorts}}<h3>Cohorts</h3>
<p class="caption">Coverage {{.Coverage}}. Outlier fraction per window on a 0 to 100% scale, the threshold dashed; most affected first.</p>
<table><tr><th>cohort</th><th>qualified</th><th class="num">ok baseline events</th><th class="num">cutoff</th><th class="num">baseline outliers</th><th class="num">events after</th><th class="num">outliers after</th><th>localized</th><th>per window</th></tr>
{{range .Cohorts}}<tr{{if .Bad}} class="bad"{{end}}><td><code>{{.Key}}</code></td><td>{{.Qualified}}</td><td class="num">{{.BaselineN}}</td><td class="num">{{.Cutoff}}</td><td class="num">{{.BaselineFrac}}</td><td class="num">{{.AfterN}}</td><td class="num">{{.AfterFrac}}</td><td class="nowrap">{{.Localized}}</td><td>{{template "svg" .Spark}}</td></tr>
{{end}}</table>
{{if .MoreCohorts}}<p class="note">… and {{.MoreCohorts}} more cohorts in <a href="conclusions.json">conclusions.json</a>.</p>{{end}}{{end}}
{{if .Unqualified}}<h3>Cohorts not qualified</h3>
<p class="caption">Not judged on latency (their failed requests still count as outliers).</p>
<table><tr><th>cohort</th><th class="num">ok baseline events</th><th>reason</th></tr>
{{range .Unqualified}}<tr><td><code>{{.Key}}</code></td><td class="num">{{.N}}</td><td>{{.Reason}}</td></tr>
{{end}}</table>{{if .MoreUnqual}}<p class="note">… and {{.MoreUnqual}} more in <a href="conclusions.json">conclusions.json</a>.</p>{{end}}{{end}}
{{if .CohortNote}}<p class="note">{{.CohortNote}}</p>{{end}}
{{end}}
</section>
{{end}}

<h2>Files</h2>
<p><a href="conclusions.json">conclusions.json</a> (the verdicts and their evidence) · <a href="events.csv">events.csv</a> (every request of the workloads){{if .HasSignals}} · <a href="signals.csv">signals.csv</a> (the signals' samples){{end}} · <a href="report.md">report.md</a></p>
</main>
</body>
</html>
{{define "svg"}}<svg class="chart {{.Class}}" viewBox="0 0 {{.W}} {{.H}}" width="{{.W}}" height="{{.H}}" role="img" aria-label="{{.Label}}" xmlns="http://www.w3.org/2000/svg">
{{range .Elems}}{{if eq .Tag "rect"}}<rect x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}" class="{{.Class}}">{{if .Title}}<title>{{.Title}}</title>{{end}}</rect>
{{else if eq .Tag "line"}}<line x1="{{.X1}}" y1="{{.Y1}}" x2="{{.X2}}" y2="{{.Y2}}" class="{{.Class}}"/>
{{else if eq .Tag "path"}}<path d="{{.D}}" class="{{.Class}}"/>
{{else if eq .Tag "circle"}}<circle cx="{{.X}}" cy="{{.Y}}" r="{{.R}}" class="{{.Class}}">{{if .Title}}<title>{{.Title}}</title>{{end}}</circle>
{{else if eq .Tag "polygon"}}<polygon points="{{.Points}}" class="{{.Class}}">{{if .Title}}<title>{{.Title}}</title>{{end}}</polygon>
{{else if eq .Tag "text"}}<text x="{{.X}}" y="{{.Y}}" text-anchor="{{.Anchor}}" class="{{.Class}}">{{.Text}}</text>
{{end}}{{end}}</svg>{{end}}
{{define "detections"}}<table>
<tr><th>failure mode</th><th>alert</th><th class="num">within</th><th class="num">counted from</th><th>fired</th><th class="num">time to detect</th><th>in time</th></tr>
{{range .}}<tr{{if .Bad}} class="bad"{{end}}><td>{{.FailureMode}}</td><td>{{.Alert}}</td><td class="num">{{.Within}}</td><td class="num">{{.From}}</td><td>{{.Fired}}</td><td class="num">{{.TimeToDetect}}</td><td>{{.InTime}}</td></tr>
{{end}}</table>{{end}}
`
