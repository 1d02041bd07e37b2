// GENERATED from reports/*.mustache. Do not edit: change the templates, then run
// SEALBOOK_UPDATE_GOLDEN=1 swift test --filter SealbookReportsTests (a test fails while this file differs).

/// The report templates carried by the binary: file name -> text (without its final newline).
let embeddedReportTemplates: [String: String] = [
    "compliance.html.mustache": ####"""
{{% CONTENT_TYPE: HTML}}
{{> page-top.html}}
<h2>Period and scope</h2>
{{#period}}
<p>Changes opened from <strong>{{from}}</strong> (inclusive) to <strong>{{to}}</strong> (exclusive); controls of {{framework}}.</p>
{{/period}}
{{#summary}}
<div class="summary"><div><b>{{population}}</b>changes in the population</div><div><b>{{incidents}}</b>incidents</div><div class="k-fail"><b>{{exceptions}}</b>exceptions</div></div>
<div class="summary"><div class="k-pass"><b>{{pass}}</b>pass</div><div class="k-fail"><b>{{fail}}</b>fail</div><div class="k-pending"><b>{{pending}}</b>pending</div><div class="k-na"><b>{{notApplicable}}</b>not applicable</div></div>
{{/summary}}
<p>The population lists every change in the period, failed, rolled-back and emergency changes included; sample from it. Population SHA-256 (of the canonical population in this report's JSON form): <span class="mono">{{populationSHA256}}</span></p>
<h2>Results by framework</h2>
{{#matrix}}
<h3>{{name}}: {{pass}} pass, {{fail}} fail, {{pending}} pending, {{notApplicable}} not applicable</h3>
<table>
<thead><tr><th>Control</th><th>References</th><th>Pass</th><th>Fail</th><th>Pending</th><th>N/A</th></tr></thead>
<tbody>
{{#controls}}
<tr><td><span class="badge s-{{failClass}}">&#160;</span> <span class="mono">{{id}}</span><br>{{title}}</td><td class="muted">{{references}}</td><td class="num">{{pass}}</td><td class="num">{{fail}}</td><td class="num">{{pending}}</td><td class="num">{{notApplicable}}</td></tr>
{{/controls}}
</tbody>
</table>
{{/matrix}}
<h2>Population: every change in the period</h2>
{{#population}}
{{#first()}}
<table>
<thead><tr><th>#</th><th>Session</th><th>Migration</th><th>Env.</th><th>Ticket</th><th>Opened</th><th>Requester</th><th>Outcome</th><th>Revisions</th><th>Emergency</th><th>Incidents</th><th>P / F / Pe / NA</th><th>Exc.</th><th>Opened by event</th></tr></thead>
<tbody>
{{/first()}}
<tr><td class="num">{{n}}</td><td class="mono">{{sessionId}}</td><td>{{migrationId}}</td><td>{{environment}}</td><td>{{changeTicket}}</td><td>{{start}}</td><td>{{requester}}</td><td>{{outcome}}</td><td>{{revisions}}</td><td>{{emergencyText}}</td><td>{{incidents}}</td><td class="num">{{pass}} / {{fail}} / {{pending}} / {{notApplicable}}</td><td class="num">{{exceptions}}</td><td class="mono">{{openedCite}}</td></tr>
{{#last()}}
</tbody>
</table>
{{/last()}}
{{/population}}
{{^hasPopulation}}
<p>No session was opened in the period.</p>
{{/hasPopulation}}
<h2>Exceptions</h2>
{{#exceptions}}
{{#first()}}
<table>
<thead><tr><th>Subject</th><th>Control</th><th>Kind</th><th>Status</th><th>Freshness</th><th>Evidence (seq, eventHash)</th><th>Why</th></tr></thead>
<tbody>
{{/first()}}
<tr><td>{{subjectKind}} <span class="mono">{{subject}}</span></td><td><span class="mono">{{id}}</span><br>{{title}}</td><td><span class="badge s-{{exceptionClass}}">{{kindLabel}}</span></td><td><span class="badge s-{{status}}">{{statusLabel}}</span></td><td>{{freshness}}</td><td class="mono">{{evidenceText}}</td><td>{{reasonsText}}{{#hasException}}<br><strong>Exception:</strong> {{exceptionText}}{{/hasException}}</td></tr>
{{#last()}}
</tbody>
</table>
{{/last()}}
{{/exceptions}}
{{^hasExceptions}}
<p>None.</p>
{{/hasExceptions}}
<h2>Incidents in the period</h2>
{{#periodIncidents}}
{{#first()}}
<table>
<thead><tr><th>Incident</th><th>Title</th><th>Level</th><th>Status</th><th>Declared</th><th>Session</th><th>GDPR notification</th><th>P / F / Pe / NA</th></tr></thead>
<tbody>
{{/first()}}
<tr><td>{{id}}</td><td>{{title}}</td><td>{{level}}</td><td><span class="badge s-{{status}}">{{status}}</span></td><td>{{start}}</td><td>{{sessionStream}}</td><td><span class="badge s-{{gdprStatus}}">{{gdprStatus}}</span></td><td class="num">{{summary.pass}} / {{summary.fail}} / {{summary.pending}} / {{summary.notApplicable}}</td></tr>
{{#last()}}
</tbody>
</table>
{{/last()}}
{{/periodIncidents}}
{{^hasPeriodIncidents}}
<p>None.</p>
{{/hasPeriodIncidents}}
{{> page-bottom.html}}
"""####,
    "compliance.md.mustache": ####"""
{{% CONTENT_TYPE: MARKDOWN}}
{{> header.md}}

## Period and scope

{{#period}}
Changes opened from {{from}} (inclusive) to {{to}} (exclusive); controls of {{framework}}.
{{/period}}

{{#summary}}
- Population: {{population}} changes (sessions), listed below in full, failed, rolled-back and emergency changes included.
- Incidents in the period: {{incidents}}.
- Control results: {{pass}} pass, {{fail}} fail, {{pending}} pending, {{notApplicable}} not applicable.
- Exceptions: {{exceptions}} (every fail, pending, deviation or stale evidence; listed below).
{{/summary}}
- Population SHA-256 (the canonical JSON population of this report's JSON form): `{{populationSHA256}}`

## Results by framework

{{#matrix}}
### {{name}}: {{pass}} pass, {{fail}} fail, {{pending}} pending, {{notApplicable}} not applicable

| Control | References | Pass | Fail | Pending | N/A |
| --- | --- | --- | --- | --- | --- |
{{#controls}}
| {{id}}: {{title}} | {{references}} | {{pass}} | {{fail}} | {{pending}} | {{notApplicable}} |
{{/controls}}

{{/matrix}}
## Population: every change in the period

{{#population}}
{{#first()}}
| # | Session | Migration | Environment | Ticket | Opened | Requester | Outcome | Revisions | Emergency | Incidents | Pass / Fail / Pending / N/A | Exceptions | Opened by event |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
{{/first()}}
| {{n}} | {{sessionId}} | {{migrationId}} | {{environment}} | {{changeTicket}} | {{start}} | {{requester}} | {{outcome}} | {{revisions}} | {{emergencyText}} | {{incidents}} | {{pass}} / {{fail}} / {{pending}} / {{notApplicable}} | {{exceptions}} | {{openedCite}} |
{{/population}}
{{^hasPopulation}}
No session was opened in the period.
{{/hasPopulation}}

## Exceptions

{{#exceptions}}
{{#first()}}
| Subject | Control | Kind | Status | Freshness | Evidence (seq, eventHash) | Why |
| --- | --- | --- | --- | --- | --- | --- |
{{/first()}}
| {{subjectKind}} {{subject}} | {{id}}: {{title}} | {{kindLabel}} | **{{statusLabel}}** | {{freshness}} | {{evidenceText}} | {{reasonsText}}{{#hasException}} Exception: {{exceptionText}}{{/hasException}} |
{{/exceptions}}
{{^hasExceptions}}
None.
{{/hasExceptions}}

## Incidents in the period

{{#periodIncidents}}
{{#first()}}
| Incident | Title | Level | Status | Declared | Session | GDPR notification | Pass / Fail / Pending / N/A |
| --- | --- | --- | --- | --- | --- | --- | --- |
{{/first()}}
| {{id}} | {{title}} | {{level}} | {{status}} | {{start}} | {{sessionStream}} | {{gdprStatus}} | {{summary.pass}} / {{summary.fail}} / {{summary.pending}} / {{summary.notApplicable}} |
{{/periodIncidents}}
{{^hasPeriodIncidents}}
None.
{{/hasPeriodIncidents}}

{{> evidence.md}}
"""####,
    "controls.html.mustache": ####"""
{{% CONTENT_TYPE: HTML}}
{{#frameworks}}
<h3>{{name}}: {{counts.pass}} pass, {{counts.fail}} fail, {{counts.pending}} pending, {{counts.notApplicable}} not applicable</h3>
<table>
<thead><tr><th>Control</th><th>Status</th><th>Freshness</th><th>Evidence (seq, eventHash)</th><th>Why</th></tr></thead>
<tbody>
{{#controls}}
<tr><td><span class="mono">{{id}}</span><br>{{title}}<br><span class="muted">{{references}}</span></td><td><span class="badge s-{{status}}">{{statusLabel}}</span></td><td><span class="badge s-{{freshnessClass}}">{{freshness}}</span></td><td class="mono">{{evidenceText}}</td><td>{{reasonsText}}{{#hasException}}<br><strong>Exception:</strong> {{exceptionText}}{{/hasException}}</td></tr>
{{/controls}}
</tbody>
</table>
{{/frameworks}}
{{^frameworks}}
<p>No control was evaluated.</p>
{{/frameworks}}
"""####,
    "controls.md.mustache": ####"""
{{% CONTENT_TYPE: MARKDOWN}}
{{#frameworks}}
### {{name}}: {{counts.pass}} pass, {{counts.fail}} fail, {{counts.pending}} pending, {{counts.notApplicable}} not applicable

| Control | Status | Freshness | Evidence (seq, eventHash) | Why |
| --- | --- | --- | --- | --- |
{{#controls}}
| {{id}}: {{title}} | **{{statusLabel}}** | {{freshness}} | {{evidenceText}} | {{reasonsText}}{{#hasException}} Exception: {{exceptionText}}{{/hasException}} |
{{/controls}}

{{/frameworks}}
{{^frameworks}}
No control was evaluated.

{{/frameworks}}
"""####,
    "evidence.html.mustache": ####"""
{{% CONTENT_TYPE: HTML}}
<h2>Evidence index</h2>
<p>Every event this report cites, with its full eventHash: find it in the ledger (or in an exported bundle) by seq and check the hash.</p>
{{#evidenceIndex}}
{{#first()}}
<table>
<thead><tr><th>seq</th><th>eventHash</th><th>time</th><th>type</th><th>actor</th><th>stream</th></tr></thead>
<tbody>
{{/first()}}
<tr><td class="num">{{seq}}</td><td class="mono">{{hash}}</td><td>{{time}}</td><td>{{type}}</td><td>{{actor}}</td><td>{{stream}}</td></tr>
{{#last()}}
</tbody>
</table>
{{/last()}}
{{/evidenceIndex}}
{{^evidenceIndex}}
<p>No event is cited.</p>
{{/evidenceIndex}}
"""####,
    "evidence.md.mustache": ####"""
{{% CONTENT_TYPE: MARKDOWN}}
## Evidence index

Every event this report cites, with its full eventHash: find it in the ledger (or in an exported bundle) by seq and check the hash.

{{#evidenceIndex}}
{{#first()}}
| seq | eventHash | time | type | actor | stream |
| --- | --- | --- | --- | --- | --- |
{{/first()}}
| {{seq}} | `{{hash}}` | {{time}} | {{type}} | {{actor}} | {{stream}} |
{{/evidenceIndex}}
{{^evidenceIndex}}
No event is cited.
{{/evidenceIndex}}
"""####,
    "header.html.mustache": ####"""
{{% CONTENT_TYPE: HTML}}
{{#header}}
{{#unverified}}
<div class="banner" role="alert">
<strong>UNVERIFIED LOG — NOT EVIDENCE.</strong> The log this report was computed from does not verify: {{failureCount}} failing entries. It was rendered only because <code>--allow-unverified</code> was given.
<ul>
{{#failures}}
<li>{{text}}</li>
{{/failures}}
{{#moreFailures}}
<li>… and {{moreFailuresCount}} more</li>
{{/moreFailures}}
</ul>
</div>
{{/unverified}}
<h1>{{title}}</h1>
<table class="meta">
<tr><th>Ledger</th><td>{{ledger}}</td></tr>
<tr><th>Log position</th><td>seq {{seq}}, chainHash <span class="mono">{{chainHash}}</span></td></tr>
<tr><th>As of</th><td>{{asOf}}</td></tr>
<tr><th>Verification</th><td>{{#verified}}<span class="badge s-verified">VERIFIED</span>{{/verified}}{{#unverified}}<span class="badge s-unverified">UNVERIFIED</span>{{/unverified}} {{verificationSentence}}</td></tr>
<tr><th>Control catalog</th><td>sha256 <span class="mono">{{catalogSHA256}}</span> <span class="muted">({{catalogFiles}})</span></td></tr>
{{#runbooks}}
<tr><th>Runbook</th><td>{{id}} {{version}}, sha256 <span class="mono">{{sha256}}</span>: {{knownText}}{{#hasNote}} ({{note}}){{/hasNote}}</td></tr>
{{/runbooks}}
{{^hasRunbooks}}
<tr><th>Runbook</th><td>none named</td></tr>
{{/hasRunbooks}}
{{#parameters}}
<tr><th>Parameter {{name}}</th><td>{{value}}</td></tr>
{{/parameters}}
<tr><th>Format</th><td>{{format}}: the same log position and as-of always give the same bytes</td></tr>
</table>
{{/header}}
"""####,
    "header.md.mustache": ####"""
{{% CONTENT_TYPE: MARKDOWN}}
{{#header}}
{{#unverified}}
> **UNVERIFIED LOG — NOT EVIDENCE.** The log this report was computed from does not verify: {{failureCount}} failing entries. It was rendered only because `--allow-unverified` was given.
{{#failures}}
> - {{text}}
{{/failures}}
{{#moreFailures}}
> - … and {{moreFailuresCount}} more
{{/moreFailures}}

{{/unverified}}
# {{title}}

| | |
| --- | --- |
| Ledger | {{ledger}} |
| Log position | seq {{seq}}, chainHash `{{chainHash}}` |
| As of | {{asOf}} |
| Verification | {{verificationSentence}} |
| Control catalog | sha256 `{{catalogSHA256}}` ({{catalogFiles}}) |
{{#runbooks}}
| Runbook | {{id}} {{version}}, sha256 `{{sha256}}`: {{knownText}}{{#hasNote}} ({{note}}){{/hasNote}} |
{{/runbooks}}
{{^hasRunbooks}}
| Runbook | none named |
{{/hasRunbooks}}
{{#parameters}}
| Parameter {{name}} | {{value}} |
{{/parameters}}
| Format | {{format}}: the same log position and as-of always give the same bytes |
{{/header}}
"""####,
    "incident.html.mustache": ####"""
{{% CONTENT_TYPE: HTML}}
{{> page-top.html}}
<h2>Identification</h2>
{{#incident}}
<table class="meta">
<tr><th>Incident</th><td>{{id}}: {{title}}</td></tr>
<tr><th>Level</th><td>{{level}}</td></tr>
<tr><th>Status</th><td><span class="badge s-{{status}}">{{status}}</span></td></tr>
<tr><th>Trigger</th><td>{{trigger}}</td></tr>
<tr><th>Session</th><td>{{sessionStream}}</td></tr>
<tr><th>Declared</th><td>{{declaredTime}} <span class="mono">({{declaredCite}})</span></td></tr>
<tr><th>Events of the incident</th><td>{{evidenceCount}}</td></tr>
</table>
{{/incident}}
<h2>Controls</h2>
{{#summary}}
<div class="summary"><div class="k-pass"><b>{{pass}}</b>pass</div><div class="k-fail"><b>{{fail}}</b>fail</div><div class="k-pending"><b>{{pending}}</b>pending</div><div class="k-na"><b>{{notApplicable}}</b>not applicable</div></div>
{{/summary}}
{{> controls.html}}
<h2>Emergency response phases</h2>
{{#phases}}
{{#first()}}
<table>
<thead><tr><th>Phase</th><th>Window after declaration</th><th>Status</th><th>First action</th><th>After</th><th>Actions</th></tr></thead>
<tbody>
{{/first()}}
<tr><td>{{title}} <span class="muted">({{actionPhase}})</span></td><td>{{window}}</td><td><span class="badge s-{{status}}">{{status}}</span></td><td>{{firstAction}}</td><td>{{after}}</td><td class="num">{{actions}}</td></tr>
{{#last()}}
</tbody>
</table>
{{/last()}}
{{/phases}}
{{^hasPhases}}
<p>Not evaluated: no declaration or no runbook.</p>
{{/hasPhases}}
<h2>Escalations</h2>
{{#escalations}}
{{#first()}}
<table>
<thead><tr><th>Level</th><th>Raised</th><th>Response target</th><th>First response</th><th>After</th><th>Status</th></tr></thead>
<tbody>
{{/first()}}
<tr><td>{{level}}: {{levelTitle}}</td><td>{{raised}}</td><td>{{target}}</td><td>{{response}}</td><td>{{after}}</td><td><span class="badge s-{{status}}">{{status}}</span></td></tr>
{{#last()}}
</tbody>
</table>
{{/last()}}
{{/escalations}}
{{^hasEscalations}}
<p>None recorded.</p>
{{/hasEscalations}}
<h2>Rollbacks</h2>
{{#rollbacks}}
{{#first()}}
<table>
<thead><tr><th>Kind</th><th>Method</th><th>Started</th><th>Measured from</th><th>After</th><th>Window</th><th>Within window</th><th>Completed</th><th>Result</th></tr></thead>
<tbody>
{{/first()}}
<tr><td>{{kind}}</td><td>{{method}}</td><td>{{started}}</td><td>{{measuredFrom}}</td><td>{{after}}</td><td>{{window}}</td><td><span class="badge s-{{withinClass}}">{{within}}</span></td><td>{{completed}}</td><td>{{result}}</td></tr>
{{#last()}}
</tbody>
</table>
{{/last()}}
{{/rollbacks}}
{{^hasRollbacks}}
<p>None recorded.</p>
{{/hasRollbacks}}
<h2>GDPR (Art. 33)</h2>
{{#gdpr}}
<table class="meta">
<tr><th>Notification status</th><td><span class="badge s-{{status}}">{{status}}</span></td></tr>
<tr><th>Assessment</th><td><span class="mono">{{assessment}}</span>: risk {{risk}}, aware at {{awareAt}}</td></tr>
<tr><th>Deadline (aware + 72 h)</th><td>{{deadline}}</td></tr>
<tr><th>Authority notified</th><td>{{authority}} at {{notifiedAt}} ({{after}} after awareness); events <span class="mono">{{notifications}}</span></td></tr>
<tr><th>Reasons for delay</th><td>{{delayReason}}</td></tr>
{{#contents}}
<tr><th>Art. 33(3) {{name}}</th><td>{{value}}</td></tr>
{{/contents}}
</table>
{{/gdpr}}
<h2>Root cause and resolution</h2>
{{#incident}}
<table class="meta">
<tr><th>Root cause</th><td>{{rootCause}}</td></tr>
<tr><th>Resolution</th><td>{{resolution}}</td></tr>
<tr><th>Lessons learned</th><td>{{lessonsLearned}}</td></tr>
</table>
{{/incident}}
<h2>Actions taken</h2>
{{#actions}}
{{#first()}}
<table>
<thead><tr><th>seq</th><th>time</th><th>actor</th><th>action</th><th>eventHash</th></tr></thead>
<tbody>
{{/first()}}
<tr><td class="num">{{seq}}</td><td>{{time}}</td><td>{{actor}}</td><td>{{summary}}</td><td class="mono">{{hash}}</td></tr>
{{#last()}}
</tbody>
</table>
{{/last()}}
{{/actions}}
{{^hasActions}}
<p>None recorded.</p>
{{/hasActions}}
<h2>Timeline</h2>
<table>
<thead><tr><th>seq</th><th>time</th><th>type</th><th>actor</th><th>stream</th><th>what</th><th>eventHash</th></tr></thead>
<tbody>
{{#timeline}}
<tr><td class="num">{{seq}}</td><td>{{time}}</td><td>{{type}}</td><td>{{actor}}</td><td>{{stream}}</td><td>{{summary}}</td><td class="mono">{{hash}}</td></tr>
{{/timeline}}
</tbody>
</table>
{{> page-bottom.html}}
"""####,
    "incident.md.mustache": ####"""
{{% CONTENT_TYPE: MARKDOWN}}
{{> header.md}}

## Identification

{{#incident}}
| | |
| --- | --- |
| Incident | {{id}}: {{title}} |
| Level | {{level}} |
| Status | {{status}} |
| Trigger | {{trigger}} |
| Session | {{sessionStream}} |
| Declared | {{declaredTime}} ({{declaredCite}}) |
| Events of the incident | {{evidenceCount}} |
{{/incident}}

## Controls

{{#summary}}
{{pass}} pass, {{fail}} fail, {{pending}} pending, {{notApplicable}} not applicable ({{total}} controls).
{{/summary}}

{{> controls.md}}
## Emergency response phases

{{#phases}}
{{#first()}}
| Phase | Window after declaration | Status | First action | After | Actions |
| --- | --- | --- | --- | --- | --- |
{{/first()}}
| {{title}} ({{actionPhase}}) | {{window}} | **{{status}}** | {{firstAction}} | {{after}} | {{actions}} |
{{/phases}}
{{^hasPhases}}
Not evaluated: no declaration or no runbook.
{{/hasPhases}}

## Escalations

{{#escalations}}
{{#first()}}
| Level | Raised | Response target | First response | After | Status |
| --- | --- | --- | --- | --- | --- |
{{/first()}}
| {{level}}: {{levelTitle}} | {{raised}} | {{target}} | {{response}} | {{after}} | **{{status}}** |
{{/escalations}}
{{^hasEscalations}}
None recorded.
{{/hasEscalations}}

## Rollbacks

{{#rollbacks}}
{{#first()}}
| Kind | Method | Started | Measured from | After | Window | Within window | Completed | Result |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
{{/first()}}
| {{kind}} | {{method}} | {{started}} | {{measuredFrom}} | {{after}} | {{window}} | **{{within}}** | {{completed}} | {{result}} |
{{/rollbacks}}
{{^hasRollbacks}}
None recorded.
{{/hasRollbacks}}

## GDPR (Art. 33)

{{#gdpr}}
| | |
| --- | --- |
| Notification status | **{{status}}** |
| Assessment | {{assessment}}: risk {{risk}}, aware at {{awareAt}} |
| Deadline (aware + 72 h) | {{deadline}} |
| Authority notified | {{authority}} at {{notifiedAt}} ({{after}} after awareness); events {{notifications}} |
| Reasons for delay | {{delayReason}} |
{{#contents}}
| Art. 33(3) {{name}} | {{value}} |
{{/contents}}
{{/gdpr}}

## Root cause and resolution

{{#incident}}
- Root cause: {{rootCause}}
- Resolution: {{resolution}}
- Lessons learned: {{lessonsLearned}}
{{/incident}}

## Actions taken

{{#actions}}
{{#first()}}
| seq | time | actor | action | eventHash |
| --- | --- | --- | --- | --- |
{{/first()}}
| {{seq}} | {{time}} | {{actor}} | {{summary}} | {{hash}} |
{{/actions}}
{{^hasActions}}
None recorded.
{{/hasActions}}

## Timeline

| seq | time | type | actor | stream | what | eventHash |
| --- | --- | --- | --- | --- | --- | --- |
{{#timeline}}
| {{seq}} | {{time}} | {{type}} | {{actor}} | {{stream}} | {{summary}} | {{hash}} |
{{/timeline}}

{{> evidence.md}}
"""####,
    "page-bottom.html.mustache": ####"""
{{% CONTENT_TYPE: HTML}}
{{> evidence.html}}
{{#header}}
<footer>Computed by sealbook from ledger {{ledger}} up to seq {{seq}} (chainHash <span class="mono">{{chainHash}}</span>), as of {{asOf}}, with control catalog sha256 <span class="mono">{{catalogSHA256}}</span>. Re-rendering from the same log position and as-of gives the same bytes. Format {{format}}.</footer>
{{/header}}
</main>
</body>
</html>
"""####,
    "page-top.html.mustache": ####"""
{{% CONTENT_TYPE: HTML}}
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="sealbook">
<title>{{header.title}}</title>
<style>
{{> style.css}}
</style>
</head>
<body>
<main>
{{> header.html}}
"""####,
    "session.html.mustache": ####"""
{{% CONTENT_TYPE: HTML}}
{{> page-top.html}}
<h2>Session</h2>
{{#session}}
<table class="meta">
<tr><th>Session</th><td>{{id}} <span class="muted">(stream {{stream}})</span></td></tr>
<tr><th>Migration</th><td>{{migrationId}}: {{alembicFrom}} → {{alembicTo}}, current revision {{alembicCurrent}}</td></tr>
<tr><th>Environment</th><td>{{environment}}</td></tr>
<tr><th>Change ticket</th><td>{{changeTicket}}</td></tr>
<tr><th>Runbook</th><td>{{runbook}}</td></tr>
<tr><th>Opened</th><td>{{openedAt}} by {{requester}} <span class="mono">({{openedCite}})</span></td></tr>
<tr><th>Migration started</th><td class="mono">{{migrationStartedCite}}</td></tr>
<tr><th>Migration completed</th><td class="mono">{{migrationCompletedCite}}</td></tr>
<tr><th>Outcome</th><td>{{outcome}} <span class="mono">({{closedCite}})</span></td></tr>
<tr><th>Executors</th><td>{{executors}}</td></tr>
<tr><th>Emergency override</th><td>{{#emergency}}<span class="badge s-fail">YES</span> <span class="mono">{{overrideCite}}</span>{{/emergency}}{{^emergency}}no{{/emergency}}</td></tr>
<tr><th>Events</th><td>{{eventCount}}, the last at seq {{lastSeq}}</td></tr>
</table>
{{/session}}
<h2>Controls</h2>
{{#summary}}
<div class="summary"><div class="k-pass"><b>{{pass}}</b>pass</div><div class="k-fail"><b>{{fail}}</b>fail</div><div class="k-pending"><b>{{pending}}</b>pending</div><div class="k-na"><b>{{notApplicable}}</b>not applicable</div></div>
<p class="muted">Status and evidence freshness are separate: a pass whose evidence has aged out shows as expired.</p>
{{/summary}}
{{> controls.html}}
<h2>Checklists</h2>
{{#checklists}}
<h3>{{title}} <span class="muted">({{stage}})</span></h3>
<table>
<thead><tr><th>Item</th><th>Critical</th><th>Status</th><th>Value</th><th>Evidence</th></tr></thead>
<tbody>
{{#lines}}
<tr><td><span class="mono">{{item}}</span><br>{{title}}</td><td>{{criticalText}}</td><td><span class="badge s-{{statusClass}}">{{status}}</span></td><td>{{value}}</td><td class="mono">{{evidence}}</td></tr>
{{/lines}}
</tbody>
</table>
{{/checklists}}
{{^hasChecklists}}
<p>The session's runbook is not known to this binary: no checklist to show.</p>
{{/hasChecklists}}
<h2>Incidents opened from this session</h2>
{{#incidents}}
{{#first()}}
<table>
<thead><tr><th>Incident</th><th>Title</th><th>Level</th><th>Status</th><th>Declared</th><th>GDPR notification</th><th>Pass / Fail / Pending / N/A</th></tr></thead>
<tbody>
{{/first()}}
<tr><td>{{id}}</td><td>{{title}}</td><td>{{level}}</td><td><span class="badge s-{{status}}">{{status}}</span></td><td>{{declared}}</td><td><span class="badge s-{{gdprStatus}}">{{gdprStatus}}</span></td><td>{{summary.pass}} / {{summary.fail}} / {{summary.pending}} / {{summary.notApplicable}}</td></tr>
{{#last()}}
</tbody>
</table>
{{/last()}}
{{/incidents}}
{{^hasIncidents}}
<p>None.</p>
{{/hasIncidents}}
<h2>Timeline</h2>
<table>
<thead><tr><th>seq</th><th>time</th><th>type</th><th>actor</th><th>what</th><th>eventHash</th></tr></thead>
<tbody>
{{#timeline}}
<tr><td class="num">{{seq}}</td><td>{{time}}</td><td>{{type}}</td><td>{{actor}}</td><td>{{summary}}</td><td class="mono">{{hash}}</td></tr>
{{/timeline}}
</tbody>
</table>
{{> page-bottom.html}}
"""####,
    "session.md.mustache": ####"""
{{% CONTENT_TYPE: MARKDOWN}}
{{> header.md}}

## Session

{{#session}}
| | |
| --- | --- |
| Session | {{id}} (stream {{stream}}) |
| Migration | {{migrationId}}: {{alembicFrom}} → {{alembicTo}}, current revision {{alembicCurrent}} |
| Environment | {{environment}} |
| Change ticket | {{changeTicket}} |
| Runbook | {{runbook}} |
| Opened | {{openedAt}} by {{requester}} ({{openedCite}}) |
| Migration started | {{migrationStartedCite}} |
| Migration completed | {{migrationCompletedCite}} |
| Outcome | {{outcome}} ({{closedCite}}) |
| Executors | {{executors}} |
| Emergency override | {{#emergency}}YES, {{overrideCite}}{{/emergency}}{{^emergency}}no{{/emergency}} |
| Events | {{eventCount}}, the last at seq {{lastSeq}} |
{{/session}}

## Controls

{{#summary}}
{{pass}} pass, {{fail}} fail, {{pending}} pending, {{notApplicable}} not applicable ({{total}} controls). Status and evidence freshness are separate: a pass whose evidence has aged out shows as expired.
{{/summary}}

{{> controls.md}}
## Checklists

{{#checklists}}
### {{title}} ({{stage}})

| Item | Critical | Status | Value | Evidence |
| --- | --- | --- | --- | --- |
{{#lines}}
| {{item}}: {{title}} | {{criticalText}} | **{{status}}** | {{value}} | {{evidence}} |
{{/lines}}

{{/checklists}}
{{^hasChecklists}}
The session's runbook is not known to this binary: no checklist to show.

{{/hasChecklists}}
## Incidents opened from this session

{{#incidents}}
{{#first()}}
| Incident | Title | Level | Status | Declared | GDPR notification | Controls (pass / fail / pending / n/a) |
| --- | --- | --- | --- | --- | --- | --- |
{{/first()}}
| {{id}} | {{title}} | {{level}} | {{status}} | {{declared}} | {{gdprStatus}} | {{summary.pass}} / {{summary.fail}} / {{summary.pending}} / {{summary.notApplicable}} |
{{/incidents}}
{{^hasIncidents}}
None.
{{/hasIncidents}}

## Timeline

| seq | time | type | actor | what | eventHash |
| --- | --- | --- | --- | --- | --- |
{{#timeline}}
| {{seq}} | {{time}} | {{type}} | {{actor}} | {{summary}} | {{hash}} |
{{/timeline}}

{{> evidence.md}}
"""####,
    "style.css.mustache": ####"""
:root { --ink: #1c2330; --muted: #5a6374; --line: #d5dae3; --head: #eef1f6; --pass: #1d7a3c; --fail: #b3261e; --pending: #946200; --na: #6b7280; }
* { box-sizing: border-box; }
html { background: #f3f5f8; }
body { margin: 0; color: var(--ink); font: 14px/1.45 "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1180px; margin: 24px auto; padding: 32px 40px; background: #fff; border: 1px solid var(--line); }
h1 { font-size: 23px; margin: 0 0 14px; }
h2 { font-size: 17px; margin: 30px 0 8px; padding-bottom: 4px; border-bottom: 2px solid var(--ink); }
h3 { font-size: 14.5px; margin: 20px 0 6px; }
p, ul { margin: 6px 0 12px; }
table { width: 100%; margin: 6px 0 16px; border-collapse: collapse; font-size: 12.5px; }
th, td { padding: 4px 6px; border: 1px solid var(--line); text-align: left; vertical-align: top; }
thead th { background: var(--head); }
table.meta th { width: 200px; background: var(--head); font-weight: 600; }
.mono, code { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 11.5px; overflow-wrap: anywhere; }
.muted { color: var(--muted); }
.num { text-align: right; white-space: nowrap; }
.badge { display: inline-block; min-width: 54px; padding: 1px 6px; border-radius: 3px; color: #fff; font-size: 11px; font-weight: 700; text-align: center; white-space: nowrap; }
.s-pass, .s-met, .s-current, .s-verified { background: var(--pass); }
.s-fail, .s-missed, .s-late, .s-expired, .s-missing, .s-unverified { background: var(--fail); }
.s-pending, .s-due-soon, .s-late-with-reasons, .s-deviation, .s-evidence-expired, .s-evidence-missing { background: var(--pending); }
.s-not-applicable, .s-na, .s-none, .s-not-evaluated, .s-not-required, .s-not-assessed, .s-open, .s-resolved, .s-closed { background: var(--na); }
.banner { margin: 0 0 22px; padding: 14px 18px; border: 3px solid var(--fail); background: #fdecea; color: var(--fail); }
.banner strong { font-size: 16px; }
.banner ul { margin: 8px 0 0; color: var(--ink); font-size: 12.5px; }
.summary { display: flex; flex-wrap: wrap; gap: 10px; margin: 10px 0 14px; }
.summary div { flex: 1 1 120px; padding: 8px 12px; border: 1px solid var(--line); border-left-width: 5px; }
.summary b { display: block; font-size: 20px; }
.summary .k-pass { border-left-color: var(--pass); }
.summary .k-fail { border-left-color: var(--fail); }
.summary .k-pending { border-left-color: var(--pending); }
.summary .k-na { border-left-color: var(--na); }
footer { margin-top: 30px; padding-top: 8px; border-top: 1px solid var(--line); color: var(--muted); font-size: 11px; }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  html { background: #fff; }
  main { max-width: none; margin: 0; padding: 0; border: 0; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  h2, h3 { break-after: avoid; }
  tr, .banner, .summary div { break-inside: avoid; }
  thead { display: table-header-group; }
  table { font-size: 10.5px; }
}
"""####,
]
