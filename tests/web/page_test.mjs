// Real-browser test of the controller's status page, run against a live
// cluster: Debian's Chromium driven by playwright-core logs in with a
// one-time login URL, watches the page follow a kill -9, a crash loop and a
// rolling restart, visits every view, checks a phone-sized layout and logs
// out. Throughout, the page may load nothing from another host and may log
// no console error (a CSP violation is one).
//
// Plain Node, no test framework: `npm ci && node page_test.mjs` in
// tests/web. Exit 0 on success; 1 with the failing step on stderr and
// failure.png in the screenshot dir; 2 for a missing or unusable setting.
// The whole run is bounded by 240 s.
//
// Environment (all required; the controller must serve TLS, since a
// plaintext loopback controller has no logins):
//   BAMCTL_WEB_LOGIN_URL   https://host:port/login#token=... (one-time token)
//   BAMCTL_WEB_URL         https://host:port
//   BAMCTL_SCREENSHOT_DIR  where screenshots go (created)
//   BAMCTL_BIN, BAMCTL_CONFIG                 bamctl and its client config
//   BAMCTL_KILL_NODE, BAMCTL_KILL_SERVICE     a role to kill -9
//   BAMCTL_CRASH_NODE, BAMCTL_CRASH_SERVICE,
//   BAMCTL_CRASH_FAULT_FILE, BAMCTL_CRASH_FAULT_LINE   a role to make crash-loop
//   BAMCTL_RESTART_ROLE    a role for `bamctl rolling-restart`
// The test runs as root on the cluster's machine: it signals role processes
// by the pids the page's API reports.
import { chromium } from 'playwright-core';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const GLOBAL_TIMEOUT_MS = 240_000;
const HEALTHY_TIMEOUT_MS = 60_000;
const KILL_TIMEOUT_MS = 60_000;
const CRASH_TIMEOUT_MS = 90_000;
const RESTART_TIMEOUT_MS = 120_000;
const VIEW_TIMEOUT_MS = 30_000;
const BAMCTL_TIMEOUT_MS = 30_000;
const PHONE = { width: 390, height: 844 };

const started = Date.now();

function log(message) {
  const t = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
  console.log(`[${t}s] ${message}`);
}

function readConfig() {
  const env = process.env;
  const missing = [
    'BAMCTL_WEB_LOGIN_URL',
    'BAMCTL_WEB_URL',
    'BAMCTL_SCREENSHOT_DIR',
    'BAMCTL_BIN',
    'BAMCTL_CONFIG',
    'BAMCTL_KILL_NODE',
    'BAMCTL_KILL_SERVICE',
    'BAMCTL_CRASH_NODE',
    'BAMCTL_CRASH_SERVICE',
    'BAMCTL_CRASH_FAULT_FILE',
    'BAMCTL_CRASH_FAULT_LINE',
    'BAMCTL_RESTART_ROLE',
  ].filter((name) => !env[name]);
  if (missing.length) {
    console.error('page_test: missing environment: ' + missing.join(', '));
    process.exit(2);
  }
  const base = env.BAMCTL_WEB_URL.replace(/\/+$/, '');
  // A plaintext (loopback) controller has no logins, so steps 1 and 8 mean nothing there.
  if (!base.startsWith('https://') || !env.BAMCTL_WEB_LOGIN_URL.includes('#token=')) {
    console.error(
      'page_test: needs a TLS controller: an https:// BAMCTL_WEB_URL and a login URL with #token=',
    );
    process.exit(2);
  }
  return {
    loginUrl: env.BAMCTL_WEB_LOGIN_URL,
    base,
    host: new URL(base).host,
    shots: env.BAMCTL_SCREENSHOT_DIR,
    bamctl: env.BAMCTL_BIN,
    bamctlConfig: env.BAMCTL_CONFIG,
    kill: { node: env.BAMCTL_KILL_NODE, service: env.BAMCTL_KILL_SERVICE },
    crash: {
      node: env.BAMCTL_CRASH_NODE,
      service: env.BAMCTL_CRASH_SERVICE,
      faultFile: env.BAMCTL_CRASH_FAULT_FILE,
      faultLine: env.BAMCTL_CRASH_FAULT_LINE,
    },
    restartRole: env.BAMCTL_RESTART_ROLE,
  };
}

