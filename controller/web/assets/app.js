// The controller's status page: hash-routed views over /api/overview, kept
// live by /api/stream with polling as the fallback. No framework: each view
// builds a fresh DOM tree and morph() patches it into the page, so scroll
// positions, focus and expanded rows survive every update. The page runs
// under a strict CSP: no inline style or handlers, so events are delegated
// from the document and colours come from classes in app.css.
'use strict';

(function () {
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const POLL_MS = 2000;
  const STREAM_RETRY_MS = 10000;
  const TICK_MS = 2000; // re-render so relative times ("since 5m") advance

  // Services in the order a Hadoop/BAM operator reads them; others follow
  // alphabetically.
  const SERVICE_ORDER = [
    'zookeeper',
    'namenode',
    'secondarynamenode',
    'jobtracker',
    'datanode',
    'tasktracker',
    'cassandra',
    'bam',
  ];

  const state = {
    overview: null,
    receivedAt: 0, // performance.now() when the overview arrived
    mode: 'offline',
    modeDetail: 'connecting',
    route: { view: 'cluster' },
    versions: null, // ListVersionsResponse.versions once fetched
    versionsError: '',
    versionsLoading: false,
    versionDetail: new Map(), // version number -> /api/version answer or {error}
    specOpen: false,
    expandedOps: new Set(), // operation ids whose details are shown
    eventFilter: '',
  };

  // ---------------------------------------------------------------- DOM helpers

  function build(doc, tag, attrs, children) {
    const el = doc(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      el.setAttribute(name, value === true ? '' : String(value));
    }
    appendAll(el, children);
    return el;
  }

  function appendAll(el, children) {
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      if (Array.isArray(child)) appendAll(el, child);
      else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }

  // h('a', {href: '#/'}, 'text', child, [more]) builds an HTML element.
  function h(tag, attrs, ...children) {
    return build((t) => document.createElement(t), tag, attrs, children);
  }

  // The SVG counterpart of h().
  function svg(tag, attrs, ...children) {
    return build((t) => document.createElementNS(SVG_NS, t), tag, attrs, children);
  }

  // Patches `from` (in the page) to look like `to` (freshly built), keeping
  // the nodes that match. Children match by data-key, else by position and tag.
  function morph(from, to) {
    if (from.nodeType !== Node.ELEMENT_NODE) {
      if (from.nodeValue !== to.nodeValue) from.nodeValue = to.nodeValue;
      return;
    }
    syncAttributes(from, to);
    // A focused field keeps what the person is typing.
    if (from.tagName === 'INPUT' && from !== document.activeElement && from.value !== to.value) {
      from.value = to.value;
    }
    morphChildren(from, to);
  }

  function syncAttributes(from, to) {
    for (const attr of Array.from(from.attributes)) {
      if (!to.hasAttribute(attr.name)) from.removeAttribute(attr.name);
    }
    for (const attr of Array.from(to.attributes)) {
      if (from.getAttribute(attr.name) !== attr.value) from.setAttribute(attr.name, attr.value);
    }
  }

  function keyOf(node) {
    return node.nodeType === Node.ELEMENT_NODE ? node.getAttribute('data-key') : null;
  }

  function sameKind(a, b) {
    return a.nodeType === b.nodeType && a.nodeName === b.nodeName && keyOf(a) === keyOf(b);
  }

  function morphChildren(parent, next) {
    const keyed = new Map();
    for (const child of parent.childNodes) {
      const key = keyOf(child);
      if (key !== null) keyed.set(key, child);
    }
    let cursor = parent.firstChild;
    for (const wanted of Array.from(next.childNodes)) {
      const key = keyOf(wanted);
      let match =
        key !== null ? keyed.get(key) : cursor && sameKind(cursor, wanted) ? cursor : null;
      if (match && match.nodeName !== wanted.nodeName) match = null;
      if (!match) {
        parent.insertBefore(wanted, cursor);
        continue;
      }
      keyed.delete(key);
      if (match === cursor) cursor = cursor.nextSibling;
      else parent.insertBefore(match, cursor);
      morph(match, wanted);
    }
    while (cursor) {
      const after = cursor.nextSibling;
      parent.removeChild(cursor);
      cursor = after;
    }
  }

  // ---------------------------------------------------------------- values

  const ENUM_PREFIXES = [
    'OPERATION_STATE_',
    'OPERATION_KIND_',
    'STEP_STATE_',
    'PHASE_',
    'HEALTH_',
    'SEVERITY_',
  ];

  // As the CLI shows enums: PHASE_CRASH_LOOP -> "crash-loop". Text that is
  // already lower case passes through.
  function enumText(value) {
    const text = String(value === undefined || value === null ? '' : value);
    if (!/^[A-Z][A-Z0-9_]*$/.test(text)) return text;
    const prefix = ENUM_PREFIXES.find((p) => text.startsWith(p));
    return (prefix ? text.slice(prefix.length) : text).toLowerCase().replace(/_/g, '-');
  }

  // int64 fields arrive as strings.
  function num(value) {
    const n = Number(value);
    return Number.isFinite(n) ? n : 0;
  }

  function serverNow() {
    if (!state.overview) return Date.now();
    return num(state.overview.now_ms) + (performance.now() - state.receivedAt);
  }

  function duration(ms) {
    const s = Math.max(0, Math.floor(ms / 1000));
    if (s < 60) return s + 's';
    const m = Math.floor(s / 60);
    if (m < 10 && s % 60) return m + 'm ' + (s % 60) + 's';
    if (m < 60) return m + 'm';
    const hrs = Math.floor(m / 60);
    if (hrs < 24) return hrs + 'h' + (m % 60 ? ' ' + (m % 60) + 'm' : '');
    return Math.floor(hrs / 24) + 'd' + (hrs % 24 ? ' ' + (hrs % 24) + 'h' : '');
  }

  function ago(ms) {
    return num(ms) > 0 ? duration(serverNow() - num(ms)) + ' ago' : 'never';
  }

  function pad(n) {
    return String(n).padStart(2, '0');
  }

  // Local wall time, to the second.
  function clockTime(ms) {
    if (num(ms) <= 0) return '-';
    const d = new Date(num(ms));
    return (
      d.getFullYear() +
      '-' +
      pad(d.getMonth() + 1) +
      '-' +
      pad(d.getDate()) +
      ' ' +
      pad(d.getHours()) +
      ':' +
      pad(d.getMinutes()) +
      ':' +
      pad(d.getSeconds())
    );
  }

  // A time cell: relative, with the absolute time (UTC too) on hover.
  function timeAgo(ms) {
    if (num(ms) <= 0) return h('span', { class: 'muted' }, '-');
    return h(
      'time',
      {
        datetime: new Date(num(ms)).toISOString(),
        title: clockTime(ms) + ' (' + new Date(num(ms)).toISOString() + ')',
      },
      ago(ms),
    );
  }

  function shortHash(hash) {
    return hash ? String(hash).slice(0, 12) : '-';
  }

  // Natural order: node2 before node10.
  const collator = new Intl.Collator(undefined, { numeric: true });

  // ---------------------------------------------------------------- state colours

  const BAD_PHASES = new Set(['crash-loop', 'failed', 'blocked']);
  const BUSY_PHASES = new Set([
    'pending',
    'waiting',
    'initializing',
    'starting',
    'backoff',
    'stopping',
    'restarting',
  ]);

  // ok, warn, bad or unknown: the colour of a role.
  function roleTone(role) {
    const phase = enumText(role.phase);
    const health = enumText(role.health);
    if (BAD_PHASES.has(phase)) return 'bad';
    if (BUSY_PHASES.has(phase)) return 'warn';
    if (health === 'unhealthy') return 'bad';
    if (health === 'healthy') return 'ok';
    return 'unknown';
  }

  const TONE_OF_STATE = {
    running: 'warn',
    waiting: 'warn',
    paused: 'warn',
    restarting: 'warn',
    pending: 'unknown',
    succeeded: 'ok',
    done: 'ok',
    failed: 'bad',
    aborted: 'bad',
    planned: 'unknown',
    up: 'ok',
    down: 'bad',
    healthy: 'ok',
    unhealthy: 'bad',
    ok: 'ok',
    warning: 'warn',
    error: 'bad',
    leader: 'ok',
    follower: 'ok',
    standalone: 'ok',
    observer: 'ok',
  };

  function chip(text, tone) {
    return h(
      'span',
      { class: 'chip tone-' + (tone || TONE_OF_STATE[text] || 'unknown') },
      text || '-',
    );
  }

  // ---------------------------------------------------------------- data

  function nodesOf(ov) {
    const nodes = ((ov.status || {}).nodes || []).slice();
    return nodes.sort((a, b) => collator.compare(a.node, b.node));
  }

  function byService(a, b) {
    const rank = (s) =>
      SERVICE_ORDER.includes(s) ? SERVICE_ORDER.indexOf(s) : SERVICE_ORDER.length;
    return rank(a) - rank(b) || collator.compare(a, b);
  }

  function servicesOf(nodes) {
    const seen = new Set();
    for (const n of nodes) for (const r of n.roles || []) seen.add(r.service);
    return Array.from(seen).sort(byService);
  }

  function operationsOf(ov) {
    return ov.operations || [];
  }

  function doneSteps(op) {
    return (op.steps || []).filter((s) => enumText(s.state) === 'done').length;
  }

  // ---------------------------------------------------------------- network

  async function getJson(url) {
    const res = await fetch(url, {
      credentials: 'same-origin',
      cache: 'no-store',
      headers: { Accept: 'application/json' },
    });
    if (res.status === 401) {
      location.assign('/login');
      throw new Error('not logged in');
    }
    if (!res.ok) {
      let message = res.status + ' ' + res.statusText;
      try {
        message = (await res.json()).error || message;
      } catch (ignored) {
        /* not JSON: keep the status line */
      }
      throw new Error(message);
    }
    return res.json();
  }

  const live = { source: null, pollTimer: 0, retryTimer: 0 };

  function setOverview(ov) {
    state.overview = ov;
    state.receivedAt = performance.now();
    refreshVersionsIfStale();
    render();
  }

  function setMode(mode, detail) {
    state.mode = mode;
    state.modeDetail = detail;
    renderTopbar();
  }

  function openStream() {
    clearTimeout(live.retryTimer);
    const source = new EventSource('/api/stream');
    live.source = source;
    source.addEventListener('overview', (event) => {
      let ov;
      try {
        ov = JSON.parse(event.data);
      } catch (err) {
        return; // a torn message; the next one is whole
      }
      stopPolling();
      setMode('stream', 'stream connected');
      setOverview(ov);
    });
    // EventSource would reconnect by itself, but not after a 401 and with no
    // data meanwhile: poll instead and try the stream again later.
    source.addEventListener('error', () => {
      source.close();
      if (live.source === source) live.source = null;
      startPolling();
      live.retryTimer = setTimeout(openStream, STREAM_RETRY_MS);
    });
  }

  function startPolling() {
    if (live.pollTimer) return;
    setMode('polling', 'stream lost; polling every ' + POLL_MS / 1000 + ' s');
    live.pollTimer = setInterval(pollOnce, POLL_MS);
    pollOnce();
  }

  function stopPolling() {
    clearInterval(live.pollTimer);
    live.pollTimer = 0;
  }

  async function pollOnce() {
    try {
      const ov = await getJson('/api/overview');
      if (!live.pollTimer) return; // the stream came back meanwhile
      setMode('polling', 'stream lost; polling every ' + POLL_MS / 1000 + ' s');
      setOverview(ov);
    } catch (err) {
      if (live.pollTimer) setMode('offline', 'controller unreachable: ' + err.message);
    }
  }

  async function fetchVersions() {
    if (state.versionsLoading) return;
    state.versionsLoading = true;
    try {
      state.versions = (await getJson('/api/versions')).versions || [];
      state.versionsError = '';
    } catch (err) {
      state.versionsError = err.message;
    } finally {
      state.versionsLoading = false;
    }
    render();
  }

  // A new version applied while the list is on screen: fetch it again.
  function refreshVersionsIfStale() {
    if (state.route.view !== 'versions' || !state.versions || state.versionsLoading) return;
    const current = num((state.overview.controller || {}).current_version);
    const newest = state.versions.length ? num(state.versions[0].version) : 0;
    if (current > newest) fetchVersions();
  }

  // Versions never change once stored, so each is fetched once (again after an error).
  async function fetchVersion(v) {
    const known = state.versionDetail.get(v);
    if (known && !known.error) return;
    state.versionDetail.set(v, { loading: true });
    try {
      state.versionDetail.set(v, await getJson('/api/version?v=' + encodeURIComponent(v)));
    } catch (err) {
      state.versionDetail.set(v, { error: err.message });
    }
    render();
    if (window.matchMedia('(max-width: 999px)').matches) {
      const panel = document.getElementById('version-detail');
      if (panel) panel.scrollIntoView({ block: 'start' });
    }
  }

  // ---------------------------------------------------------------- routing

  function parseRoute() {
    let parts;
    try {
      parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
    } catch (err) {
      return { view: 'missing' };
    }
    switch (parts[0]) {
      case '':
        return { view: 'cluster' };
      case 'node':
        return { view: 'node', name: parts[1] || '' };
      case 'zookeeper':
        return { view: 'zookeeper' };
      case 'cassandra':
        return { view: 'cassandra' };
      case 'versions':
        return { view: 'versions', version: parts[1] || '' };
      case 'operations':
        return { view: 'operations', id: parts[1] || '' };
      case 'events':
        return { view: 'events' };
      default:
        return { view: 'missing' };
    }
  }

  function onRoute() {
    const previous = state.route;
    state.route = parseRoute();
    if (state.route.view !== previous.view) window.scrollTo(0, 0);
    if (state.route.view === 'versions') {
      if (state.route.view !== previous.view) fetchVersions();
      if (state.route.version) fetchVersion(state.route.version);
    }
    if (state.route.view === 'operations' && state.route.id) state.expandedOps.add(state.route.id);
    render();
    if (state.route.view === 'operations' && state.route.id) {
      const row = document.querySelector(
        'tr.op[data-operation-id="' + CSS.escape(state.route.id) + '"]',
      );
      if (row) row.scrollIntoView({ block: 'nearest' });
    }
  }

  // ---------------------------------------------------------------- top bar

  function renderTopbar() {
    const liveEl = document.getElementById('live');
    liveEl.setAttribute('data-mode', state.mode);
    const age = state.overview
      ? '; updated ' + duration(performance.now() - state.receivedAt) + ' ago'
      : '';
    liveEl.title = state.modeDetail + age;
    document.getElementById('live-text').textContent = {
      stream: 'live',
      polling: 'polling',
      offline: 'offline',
    }[state.mode];
    const ov = state.overview;
    if (!ov) return;
    const status = ov.status || {};
    const controller = ov.controller || {};
    const version = document.getElementById('version');
    version.textContent = 'v' + num(status.desired_version);
    version.title =
      'desired version ' + num(status.desired_version) + ', epoch ' + num(status.epoch);
    const converged = document.getElementById('converged');
    converged.setAttribute('data-converged', String(Boolean(status.converged)));
    converged.textContent = status.converged ? 'converged' : 'not converged';
    const role = document.getElementById('controller-role');
    role.textContent =
      'controller: ' +
      (controller.role || '?') +
      (controller.serving === false ? ' (not serving)' : '') +
      // A follower's node status is stale: say where the current one is.
      (controller.role === 'follower' && controller.leader
        ? ', leader ' + controller.leader
        : '');
    role.title = [
      controller.address,
      controller.leader ? 'leader ' + controller.leader : '',
      controller.error,
    ]
      .filter(Boolean)
      .join('; ');
    document.title = 'bamctl: v' + num(status.desired_version) + ', ' + converged.textContent;
  }

  function renderNav() {
    const active = state.route.view === 'node' ? 'cluster' : state.route.view;
    for (const link of document.querySelectorAll('#nav a')) {
      const view = link.getAttribute('href').replace(/^#\/?/, '') || 'cluster';
      if (view === active) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
  }

  // ---------------------------------------------------------------- cluster view

  function tile(label, value, tone, title) {
    return h(
      'div',
      { class: 'tile tone-' + tone, title: title || null },
      h('span', { class: 'tile-value' }, value),
      h('span', { class: 'tile-label' }, label),
    );
  }

  function summaryTiles(ov, nodes) {
    const connected = nodes.filter((n) => n.connected).length;
    const roles = nodes.flatMap((n) => (n.roles || []).map((r) => ({ node: n, role: r })));
    const healthy = roles.filter(
      (x) => x.node.connected && enumText(x.role.health) === 'healthy',
    ).length;
    const looping = roles.filter((x) => enumText(x.role.phase) === 'crash-loop').length;
    const converged = nodes.filter((n) => n.converged).length;
    const running = operationsOf(ov).filter((op) =>
      ['running', 'waiting', 'paused'].includes(enumText(op.state)),
    ).length;
    const ratioTone = (k, n) => (k === n ? 'ok' : k === 0 ? 'bad' : 'warn');
    return h(
      'div',
      { class: 'tiles' },
      tile('nodes connected', connected + '/' + nodes.length, ratioTone(connected, nodes.length)),
      tile(
        'roles healthy',
        healthy + '/' + roles.length,
        ratioTone(healthy, roles.length),
        'healthy roles on connected nodes',
      ),
      tile('nodes converged', converged + '/' + nodes.length, ratioTone(converged, nodes.length)),
      looping > 0 ? tile('crash-looping', String(looping), 'bad') : null,
      tile('operations running', String(running), running > 0 ? 'warn' : 'neutral'),
    );
  }

  function roleCell(node, role) {
    const phase = enumText(role.phase);
    const health = enumText(role.health);
    const started = num(role.started_ms);
    const restarts = num(role.restarts);
    const title = [
      node.node + ' ' + role.service + ': ' + phase + ', ' + health,
      num(role.pid) > 0 ? 'pid ' + role.pid : '',
      role.reason,
    ]
      .filter(Boolean)
      .join('\n');
    return h(
      'td',
      {
        class: 'role tone-' + roleTone(role) + (phase === 'crash-loop' ? ' crash-loop' : ''),
        'data-node': node.node,
        'data-service': role.service,
        'data-phase': phase,
        'data-health': health,
        'data-restarts': restarts,
        'data-pid': num(role.pid),
        title,
      },
      h(
        'div',
        { class: 'cell-main' },
        h('span', { class: 'phase' + (phase === 'crash-loop' ? ' crash-loop' : '') }, phase),
        phase === 'running' && health === 'healthy' ? null : h('span', { class: 'health' }, health),
        role.restart_pending ? h('span', { class: 'tag' }, 'restart pending') : null,
      ),
      h(
        'div',
        { class: 'cell-meta' },
        h('span', { title: 'restarts' }, '\u21bb ' + restarts),
        started > 0
          ? h(
              'span',
              { title: 'started ' + clockTime(started) },
              'since ' + duration(serverNow() - started),
            )
          : null,
      ),
    );
  }

  function nodeHeader(node, desired) {
    const applied = num(node.applied_version);
    // Older versions that left this node's plan alone do not make it stale.
    const stale =
      node.holds_desired_plan === undefined ? applied < desired : !node.holds_desired_plan;
    return h(
      'th',
      { class: 'node-cell', scope: 'row' },
      h('a', { href: '#/node/' + encodeURIComponent(node.node), class: 'node-name' }, node.node),
      node.address ? h('span', { class: 'address' }, node.address) : null,
      node.connected
        ? null
        : h(
            'span',
            { class: 'badge badge-bad disconnected-badge' },
            'disconnected, last seen ' + ago(node.last_seen_ms),
          ),
      node.connected && !node.converged
        ? h(
            'span',
            { class: 'badge badge-warn', title: node.reason },
            stale ? 'v' + applied + ' \u2192 v' + desired : 'not converged',
          )
        : null,
    );
  }

  function clusterGrid(nodes, services, desired) {
    const head = h(
      'tr',
      {},
      h('th', { class: 'corner', scope: 'col' }, 'node'),
      services.map((s) => h('th', { scope: 'col' }, s)),
    );
    const rows = nodes.map((node) => {
      const byService = new Map((node.roles || []).map((r) => [r.service, r]));
      return h(
        'tr',
        {
          class: 'node' + (node.connected ? '' : ' disconnected'),
          'data-key': node.node,
          'data-node': node.node,
          'data-connected': String(Boolean(node.connected)),
        },
        nodeHeader(node, desired),
        services.map((s) =>
          byService.has(s) ? roleCell(node, byService.get(s)) : h('td', { class: 'none' }, ''),
        ),
      );
    });
    return h(
      'div',
      { class: 'scroll grid-scroll', id: 'grid-scroll' },
      h('table', { class: 'grid' }, h('thead', {}, head), h('tbody', {}, rows)),
    );
  }

  function legend() {
    const item = (tone, text) =>
      h('span', { class: 'legend-item' }, h('span', { class: 'swatch tone-' + tone }), text);
    return h(
      'p',
      { class: 'legend' },
      item('ok', 'healthy'),
      item('warn', 'starting, restarting, backoff'),
      item('bad', 'crash-loop, failed, unhealthy'),
      item('unknown', 'unknown'),
      h(
        'span',
        { class: 'legend-item' },
        h('span', { class: 'swatch striped' }),
        'disconnected node',
      ),
      h('span', { class: 'legend-item' }, '\u21bb restarts; time since start'),
    );
  }

  function clusterView(ov) {
    const nodes = nodesOf(ov);
    const services = servicesOf(nodes);
    const desired = num((ov.status || {}).desired_version);
    return [
      h('div', { class: 'view-head' }, h('h1', {}, 'Cluster')),
      summaryTiles(ov, nodes),
      nodes.length
        ? clusterGrid(nodes, services, desired)
        : h('p', { class: 'empty' }, 'No nodes yet: apply a desired state with bamctl.'),
      legend(),
    ];
  }

  // ---------------------------------------------------------------- node view

  function kv(pairs) {
    return h(
      'dl',
      { class: 'kv' },
      pairs
        .filter(Boolean)
        .map(([k, v]) => h('div', { class: 'kv-item' }, h('dt', {}, k), h('dd', {}, v))),
    );
  }

  function configCell(role) {
    if (!role.restart_pending)
      return h('code', { title: role.config_hash || '' }, shortHash(role.config_hash));
    return h(
      'span',
      { class: 'pending-config' },
      h('code', { title: role.config_hash || '' }, shortHash(role.config_hash)),
      ' \u2192 ',
      h('code', { title: role.desired_config_hash || '' }, shortHash(role.desired_config_hash)),
      ' ',
      h('span', { class: 'tag' }, 'restart pending'),
    );
  }

  function rolesTable(node) {
    const roles = (node.roles || []).slice().sort((a, b) => byService(a.service, b.service));
    if (!roles.length) return h('p', { class: 'empty' }, 'No roles on this node.');
    const head = [
      'service',
      'phase',
      'health',
      'restarts',
      'pid',
      'last exit',
      'since',
      'config',
      'reason',
    ];
    return h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        { class: 'table roles' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            head.map((c) => h('th', { scope: 'col' }, c)),
          ),
        ),
        h(
          'tbody',
          {},
          roles.map((r) => {
            const phase = enumText(r.phase);
            const started = num(r.started_ms);
            return h(
              'tr',
              {
                class: 'role-row tone-' + roleTone(r),
                'data-key': r.service,
                'data-service': r.service,
                'data-phase': phase,
                'data-health': enumText(r.health),
              },
              h('td', {}, h('strong', {}, r.service)),
              h(
                'td',
                {},
                h(
                  'span',
                  { class: 'phase' + (phase === 'crash-loop' ? ' crash-loop' : '') },
                  phase,
                ),
              ),
              h('td', {}, chip(enumText(r.health))),
              h('td', { class: 'num' }, String(num(r.restarts))),
              h('td', { class: 'num pid' }, num(r.pid) > 0 ? String(r.pid) : '-'),
              h(
                'td',
                { class: 'num' },
                num(r.last_exit_code) === -1 ? 'unknown' : String(num(r.last_exit_code)),
              ),
              h(
                'td',
                {},
                started > 0
                  ? h('span', { title: clockTime(started) }, duration(serverNow() - started))
                  : '-',
              ),
              h('td', {}, configCell(r)),
              h('td', { class: 'reason' }, r.reason || ''),
            );
          }),
        ),
      ),
    );
  }

  function preflightTable(node) {
    const checks = node.preflight || [];
    if (!checks.length) return h('p', { class: 'empty' }, 'No preflight results reported.');
    return h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        { class: 'table preflight' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['check', 'service', 'severity', 'message'].map((c) => h('th', { scope: 'col' }, c)),
          ),
        ),
        h(
          'tbody',
          {},
          checks.map((c) => {
            const severity = enumText(c.severity);
            return h(
              'tr',
              { class: 'preflight-row', 'data-severity': severity },
              h('td', {}, c.name),
              h('td', {}, c.service || 'node'),
              h('td', {}, chip(severity)),
              h('td', { class: 'reason' }, c.message || ''),
            );
          }),
        ),
      ),
    );
  }

  function clockOffset(ms) {
    const n = num(ms);
    const text = (n > 0 ? '+' : '') + n + ' ms';
    return Math.abs(n) >= 1000
      ? h('span', { class: 'text-warn' }, text, ' (the agent\u2019s clock is off)')
      : text;
  }

  function nodeView(ov, name) {
    const node = nodesOf(ov).find((n) => n.node === name);
    if (!node) {
      return [
        h('h1', {}, name),
        h(
          'p',
          { class: 'empty' },
          'No node ' + name + ' in the cluster status. ',
          h('a', { href: '#/' }, 'Back to the cluster'),
        ),
      ];
    }
    const status = ov.status || {};
    const desired = num(status.desired_version);
    const holds = node.holds_desired_plan;
    return [
      h(
        'div',
        { class: 'view-head' },
        h('h1', {}, h('a', { href: '#/', class: 'crumb' }, 'Cluster'), ' / ', node.node),
        node.connected
          ? chip('connected', 'ok')
          : chip('disconnected, last seen ' + ago(node.last_seen_ms), 'bad'),
        node.converged ? chip('converged', 'ok') : chip('not converged', 'warn'),
      ),
      node.reason
        ? h('p', { class: 'callout tone-warn' }, h('strong', {}, 'Not converged: '), node.reason)
        : null,
      kv([
        ['address', node.address || '-'],
        ['agent version', node.agent_version || '-'],
        [
          'applied version',
          'v' +
            num(node.applied_version) +
            ' of v' +
            (num(node.desired_version) || desired) +
            ' desired' +
            (holds === undefined ? '' : holds ? ' (holds the desired plan)' : ' (plan differs)'),
        ],
        ['epoch', num(node.applied_epoch) + ' applied, ' + num(status.epoch) + ' controller'],
        ['clock offset', clockOffset(node.clock_offset_ms)],
        ['last seen', node.connected ? 'now' : ago(node.last_seen_ms)],
      ]),
      h('h2', {}, 'Roles'),
      rolesTable(node),
      h('h2', {}, 'Preflight'),
      preflightTable(node),
      h('h2', {}, 'Notices'),
      (node.notices || []).length
        ? h(
            'ol',
            { class: 'notices' },
            node.notices.map((n) => h('li', {}, n)),
          )
        : h('p', { class: 'empty' }, 'No notices.'),
    ];
  }

  // ---------------------------------------------------------------- zookeeper view

  const SERVING_MODES = new Set(['leader', 'follower', 'standalone']);

  // A controller that cannot ask the servers (no four-letter words) reports
  // neither a mode nor an error for any of them.
  function modesUnknown(servers) {
    return servers.every((s) => !s.mode && !s.error);
  }

  function quorumLine(servers) {
    if (modesUnknown(servers)) {
      return h(
        'p',
        { class: 'callout tone-unknown', id: 'quorum' },
        'Server modes unknown: this controller does not ask the servers. The cluster view shows the roles.',
      );
    }
    const voters = servers.filter((s) => s.mode !== 'observer');
    const serving = voters.filter((s) => SERVING_MODES.has(s.mode)).length;
    const quorum = Math.floor(voters.length / 2) + 1;
    const leader = servers.find((s) => s.mode === 'leader' || s.mode === 'standalone');
    let tone = 'ok';
    if (serving < quorum || !leader) tone = 'bad';
    else if (serving === quorum && voters.length > 1) tone = 'warn'; // one failure from losing it
    return h(
      'p',
      { class: 'callout tone-' + tone, id: 'quorum' },
      h('strong', {}, serving + ' of ' + voters.length + ' serving, quorum ' + quorum),
      leader ? ', leader ' + leader.node : ', no leader',
      tone === 'warn' ? ': one more failure loses the quorum' : '',
      tone === 'bad' ? ': the ensemble does not serve' : '',
    );
  }

  function zookeeperView(ov) {
    const servers = ((ov.zookeeper || {}).servers || [])
      .slice()
      .sort((a, b) => num(a.id) - num(b.id));
    const head = h('div', { class: 'view-head' }, h('h1', {}, 'ZooKeeper ensemble'));
    if (!servers.length)
      return [head, h('p', { class: 'empty' }, 'No ZooKeeper servers in this cluster.')];
    return [
      head,
      quorumLine(servers),
      h(
        'div',
        { class: 'scroll' },
        h(
          'table',
          { class: 'table zk' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['id', 'node', 'address', 'mode', 'synced followers', 'error'].map((c) =>
                h('th', { scope: 'col' }, c),
              ),
            ),
          ),
          h(
            'tbody',
            {},
            servers.map((s) =>
              h(
                'tr',
                {
                  class: 'zk-server' + (s.mode === 'leader' ? ' leader' : ''),
                  'data-key': s.node,
                  'data-node': s.node,
                  'data-mode': s.mode || '',
                },
                h('td', { class: 'num' }, String(num(s.id))),
                h('td', {}, h('a', { href: '#/node/' + encodeURIComponent(s.node) }, s.node)),
                h('td', {}, h('code', {}, s.address || '-')),
                h(
                  'td',
                  {},
                  s.mode
                    ? chip(s.mode)
                    : s.error
                      ? chip('not serving', 'bad')
                      : chip('unknown', 'unknown'),
                ),
                h(
                  'td',
                  { class: 'num' },
                  s.mode === 'leader' ? String(num(s.synced_followers)) : '',
                ),
                h('td', { class: 'reason text-bad' }, s.error || ''),
              ),
            ),
          ),
        ),
      ),
    ];
  }

  // ---------------------------------------------------------------- cassandra view

  // Token ranges of the partitioners whose tokens are integers.
  const TOKEN_SPACES = {
    RandomPartitioner: { min: 0n, size: 2n ** 127n },
    Murmur3Partitioner: { min: -(2n ** 63n), size: 2n ** 64n },
  };

  function tokenSpace(partitioner) {
    return (
      TOKEN_SPACES[
        String(partitioner || '')
          .split('.')
          .pop()
      ] || null
    );
  }

  function parseToken(text) {
    try {
      return /^\s*-?\d+\s*$/.test(String(text)) ? BigInt(String(text).trim()) : null;
    } catch (err) {
      return null;
    }
  }

  // Where each node sits on the ring (0..1, clockwise from the top) and the
  // share it owns: the range from the previous token (exclusive) to its own.
  function ringLayout(nodes, space) {
    const placed = [];
    for (const n of nodes) {
      const token = space ? parseToken(n.token) : null;
      if (token !== null) placed.push({ node: n, token: token });
    }
    placed.sort((a, b) => (a.token < b.token ? -1 : a.token > b.token ? 1 : 0));
    const fraction = (t) => {
      const scaled = Number(
        (((((t - space.min) % space.size) + space.size) % space.size) * 1000000n) / space.size,
      );
      return scaled / 1000000;
    };
    placed.forEach((p, i) => {
      const prev = placed[(i + placed.length - 1) % placed.length];
      const owned =
        placed.length === 1
          ? space.size
          : (((p.token - prev.token) % space.size) + space.size) % space.size;
      p.at = fraction(p.token);
      p.from = fraction(prev.token);
      p.share = Number((owned * 1000000n) / space.size) / 10000; // percent
    });
    return placed;
  }

  function polar(cx, r, f) {
    const a = f * 2 * Math.PI - Math.PI / 2;
    return [cx + r * Math.cos(a), cx + r * Math.sin(a)];
  }

  function arcPath(cx, r, from, to) {
    let span = (((to - from) % 1) + 1) % 1;
    if (span === 0) span = 1; // a single node owns the whole ring
    const gap = span > 0.02 ? 0.004 : 0;
    const start = from + gap;
    const end = from + span - gap;
    if (span - 2 * gap > 0.999) {
      // an SVG arc cannot close on itself: two halves
      const [x0, y0] = polar(cx, r, 0);
      const [x1, y1] = polar(cx, r, 0.5);
      return `M ${x0} ${y0} A ${r} ${r} 0 1 1 ${x1} ${y1} A ${r} ${r} 0 1 1 ${x0} ${y0}`;
    }
    const [x0, y0] = polar(cx, r, start);
    const [x1, y1] = polar(cx, r, end);
    const large = end - start > 0.5 ? 1 : 0;
    return `M ${x0.toFixed(2)} ${y0.toFixed(2)} A ${r} ${r} 0 ${large} 1 ${x1.toFixed(2)} ${y1.toFixed(2)}`;
  }

  function stateTone(s) {
    return s === 'up' ? 'ok' : s === 'down' ? 'bad' : 'unknown';
  }

  function ringSvg(placed, partitioner, total) {
    const size = 360;
    const c = size / 2;
    const r = 120;
    const arcs = placed.map((p) =>
      svg(
        'path',
        {
          class: 'arc tone-' + stateTone(p.node.state),
          d: arcPath(c, r, p.from, p.at),
          'data-key': 'arc-' + p.node.node,
        },
        svg('title', {}, p.node.node + ' owns ' + p.share.toFixed(2) + '%'),
      ),
    );
    const markers = placed.map((p) => {
      const [x, y] = polar(c, r, p.at);
      const [lx, ly] = polar(c, r + 26, p.at);
      const anchor = Math.abs(lx - c) < 12 ? 'middle' : lx > c ? 'start' : 'end';
      return svg(
        'g',
        { class: 'ring-node', 'data-key': 'node-' + p.node.node },
        svg(
          'circle',
          {
            class: 'marker tone-' + stateTone(p.node.state),
            cx: x.toFixed(2),
            cy: y.toFixed(2),
            r: 8,
            'data-cassandra-node': p.node.node,
            'data-state': p.node.state || 'unknown',
          },
          svg(
            'title',
            {},
            p.node.node + ' (' + (p.node.state || 'unknown') + '), token ' + p.node.token,
          ),
        ),
        svg(
          'text',
          { class: 'ring-label', x: lx.toFixed(2), y: (ly + 4).toFixed(2), 'text-anchor': anchor },
          p.node.node,
        ),
      );
    });
    const up = placed.filter((p) => p.node.state === 'up').length;
    return svg(
      'svg',
      {
        class: 'ring',
        viewBox: `0 0 ${size} ${size}`,
        role: 'img',
        'aria-label': 'Cassandra token ring',
      },
      svg('circle', { class: 'ring-track', cx: c, cy: c, r: r }),
      arcs,
      markers,
      svg(
        'text',
        { class: 'ring-center', x: c, y: c - 6, 'text-anchor': 'middle' },
        String(partitioner || 'unknown partitioner')
          .split('.')
          .pop(),
      ),
      svg(
        'text',
        { class: 'ring-center-sub', x: c, y: c + 14, 'text-anchor': 'middle' },
        up + ' of ' + total + ' up',
      ),
    );
  }

  function cassandraTable(nodes, placed) {
    const share = new Map(placed.map((p) => [p.node.node, p.share]));
    return h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        { class: 'table cassandra' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['node', 'address', 'token', 'state', 'phase', 'owns'].map((c) =>
              h('th', { scope: 'col' }, c),
            ),
          ),
        ),
        h(
          'tbody',
          {},
          nodes.map((n) =>
            h(
              'tr',
              {
                class: 'cassandra-node',
                'data-key': n.node,
                'data-node': n.node,
                'data-state': n.state || 'unknown',
              },
              h('td', {}, h('a', { href: '#/node/' + encodeURIComponent(n.node) }, n.node)),
              h('td', {}, h('code', {}, n.address || '-')),
              h('td', { class: 'token' }, h('code', { title: n.token }, n.token || '-')),
              h('td', {}, chip(n.state || 'unknown', stateTone(n.state))),
              h('td', {}, n.phase || '-'),
              h(
                'td',
                { class: 'num' },
                share.has(n.node) ? share.get(n.node).toFixed(2) + '%' : '-',
              ),
            ),
          ),
        ),
      ),
    );
  }

  function cassandraView(ov) {
    const cassandra = ov.cassandra || {};
    const nodes = (cassandra.nodes || []).slice().sort((a, b) => collator.compare(a.node, b.node));
    const head = h(
      'div',
      { class: 'view-head' },
      h('h1', {}, 'Cassandra ring'),
      cassandra.partitioner ? h('code', { class: 'muted' }, cassandra.partitioner) : null,
    );
    if (!nodes.length)
      return [head, h('p', { class: 'empty' }, 'No Cassandra nodes in this cluster.')];
    const space = tokenSpace(cassandra.partitioner);
    const placed = space ? ringLayout(nodes, space) : [];
    return [
      head,
      space
        ? null
        : h(
            'p',
            { class: 'callout tone-unknown' },
            'The ring is drawn for RandomPartitioner and Murmur3Partitioner tokens only.',
          ),
      h(
        'div',
        { class: 'ring-layout' },
        h('div', { class: 'ring-box' }, ringSvg(placed, cassandra.partitioner, nodes.length)),
        cassandraTable(nodes, placed),
      ),
    ];
  }

  // ---------------------------------------------------------------- versions view

  function diffView(text) {
    const lines = String(text).replace(/\n$/, '').split('\n');
    return h(
      'pre',
      { class: 'diff', id: 'diff' },
      lines.map((line) => {
        let cls = 'ctx';
        if (line.startsWith('+++') || line.startsWith('---')) cls = 'meta';
        else if (line.startsWith('+')) cls = 'add';
        else if (line.startsWith('-')) cls = 'del';
        else if (line.startsWith('@@')) cls = 'hunk';
        return h('span', { class: 'diff-' + cls }, line + '\n');
      }),
    );
  }

  function versionDetail(v) {
    const d = state.versionDetail.get(v);
    if (!d || d.loading) return h('p', { class: 'muted' }, 'Loading version ' + v + '...');
    if (d.error) return h('p', { class: 'callout tone-bad' }, 'Version ' + v + ': ' + d.error);
    const n = num(d.version);
    const specLines = String(d.spec_text || '').split('\n').length;
    return [
      h('h2', {}, 'Version ' + n),
      kv([
        ['author', d.author || '-'],
        ['when', clockTime(d.created_ms)],
        ['comment', d.comment || '-'],
        num(d.rollback_of) > 0 ? ['rollback of', 'v' + num(d.rollback_of)] : null,
      ]),
      h('h3', {}, n > 1 ? 'Changes from v' + (n - 1) : 'Changes'),
      d.spec_diff
        ? diffView(d.spec_diff)
        : h(
            'p',
            { class: 'empty' },
            n > 1 ? 'No change in the spec text.' : 'The first version: nothing before it.',
          ),
      h(
        'details',
        { class: 'spec', id: 'spec-text', open: state.specOpen },
        h('summary', {}, 'Spec text (' + specLines + ' lines)'),
        h('pre', { class: 'spec-text' }, d.spec_text || ''),
      ),
    ];
  }

  function versionsTable(selected) {
    if (state.versionsError && !state.versions) {
      return h('p', { class: 'callout tone-bad' }, 'Cannot list versions: ' + state.versionsError);
    }
    if (!state.versions) return h('p', { class: 'muted' }, 'Loading versions...');
    if (!state.versions.length) return h('p', { class: 'empty' }, 'No versions yet.');
    return h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        { class: 'table versions' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['version', 'author', 'comment', 'when', ''].map((c) => h('th', { scope: 'col' }, c)),
          ),
        ),
        h(
          'tbody',
          {},
          state.versions.map((v) => {
            const n = String(num(v.version));
            return h(
              'tr',
              {
                class: 'version clickable' + (n === selected ? ' selected' : ''),
                'data-key': n,
                'data-version': n,
                'data-action': 'open-version',
              },
              h('td', {}, h('a', { href: '#/versions/' + n }, 'v' + n)),
              h('td', {}, v.author || '-'),
              h('td', { class: 'reason' }, v.comment || ''),
              h('td', {}, timeAgo(v.created_ms)),
              h(
                'td',
                {},
                num(v.rollback_of) > 0
                  ? h('span', { class: 'tag' }, 'rollback of v' + num(v.rollback_of))
                  : '',
              ),
            );
          }),
        ),
      ),
    );
  }

  function versionsView() {
    const selected = state.route.version;
    return [
      h(
        'div',
        { class: 'view-head' },
        h('h1', {}, 'Versions'),
        h('span', { class: 'muted' }, 'newest first; choose one for its diff'),
      ),
      h(
        'div',
        { class: 'versions-layout' },
        h('div', { class: 'versions-list' }, versionsTable(selected)),
        h(
          'section',
          { class: 'panel version-detail', id: 'version-detail' },
          selected
            ? versionDetail(selected)
            : h('p', { class: 'empty' }, 'Choose a version to see what it changed.'),
        ),
      ),
    ];
  }

  // ---------------------------------------------------------------- operations view

  function operationTitle(op) {
    if (enumText(op.kind) === 'auto-rollout') return 'auto-rollout of v' + num(op.version);
    return 'restart ' + (op.role || op.service || 'everything pending');
  }

  function segments(op) {
    const steps = op.steps || [];
    return h(
      'span',
      { class: 'segments', title: doneSteps(op) + ' of ' + steps.length + ' steps done' },
      steps.map((s) => h('span', { class: 'seg', 'data-state': enumText(s.state) })),
    );
  }

  function progressCell(op) {
    if (enumText(op.kind) === 'auto-rollout') {
      const children = ((op.auto_rollout || {}).children || []).length;
      return h('span', {}, children + ' restarts started');
    }
    const steps = (op.steps || []).length;
    return h(
      'span',
      { class: 'progress' },
      h('span', { class: 'progress-text' }, doneSteps(op) + '/' + steps + ' steps'),
      segments(op),
    );
  }

  function stepElapsed(step, op) {
    const st = enumText(step.state);
    const started = num(step.started_ms);
    if (st === 'restarting' && started > 0) {
      const elapsed = serverNow() - started;
      const timeout = num(op.health_timeout_ms);
      return h(
        'span',
        { class: 'elapsed' },
        duration(elapsed),
        timeout > 0
          ? h('progress', {
              max: timeout,
              value: Math.min(elapsed, timeout),
              title:
                'waited ' + duration(elapsed) + ' of the ' + duration(timeout) + ' health timeout',
            })
          : null,
      );
    }
    if (num(step.finished_ms) > 0 && started > 0) return duration(num(step.finished_ms) - started);
    return num(step.elapsed_ms) > 0 ? duration(num(step.elapsed_ms)) : '-';
  }

  function stepsTable(op) {
    const steps = op.steps || [];
    if (!steps.length) return h('p', { class: 'empty' }, 'No steps.');
    return h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        { class: 'table steps' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['step', 'service', 'nodes', 'state', 'message', 'started', 'finished', 'elapsed'].map(
              (c) => h('th', { scope: 'col' }, c),
            ),
          ),
        ),
        h(
          'tbody',
          {},
          steps.map((s) => {
            const st = enumText(s.state);
            return h(
              'tr',
              {
                class: 'step',
                'data-key': 'step-' + s.index,
                'data-step-index': num(s.index),
                'data-state': st,
              },
              h('td', { class: 'num' }, String(num(s.index))),
              h('td', {}, s.service || op.service || ''),
              h('td', {}, (s.nodes || []).join(', ')),
              h('td', {}, chip(st)),
              h('td', { class: 'reason' }, s.message || ''),
              h('td', {}, clockTime(s.started_ms)),
              h('td', {}, clockTime(s.finished_ms)),
              h('td', {}, stepElapsed(s, op)),
            );
          }),
        ),
      ),
    );
  }

  function checksList(op) {
    const checks = op.checks || [];
    if (!checks.length) return h('p', { class: 'empty' }, 'No pre-checks.');
    return h(
      'ul',
      { class: 'checks' },
      checks.map((c) =>
        h(
          'li',
          { class: 'check', 'data-ok': String(Boolean(c.ok)) },
          h(
            'span',
            { class: 'check-mark tone-' + (c.ok ? 'ok' : 'bad') },
            c.ok ? '\u2713' : '\u2717',
          ),
          ' ',
          h('strong', {}, c.name),
          c.detail ? ': ' + c.detail : '',
        ),
      ),
    );
  }

  function childrenList(op) {
    const children = (op.auto_rollout || {}).children || [];
    if (!children.length) return h('p', { class: 'empty' }, 'No rolling restarts started yet.');
    return h(
      'ul',
      { class: 'children' },
      children.map((c) =>
        h(
          'li',
          {},
          h(
            'a',
            { href: '#/operations/' + num(c.operation_id) },
            'operation ' + num(c.operation_id),
          ),
          ': restart ' + (c.role || c.service) + ', started ' + clockTime(c.started_ms),
        ),
      ),
    );
  }

  function operationBody(op) {
    const auto = enumText(op.kind) === 'auto-rollout';
    return h(
      'div',
      { class: 'op-body' },
      kv([
        ['kind', enumText(op.kind)],
        auto
          ? ['version', 'v' + num(op.version)]
          : [
              'role',
              op.role
                ? op.role +
                  (op.service && op.service !== op.role ? ' (service ' + op.service + ')' : '')
                : 'everything pending',
            ],
        ['state', chip(enumText(op.state))],
        ['created', clockTime(op.created_ms)],
        ['updated', clockTime(op.updated_ms)],
        ['author', op.author || '-'],
        [auto ? 'wait limit' : 'health timeout', duration(num(op.health_timeout_ms))],
        auto ? null : ['pause between', duration(num(op.pause_between_ms))],
        auto ? null : ['on failure', op.continue_on_failure ? 'continue' : 'stop'],
        op.forced ? ['forced past', op.forced] : null,
        op.force ? ['forced', 'hosts already unhealthy do not hold its steps back'] : null,
        (op.left_pending || []).length ? ['left pending', op.left_pending.join(', ')] : null,
        op.reason ? ['reason', op.reason] : null,
      ]),
      op.order ? h('p', { class: 'order' }, h('strong', {}, 'Order: '), op.order) : null,
      h('h3', {}, 'Pre-checks'),
      checksList(op),
      auto
        ? [h('h3', {}, 'Rolling restarts'), childrenList(op)]
        : [h('h3', {}, 'Steps'), stepsTable(op)],
    );
  }

  function operationRows(op) {
    const id = String(num(op.id));
    const open = state.expandedOps.has(id);
    const st = enumText(op.state);
    const row = h(
      'tr',
      {
        class: 'op clickable' + (open ? ' open' : ''),
        'data-key': 'op-' + id,
        'data-operation-id': id,
        'data-state': st,
        'data-action': 'toggle-op',
        'data-op': id,
      },
      h(
        'td',
        {},
        h(
          'button',
          {
            type: 'button',
            class: 'expander',
            'aria-expanded': String(open),
            'aria-label': (open ? 'hide' : 'show') + ' operation ' + id,
            'data-action': 'toggle-op',
            'data-op': id,
          },
          open ? '\u25be' : '\u25b8',
        ),
      ),
      h('td', { class: 'num' }, h('a', { href: '#/operations/' + id }, id)),
      h('td', {}, operationTitle(op)),
      h('td', {}, chip(st)),
      h('td', {}, progressCell(op)),
      h('td', {}, op.author || '-'),
      h('td', {}, timeAgo(op.created_ms)),
      h('td', { class: 'reason' }, op.reason || ''),
    );
    if (!open) return [row];
    return [
      row,
      h(
        'tr',
        { class: 'op-detail', 'data-key': 'opd-' + id, 'data-operation-detail': id },
        h('td', { colspan: 8 }, operationBody(op)),
      ),
    ];
  }

  function operationsView(ov) {
    const ops = operationsOf(ov);
    const wanted = state.route.id;
    const head = h(
      'div',
      { class: 'view-head' },
      h('h1', {}, 'Operations'),
      h('span', { class: 'muted' }, 'newest first; the 20 latest'),
    );
    const missing =
      wanted && !ops.some((op) => String(num(op.id)) === wanted)
        ? h(
            'p',
            { class: 'callout tone-unknown' },
            'Operation ' +
              wanted +
              ' is not among the latest 20; bamctl op show ' +
              wanted +
              ' shows it.',
          )
        : null;
    if (!ops.length) return [head, missing, h('p', { class: 'empty' }, 'No operations yet.')];
    return [
      head,
      missing,
      h(
        'div',
        { class: 'scroll' },
        h(
          'table',
          { class: 'table operations' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['', 'id', 'operation', 'state', 'progress', 'author', 'created', 'reason'].map((c) =>
                h('th', { scope: 'col' }, c),
              ),
            ),
          ),
          h('tbody', {}, ops.map(operationRows)),
        ),
      ),
    ];
  }

  function toggleOperation(id) {
    if (state.expandedOps.has(id)) {
      state.expandedOps.delete(id);
      if (state.route.id === id) history.replaceState(null, '', '#/operations');
      state.route = parseRoute();
    } else {
      state.expandedOps.add(id);
    }
    render();
  }

  // ---------------------------------------------------------------- events view

  function eventMatches(event, terms) {
    const text = [event.kind, event.actor, event.node, event.message].join(' ').toLowerCase();
    return terms.every((t) => text.includes(t));
  }

  function eventsView(ov) {
    const events = ov.events || [];
    const terms = state.eventFilter.toLowerCase().split(/\s+/).filter(Boolean);
    const shown = events.filter((e) => eventMatches(e, terms));
    const nodes = new Set(nodesOf(ov).map((n) => n.node));
    return [
      h(
        'div',
        { class: 'view-head' },
        h('h1', {}, 'Events'),
        h('input', {
          type: 'search',
          id: 'event-filter',
          class: 'filter',
          placeholder: 'filter: kind, node, text',
          'aria-label': 'filter events',
          value: state.eventFilter,
          autocomplete: 'off',
        }),
        h('span', { class: 'muted', id: 'event-count' }, shown.length + ' of ' + events.length),
      ),
      shown.length
        ? h(
            'div',
            { class: 'scroll' },
            h(
              'table',
              { class: 'table events' },
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  ['time', 'kind', 'actor', 'node', 'message'].map((c) =>
                    h('th', { scope: 'col' }, c),
                  ),
                ),
              ),
              h(
                'tbody',
                {},
                shown.map((e) =>
                  h(
                    'tr',
                    { class: 'event', 'data-key': 'ev-' + e.id, 'data-kind': e.kind },
                    h(
                      'td',
                      { class: 'shrink' },
                      h('span', { title: ago(e.time_ms) }, clockTime(e.time_ms)),
                    ),
                    h(
                      'td',
                      { class: 'shrink' },
                      h('span', { class: 'chip tone-neutral' }, e.kind || '-'),
                    ),
                    h('td', { class: 'shrink' }, e.actor || ''),
                    h(
                      'td',
                      { class: 'shrink' },
                      e.node
                        ? nodes.has(e.node)
                          ? h('a', { href: '#/node/' + encodeURIComponent(e.node) }, e.node)
                          : e.node
                        : '',
                    ),
                    h('td', { class: 'reason' }, e.message || ''),
                  ),
                ),
              ),
            ),
          )
        : h(
            'p',
            { class: 'empty' },
            events.length ? 'No event matches the filter.' : 'No events yet.',
          ),
    ];
  }

  // ---------------------------------------------------------------- render

  const VIEWS = {
    cluster: clusterView,
    node: (ov) => nodeView(ov, state.route.name),
    zookeeper: zookeeperView,
    cassandra: cassandraView,
    versions: versionsView,
    operations: operationsView,
    events: eventsView,
    missing: () => [
      h('h1', {}, 'Not found'),
      h('p', {}, 'No such view. ', h('a', { href: '#/' }, 'Back to the cluster')),
    ],
  };

  function viewContent() {
    // The versions view has its own data; the others wait for the overview.
    if (!state.overview && state.route.view !== 'versions' && state.route.view !== 'missing') {
      return [
        h(
          'p',
          { class: 'muted' },
          state.mode === 'offline' && state.modeDetail !== 'connecting'
            ? 'Cannot reach the controller: ' + state.modeDetail
            : 'Loading cluster status...',
        ),
      ];
    }
    return [controllerBanner(state.overview), VIEWS[state.route.view](state.overview)];
  }

  // Node reports reach the leader only: a controller that does not serve
  // shows an old picture, and says so.
  function controllerBanner(ov) {
    const controller = (ov && ov.controller) || {};
    if (controller.serving !== false && !controller.error) return null;
    return h(
      'p',
      { class: 'callout tone-warn', id: 'controller-banner' },
      h('strong', {}, 'This controller does not serve'),
      controller.leader
        ? ': the leader is ' + controller.leader + '; its page is current.'
        : ': no leader is known.',
      controller.error ? ' Error: ' + controller.error : '',
    );
  }

  function render() {
    renderTopbar();
    renderNav();
    const view = document.getElementById('view');
    morph(
      view,
      h('main', { id: 'view', class: 'view', 'data-view': state.route.view }, viewContent()),
    );
  }

  // ---------------------------------------------------------------- events

  function onClick(event) {
    const target = event.target.closest('[data-action]');
    if (!target) return;
    // A link inside a clickable row does its own thing.
    const link = event.target.closest('a');
    if (link && target.contains(link)) return;
    if (target.getAttribute('data-action') === 'toggle-op') {
      toggleOperation(target.getAttribute('data-op'));
    } else if (target.getAttribute('data-action') === 'open-version') {
      location.hash = '#/versions/' + target.getAttribute('data-version');
    }
  }

  function onInput(event) {
    if (event.target.id !== 'event-filter') return;
    state.eventFilter = event.target.value;
    render();
  }

  // <details> toggles do not bubble: listen in the capture phase.
  function onToggle(event) {
    if (event.target.id === 'spec-text') state.specOpen = event.target.open;
  }

  function start() {
    document.addEventListener('click', onClick);
    document.addEventListener('input', onInput);
    document.addEventListener('toggle', onToggle, true);
    window.addEventListener('hashchange', onRoute);
    onRoute();
    openStream();
    setInterval(render, TICK_MS);
  }

  start();
})();
