// Issue 5, test 2: another user cannot open someone's /desktops/{id}: the page says so and the desktop
// WebSocket is refused before any upgrade.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adminUser, newPage, signIn, studentUser, upgradeStatus, withGateway } from './harness.mjs';

test("a second user is refused another user's desktop", () =>
  withGateway([adminUser, studentUser], async ({ browser, gateway }) => {
    const admin = await gateway.login(adminUser.name, adminUser.password);
    const id = await gateway.startDesktop(admin);
    const bob = await gateway.login(studentUser.name, studentUser.password);
    assert.equal(await upgradeStatus(gateway.port, `/desktop/${id}/websockify`, bob), 404);
    assert.equal(await upgradeStatus(gateway.port, `/desktop/${id}/websockify`, admin), 101, 'the owner is let in');

    const page = await newPage(browser);
    const sockets = [];
    page.on('websocket', (ws) => {
      const entry = { url: ws.url(), frames: 0 };
      ws.on('framereceived', () => entry.frames++);
      sockets.push(entry);
    });
    await signIn(page, gateway, studentUser.name, studentUser.password);
    await page.goto(`${gateway.base}/desktops/${id}`);
    await page.locator('.viewer[data-status=denied]').waitFor({ timeout: 30000 });
    await page.getByText('This desktop was not found, or it is not yours.').waitFor();
    const desktopSockets = sockets.filter((s) => s.url.includes(`/desktop/${id}/`));
    assert.ok(desktopSockets.length >= 1, 'the viewer tried');
    assert.ok(desktopSockets.every((s) => s.frames === 0), 'no RFB byte reached the second user');
  }));