const cfg = readConfig();
const problems = { consoleErrors: [], foreignRequests: [] };
let browser = null;
let page = null;
let currentStep = 'setup';
// Undo actions for what a step leaves behind if it never finishes (the
// global timeout exits without unwinding): a fault file left in place would
// keep a role crash-looping after the test.
const cleanups = new Set();

// ------------------------------------------------------------------ helpers

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function step(n, title, body) {
  currentStep = `step ${n}: ${title}`;
  log(currentStep);
  const t0 = Date.now();
  await body();
  log(`  ok (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

// Polls probe() (-> {ok, detail}) until ok, or fails after timeoutMs naming
// what it waited for and what it saw last.
async function waitFor(what, timeoutMs, probe) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const result = await probe();
    if (result.detail !== undefined) last = result.detail;
    if (result.ok) return result;
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs / 1000}s waiting for ${what}; last seen: ${last}`,
      );
    }
    await sleep(250);
  }
}

async function shot(name) {
  const file = path.join(cfg.shots, name);
  await page.screenshot({ path: file, fullPage: true, timeout: 15_000 });
  log(`  screenshot ${file}`);
}

async function api(pathAndQuery) {
  const res = await page.request.get(cfg.base + pathAndQuery, { failOnStatusCode: false });
  check(res.status() === 200, `GET ${pathAndQuery}: HTTP ${res.status()}`);
  return res.json();
}

function findRole(overview, node, service) {
  const n = ((overview.status || {}).nodes || []).find((x) => x.node === node);
  check(n, `node ${node} is not in /api/overview`);
  const role = (n.roles || []).find((r) => r.service === service);
  check(role, `node ${node} runs no ${service}`);
  return role;
}

async function pidOf(node, service) {
  const pid = Number(findRole(await api('/api/overview'), node, service).pid);
  check(pid > 0, `${node}/${service} has no pid`);
  return pid;
}

// The grid cell of a role, as the page shows it.
async function cell(node, service) {
  return page.evaluate(
    ([n, s]) => {
      const td = document.querySelector(
        `td.role[data-node="${CSS.escape(n)}"][data-service="${CSS.escape(s)}"]`,
      );
      if (!td) return null;
      return {
        phase: td.dataset.phase,
        health: td.dataset.health,
        restarts: Number(td.dataset.restarts),
        pid: Number(td.dataset.pid),
      };
    },
    [node, service],
  );
}

function isUp(c) {
  return Boolean(c) && c.phase === 'running' && c.health === 'healthy';
}

async function gotoView(hash) {
  await page.click(`nav a[href="${hash}"]`);
  await page.waitForFunction((h) => location.hash === h, hash, { timeout: VIEW_TIMEOUT_MS });
}

function runBamctl(args) {
  return new Promise((resolve, reject) => {
    execFile(
      cfg.bamctl,
      args,
      {
        env: { ...process.env, BAMCTL_CONFIG: cfg.bamctlConfig },
        timeout: BAMCTL_TIMEOUT_MS,
        maxBuffer: 4 << 20,
      },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`bamctl ${args.join(' ')} failed: ${err.message}\n${stderr}`));
        else resolve(stdout);
      },
    );
  });
}

// ------------------------------------------------------------------ steps

