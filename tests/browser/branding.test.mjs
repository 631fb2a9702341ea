// Issue 5, test 6: an admin changes the branding (name, colour, logo) in the appearance editor; after a
// reload the header, the tab title and the theme colour show it, also on the public sign-in page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adminUser, withGateway, newPage, signIn } from './harness.mjs';

// A valid 1×1 PNG.
const onePixelPng = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

test('a branding change is visible after reload', () =>
  withGateway([adminUser], async ({ browser, gateway }) => {
    const page = await newPage(browser);
    await signIn(page, gateway, adminUser.name, adminUser.password);
    await page.goto(`${gateway.base}/admin?section=branding`);
    await page.getByLabel('App name').fill('Schulportal Nord');
    await page.getByLabel('Buttons and links').fill('#8a1c7c');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved.').waitFor();
    await page.getByLabel('Logo').setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: onePixelPng });
    await page.locator('.app-header img.brand-logo').waitFor();

    await page.reload();
    await page.locator('.app-header .brand-name').getByText('Schulportal Nord').waitFor();
    await page.waitForFunction(() => document.title === 'Schulportal Nord');
    const logo = page.locator('.app-header img.brand-logo');
    assert.match(await logo.getAttribute('src'), /^\/api\/branding\/logo\?v=1$/);
    assert.ok(await logo.evaluate((img) => img.complete && img.naturalWidth === 1), 'the uploaded logo loads');
    const primary = await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--color-primary').trim());
    assert.equal(primary, '#8a1c7c');

    const visitor = await newPage(browser);
    await visitor.goto(`${gateway.base}/login`);
    await visitor.locator('.brand-name').getByText('Schulportal Nord').waitFor();
  }));
