'use strict';
// The operator console. Plain DOM and SVG, no library: every value is put on the page as text (textContent,
// setAttribute), never as markup, so a job input or an upstream's error holding <script> shows as those characters.
(() => {
  const SVG = 'http://www.w3.org/2000/svg';
  const AUTH_KEY = 'gather.console.auth';
  const RECENT_SHOWN = 8;

  // ---- DOM helpers: the only way this file makes elements ----
  function setAttrs(el, attrs) {
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value == null || value === false) continue;
      if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
      else el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  function append(el, ...kids) {
    for (const kid of kids.flat(Infinity)) {
      if (kid == null || kid === false) continue;
      el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
    }
    return el;
  }
  const h = (tag, attrs, ...kids) => { const el = document.createElement(tag); setAttrs(el, attrs); return append(el, kids); };
  const s = (tag, attrs, ...kids) => { const el = document.createElementNS(SVG, tag); setAttrs(el, attrs); return append(el, kids); };
  const replace = (el, ...kids) => { el.replaceChildren(); return append(el, kids); };
  const $ = (id) => document.getElementById(id);

  // ---- credentials: kept for this tab only, sent as a header, never in a URL ----
  const auth = {
    get() { try { return JSON.parse(sessionStorage.getItem(AUTH_KEY)); } catch (e) { return null; } },
    headers() {
      const a = auth.get();
      if (!a || !a.value) return {};
      return a.kind === 'bearer' ? { Authorization: 'Bearer ' + a.value } : { 'X-Api-Key': a.value };
    },
  };
  $('login').addEventListener('submit', (e) => {
    e.preventDefault();
    sessionStorage.setItem(AUTH_KEY, JSON.stringify({ kind: $('login-kind').value, value: $('login-value').value }));
    $('login').hidden = true;
    notice('');
    live.restart();
    route();
  });
  function notice(text) { replace($('notice'), text || ''); }
  // Fetched with the tab's credentials (a plain link would go without the header), then saved from a blob URL.
  async function download(jobId, path) {
    try {
      const r = await api('/jobs/' + encodeURIComponent(jobId) + '/file');
      if (!r.ok) { notice('the file: HTTP ' + r.status); return; }
      const url = URL.createObjectURL(await r.blob());
      const a = h('a', { href: url, download: String(path).split('/').pop() });
      document.body.append(a); a.click(); a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
    } catch (e) { notice(e.message); }
  }

  async function api(path, options = {}) {
    const response = await fetch(path, { ...options, headers: { ...auth.headers(), ...(options.headers || {}) } });
    if (response.status === 401) $('login').hidden = false;
    return response;
  }
  async function json(path, options) {
    const response = await api(path, options);
    const body = await response.json().catch(() => null);
    if (!response.ok) throw new Error((body && body.detail) || ('HTTP ' + response.status));
    return body;
  }

  // ---- live updates: server-sent events read with fetch, so that the credentials go in a header ----
  const state = { overview: null, upstreams: null, jobs: null, requests: {} };
  const live = {
    controller: null,
    listeners: [],
    restart() { if (this.controller) this.controller.abort(); },
    async run() {
      for (;;) {
        this.controller = new AbortController();
        try {
          const response = await fetch('/console/api/events', { headers: auth.headers(), signal: this.controller.signal });
          if (response.status === 401) $('login').hidden = false;
          if (response.ok) {
            setLive(true);
            const reader = response.body.getReader();
            const decoder = new TextDecoder();
            let buffer = '';
            for (;;) {
              const { done, value } = await reader.read();
              if (done) break;
              buffer += decoder.decode(value, { stream: true });
              let end;
              while ((end = buffer.indexOf('\n\n')) >= 0) {
                const frame = buffer.slice(0, end);
                buffer = buffer.slice(end + 2);
                let event = 'message';
                let data = '';
                for (const line of frame.split('\n')) {
                  if (line.startsWith('event: ')) event = line.slice(7);
                  else if (line.startsWith('data: ')) data += line.slice(6);
                }
                if (data) dispatch(event, JSON.parse(data));
              }
            }
          }
        } catch (e) { /* dropped or aborted: try again below */ }
        setLive(false);
        await new Promise((resolve) => setTimeout(resolve, 2000));
      }
    },
  };
  function setLive(on) {
    const el = $('live');
    el.className = on ? 'live' : 'live off';
    replace(el, on ? 'live' : 'offline');
  }
  function dispatch(event, data) {
    if (event === 'overview') state.overview = data;
    else if (event === 'upstreams') state.upstreams = data.upstreams;
    else if (event === 'jobs') state.jobs = data;
    else if (event === 'request') {
      const list = state.requests[data.aggregate] || (state.requests[data.aggregate] = []);
      list.unshift(data);
      list.length = Math.min(list.length, 50);
    }
    if (page && page.update) page.update(event, data);
  }

  // ---- formatting ----
  const pct = (x) => (x == null ? '–' : (x * 100).toFixed(1) + ' %');
  const ms = (x) => (x == null ? '–' : x + ' ms');
  const num = (x) => (x == null ? '–' : String(x));
  function duration(seconds) {
    const d = Math.floor(seconds / 86400), hh = Math.floor(seconds % 86400 / 3600), mm = Math.floor(seconds % 3600 / 60);
    return (d ? d + 'd ' : '') + (d || hh ? hh + 'h ' : '') + mm + 'm ' + (seconds % 60) + 's';
  }
  const badge = (text, cls) => h('span', { class: 'badge ' + (cls || text) }, text);
  const card = (label, value, extra) => h('div', { class: 'card' }, h('div', { class: 'label' }, label), h('div', { class: 'value' }, value), extra);

  function sparkline(points, width = 160, height = 28) {
    const counts = (points || []).map((p) => p[1]);
    const max = Math.max(1, ...counts);
    const step = counts.length > 1 ? width / (counts.length - 1) : width;
    const coords = counts.map((c, i) => (i * step).toFixed(1) + ',' + (height - 2 - (c / max) * (height - 4)).toFixed(1));
    const errors = (points || []).map((p, i) => p[2] > 0 ? s('circle', { cx: (i * step).toFixed(1), cy: height - 2, r: 2, fill: '#c62828' }) : null);
    return s('svg', { width, height, class: 'spark' },
      s('polyline', { points: coords.join(' '), fill: 'none', stroke: '#1565c0', 'stroke-width': 1.5 }), errors);
  }

  // ---- pages ----
  let page = null;
  const pages = {
    overview: overviewPage,
    aggregates: aggregatesPage,
    upstreams: upstreamsPage,
    jobs: jobsPage,
    job: jobPage,
  };

  function route() {
    const hash = location.hash.replace(/^#\/?/, '');
    const [name, arg] = hash.split('/');
    const key = name === 'jobs' && arg ? 'job' : (pages[name] ? name : 'overview');
    document.querySelectorAll('header nav a').forEach((a) => a.classList.toggle('current', a.dataset.page === (key === 'job' ? 'jobs' : key)));
    const main = $('main');
    main.replaceChildren();
    notice('');
    page = pages[key](main, arg ? decodeURIComponent(arg) : null);
  }
  window.addEventListener('hashchange', route);

  // Overview: who we are, the database and Redis, and requests/s and errors per aggregate and upstream.
  function overviewPage(main) {
    const body = h('div');
    append(main, h('h2', null, 'Overview'), body);
    const draw = () => {
      const o = state.overview;
      if (!o) return replace(body, h('p', { class: 'muted' }, 'waiting for figures…'));
      const db = o.database;
      const redis = Object.entries(o.redis || {}).map(([feature, r]) => h('div', null, feature + ': ', badge(r.state), r.pingMs != null ? ' ' + r.pingMs + ' ms' : ''));
      replace(body,
        h('div', { class: 'cards' },
          card('version', o.version), card('uptime', duration(o.uptimeSeconds)), card('HTTP instances', o.instances),
          card('database', badge(db.reachable ? 'up' : 'down'), h('div', { class: 'muted' }, db.migrated ? 'migrated' : db.detail)),
          card('Redis', redis.length ? redis : h('span', { class: 'muted' }, 'not used')),
          card('console viewers', o.viewers)),
        h('h3', null, 'Aggregates (last minute; sparkline: last 15 minutes)'),
        rateTable(o.aggregates, 'aggregate'),
        h('h3', null, 'Upstreams'),
        rateTable(o.upstreams, 'upstream'));
    };
    json('/console/api/overview').then((o) => { state.overview = o; draw(); }).catch((e) => notice(e.message));
    draw();
    return { update(event) { if (event === 'overview') draw(); } };
  }
  function rateTable(series, what) {
    const rows = Object.entries(series || {}).map(([name, r]) => h('tr', { 'data-name': name },
      h('td', null, name), h('td', { class: 'num' }, r.perSecond.toFixed(2)), h('td', { class: 'num' }, pct(r.errorShare)),
      r.p95Ms !== undefined ? h('td', { class: 'num' }, ms(r.p95Ms)) : h('td', { class: 'muted' }, ''),
      h('td', null, sparkline(r.points))));
    return h('table', null, h('tr', null, h('th', null, what), h('th', null, 'req/s'), h('th', null, 'errors'),
      h('th', null, what === 'upstream' ? 'p95' : ''), h('th', null, 'trend')), rows);
  }

  // Aggregates: each one's source graph, a form to try it, and its recent requests as waterfalls.
  function aggregatesPage(main) {
    append(main, h('h2', null, 'Aggregates'));
    const holders = {};
    json('/console/api/aggregates').then((data) => {
      if (!data.aggregates.length) append(main, h('p', { class: 'muted' }, 'No aggregates are configured.'));
      for (const aggregate of data.aggregates) {
        const known = state.requests[aggregate.name] || [];
        const seen = new Set(known.map((r) => r.seq));
        state.requests[aggregate.name] = known.concat(aggregate.recent.filter((r) => !seen.has(r.seq)))
          .sort((a, b) => b.seq - a.seq).slice(0, 50);
        const recent = h('div', { class: 'recent' });
        holders[aggregate.name] = recent;
        append(main, h('div', { class: 'section', 'data-aggregate': aggregate.name },
          h('h3', null, aggregate.name + ' ', h('span', { class: 'muted' }, aggregate.method + ' ' + aggregate.path + ' · deadline ' + aggregate.deadlineMs + ' ms')),
          graph(aggregate), tryForm(aggregate), h('h3', null, 'Recent requests'), recent));
        drawRecent(aggregate.name);
      }
    }).catch((e) => notice(e.message));
    function drawRecent(name) {
      const list = (state.requests[name] || []).slice(0, RECENT_SHOWN);
      replace(holders[name], list.length ? list.map(waterfall)
        : h('p', { class: 'muted' }, 'None yet: requests are recorded while a console page is open.'));
    }
    return { update(event, data) { if (event === 'request' && holders[data.aggregate]) drawRecent(data.aggregate); } };
  }

  function graph(aggregate) {
    const depth = {};
    const byName = Object.fromEntries(aggregate.sources.map((src) => [src.name, src]));
    const depthOf = (name) => depth[name] != null ? depth[name]
      : (depth[name] = byName[name].needs.length ? 1 + Math.max(...byName[name].needs.map(depthOf)) : 0);
    aggregate.sources.forEach((src) => depthOf(src.name));
    const columns = [];
    aggregate.sources.forEach((src) => (columns[depth[src.name]] = columns[depth[src.name]] || []).push(src));
    const W = 170, H = 46, GAPX = 60, GAPY = 14, TOP = 24;
    const pos = {};
    columns.forEach((col, c) => col.forEach((src, r) => (pos[src.name] = { x: 10 + c * (W + GAPX), y: TOP + r * (H + GAPY) })));
    const width = 20 + columns.length * (W + GAPX) - GAPX;
    const height = TOP + Math.max(...columns.map((col) => col.length)) * (H + GAPY);
    const edges = aggregate.sources.flatMap((src) => src.needs.map((need) => {
      const a = pos[need], b = pos[src.name];
      const x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x - 4, y2 = b.y + H / 2;
      return s('path', { class: 'edge', d: `M${x1},${y1} C${x1 + GAPX / 2},${y1} ${x2 - GAPX / 2},${y2} ${x2},${y2}` });
    }));
    const nodes = aggregate.sources.map((src) => {
      const p = pos[src.name];
      const where = src.kind === 'query' ? 'query ' + src.query : src.upstream + ' ' + src.method + ' ' + src.path;
      const flags = [src.required ? null : 'optional', src.forEach ? 'forEach' : null, src.cached ? 'cached' : null, src.conditional ? 'when' : null].filter(Boolean);
      return s('g', { class: 'node ' + src.kind + (src.required ? '' : ' optional'), 'data-source': src.name },
        s('title', null, where),
        s('rect', { x: p.x, y: p.y, width: W, height: H, rx: 5 }),
        s('text', { x: p.x + 8, y: p.y + 17, 'font-weight': 600 }, src.name),
        s('text', { x: p.x + 8, y: p.y + 32, fill: '#555' }, (src.kind === 'query' ? 'SQL ' + src.query : src.upstream) + (src.timeoutMs != null ? ' · ' + src.timeoutMs + ' ms' : '') + (flags.length ? ' · ' + flags.join(', ') : '')));
    });
    const columnsLabel = columns.map((col, c) => s('text', { x: 10 + c * (W + GAPX), y: 14, fill: '#757575' },
      c === 0 ? 'starts at once' : 'waits for column ' + c));
    return s('svg', { width, height, class: 'graph' },
      s('defs', null, s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 6, markerHeight: 6, orient: 'auto-start-reverse' },
        s('path', { d: 'M 0 0 L 10 5 L 0 10 z', fill: '#90a4ae' }))),
      columnsLabel, edges, nodes);
  }

  function waterfall(request) {
    const LABEL = 120, WIDTH = 640, ROW = 18;
    const end = Math.max(1, request.ms, ...request.sources.map((src) => src.startMs + src.ms));
    const scale = (WIDTH - LABEL - 190) / end;
    const rows = request.sources.map((src, i) => {
      const y = i * ROW;
      const outcome = src.skipped ? 'skipped' : src.failure ? (src.status == null && src.cached ? 'fellback' : 'failed') : src.cached ? 'cached' : 'ok';
      const notes = [src.skipped ? 'skipped' : src.ms + ' ms', src.attempts > 1 ? src.attempts + ' tries' : null,
        src.hedged ? 'hedged' : null, src.coalesced ? 'shared' : null, src.cached ? (src.stale ? 'stale cache' : 'cache hit') : null,
        src.shortCircuited ? 'breaker open' : null, src.failure].filter(Boolean).join(' · ');
      const x = LABEL + src.startMs * scale;
      return s('g', { class: 'row', 'data-source': src.name, 'data-ms': src.ms, 'data-outcome': outcome },
        s('title', null, src.name + ': ' + notes + (src.detail ? ' — ' + src.detail : '')),
        s('text', { x: 0, y: y + 12 }, src.name),
        s('rect', { class: 'bar ' + outcome, x: x.toFixed(1), y: y + 3, width: Math.max(2, src.ms * scale).toFixed(1), height: ROW - 6, rx: 2 }),
        s('text', { x: (x + Math.max(2, src.ms * scale) + 6).toFixed(1), y: y + 12, fill: '#555' }, notes));
    });
    const at = new Date(request.at).toLocaleTimeString();
    return h('div', { class: 'waterfall', 'data-request': request.requestId },
      h('div', null, at + ' ', badge(String(request.status), request.status < 300 ? 'up' : request.status < 500 ? 'queued' : 'down'),
        ' ' + request.ms + ' ms ', request.complete ? '' : h('span', { class: 'muted' }, 'partial '), h('span', { class: 'muted' }, request.requestId)),
      s('svg', { width: WIDTH, height: request.sources.length * ROW + 4 }, rows));
  }

  function tryForm(aggregate) {
    const inputs = {};
    const field = (name, where) => h('label', null, name + ' ', inputs[name] = h('input', { name, 'data-where': where, size: 10 }));
    const bodyInput = aggregate.method === 'GET' ? null : h('textarea', { rows: 3, cols: 50, placeholder: 'JSON body' });
    const out = h('div', { class: 'try-result' });
    const form = h('form', { class: 'inline try' },
      aggregate.pathParameters.map((p) => field(p, 'path')), aggregate.queryParameters.map((p) => field(p, 'query')),
      bodyInput, h('button', { type: 'submit' }, 'Try ' + aggregate.method));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      let path = aggregate.path;
      for (const p of aggregate.pathParameters) path = path.replace(':' + p, encodeURIComponent(inputs[p].value));
      const query = new URLSearchParams();
      for (const p of aggregate.queryParameters) if (inputs[p].value) query.set(p, inputs[p].value);
      const url = path + (query.toString() ? '?' + query : '');
      replace(out, h('span', { class: 'muted' }, aggregate.method + ' ' + url + ' …'));
      try {
        const options = { method: aggregate.method };
        if (bodyInput && bodyInput.value) { options.body = bodyInput.value; options.headers = { 'Content-Type': 'application/json' }; }
        const response = await api(url, options);
        const text = await response.text();
        let shown = text;
        try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch (ignored) { /* not JSON: shown as it came */ }
        replace(out, h('div', null, aggregate.method + ' ' + url + ' → ', badge(String(response.status), response.ok ? 'up' : 'down')), h('pre', null, shown));
      } catch (err) {
        replace(out, h('pre', null, String(err)));
      }
    });
    return h('div', null, form, out);
  }

  // Upstreams: limits, what is in flight, latency, breakers and caches.
  function upstreamsPage(main) {
    const body = h('div');
    append(main, h('h2', null, 'Upstreams'), body);
    const draw = () => {
      const list = state.upstreams;
      if (!list) return replace(body, h('p', { class: 'muted' }, 'waiting for figures…'));
      if (!list.length) return replace(body, h('p', { class: 'muted' }, 'No upstreams are configured.'));
      replace(body, h('table', null,
        h('tr', null, ['upstream', 'hosts', 'breaker', 'in flight', 'queued', 'req/s', 'errors', 'p50', 'p95', 'p99', 'shed', 'retries', 'hedges', 'short-circuited', 'cache hits']
          .map((t) => h('th', null, t))),
        list.map((u) => {
          const r = u.recent || {};
          const breaker = u.breaker
            ? h('span', null, badge(u.breaker.state), u.breaker.state === 'open' ? h('div', { class: 'muted' }, 'probe in ' + Math.ceil(u.breaker.probeInMs / 1000) + ' s') : '')
            : h('span', { class: 'muted' }, 'none');
          const hosts = u.hostStates
            ? Object.entries(u.hostStates).map(([host, st]) => h('div', null, host + ' ', badge(st.state), ' ' + st.inFlight + ' in flight'))
            : u.hosts.map((x) => h('div', null, x));
          return h('tr', { 'data-upstream': u.name },
            h('td', null, u.name), h('td', null, hosts), h('td', { class: 'breaker' }, breaker),
            h('td', { class: 'num' }, u.inFlight + ' / ' + u.maxConcurrent), h('td', { class: 'num' }, u.queued + ' / ' + u.maxQueued),
            h('td', { class: 'num' }, r.perSecond != null ? r.perSecond.toFixed(2) : '–'), h('td', { class: 'num' }, pct(r.errorShare)),
            h('td', { class: 'num' }, ms(r.p50Ms)), h('td', { class: 'num' }, ms(r.p95Ms)), h('td', { class: 'num' }, ms(r.p99Ms)),
            h('td', { class: 'num' }, u.shed), h('td', { class: 'num' }, u.retries), h('td', { class: 'num' }, u.hedges),
            h('td', { class: 'num' }, u.shortCircuited), h('td', { class: 'num' }, pct(u.cacheHitRate)));
        })));
    };
    json('/console/api/upstreams').then((d) => { state.upstreams = d.upstreams; draw(); }).catch((e) => notice(e.message));
    draw();
    return { update(event) { if (event === 'upstreams') draw(); } };
  }

  // Jobs: counts by kind, a filterable keyset-paged list (the jobs API), each job's page.
  function jobsPage(main) {
    const counts = h('div');
    const list = h('div');
    const kind = h('input', { name: 'kind', placeholder: 'any kind', size: 14 });
    const status = h('select', { name: 'status' }, ['', 'queued', 'running', 'succeeded', 'failed', 'cancelled'].map((v) => h('option', { value: v }, v || 'any status')));
    const filters = h('form', { class: 'inline' }, kind, status, h('button', { type: 'submit' }, 'Filter'));
    let before = null;
    const pagesBack = [];
    filters.addEventListener('submit', (e) => { e.preventDefault(); before = null; pagesBack.length = 0; load(); });
    append(main, h('h2', null, 'Jobs'), h('h3', null, 'By kind'), counts, h('h3', null, 'Jobs'), filters, list);
    // The per-kind view (paused, limits, every state) comes from GET /jobs/kinds where gather has it; else the
    // console's own counts of queued and running jobs.
    // Its counts read the whole jobs table, so it is fetched again at most every 5 s, not on every push.
    let kinds = null;
    let kindsAt = 0;
    function loadKinds() {
      kindsAt = Date.now();
      api('/jobs/kinds').then(async (r) => { if (r.ok) { kinds = await r.json(); drawCounts(); } }).catch(() => {});
    }
    loadKinds();
    function drawCounts() {
      if (kinds && Array.isArray(kinds.items)) {
        const states = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];
        return replace(counts, h('table', null, h('tr', null, h('th', null, 'kind'), states.map((st) => h('th', null, st)), h('th', null, 'limits'), h('th', null, 'paused'), h('th', null, '')),
          kinds.items.map((k) => h('tr', { 'data-kind': k.kind }, h('td', null, k.kind),
            states.map((st) => h('td', { class: 'num' }, num((k.counts || {})[st] || 0))),
            h('td', null, limitsText(k.limits)),
            h('td', { class: 'paused' }, k.paused ? badge('paused', 'failed') : 'no'),
            h('td', null, h('button', { onclick: () => kindAction(k.kind, k.paused ? 'resume' : 'pause') }, k.paused ? 'Resume' : 'Pause'))))));
      }
      const rows = (state.jobs && state.jobs.counts) || [];
      const byKind = {};
      rows.forEach((r) => ((byKind[r.kind] = byKind[r.kind] || {})[r.status] = r.jobs));
      replace(counts, Object.keys(byKind).length
        ? h('table', null, h('tr', null, h('th', null, 'kind'), h('th', null, 'queued'), h('th', null, 'running')),
          Object.entries(byKind).map(([k, c]) => h('tr', { 'data-kind': k }, h('td', null, k), h('td', { class: 'num' }, num(c.queued || 0)), h('td', { class: 'num' }, num(c.running || 0)))))
        : h('p', { class: 'muted' }, 'No job is queued or running.'));
    }
    function limitsText(limits) {
      if (!limits) return '';
      const parts = [];
      if (limits.concurrency) parts.push(limits.concurrency.limit + ' at once' + (limits.concurrency.by ? ' per ' + limits.concurrency.by : ''));
      if (limits.rate) parts.push(limits.rate.limit + ' per ' + limits.rate.periodMs + ' ms' + (limits.rate.by ? ' per ' + limits.rate.by : ''));
      return parts.join(', ');
    }
    async function kindAction(k, action) {
      try { await json('/jobs/kinds/' + encodeURIComponent(k) + '/' + action, { method: 'POST' }); kinds = await json('/jobs/kinds'); drawCounts(); } catch (e) { notice(e.message); }
    }
    async function load() {
      const q = new URLSearchParams({ limit: '20' });
      if (kind.value) q.set('kind', kind.value);
      if (status.value) q.set('status', status.value);
      if (before) q.set('before', before);
      try {
        const data = await json('/jobs?' + q);
        const next = data.next ? new URL(data.next, location.href).searchParams.get('before') : null;
        replace(list, h('table', null,
          h('tr', null, ['id', 'kind', 'status', 'attempts', 'created', 'last error'].map((t) => h('th', null, t))),
          data.items.map((j) => h('tr', { 'data-job': j.id },
            h('td', null, h('a', { href: '#/jobs/' + j.id }, String(j.id))), h('td', null, j.kind), h('td', null, badge(j.status)),
            h('td', { class: 'num' }, j.attempts + ' / ' + j.maxAttempts), h('td', null, new Date(j.createdAt).toLocaleString()),
            h('td', null, j.lastError ? j.lastError.slice(0, 80) : '')))),
        h('div', { class: 'inline' },
          pagesBack.length ? h('button', { onclick: () => { before = pagesBack.pop(); load(); } }, '← Newer') : null,
          next ? h('button', { onclick: () => { pagesBack.push(before); before = next; load(); } }, 'Older →') : null));
      } catch (e) { notice(e.message); }
    }
    json('/console/api/jobs').then((d) => { state.jobs = d; drawCounts(); }).catch((e) => notice(e.message));
    drawCounts();
    load();
    return { update(event) {
      if (event !== 'jobs') return;
      if (kinds && Date.now() - kindsAt >= 5000) loadKinds(); else drawCounts();
      if (before == null) load();
    } };
  }

  function jobPage(main, id) {
    const body = h('div');
    append(main, h('h2', null, 'Job ' + id), h('p', null, h('a', { href: '#/jobs' }, '← all jobs')), body);
    let job = null;
    async function load() {
      try {
        const fresh = await json('/jobs/' + encodeURIComponent(id));
        // Drawn again only when something changed, so that a button is not swapped under the pointer.
        if (JSON.stringify(fresh) !== JSON.stringify(job)) { job = fresh; draw(); }
      } catch (e) { notice(e.message); }
    }
    function draw() {
      const finished = ['succeeded', 'failed', 'cancelled'].includes(job.status);
      const actions = h('div', { class: 'inline' },
        !finished ? h('button', { class: 'danger', id: 'cancel', onclick: cancel }, job.status === 'running' ? 'Cancel (ask it to stop)' : 'Cancel') : null,
        job.status === 'failed' || job.status === 'cancelled' ? h('button', { id: 'retry', onclick: retry }, 'Retry now (a new job with the same input)') : null);
      const rows = [['kind', job.kind], ['status', badge(job.status)], ['attempts', job.attempts + ' / ' + job.maxAttempts],
        ['priority', job.priority], ['run at', job.runAt], ['created', job.createdAt], ['started', job.startedAt], ['finished', job.finishedAt],
        ['worker', job.worker], ['timeout', job.timeoutMs + ' ms'], ['rescues', job.rescues], ['cancel requested', String(job.cancelRequested)]];
      replace(body,
        h('table', { class: 'job', 'data-status': job.status }, rows.map(([k, v]) => h('tr', null, h('th', null, k), h('td', { 'data-field': k }, v == null ? '–' : v)))),
        // Progress (percent and message) where gather reports it on the job.
        job.progress ? h('div', null, h('h3', null, 'Progress'), h('div', { class: 'progress' }, h('div', { style: null, 'data-percent': job.progress.percent })),
          h('span', null, ' ' + (job.progress.percent != null ? job.progress.percent + ' % ' : '') + (job.progress.message || ''))) : null,
        actions,
        h('h3', null, 'Input'), h('pre', { id: 'job-input' }, JSON.stringify(job.input, null, 2)),
        job.lastError ? [h('h3', null, 'Last error'), h('pre', { id: 'job-error' }, job.lastError)] : null,
        job.result ? [h('h3', null, 'Result'), h('pre', { id: 'job-result' }, JSON.stringify(job.result, null, 2))] : null,
        // A succeeded job that wrote a file names it in its result (GET /jobs/{id}/file serves it).
        job.status === 'succeeded' && job.result && job.result.file
          ? h('p', null, h('a', { class: 'file', href: '#', onclick: (e) => { e.preventDefault(); download(id, job.result.file); } }, 'Download the file')) : null);
      const bar = body.querySelector('.progress > div');
      if (bar) bar.style.width = Math.max(0, Math.min(100, Number(job.progress.percent) || 0)) + '%';
    }
    async function cancel() {
      try {
        job = await json('/jobs/' + encodeURIComponent(id), { method: 'DELETE' });
        draw();
      } catch (e) { notice(e.message); }
    }
    async function retry() {
      try {
        const copy = await json('/jobs', { method: 'POST', headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ kind: job.kind, input: job.input, priority: job.priority, maxAttempts: job.maxAttempts, timeoutMs: job.timeoutMs }) });
        location.hash = '#/jobs/' + copy.id;
      } catch (e) { notice(e.message); }
    }
    load();
    return { update(event) { if (event === 'jobs' && job && !['succeeded', 'failed', 'cancelled'].includes(job.status)) load(); } };
  }

  route();
  live.run();
})();