async function login() {
  await page.goto(cfg.base + '/login');
  await page.waitForSelector('form#login input[name="token"]');
  check(
    await page.locator('#error').isHidden(),
    'the login page shows an error before any attempt',
  );
  await shot('login.png');

  // A wrong token: the server puts its message into <p id="error">.
  await page.fill('form#login input[name="token"]', 'not-a-valid-token');
  const [refused] = await Promise.all([
    page.waitForNavigation(),
    page.click('form#login button[type="submit"]'),
  ]);
  check(
    refused && refused.status() === 401,
    `a bad token gave HTTP ${refused && refused.status()}, not 401`,
  );
  const error = (await page.textContent('#error')).trim();
  check(
    error.length > 0 && !error.includes('<!--'),
    `a bad token shows no error message: "${error}"`,
  );
  log(`  bad token refused: "${error}"`);

  // The one-time URL, loaded afresh: login.js moves the token into the form
  // and submits.
  await page.goto('about:blank');
  await page.goto(cfg.loginUrl);
  await page.waitForURL((url) => url.pathname === '/', { timeout: VIEW_TIMEOUT_MS });
  check(!page.url().includes('token='), `the token stayed in the address: ${page.url()}`);
  const cookies = await page.context().cookies(cfg.base);
  check(
    cookies.some((c) => c.httpOnly),
    'no HttpOnly session cookie after login',
  );
  await page.waitForSelector('#view[data-view="cluster"]');
}

async function allHealthy() {
  const overview = await api('/api/overview');
  const nodes = (overview.status || {}).nodes || [];
  check(nodes.length > 0, '/api/overview lists no nodes');
  const expected = nodes.flatMap((n) => (n.roles || []).map((r) => [n.node, r.service]));
  log(`  ${nodes.length} nodes, ${expected.length} roles`);
  await waitFor('every node connected and every role healthy', HEALTHY_TIMEOUT_MS, async () => {
    const seen = await page.evaluate(
      ([names, roles]) => {
        const bad = [];
        for (const n of names) {
          const row = document.querySelector(`tr.node[data-node="${CSS.escape(n)}"]`);
          if (!row) bad.push(`${n}: no row`);
          else if (row.dataset.connected !== 'true') bad.push(`${n}: disconnected`);
        }
        for (const [n, s] of roles) {
          const td = document.querySelector(
            `td.role[data-node="${CSS.escape(n)}"][data-service="${CSS.escape(s)}"]`,
          );
          if (!td) bad.push(`${n}/${s}: no cell`);
          else if (td.dataset.health !== 'healthy')
            bad.push(`${n}/${s}: ${td.dataset.phase}, ${td.dataset.health}`);
        }
        return bad;
      },
      [nodes.map((n) => n.node), expected],
    );
    return { ok: seen.length === 0, detail: seen.join('; ') };
  });
  await shot('cluster.png');
}

async function killRole() {
  const { node, service } = cfg.kill;
  const before = await cell(node, service);
  check(isUp(before), `${node}/${service} is not running and healthy: ${JSON.stringify(before)}`);
  const pid = await pidOf(node, service);
  log(`  kill -9 ${pid} (${node}/${service}, ${before.restarts} restarts)`);
  process.kill(pid, 'SIGKILL');
  let sawDown = false;
  await waitFor(`${node}/${service} restarted and healthy`, KILL_TIMEOUT_MS, async () => {
    const c = await cell(node, service);
    if (c && !isUp(c) && !sawDown) {
      sawDown = true;
      log(`  the page shows ${c.phase}, ${c.health}`);
      await shot('kill.png');
    }
    const ok = isUp(c) && c.restarts >= before.restarts + 1 && c.pid !== pid;
    return { ok, detail: JSON.stringify(c) };
  });
  const after = await cell(node, service);
  log(
    `  back: pid ${after.pid}, ${after.restarts} restarts${sawDown ? '' : ' (the down phase was too brief to see)'}`,
  );
  await shot('kill-recovered.png');
}

function appendFaultLine(file, line) {
  let current = '';
  try {
    current = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (err.code !== 'ENOENT') throw err;
  }
  const sep = current && !current.endsWith('\n') ? '\n' : '';
  fs.appendFileSync(file, sep + line + '\n');
}

