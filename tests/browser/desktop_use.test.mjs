// Issue 5, test 1: the bootstrap admin signs in, starts the Terminal desktop, opens it; noVNC connects, the
// canvas shows the desktop, and a command typed through noVNC into the xterm runs (its file appears).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Gateway, canvasColours, eventually, launchBrowser, newPage, screenshot, signIn } from './harness.mjs';

test('admin starts the Terminal desktop and types a command into it through noVNC', async () => {
  const browser = await launchBrowser();
  const gateway = await Gateway.create([{ name: 'admin', role: 'admin', password: 'admin password 1' }]);
  const admin = await gateway.login('admin', 'admin password 1');
  try {
    const page = await newPage(browser);
    await signIn(page, gateway, 'admin', 'admin password 1');
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
    await screenshot(page, 'desktop-view');

    const marker = path.join(gateway.dir, `typed-${process.pid}`);
    const canvas = page.locator('.viewer-screen canvas');
    // xterm sits at the top left of the openbox desktop: a click there gives it the keyboard.
    await canvas.click({ position: { x: 60, y: 60 } });
    await page.keyboard.type(`touch ${marker}`, { delay: 20 });
    await page.keyboard.press('Enter');
    await eventually(`${marker} to be created by the xterm`, () => fs.existsSync(marker));
    assert.ok(fs.existsSync(marker));
  } finally {
    await browser.close();
    await gateway.close(admin);
  }
});
