// Issue 5, test 3: deskgate restarts while the viewer is open; the viewer reconnects by itself (same
// page, no reload) to the adopted desktop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adminUser, newPage, signIn, withGateway } from './harness.mjs';

test('the viewer reconnects by itself after a gateway restart', () =>
  withGateway([adminUser], async ({ browser, gateway }) => {
    const admin = await gateway.login(adminUser.name, adminUser.password);
    const id = await gateway.startDesktop(admin);
    const page = await newPage(browser);
    await signIn(page, gateway, adminUser.name, adminUser.password);
    await page.goto(`${gateway.base}/desktops/${id}`);
    await page.locator('.viewer[data-status=connected]').waitFor({ timeout: 30000 });
    await page.evaluate(() => (window.sameDocument = true));

    await gateway.stop();
    await page.locator('.viewer:not([data-status=connected])').waitFor({ timeout: 30000 });
    await gateway.start();

    await page.locator('.viewer[data-status=connected]').waitFor({ timeout: 60000 });
    assert.equal(await page.evaluate(() => window.sameDocument), true, 'reconnected without a reload');
  }));
