import { createHash } from 'node:crypto'
import { DASHBOARD_SCRIPT } from './script.js'
import { DASHBOARD_STYLE } from './style.js'
import { WORKFLOW_SCRIPT } from './workflow-script.js'

/** The page's one script: the dashboard's, then its workflows panel's (which uses the first one's helpers). */
const PAGE_SCRIPT = DASHBOARD_SCRIPT + WORKFLOW_SCRIPT

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`

/**
 * The web dashboard: one self-contained page (inline style and script, nothing fetched from
 * elsewhere) that reads the control API of the node serving it.
 *
 * The page itself holds no data and is served without the token. The token reaches the page
 * in the URL fragment (`/dashboard#token=...`, which browsers never send to a server) or typed
 * into its form; the page keeps it in sessionStorage, removes it from the address bar, and sends
 * it as `Authorization: Bearer` on every API call, the event stream included (read with fetch).
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>swarm dashboard</title>
<link rel="icon" href="data:,">
<style>${DASHBOARD_STYLE}</style>
</head>
<body>
<form id="token-form" hidden>
  <section>
    <h2>Control API token</h2>
    <p>This dashboard reads the node's control API, which needs the node's token. Paste the content of
    <code>&lt;data-dir&gt;/api-token</code>, or open the URL that <code>swarm-node dashboard --web</code> prints.</p>
    <input id="token-input" type="password" autocomplete="off" spellcheck="false" aria-label="API token">
    <button type="submit">Open</button>
    <p id="token-error" class="error"></p>
  </section>
</form>
<div id="app" hidden>
  <header>
    <h1>swarm · <span id="node-name">…</span></h1>
    <span id="facts"></span>
    <span id="live" data-state="connecting">connecting</span>
  </header>
  <main>
    <section class="wide">
      <h2>Agents <span id="agent-count"></span></h2>
      <div id="agents" class="scroll"><p class="none">loading…</p></div>
    </section>
    <section class="wide">
      <h2>Tasks <span id="task-count"></span></h2>
      <div id="tasks" class="scroll"><p class="none">loading…</p></div>
    </section>
    <section id="detail" class="wide" hidden>
      <h2>Task <button id="close-detail" type="button" title="close">×</button></h2>
      <div id="detail-body"></div>
    </section>
    <section id="workflows-panel" class="wide">
      <h2>Workflows <span id="workflow-count"></span></h2>
      <div id="workflows" class="scroll"><p class="none">loading…</p></div>
      <div id="workflow-detail" hidden>
        <h3 id="workflow-title"></h3>
        <div id="workflow-graph" class="scroll"></div>
        <div id="workflow-step"></div>
      </div>
    </section>
    <section>
      <h2>Escalations</h2>
      <div id="escalations"><p class="none">loading…</p></div>
    </section>
    <section>
      <h2>Live events</h2>
      <ol id="events" class="events"></ol>
    </section>
  </main>
</div>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`

/** Headers of the page: nothing but its own inline style and script may run, and only the API is called. */
export const DASHBOARD_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': [
    "default-src 'none'",
    `script-src ${sha256(PAGE_SCRIPT)}`,
    `style-src ${sha256(DASHBOARD_STYLE)}`,
    "connect-src 'self'",
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'"
  ].join('; '),
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY'
}

/** The route result of `GET /dashboard`. */
export function dashboardPage (): { text: string, contentType: string, headers: Record<string, string> } {
  return { text: DASHBOARD_HTML, contentType: 'text/html; charset=utf-8', headers: { ...DASHBOARD_HEADERS } }
}
