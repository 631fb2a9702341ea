// Issue 7, class view: an admin makes a local group of a teacher and two students; both students start the
// Terminal desktop; the teacher's /teach/class/{group} shows both desktops live (thumbnails drawn in at least
// two colours), enlarges one, sees a stopped one disappear; the observed student's viewer says "Observed by".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adminUser, canvasColours, eventually, makeLocalGroup, newPage, screenshot, signIn, withGateway } from './harness.mjs';

const teacher = { name: 'tina', role: 'teacher', password: 'tina password 1', display_name: 'Tina Teacher' };
const sam = { name: 'sam', role: 'student', password: 'sam password 1', display_name: 'Sam Student' };
const sue = { name: 'sue', role: 'student', password: 'sue password 1', display_name: 'Sue Student' };

test('a teacher watches the running desktops of a group; the watched student sees "Observed by"', () =>
  withGateway([adminUser, teacher, sam, sue], async ({ browser, gateway }) => {
    const admin = await gateway.login(adminUser.name, adminUser.password);
    const groupId = await makeLocalGroup(gateway, admin, '7b', [teacher, sam, sue]);
    const samDesktop = await gateway.startDesktop(await gateway.login(sam.name, sam.password));
    const sueWho = await gateway.login(sue.name, sue.password);
    const sueDesktop = await gateway.startDesktop(sueWho);

    // Sam has his desktop open: nobody watches yet.
    const student = await newPage(browser);
    await signIn(student, gateway, sam.name, sam.password);
    await student.goto(`${gateway.base}/desktops/${samDesktop}`);
    await student.locator('.viewer[data-status=connected]').waitFor({ timeout: 30000 });
    assert.equal(await student.locator('.viewer-observed').textContent(), '');

    // The teacher finds the class view from /teach.
    const page = await newPage(browser);
    await signIn(page, gateway, teacher.name, teacher.password);
    await page.getByRole('link', { name: 'Teaching' }).click();
    await page.getByRole('link', { name: 'Class view of 7b' }).click();
    await page.waitForURL(`${gateway.base}/teach/class/${groupId}`);
    await page.getByRole('heading', { name: 'Class view: 7b' }).waitFor();
    for (const id of [samDesktop, sueDesktop]) {
      const thumb = `.class-thumb[data-desktop="${id}"]`;
      await page.locator(`${thumb} .observe-screen[data-state=connected]`).waitFor({ timeout: 30000 });
      await eventually(`thumbnail ${id} to be drawn`, async () => (await canvasColours(page, thumb)) >= 2);
    }
    assert.equal(await page.locator('.class-thumb').count(), 2);
    assert.ok(await page.getByRole('button', { name: 'Enlarge the desktop of Sam Student' }).isVisible());
    await screenshot(page, 'class-view');

    // The gateway tells Sam who watches.
    await student.getByRole('status').filter({ hasText: 'Observed by Tina Teacher' }).waitFor();
    await screenshot(student, 'observed');

    // Enlarged: its own view-only connection in a dialog.
    await page.getByRole('button', { name: 'Enlarge the desktop of Sam Student' }).click();
    const dialog = page.getByRole('dialog', { name: 'Sam Student — Terminal desktop' });
    await dialog.locator('.observe-screen[data-state=connected]').waitFor({ timeout: 30000 });
    await eventually('the enlarged desktop to be drawn', async () => (await canvasColours(page, '.enlarged-dialog')) >= 2);
    await dialog.getByRole('button', { name: 'Close' }).click();
    await dialog.waitFor({ state: 'detached' });

    // Sue stops her desktop: her thumbnail goes without a reload.
    await gateway.call('POST', `/api/desktops/${sueDesktop}/stop`, sueWho);
    await page.locator(`.class-thumb[data-desktop="${sueDesktop}"]`).waitFor({ state: 'detached', timeout: 30000 });
    assert.equal(await page.locator('.class-thumb').count(), 1);

    // The teacher leaves: Sam's indicator goes away.
    await page.close();
    await eventually('the observed indicator to disappear', async () => (await student.locator('.viewer-observed').textContent()) === '');
  }));

test('a student opening /teach is told the page is not for their role', () =>
  withGateway([adminUser, sam], async ({ browser, gateway }) => {
    const page = await newPage(browser);
    await signIn(page, gateway, sam.name, sam.password);
    assert.equal(await page.getByRole('link', { name: 'Teaching' }).count(), 0);
    await page.goto(`${gateway.base}/teach`);
    await page.getByRole('heading', { name: 'Not for your role' }).waitFor();
  }));
