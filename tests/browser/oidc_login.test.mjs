// Issue 6: a student, a teacher and an admin each sign in through "Sign in with IServ" in Chromium against a
// real OpenID provider (tests/idp) and land with the right role; a cancelled sign-in is explained in words.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adminUser, newPage, startIdp, withGateway } from './harness.mjs';

const accounts = [
  { username: 'anna', role: 'student' },
  { username: 'tom', role: 'teacher' },
  { username: 'alice', role: 'admin' },
];

const roleWords = { student: 'student', teacher: 'teacher', admin: 'administrator' };

async function signInWithIserv(page, gateway, username) {
  await page.goto(`${gateway.base}/login`);
  await page.getByRole('link', { name: 'Sign in with IServ' }).or(page.getByRole('button', { name: 'Sign in with IServ' })).click();
  await page.locator('input[name=username]').fill(username);
  await page.locator('input[name=password]').fill(`${username}-pw`);
  await page.locator('form button').click();
  await page.waitForURL((u) => u.origin === gateway.base && !u.pathname.startsWith('/login'), { timeout: 30000 });
}

test('student, teacher and admin sign in with IServ and get their roles', async () => {
  const idp = await startIdp();
  try {
    const oidc = `
[auth.oidc]
issuer = "${idp.issuer}"
client_id = "deskgate"
client_secret = "deskgate-test-secret"
display_name = "IServ"
`;
    await withGateway(
      [adminUser],
      async ({ browser, gateway }) => {
        await idp.registerClient(gateway.base);
        for (const { username, role } of accounts) {
          const page = await newPage(browser);
          await signInWithIserv(page, gateway, username);
          const session = await page.evaluate(async () => (await fetch('/api/auth/session')).json());
          assert.equal(session.user.username, username);
          assert.equal(session.user.role, role, `${username}'s role`);
          // The UI says so: the user menu names the role; only the admin sees the admin link.
          await page.locator('.user-name').click();
          await page.locator('.user-menu-panel').getByText(roleWords[role], { exact: true }).waitFor();
          assert.equal(await page.getByRole('link', { name: 'Admin' }).count(), role === 'admin' ? 1 : 0);
          await page.context().close();
        }

        // An unknown user gives up at the provider: the login page explains, no session exists.
        const page = await newPage(browser);
        await page.goto(`${gateway.base}/api/auth/oidc/callback?error=access_denied&state=nothing`);
        await page.waitForURL((u) => u.pathname === '/login');
        await page.getByText('Signing in with IServ was cancelled.').or(page.getByText('The sign-in took too long')).first().waitFor();
        const session = await page.evaluate(async () => (await fetch('/api/auth/session')).status);
        assert.equal(session, 401);
      },
      oidc,
    );
  } finally {
    await idp.stop();
  }
});
