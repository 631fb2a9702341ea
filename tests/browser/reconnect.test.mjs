// Issue 5, test 3: deskgate restarts while the viewer is open; the viewer reconnects by itself (same
// page, no reload) to the adopted desktop.
import { test } from 'node:test';
import { Gateway, launchBrowser, newPage, signIn } from './harness.mjs';

test('the viewer reconnects by itself after a gateway restart', async () => {
  const browser = await launchBrowser();
  const gateway = await Gateway.create([{ name: 'admin', role: 'admin', password: 'admin password 1' }]);
  let admin = await gateway.login('admin', 'admin password 1');
  try {
    const id = await gateway.startDesktop(admin);
    const page = await newPage(browser);
    await signIn(page, gateway, 'admin', 'admin password 1');
    await page.goto(`${gateway.base}/desktops/${id}`);
    await page.locator('.viewer[data-status=connected]').waitFor({ timeout: 30000 });
    await page.evaluate(() => (window.__sameDocument = true));

    await gateway.stop();
    await page.locator('.viewer:not([data-status=connected])').waitFor({ timeout: 30000 });
    await gateway.start();
    admin = await gateway.login('admin', 'admin password 1');

    await page.locator('.viewer[data-status=connected]').waitFor({ timeout: 60000 });
    if (!(await page.evaluate(() => window.__sameDocument === true))) throw new Error('the page was reloaded');
  } finally {
    await browser.close();
    await gateway.close(admin);
  }
});
