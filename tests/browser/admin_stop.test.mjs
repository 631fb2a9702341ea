// Issue 5, test 4: an admin stops a user's desktop from the admin page; the user's viewer says it was
// stopped, and the user's dashboard shows it live (no reload).
import { test } from 'node:test';
import { adminUser, newPage, screenshot, signIn, studentUser, withGateway } from './harness.mjs';

test("an admin stops a user's desktop: viewer and dashboards follow live", () =>
  withGateway([adminUser, studentUser], async ({ browser, gateway }) => {
    const bob = await gateway.login(studentUser.name, studentUser.password);
    const id = await gateway.startDesktop(bob);

    const viewer = await newPage(browser);
    await signIn(viewer, gateway, studentUser.name, studentUser.password);
    await viewer.goto(`${gateway.base}/desktops/${id}`);
    await viewer.locator('.viewer[data-status=connected]').waitFor({ timeout: 30000 });

    const dashboard = await viewer.context().newPage();
    await dashboard.goto(`${gateway.base}/`);
    const card = dashboard.locator('article[data-type=terminal]');
    await card.getByText('Running', { exact: true }).waitFor();

    const adminPage = await newPage(browser);
    await signIn(adminPage, gateway, adminUser.name, adminUser.password);
    await adminPage.goto(`${gateway.base}/admin`);
    const row = adminPage.locator(`tr[data-desktop="${id}"]`);
    await row.getByText('Running', { exact: true }).waitFor();
    await screenshot(adminPage, 'admin');
    await row.getByRole('button', { name: 'Stop' }).click();
    await adminPage.locator('dialog').getByRole('button', { name: 'Stop' }).click();

    await viewer.getByText('This desktop was stopped.').waitFor({ timeout: 30000 });
    await card.getByText('Stopped', { exact: true }).waitFor({ timeout: 30000 });
    await row.getByText('Stopped', { exact: true }).waitFor({ timeout: 30000 });
  }));
