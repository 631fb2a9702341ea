// Issue 5, test 1: the admin signs in, starts the Terminal desktop, opens it; noVNC connects, the canvas
// shows the desktop, and a command typed through noVNC into the xterm runs (its file appears on disk).
import { test } from 'node:test';
import fs from 'node:fs';
import path from 'node:path';
import { adminUser, canvasColours, eventually, newPage, screenshot, signIn, withGateway, xtermCentre } from './harness.mjs';

test('admin starts the Terminal desktop and types a command into it through noVNC', () =>
  withGateway([adminUser], async ({ browser, gateway }) => {
    const page = await newPage(browser);
    await signIn(page, gateway, adminUser.name, adminUser.password);
    const card = page.locator('article[data-type=terminal]');
    await card.getByRole('button', { name: 'Start' }).click();
    // The progress and then "Open" arrive through the live events, without a reload.
    const open = card.getByRole('link', { name: 'Open' });
    await open.waitFor({ timeout: 60000 });
    await screenshot(page, 'dashboard');
    await open.click();
    await page.waitForURL(/\/desktops\/[^/]+$/);
    await page.locator('.viewer[data-status=connected]').waitFor({ timeout: 30000 });

    await eventually('the desktop to be drawn (at least two colours)', async () => (await canvasColours(page)) >= 2);
    // A click into the xterm gives it the keyboard.
    const inXterm = await eventually('the xterm window to be drawn', () => xtermCentre(page));
    await screenshot(page, 'desktop-view');

    const marker = path.join(gateway.dir, `typed-${process.pid}`);
    await page.locator('.viewer-screen canvas').click({ position: inXterm });
    await page.keyboard.type(`touch ${marker}`, { delay: 20 });
    await page.keyboard.press('Enter');
    await eventually(`${marker} to be created by the xterm`, () => fs.existsSync(marker));
  }));