async function crashLoop() {
  const { node, service, faultFile, faultLine } = cfg.crash;
  const pid = await pidOf(node, service);
  const removeFault = () => fs.rmSync(faultFile, { force: true });
  cleanups.add(removeFault);
  appendFaultLine(faultFile, faultLine);
  try {
    log(`  "${faultLine}" >> ${faultFile}; kill -9 ${pid} (${node}/${service})`);
    process.kill(pid, 'SIGKILL');
    await waitFor(`${node}/${service} in crash-loop`, CRASH_TIMEOUT_MS, async () => {
      const c = await cell(node, service);
      return { ok: Boolean(c) && c.phase === 'crash-loop', detail: JSON.stringify(c) };
    });
    const label = await page
      .locator(`td.role[data-node="${node}"][data-service="${service}"] .phase`)
      .textContent();
    check(label.trim() === 'crash-loop', `the crash-looping cell says "${label}"`);
    await shot('crash-loop.png');
  } finally {
    removeFault();
    cleanups.delete(removeFault);
  }
  log(`  removed ${faultFile}`);
  await waitFor(`${node}/${service} healthy again`, CRASH_TIMEOUT_MS, async () => {
    const c = await cell(node, service);
    return { ok: isUp(c), detail: JSON.stringify(c) };
  });
}

// The operation id from `bamctl rolling-restart -o json` (a number there).
function operationId(stdout) {
  try {
    const id = JSON.parse(stdout).id;
    if (id !== undefined) return String(id);
  } catch (err) {
    /* fall through to the text form */
  }
  const match = /op watch (\d+)/.exec(stdout);
  check(match, `no operation id in bamctl's output:\n${stdout}`);
  return match[1];
}

async function operationOnPage(id) {
  return page.evaluate((opId) => {
    const row = document.querySelector(`tr.op[data-operation-id="${opId}"]`);
    if (!row) return null;
    const steps = Array.from(
      document.querySelectorAll(`[data-operation-detail="${opId}"] [data-step-index]`),
    ).map((s) => s.dataset.state);
    return { state: row.dataset.state, steps };
  }, id);
}

async function rollingRestart() {
  const role = cfg.restartRole;
  const stdout = await runBamctl([
    'rolling-restart',
    role,
    '--pause-between',
    '1s',
    '--output',
    'json',
  ]);
  const id = operationId(stdout);
  log(`  bamctl rolling-restart ${role}: operation ${id}`);
  await gotoView('#/operations');
  await page.evaluate((opId) => {
    location.hash = '#/operations/' + opId;
  }, id);
  await page.waitForSelector(`tr.op[data-operation-id="${id}"]`, { timeout: VIEW_TIMEOUT_MS });
  let midway = false;
  let shown = [];
  await waitFor(`operation ${id} to succeed`, RESTART_TIMEOUT_MS, async () => {
    const op = await operationOnPage(id);
    if (!op) return { ok: false, detail: 'no row' };
    if (['failed', 'aborted'].includes(op.state)) {
      const reason = ((await api('/api/overview')).operations || []).find(
        (o) => String(o.id) === id,
      );
      throw new Error(`operation ${id} ${op.state}: ${reason ? reason.reason : '?'}`);
    }
    shown = op.steps;
    const done = op.steps.filter((s) => s === 'done').length;
    if (
      !midway &&
      op.steps.length > 0 &&
      done < op.steps.length &&
      op.steps.some((s) => s !== 'pending')
    ) {
      midway = true;
      log(`  midway: steps ${op.steps.join(', ')}`);
      await shot('operation.png');
    }
    const ok = op.state === 'succeeded' && op.steps.length > 0 && done === op.steps.length;
    return { ok, detail: `${op.state}, steps ${op.steps.join(', ')}` };
  });
  const fromApi = ((await api('/api/overview')).operations || []).find((o) => String(o.id) === id);
  check(
    fromApi && (fromApi.steps || []).length === shown.length,
    `the page shows ${shown.length} steps, the API ${fromApi && (fromApi.steps || []).length}`,
  );
  if (!midway) await shot('operation.png');
  await shot('operation-done.png');
}

