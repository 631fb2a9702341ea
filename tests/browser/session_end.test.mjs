// The session ends while the desktop is open (signed out in another tab): the viewer is closed at once
// (close code 4002) and the user lands on the sign-in page, which says the session has ended.
import { test } from 'node:test';
import { adminUser, newPage, signIn, studentUser, withGateway } from './harness.mjs';

test('a session that ended while the desktop is open is said in words', () =>
  withGateway([adminUser, studentUser], async ({ browser, gateway }) => {
    const bob = await gateway.login(studentUser.name, studentUser.password);
    const id = await gateway.startDesktop(bob);
    const page = await newPage(browser);
    await signIn(page, gateway, studentUser.name, studentUser.password);
    await page.goto(`${gateway.base}/desktops/${id}`);
    await page.locator('.viewer[data-status=connected]').waitFor({ timeout: 30000 });

    const otherTab = await page.context().newPage();
    await otherTab.goto(`${gateway.base}/`);
    await otherTab.getByRole('button', { name: /Account menu/ }).click();
    await otherTab.getByRole('button', { name: 'Sign out' }).click();
    await otherTab.waitForURL((u) => u.pathname === '/login');

    await page.getByText('Your session has ended. Please sign in again.').waitFor({ timeout: 30000 });
    await page.waitForURL((u) => u.pathname === '/login');
  }));
