/** The dashboard's style sheet (inline in the page: no build step, nothing fetched). */
export const DASHBOARD_STYLE = String.raw`
:root {
  color-scheme: light dark;
  --bg: #f6f7f9; --panel: #fff; --fg: #1d2330; --muted: #6b7280; --line: #e3e6eb;
  --accent: #2563eb; --ok: #15803d; --bad: #b91c1c; --warn: #b45309; --run: #7c3aed;
  font: 13px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
}
@media (prefers-color-scheme: dark) {
  :root { --bg: #11151c; --panel: #181d26; --fg: #e5e7eb; --muted: #9aa3b2; --line: #2a3140;
    --accent: #60a5fa; --ok: #4ade80; --bad: #f87171; --warn: #fbbf24; --run: #a78bfa; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); }
header { display: flex; flex-wrap: wrap; gap: 4px 18px; align-items: baseline; padding: 10px 16px;
  background: var(--panel); border-bottom: 1px solid var(--line); position: sticky; top: 0; z-index: 1; }
header h1 { font-size: 15px; margin: 0 8px 0 0; }
#facts { display: flex; flex-wrap: wrap; gap: 4px 14px; }
header .fact { color: var(--muted); }
header .fact b { color: var(--fg); font-weight: 600; }
#live { margin-left: auto; font-weight: 600; }
#live::before { content: "●"; margin-right: 4px; }
#live[data-state="live"] { color: var(--ok); }
#live[data-state="connecting"] { color: var(--warn); }
#live[data-state="offline"] { color: var(--bad); }
main { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 12px; padding: 12px 16px; }
@media (max-width: 1000px) { main { grid-template-columns: minmax(0, 1fr); } }
section { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; min-width: 0; }
section h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); margin: 0 0 8px; }
section h3 { font-size: 13px; margin: 12px 0 6px; }
.wide { grid-column: 1 / -1; }
.scroll { overflow-x: auto; }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: 4px 6px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; font-size: 12px; }
tbody tr.task { cursor: pointer; }
tbody tr.task:hover, tbody tr.selected { background: color-mix(in srgb, var(--accent) 10%, transparent); }
.mono, code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
.muted, .none { color: var(--muted); }
.chip { display: inline-block; border: 1px solid var(--line); border-radius: 10px; padding: 0 7px; margin: 1px 3px 1px 0; white-space: nowrap; }
.chip.nohandler { border-style: dashed; color: var(--muted); }
.badge { display: inline-block; border-radius: 4px; padding: 0 6px; font-weight: 600; font-size: 12px; color: #fff; background: var(--muted); }
.badge[data-status="COMPLETE"], .badge[data-status="VERIFIED"], .badge[data-status="idle"], .badge[data-status="self"] { background: var(--ok); }
.badge[data-status="FAILED"], .badge[data-status="REJECTED"], .badge[data-status="ESCALATED"], .badge[data-status="full"] { background: var(--bad); }
.badge[data-status="RUNNING"], .badge[data-status="ASSIGNED"], .badge[data-status="busy"] { background: var(--run); }
.badge[data-status="ANNOUNCED"], .badge[data-status="QUEUED"], .badge[data-status="PENDING"], .badge[data-status="RETRY"], .badge[data-status="quiet"] { background: var(--warn); }
.badge[data-status="approved"], .badge[data-status="supported"], .badge[data-status="resolved"] { background: var(--ok); }
.badge[data-status="rejected"], .badge[data-status="refuted"], .badge[data-status="high"], .badge[data-status="critical"] { background: var(--bad); }
.badge[data-status="open"], .badge[data-status="no-quorum"], .badge[data-status="medium"] { background: var(--warn); }
.bar { display: inline-block; width: 70px; height: 8px; background: var(--line); border-radius: 4px; overflow: hidden; vertical-align: middle; margin-right: 6px; }
.bar > span { display: block; height: 100%; background: var(--accent); }
ol.timeline { list-style: none; margin: 0; padding: 0; max-height: 380px; overflow: auto; }
ol.timeline li { display: grid; grid-template-columns: 72px 200px minmax(0, 1fr); gap: 6px; padding: 2px 0; border-bottom: 1px dotted var(--line); }
ol.timeline .t { color: var(--muted); text-align: right; }
ol.timeline .d { color: var(--muted); overflow-wrap: anywhere; }
ol.events { list-style: none; margin: 0; padding: 0; max-height: 260px; overflow: auto; }
ol.events li { padding: 1px 0; border-bottom: 1px dotted var(--line); overflow-wrap: anywhere; }
pre { background: var(--bg); border: 1px solid var(--line); border-radius: 4px; padding: 6px; max-height: 260px; overflow: auto; margin: 4px 0; white-space: pre-wrap; overflow-wrap: anywhere; }
dl.facts { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 2px 12px; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.card { border: 1px solid var(--line); border-radius: 4px; padding: 6px 8px; margin: 4px 0; }
.yes { color: var(--ok); } .no { color: var(--bad); } .abstain { color: var(--muted); }
.badge[data-status="completed"] { background: var(--ok); }
.badge[data-status="failed"] { background: var(--bad); }
.badge[data-status="running"] { background: var(--run); }
.badge[data-status="escalated"], .badge[data-status="ready"] { background: var(--warn); }
.wf-graph { display: block; margin: 8px 0; font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.wf-edge { fill: none; stroke: var(--muted); stroke-width: 1.5; }
#wf-arrow path { fill: var(--muted); }
.wf-node { cursor: pointer; }
.wf-node rect { fill: var(--panel); stroke: var(--muted); stroke-width: 2; }
.wf-node text { fill: var(--fg); }
.wf-node .wf-id { font-weight: 700; }
.wf-node .wf-sub { fill: var(--muted); }
.wf-node[data-status="completed"] rect { stroke: var(--ok); fill: color-mix(in srgb, var(--ok) 14%, var(--panel)); }
.wf-node[data-status="failed"] rect { stroke: var(--bad); fill: color-mix(in srgb, var(--bad) 14%, var(--panel)); }
.wf-node[data-status="running"] rect { stroke: var(--run); fill: color-mix(in srgb, var(--run) 14%, var(--panel)); }
.wf-node[data-status="escalated"] rect { stroke: var(--warn); fill: color-mix(in srgb, var(--warn) 18%, var(--panel)); }
.wf-node[data-status="ready"] rect { stroke: var(--accent); }
.wf-node[data-status="waiting"] rect, .wf-node[data-status="skipped"] rect, .wf-node[data-status="cancelled"] rect { stroke-dasharray: 5 4; }
.wf-node.selected rect, .wf-node:focus rect { stroke-width: 3.5; }
.wf-node:focus { outline: none; }
#token-form { max-width: 560px; margin: 40px auto; }
#token-form input { width: 100%; padding: 6px; font: inherit; margin: 6px 0; }
#token-form button { font: inherit; padding: 4px 12px; }
.error { color: var(--bad); }
[hidden] { display: none !important; }
`