async function nodeView() {
  const node = cfg.kill.node;
  await gotoView('#/');
  await page.click(`tr.node[data-node="${node}"] a.node-name`);
  await page.waitForSelector('#view[data-view="node"]');
  const overview = await api('/api/overview');
  findRole(overview, node, cfg.kill.service);
  const roles = overview.status.nodes.find((n) => n.node === node).roles;
  await waitFor(`the roles of ${node}`, VIEW_TIMEOUT_MS, async () => {
    const rows = await page.$$eval('tr.role-row', (trs) => trs.map((tr) => tr.dataset.service));
    return { ok: rows.length === roles.length, detail: rows.join(', ') };
  });
  const pid = (
    await page.textContent(`tr.role-row[data-service="${cfg.kill.service}"] td.pid`)
  ).trim();
  check(/^\d+$/.test(pid), `${node}/${cfg.kill.service} shows no pid: "${pid}"`);
  await shot('node.png');
}

async function zookeeperView() {
  await gotoView('#/zookeeper');
  const servers = ((await api('/api/overview')).zookeeper || {}).servers || [];
  if (!servers.length) {
    await page.waitForSelector('#view[data-view="zookeeper"] .empty');
  } else {
    await waitFor('every ZooKeeper server serving with one leader', VIEW_TIMEOUT_MS, async () => {
      const modes = await page.$$eval('tr.zk-server', (trs) => trs.map((tr) => tr.dataset.mode));
      const leaders = modes.filter((m) => m === 'leader' || m === 'standalone').length;
      const serving = modes.filter((m) =>
        ['leader', 'follower', 'standalone', 'observer'].includes(m),
      ).length;
      return {
        ok: modes.length === servers.length && leaders === 1 && serving === modes.length,
        detail: modes.join(', '),
      };
    });
    const quorum = await page.textContent('#quorum');
    check(
      quorum.includes(`${servers.length} of ${servers.length} serving`),
      `quorum line: "${quorum}"`,
    );
  }
  await shot('zookeeper.png');
}

async function cassandraView() {
  await gotoView('#/cassandra');
  const ring = (await api('/api/overview')).cassandra || {};
  const nodes = ring.nodes || [];
  // The page places a node on the ring by its token, for the partitioners with integer tokens.
  const integerTokens = /(RandomPartitioner|Murmur3Partitioner)$/.test(ring.partitioner || '');
  const placed = integerTokens
    ? nodes.filter((n) => /^-?\d+$/.test(String(n.token).trim())).length
    : 0;
  if (!nodes.length) {
    await page.waitForSelector('#view[data-view="cassandra"] .empty');
  } else {
    await waitFor(`${placed} Cassandra nodes on the ring, all up`, VIEW_TIMEOUT_MS, async () => {
      const markers = await page.$$eval('svg.ring [data-cassandra-node]', (els) =>
        els.map((e) => e.dataset.state),
      );
      const rows = await page.$$eval('tr.cassandra-node', (trs) =>
        trs.map((tr) => tr.dataset.state),
      );
      return {
        ok:
          markers.length === placed &&
          rows.length === nodes.length &&
          rows.every((s) => s === 'up'),
        detail: `markers ${markers.join(', ')}; rows ${rows.join(', ')}`,
      };
    });
  }
  await shot('cassandra.png');
}

