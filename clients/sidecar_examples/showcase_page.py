"""The showcase's single-file HTML page: the run log embedded as JSON, rendered by inline JS.

No external requests of any kind (no fonts, scripts, images or links out); all
text reaches the DOM through ``textContent``, never as markup.
"""

from __future__ import annotations

import json
from typing import Any

_CSS = """
:root { --fg:#1d2430; --muted:#5b6576; --line:#d9dee7; --ok:#1f7a3f; --bad:#b3261e; --accent:#3451b2; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); margin: 0; background:#f6f7f9; }
main { max-width: 1080px; margin: 0 auto; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 0 0 8px; }
.meta, .note { color: var(--muted); font-size: 13px; }
.card { background:#fff; border:1px solid var(--line); border-radius: 8px; padding: 16px; margin: 16px 0; }
.pid { font: 600 13px ui-monospace, monospace; background:#eef1f8; color: var(--accent); padding: 2px 8px; border-radius: 10px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; font-size: 13px; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
td.id, td.score, td.similarity { font-family: ui-monospace, monospace; white-space: nowrap; }
pre { background:#0f1420; color:#e6e9ef; padding: 12px; border-radius: 6px; overflow-x: auto; white-space: pre-wrap; font-size: 12.5px; }
.reply { border-left: 3px solid var(--accent); padding: 4px 12px; white-space: pre-wrap; }
.checks li.ok::marker { content: "✔ "; color: var(--ok); } .checks li.bad::marker { content: "✘ "; color: var(--bad); }
"""

_JS = """
(function () {
  const log = JSON.parse(document.getElementById('run-log').textContent);
  const root = document.getElementById('app');
  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function table(headers, rows) {
    const t = el('table'); const head = el('tr');
    headers.forEach(h => head.appendChild(el('th', {}, h[0])));
    t.appendChild(head);
    rows.forEach(r => { const tr = el('tr');
      headers.forEach(h => tr.appendChild(el('td', {class: h[1]}, r[h[1]]))); t.appendChild(tr); });
    return t;
  }
  const header = el('div', {class: 'card'});
  header.appendChild(el('h1', {}, 'Agent memory: three sessions, two users'));
  header.appendChild(el('div', {class: 'meta'}, 'generated ' + log.generated_at + ' · orchestrator PID ' +
    log.orchestrator_pid + ' · daemon PID ' + log.daemon.pid + (log.daemon.private ? ' (private)' : ' (already running)') +
    ' · total ' + log.total_ms + ' ms'));
  header.appendChild(el('div', {class: 'meta'}, log.model.name ? ('model ' + log.model.name + ' via Ollama at ' +
    log.model.host) : ('no model was available (' + log.model.note + '): the replies below show the exact prompt instead')));
  root.appendChild(header);
  log.sessions.forEach(function (s, i) {
    const card = el('section', {class: 'card', id: s.name, 'data-pid': s.pid});
    const title = el('h2', {}, 'Session ' + (i + 1) + ' · ' + s.user + ' ');
    title.appendChild(el('span', {class: 'pid'}, 'PID ' + s.pid));
    card.appendChild(title);
    if (s.step === 'store') {
      card.appendChild(el('div', {class: 'note'}, 'wiped ' + s.user + ', stored ' + s.rows.length +
        ' preferences in ' + s.timings_ms.total + ' ms, then exited'));
      card.appendChild(table([['id', 'id'], ['memory', 'memory']], s.rows));
    } else {
      if (s.planted) card.appendChild(el('div', {class: 'note'}, 'planted ' + s.planted.id + ': ' + s.planted.memory));
      card.appendChild(el('div', {}, 'asks: “' + s.query + '” · retrieval trace (' + s.search_ms + ' ms)'));
      card.appendChild(el('div', {class: 'note'}, 'Rows are ranked by the hybrid score: the dense closeness and ' +
        'the keyword (BM25) match, each scaled within this one search, then summed. A row sharing words with the ' +
        'question can rank above a row of higher dense closeness; the hybrid score is not a similarity. ' +
        'Dense closeness is 1/(1 + squared embedding distance): 1.0 same meaning, about 0.33 unrelated.'));
      card.appendChild(table([['#', 'rank'], ['hybrid score', 'score'], ['dense closeness', 'similarity'], ['id', 'id'],
                              ['memory', 'memory'], ['user', 'user_id']],
        s.trace.map(h => Object.assign({}, h, {score: Number(h.score).toFixed(4),
                                               similarity: Number(h.similarity || 0).toFixed(4)}))));
      if (s.reply !== null && s.reply !== undefined) {
        card.appendChild(el('div', {class: 'note'}, s.model + ' · ' + (s.reply_tokens || []).length + ' tokens · first after ' +
          s.first_token_ms + ' ms · done after ' + s.reply_ms + ' ms'));
        card.appendChild(el('div', {class: 'reply'}, s.reply));
      } else {
        card.appendChild(el('div', {class: 'note'}, 'No model was available; this is the exact prompt that would be sent:'));
        card.appendChild(el('pre', {class: 'prompt'}, s.messages.map(m => '[' + m.role + ']\\n' + m.content).join('\\n\\n')));
      }
    }
    root.appendChild(card);
  });
  const checks = el('section', {class: 'card'});
  checks.appendChild(el('h2', {}, 'Checks'));
  const list = el('ul', {class: 'checks'});
  Object.entries(log.checks).forEach(([name, ok]) => list.appendChild(el('li', {class: ok ? 'ok' : 'bad'}, name.replace(/_/g, ' '))));
  checks.appendChild(list);
  root.appendChild(checks);
  document.body.setAttribute('data-rendered', 'complete');
})();
"""


def _embed_json(value: Any) -> str:
    # "<" escaped so no memory text can close the script element early
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c").replace("\u2028", "\\u2028")


def render_page(log: dict[str, Any]) -> str:
    """The complete HTML document for ``log`` (one file, nothing fetched)."""
    return (
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>Agent memory showcase</title><style>{_CSS}</style></head>\n"
        "<body><main id=\"app\"><noscript>This page renders its run log with JavaScript.</noscript></main>\n"
        f"<script type=\"application/json\" id=\"run-log\">{_embed_json(log)}</script>\n"
        f"<script>{_JS}</script>\n</body></html>\n"
    )
