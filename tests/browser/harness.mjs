// Harness for the browser tests: a real deskgate binary (serve, temp config and data folder, 127.0.0.1 on a
// free port, the local Terminal desktop), Debian's chromium driven by playwright-core, and helpers to call
// the API. Everything started here is stopped by its PID.
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
// playwright-core is a devDependency of the web UI (one lockfile for the front end and its tests).
const require = createRequire(path.join(repo, 'web/package.json'));
const { chromium } = require('playwright-core');

export const chromiumPath = '/usr/bin/chromium';
// Set by CTest (tests/CMakeLists.txt). Not DESKGATE_*: deskgate reads those as configuration.
const binary = process.env.BROWSER_TEST_BINARY ?? path.join(repo, 'build/debug/deskgate');
const webRoot = process.env.BROWSER_TEST_WEB_ROOT ?? path.join(repo, 'web/dist');
export const screenshotDir = process.env.BROWSER_TEST_SCREENSHOTS ?? path.join(repo, 'build/screenshots');
// deskgate's environment: this one without DESKGATE_* overrides, so only the test's config file counts.
const gatewayEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DESKGATE_')));
export const englishStrings = JSON.parse(fs.readFileSync(path.join(repo, 'web/src/i18n/en.json'), 'utf8'));
export const germanStrings = JSON.parse(fs.readFileSync(path.join(repo, 'web/src/i18n/de.json'), 'utf8'));

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Waits until `check` returns something truthy; throws with `what` when `timeoutMs` passes.
export async function eventually(what, check, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// One HTTP request to the gateway: { status, headers, body (parsed JSON when it is JSON) }.
export function request(port, method, target, { who, json, headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const h = { ...headers };
    if (who) {
      h.Cookie = who.cookie;
      h['X-CSRF-Token'] = who.csrf;
    }
    let payload;
    if (json !== undefined) {
      payload = JSON.stringify(json);
      h['Content-Type'] = 'application/json';
    }
    const req = http.request({ host: '127.0.0.1', port, method, path: target, headers: h }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => {
        let body = text;
        try {
          body = JSON.parse(text);
        } catch {}
        resolve({ status: res.statusCode, headers: res.headers, body });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

// A WebSocket upgrade from outside the browser: resolves with the HTTP status (101 when upgraded).
export function upgradeStatus(port, target, who) {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port,
      path: target,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
        Origin: `http://127.0.0.1:${port}`,
        Cookie: who.cookie,
      },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode);
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('error', reject);
    req.end();
  });
}

export class Gateway {
  // Users are created with the CLI before the first start: [{ name, role, password, display_name? }]. `extraConfig` is
  // appended to the config file (TOML).
  static async create(users, extraConfig = '') {
    const g = new Gateway();
    g.users = users;
    g.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deskgate-browser-'));
    // Desktops run as an unprivileged account when the tests run as root: let them write here.
    fs.chmodSync(g.dir, 0o777);
    g.port = await freePort();
    g.base = `http://127.0.0.1:${g.port}`;
    g.config = path.join(g.dir, 'deskgate.toml');
    fs.writeFileSync(
      g.config,
      `[server]
listen = "127.0.0.1:${g.port}"
public_url = "${g.base}"
data_dir = "${path.join(g.dir, 'data')}"
web_root = "${webRoot}"

[[desktop_types]]
slug = "terminal"
name = "Terminal desktop"
description = "A lightweight Linux desktop with a terminal"
backend = "local"
open_to_all = true
${extraConfig}`,
    );
    for (const u of users) {
      const args = ['--config', g.config, 'user', 'add', u.name, '--role', u.role, '--password-stdin'];
      if (u.display_name) args.push('--display-name', u.display_name);
      const r = spawnSync(binary, args, {
        input: u.password + '\n',
        encoding: 'utf8',
        env: gatewayEnv,
      });
      if (r.status !== 0) throw new Error(`user add ${u.name} failed: ${r.stderr}`);
    }
    await g.start();
    return g;
  }

  async start() {
    this.log = '';
    this.process = spawn(binary, ['--config', this.config, 'serve'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: gatewayEnv,
    });
    this.exited = new Promise((resolve) => this.process.once('exit', (code, signal) => resolve({ code, signal })));
    this.process.stdout.on('data', (c) => (this.log += c));
    this.process.stderr.on('data', (c) => (this.log += c));
    await eventually('deskgate to answer /healthz', async () => {
      if (!this.running) throw new Error(`deskgate exited: ${this.log}`);
      try {
        return (await request(this.port, 'GET', '/healthz')).status === 200;
      } catch {
        return false;
      }
    });
  }

  // Neither exited nor killed by a signal (a crash leaves exitCode null and sets signalCode).
  get running() {
    return this.process?.exitCode === null && this.process.signalCode === null;
  }

  // SIGTERM by PID, SIGKILL if it has not exited after 20 s.
  async stop() {
    if (!this.running) {
      if (this.process?.signalCode) console.error(`deskgate died from ${this.process.signalCode}; its log:\n${this.log}`);
      return;
    }
    process.kill(this.process.pid, 'SIGTERM');
    const timer = setTimeout(() => this.running && process.kill(this.process.pid, 'SIGKILL'), 20000);
    await this.exited;
    clearTimeout(timer);
  }

  async login(name, password) {
    const r = await request(this.port, 'POST', '/api/auth/login', { json: { username: name, password } });
    if (r.status !== 200) throw new Error(`login ${name}: ${r.status} ${JSON.stringify(r.body)}`);
    return { cookie: r.headers['set-cookie'][0].split(';')[0], csrf: r.body.csrf_token };
  }

  call(method, target, who, json) {
    return request(this.port, method, target, { who, json });
  }

  async startDesktop(who, type = 'terminal') {
    const r = await this.call('POST', '/api/desktops', who, { type });
    if (r.status !== 202) throw new Error(`start: ${r.status} ${JSON.stringify(r.body)}`);
    const id = r.body.desktop.id;
    await this.waitForState(who, id, 'running');
    return id;
  }

  async waitForState(who, id, state) {
    await eventually(`desktop ${id} to be ${state}`, async () => {
      const r = await this.call('GET', `/api/desktops/${id}`, who);
      if (r.body?.desktop?.state === 'error') throw new Error(`desktop failed: ${r.body.desktop.error}`);
      return r.body?.desktop?.state === state;
    }, 60000);
  }

  // Stops every desktop (their Xvnc and session processes go with them), then the gateway; removes the folder.
  async close() {
    const first = this.users.find((u) => u.role === 'admin');
    try {
      if (this.running && first) {
        const admin = await this.login(first.name, first.password);
        await this.call('POST', '/api/admin/desktops/stop-all', admin);
        await eventually('every desktop to stop', async () => {
          const r = await this.call('GET', '/api/admin/desktops', admin);
          return r.status === 200 && r.body.desktops.every((d) => d.state === 'stopped' || d.state === 'error');
        }, 60000);
      }
    } finally {
      await this.stop();
      fs.rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

// Chromium as environment.md says: headless, no sandbox (root), nothing fetched from outside; every
// request that is not to 127.0.0.1 is blocked.
export async function launchBrowser() {
  if (!fs.existsSync(chromiumPath)) {
    throw new Error(`${chromiumPath} is missing: install the Debian package chromium (scripts/setup.sh --test)`);
  }
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    chromiumSandbox: false,
    args: [
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

// Runs `fn` with a browser and a gateway holding `users`; both are stopped afterwards, whatever happened.
export async function withGateway(users, fn, extraConfig = '') {
  let browser;
  let gateway;
  try {
    browser = await launchBrowser();
    gateway = await Gateway.create(users, extraConfig);
    await fn({ browser, gateway });
  } finally {
    await browser?.close();
    await gateway?.close();
  }
}

export const adminUser = { name: 'admin', role: 'admin', password: 'admin password 1' };
export const studentUser = { name: 'bob', role: 'student', password: 'bob password 1' };

// A local group (the admin group API) holding `members` ([{ name }]); returns its id.
export async function makeLocalGroup(gateway, admin, name, members) {
  const users = (await gateway.call('GET', '/api/admin/users', admin)).body.users;
  const ids = members.map((m) => users.find((u) => u.username === m.name).id);
  const created = await gateway.call('POST', '/api/admin/groups', admin, { name });
  if (created.status !== 201) throw new Error(`group ${name}: ${created.status} ${JSON.stringify(created.body)}`);
  const set = await gateway.call('PUT', `/api/admin/groups/${created.body.id}/members`, admin, { user_ids: ids });
  if (set.status !== 200) throw new Error(`members of ${name}: ${set.status} ${JSON.stringify(set.body)}`);
  return created.body.id;
}

export async function newPage(browser, { locale = 'en-US' } = {}) {
  const context = await browser.newContext({ locale, viewport: { width: 1280, height: 800 } });
  await context.route('**/*', (route) => {
    const host = new URL(route.request().url()).hostname;
    return host === '127.0.0.1' ? route.continue() : route.abort();
  });
  const page = await context.newPage();
  return page;
}

export async function signIn(page, gateway, name, password) {
  await page.goto(`${gateway.base}/login`);
  await page.locator('input[name=username]').fill(name);
  await page.locator('input[name=password]').fill(password);
  await page.locator('form button[type=submit]').click();
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));
}

export async function screenshot(page, name) {
  fs.mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`) });
}

// The number of distinct colours on the noVNC canvas inside `within` (up to `limit`).
export function canvasColours(page, within = '.viewer-screen', limit = 16) {
  return page.evaluate(([within, limit]) => {
    const canvas = document.querySelector(`${within} canvas`);
    if (!canvas || !canvas.width || !canvas.height) return 0;
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    const seen = new Set();
    for (let i = 0; i < data.length && seen.size < limit; i += 4) {
      seen.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
    }
    return seen.size;
  }, [within, limit]);
}

// Where the xterm is: the centre of the white pixels on the noVNC canvas (xterm's background; the root
// window is black), in CSS pixels from the canvas's top left, once they cover at least 100×100 pixels.
// Openbox places the window at the top left or in the middle, depending on timing.
export function xtermCentre(page) {
  return page.evaluate(() => {
    const canvas = document.querySelector('.viewer-screen canvas');
    if (!canvas || !canvas.width) return null;
    const { data, width, height } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    let [left, top, right, bottom] = [width, height, -1, -1];
    for (let y = 0; y < height; y += 2) {
      for (let x = 0; x < width; x += 2) {
        const i = (y * width + x) * 4;
        if (data[i] === 255 && data[i + 1] === 255 && data[i + 2] === 255) {
          left = Math.min(left, x);
          right = Math.max(right, x);
          top = Math.min(top, y);
          bottom = Math.max(bottom, y);
        }
      }
    }
    if (right - left < 100 || bottom - top < 100) return null;
    const box = canvas.getBoundingClientRect();
    return { x: ((left + right) / 2) * (box.width / width), y: ((top + bottom) / 2) * (box.height / height) };
  });
}

// The test OpenID provider (tests/idp/server.js, npm oidc-provider) on a free port of 127.0.0.1; stop() ends it
// by PID. Its accounts' passwords are the username + "-pw".
export async function startIdp() {
  const child = spawn(process.execPath, [path.join(repo, 'tests/idp/server.js')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const issuer = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the test IdP did not start: ${output}`)), 30000);
    const onData = (chunk) => {
      output += chunk;
      const found = output.match(/test idp listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (found) {
        clearTimeout(timer);
        resolve(found[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (c) => (output += c));
    child.once('exit', (code) => reject(new Error(`the test IdP exited (${code}): ${output}`)));
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    issuer,
    // Tells the provider deskgate's callback URL (its clients are registered once the port is known).
    async registerClient(base) {
      const { port } = new URL(issuer);
      const r = await request(Number(port), 'POST', '/test/client', {
        json: { redirect_uris: [`${base}/api/auth/oidc/callback`], post_logout_redirect_uris: [`${base}/login`] },
      });
      if (r.status !== 200) throw new Error(`registering the client failed: ${r.status}`);
    },
    async stop() {
      if (child.exitCode === null) process.kill(child.pid, 'SIGTERM');
      await exited;
    },
  };
}