async function versionsView() {
  await gotoView('#/versions');
  const versions = (await api('/api/versions')).versions || [];
  check(versions.length > 0, '/api/versions lists no version');
  const newest = String(versions[0].version);
  await waitFor('the versions list', VIEW_TIMEOUT_MS, async () => {
    const first = await page.$eval('tr.version', (tr) => tr.dataset.version).catch(() => null);
    return { ok: first === newest, detail: String(first) };
  });
  await page.click(`tr.version[data-version="${newest}"] td:nth-child(2)`); // the row, not its link
  await page.waitForFunction((v) => location.hash === '#/versions/' + v, newest);
  await page.waitForFunction(
    (v) => {
      const h2 = document.querySelector('#version-detail h2');
      return h2 && h2.textContent === 'Version ' + v;
    },
    newest,
    { timeout: VIEW_TIMEOUT_MS },
  );
  const detail = await api('/api/version?v=' + encodeURIComponent(newest));
  if (detail.spec_diff) {
    const lines = await page.$$eval('#diff > span', (spans) => spans.length);
    check(
      lines === detail.spec_diff.replace(/\n$/, '').split('\n').length,
      `the diff shows ${lines} lines`,
    );
    if (/^[+-](?![+-]{2})/m.test(detail.spec_diff)) {
      check(await page.$('#diff .diff-add, #diff .diff-del'), 'the diff has no coloured line');
    }
  }
  await page.click('#spec-text summary');
  check(await page.locator('#spec-text pre.spec-text').isVisible(), 'the spec text does not open');
  await shot('versions.png');
}

async function eventsView() {
  await gotoView('#/events');
  const events = (await api('/api/overview')).events || [];
  check(events.length > 0, '/api/overview lists no events (after kills and a restart)');
  await page.waitForSelector('tr.event');
  const kind = await page.$eval('tr.event', (tr) => tr.dataset.kind);
  await page.fill('#event-filter', kind);
  await waitFor(`events filtered by "${kind}"`, VIEW_TIMEOUT_MS, async () => {
    const texts = await page.$$eval('tr.event', (trs) =>
      trs.map((tr) => tr.textContent.toLowerCase()),
    );
    return {
      ok: texts.length > 0 && texts.every((t) => t.includes(kind.toLowerCase())),
      detail: `${texts.length} rows`,
    };
  });
  await page.fill('#event-filter', '');
  await shot('events.png');
}

async function views() {
  for (const [name, body] of [
    ['node', nodeView],
    ['zookeeper', zookeeperView],
    ['cassandra', cassandraView],
    ['versions', versionsView],
    ['events', eventsView],
  ]) {
    currentStep = `step 6: ${name} view`;
    log(`  ${name} view`);
    await body();
  }
}

async function phone() {
  await gotoView('#/');
  await page.setViewportSize(PHONE);
  await page.waitForSelector('td.role');
  await sleep(300); // let the layout settle after the resize
  await page.screenshot({ path: path.join(cfg.shots, 'phone.png'), fullPage: true });
  log(`  screenshot ${path.join(cfg.shots, 'phone.png')}`);
  // Only the grid may be wider than the screen, inside its scroll container.
  const overflow = await page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const out = [];
    if (document.documentElement.scrollWidth > width)
      out.push(`page scrolls sideways (${document.documentElement.scrollWidth}px)`);
    for (const el of document.body.querySelectorAll('*')) {
      if (el.closest('.grid-scroll') && !el.classList.contains('grid-scroll')) continue;
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      if (r.right > width + 0.5 || r.left < -0.5) {
        out.push(
          `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}.${el.className} [${Math.round(r.left)}, ${Math.round(r.right)}]`,
        );
      }
    }
    return out;
  });
  check(
    overflow.length === 0,
    `wider than the ${PHONE.width}px screen: ${overflow.slice(0, 10).join('; ')}`,
  );
}

async function logout() {
  await page.click('form.logout button[type="submit"]');
  await page.waitForURL((url) => url.pathname === '/login', { timeout: VIEW_TIMEOUT_MS });
  const res = await page.request.get(cfg.base + '/api/overview', { failOnStatusCode: false });
  check(res.status() === 401, `/api/overview after logout: HTTP ${res.status()}, want 401`);
  await page.goto(cfg.base + '/');
  check(new URL(page.url()).pathname === '/login', `/ after logout lands on ${page.url()}`);
}

