// Issue 5, test 4: an admin stops a user's desktop from the admin page; the user's viewer says it was
// stopped, and the user's dashboard shows it live (no reload).
import { test } from 'node:test';
import { Gateway, launchBrowser, newPage, screenshot, signIn } from './harness.mjs';

test("an admin stops a user's desktop: viewer and dashboards follow live", async () => {
  const browser = await launchBrowser();
  const gateway = await Gateway.create([
    { name: 'admin', role: 'admin', password: 'admin password 1' },
    { name: 'bob', role: 'student', password: 'bob password 1' },
  ]);
  const admin = await gateway.login('admin', 'admin password 1');
  try {
    const bob = await gateway.login('bob', 'bob password 1');
    const id = await gateway.startDesktop(bob);

    const viewer = await newPage(browser);
    await signIn(viewer, gateway, 'bob', 'bob password 1');
    await viewer.goto(`${gateway.base}/desktops/${id}`);
    await viewer.locator('.viewer[data-status=connected]').waitFor({ timeout: 30000 });

    const dashboard = await viewer.context().newPage();
    await dashboard.goto(`${gateway.base}/`);
    const card = dashboard.locator('article[data-type=terminal]');
    await card.getByText('Running', { exact: true }).waitFor();

    const adminPage = await newPage(browser);
    await signIn(adminPage, gateway, 'admin', 'admin password 1');
    await adminPage.goto(`${gateway.base}/admin`);
    const row = adminPage.locator(`tr[data-desktop="${id}"]`);
    await row.getByText('Running', { exact: true }).waitFor();
    await screenshot(adminPage, 'admin');
    await row.getByRole('button', { name: 'Stop' }).click();
    await adminPage.locator('dialog').getByRole('button', { name: 'Stop' }).click();

    await viewer.getByText('This desktop was stopped.').waitFor({ timeout: 30000 });
    await card.getByText('Stopped', { exact: true }).waitFor({ timeout: 30000 });
    await row.getByText('Stopped', { exact: true }).waitFor({ timeout: 30000 });
  } finally {
    await browser.close();
    await gateway.close(admin);
  }
});
