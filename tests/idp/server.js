// deskgate's test identity provider: a real OpenID Connect provider (npm oidc-provider) on 127.0.0.1 with
// fixed test accounts, a plain HTML login form a C++ client can post, and a control endpoint
// (/test/...) the tests use to make it misbehave: forged, expired or misaddressed id_tokens, key
// rotation, slow answers, a broken discovery document, changed group memberships.
//
//   node server.js [--port N]     prints "test idp listening on http://127.0.0.1:PORT" when ready
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import { promisify } from 'node:util';

import Provider from 'oidc-provider';

const args = process.argv.slice(2);
const portArg = args.indexOf('--port');
const port = portArg >= 0 ? Number(args[portArg + 1]) : 0;

// The signing keys. `primary` is the provider's own; `rotated` is published only after /test/mode
// {"rotate": true}; `stranger` is never published (forged tokens).
// Generated at start (in the thread pool, in parallel: RSA key generation is the slow part of starting).
const generate = promisify(crypto.generateKeyPair);
async function signingKey(kid, alg) {
  const { privateKey } = alg === 'ES256'
    ? await generate('ec', { namedCurve: 'P-256' })
    : await generate('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
}
const [primary, primaryEc, rotated, stranger, unknown] = await Promise.all([
  signingKey('primary-rsa', 'RS256'),
  signingKey('primary-ec', 'ES256'),
  signingKey('rotated-rsa', 'RS256'),
  signingKey('primary-rsa', 'RS256'),  // the real key's kid, another key: a forgery
  signingKey('never-published', 'RS256'),
]);
const keys = { primary, primaryEc, rotated, stranger, unknown };
function publicJwk(jwk) {
  const { d, p, q, dp, dq, qi, ...pub } = jwk;
  return pub;
}

// Accounts: password is the username + "-pw". Groups come in the three shapes deskgate must read.
const initialAccounts = () => ({
  anna: { sub: 'sub-anna', name: 'Anna Student', email: 'anna@school.example', groups: [] },
  tom: { sub: 'sub-tom', name: 'Tom Teacher', email: 'tom@school.example', groups: ['teachers', 'class-7a'] },
  alice: {
    sub: 'sub-alice',
    name: 'Alice Admin',
    email: 'alice@school.example',
    groups: [{ id: 'admins', name: 'Administrators' }],
  },
  // IServ: the user id is the "uuid" claim, groups a dict of {act, name}.
  'max.muster': {
    sub: 'max.muster',
    uuid: '5b0e5f7c-7a1c-4b8e-9d49-0d6c7f3a2e11',
    name: 'Max Muster',
    email: 'max.muster@school.example',
    groups: { 17: { act: 'lehrer', name: 'Lehrer' }, 23: { act: 'klasse-8b', name: 'Klasse 8b' } },
  },
});
let accounts = initialAccounts();

// What the tests switched on; /test/reset puts everything back.
const initialMode = () => ({
  forge: '',       // "stranger" | "unknown_kid" | "expired" | "wrong_aud" | "wrong_nonce" | "wrong_iss" | "alg_none"
  rotate: false,   // sign with `rotated` and publish it in the JWKS
  delay_ms: 0,     // delay answers to paths starting with delay_path
  delay_path: '',
  discovery: '',   // "wrong_issuer" | "not_json" | "no_jwks_uri"
  id_token_claims: false,  // put profile and groups claims into the id_token itself
});
let mode = initialMode();

const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });
const b64url = (data) => Buffer.from(data).toString('base64url');

function sign(payload, jwk, alg) {
  const header = { alg, typ: 'JWT', kid: jwk.kid };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  if (alg === 'none') return `${input}.`;
  const key = crypto.createPrivateKey({ key: jwk, format: 'jwk' });
  const options = alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key;
  return `${input}.${crypto.sign('sha256', Buffer.from(input), options).toString('base64url')}`;
}

// Re-signs the provider's id_token after changing it the way mode.forge (or rotate) asks.
function reissue(idToken) {
  const [rawHeader, rawPayload] = idToken.split('.');
  const header = JSON.parse(Buffer.from(rawHeader, 'base64url'));
  const payload = JSON.parse(Buffer.from(rawPayload, 'base64url'));
  let key = header.alg === 'ES256' ? keys.primaryEc : keys.primary;
  let { alg } = header;
  const now = Math.floor(Date.now() / 1000);
  switch (mode.forge) {
    case 'stranger': key = keys.stranger; break;
    case 'unknown_kid': key = keys.unknown; break;
    case 'expired': payload.iat = now - 7200; payload.exp = now - 3600; break;
    case 'wrong_aud': payload.aud = 'someone-else'; break;
    case 'wrong_nonce': payload.nonce = 'not-the-nonce'; break;
    case 'wrong_iss': payload.iss = 'http://127.0.0.1:1/evil'; break;
    case 'alg_none': alg = 'none'; break;
    default: break;
  }
  if (mode.rotate && !mode.forge) key = keys.rotated;
  return sign(payload, key, alg);
}