function noForeignLoadsOrConsoleErrors() {
  check(
    problems.foreignRequests.length === 0,
    'requests to other hosts: ' + problems.foreignRequests.join(', '),
  );
  check(
    problems.consoleErrors.length === 0,
    'console errors:\n  ' + problems.consoleErrors.join('\n  '),
  );
}

// ------------------------------------------------------------------ main

function watchPage() {
  page.on('request', (req) => {
    const url = new URL(req.url());
    if (url.protocol === 'data:' || url.protocol === 'about:') return;
    if (url.host !== cfg.host) problems.foreignRequests.push(req.url());
  });
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    // The refused bad token in step 1 is a 401 on purpose.
    if (currentStep.startsWith('step 1:') && /status of 401/.test(msg.text())) return;
    problems.consoleErrors.push(`${currentStep}: ${msg.text()}`);
  });
  page.on('pageerror', (err) =>
    problems.consoleErrors.push(`${currentStep}: uncaught ${err.message}`),
  );
}

async function failureScreenshot() {
  if (!page) return;
  try {
    await page.screenshot({
      path: path.join(cfg.shots, 'failure.png'),
      fullPage: true,
      timeout: 10_000,
    });
    log(`  screenshot ${path.join(cfg.shots, 'failure.png')}`);
  } catch (err) {
    log(`  no failure screenshot: ${err.message}`);
  }
}

function runCleanups() {
  for (const undo of cleanups) {
    try {
      undo();
    } catch (err) {
      console.error(`page_test: cleanup failed: ${err.message}`);
    }
  }
  cleanups.clear();
}

// Closes the browser, but never waits on it for long.
async function closeBrowser() {
  if (browser) await Promise.race([browser.close().catch(() => {}), sleep(5_000)]);
}

async function main() {
  fs.mkdirSync(cfg.shots, { recursive: true });
  let timedOut = false;
  const watchdog = setTimeout(async () => {
    timedOut = true;
    console.error(
      `page_test: FAILED: global timeout of ${GLOBAL_TIMEOUT_MS / 1000}s in ${currentStep}`,
    );
    runCleanups();
    await Promise.race([failureScreenshot(), sleep(5_000)]);
    await closeBrowser();
    process.exit(1); // playwright kills a browser it launched when Node exits
  }, GLOBAL_TIMEOUT_MS);

  try {
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox'],
    });
    log(`chromium ${browser.version()}, ${cfg.base}`);
    const context = await browser.newContext({
      ignoreHTTPSErrors: true,
      viewport: { width: 1366, height: 900 },
    });
    page = await context.newPage();
    page.setDefaultTimeout(VIEW_TIMEOUT_MS);
    watchPage();

    await step(1, 'log in with the one-time login URL', login);
    await step(2, 'every node connected, every role healthy', allHealthy);
    await step(3, `kill -9 ${cfg.kill.node}/${cfg.kill.service}: restarted and healthy`, killRole);
    await step(4, `${cfg.crash.node}/${cfg.crash.service} crash-loops, then recovers`, crashLoop);
    await step(5, `rolling restart of ${cfg.restartRole} runs to success`, rollingRestart);
    await step(6, 'node, zookeeper, cassandra, versions and events views', views);
    await step(
      7,
      `phone viewport ${PHONE.width}x${PHONE.height}: only the grid scrolls sideways`,
      phone,
    );
    await step(8, 'log out: the API answers 401', logout);
    await step(
      9,
      'nothing loaded from other hosts, no console errors',
      noForeignLoadsOrConsoleErrors,
    );
  } catch (err) {
    if (timedOut) return; // the watchdog reports and exits
    runCleanups();
    console.error(`page_test: FAILED at ${currentStep}\n${err.stack || err}`);
    if (problems.consoleErrors.length)
      console.error('console errors so far:\n  ' + problems.consoleErrors.join('\n  '));
    await failureScreenshot();
    await closeBrowser();
    clearTimeout(watchdog);
    process.exit(1);
  }
  await closeBrowser();
  clearTimeout(watchdog);
  log('page_test: all steps passed');
}

main();