const server = http.createServer();
server.listen(port, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const clientBase = {
    client_secret: 'deskgate-test-secret',
    grant_types: ['authorization_code'],
    response_types: ['code'],
  };
  // Confidential clients, registered by the tests (/test/client) once deskgate's port, and so its
  // redirect URI, is known.
  const clients = [
    { ...clientBase, client_id: 'deskgate', token_endpoint_auth_method: 'client_secret_basic' },
    {
      ...clientBase,
      client_id: 'deskgate-es',
      token_endpoint_auth_method: 'client_secret_post',
      id_token_signed_response_alg: 'ES256',
    },
  ];

  const provider = new Provider(issuer, {
    jwks: { keys: [keys.primary, keys.primaryEc] },
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: { enabled: true },
    },
    scopes: ['openid', 'profile', 'email', 'groups', 'uuid'],
    claims: {
      openid: ['sub'],
      profile: ['name', 'preferred_username'],
      email: ['email'],
      groups: ['groups'],
      uuid: ['uuid'],
    },
    conformIdTokenClaims: true,
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    cookies: { keys: ['deskgate-test-idp-cookie-key'] },
    async findAccount(ctx, id) {
      const account = Object.entries(accounts).find(([, a]) => a.sub === id);
      if (!account) return undefined;
      const [username, a] = account;
      return {
        accountId: id,
        async claims() {
          const out = { sub: a.sub, name: a.name, preferred_username: username, email: a.email, groups: a.groups };
          if (a.uuid) out.uuid = a.uuid;
          return out;
        },
      };
    },
  });
  provider.proxy = false;

  const page = (body) => `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Test IdP</title></head><body>${body}</body></html>`;

  // The tests' control endpoint, the login form and the misbehaviour, in front of the provider.
  provider.use(async (ctx, next) => {
    if (ctx.path.startsWith('/test/')) {
      const body = await readBody(ctx.req);
      const json = body ? JSON.parse(body) : {};
      if (ctx.path === '/test/reset') {
        mode = initialMode();
        accounts = initialAccounts();
      } else if (ctx.path === '/test/mode') {
        mode = { ...mode, ...json };
      } else if (ctx.path === '/test/groups') {
        accounts[json.username].groups = json.groups;
      } else if (ctx.path === '/test/client') {
        for (const c of clients) {
          await provider.Client.adapter.upsert(c.client_id, {
            ...c,
            redirect_uris: json.redirect_uris,
            post_logout_redirect_uris: json.post_logout_redirect_uris || [],
          });
        }
      } else {
        ctx.status = 404;
        return;
      }
      ctx.body = { ok: true };
      return;
    }
    if (mode.delay_ms && mode.delay_path && ctx.path.startsWith(mode.delay_path)) await sleep(mode.delay_ms);

    const interaction = ctx.path.match(/^\/interaction\/([^/]+)(\/login)?$/);
    if (interaction) {
      const details = await provider.interactionDetails(ctx.req, ctx.res);
      if (ctx.method === 'GET' && details.prompt.name === 'login') {
        ctx.type = 'html';
        ctx.body = page(`<form method="post" action="/interaction/${details.uid}/login">
          <input name="username"><input name="password" type="password"><button>Sign in</button></form>`);
        return;
      }
      let accountId = details.session?.accountId;
      if (details.prompt.name === 'login') {
        const form = new URLSearchParams(await readBody(ctx.req));
        const username = form.get('username');
        const a = accounts[username];
        if (!a || form.get('password') !== `${username}-pw`) {
          ctx.status = 401;
          ctx.type = 'html';
          ctx.body = page('<p>Wrong username or password.</p>');
          return;
        }
        accountId = a.sub;
      }
      // Consent is granted together with the login: the scopes the client asked for.
      const grant = new provider.Grant({ accountId, clientId: details.params.client_id });
      grant.addOIDCScope(details.params.scope);
      const grantId = await grant.save();
      const result = { login: { accountId }, consent: { grantId } };
      const redirectTo = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
      ctx.status = 303;
      ctx.redirect(redirectTo);
      return;
    }

    await next();

    if (ctx.path === '/.well-known/openid-configuration' && mode.discovery) {
      if (mode.discovery === 'wrong_issuer') ctx.body = { ...ctx.body, issuer: 'http://127.0.0.1:1/other' };
      if (mode.discovery === 'no_jwks_uri') ctx.body = { ...ctx.body, jwks_uri: undefined };
      if (mode.discovery === 'not_json') { ctx.type = 'html'; ctx.body = page('<p>Maintenance</p>'); }
    }
    if (ctx.path === '/jwks' && mode.rotate) {
      ctx.body = { keys: [...ctx.body.keys, publicJwk(keys.rotated)] };
    }
    if (ctx.path === '/token' && ctx.status === 200 && ctx.body?.id_token && (mode.forge || mode.rotate)) {
      ctx.body = { ...ctx.body, id_token: reissue(ctx.body.id_token) };
    }
  });

  server.on('request', provider.callback());
  process.stdout.write(`test idp listening on ${issuer}\n`);
});

function readBody(req) {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => { data += chunk; });
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}
