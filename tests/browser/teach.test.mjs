// Issue 7, /teach: a teacher creates an assignment through the page (title, desktop type, their group, one
// student, a folder of their home picked in the folder browser), sees it listed with the note about the
// student's running desktop, and deletes it again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adminUser, makeLocalGroup, newPage, screenshot, signIn, withGateway } from './harness.mjs';

const teacher = { name: 'tina', role: 'teacher', password: 'tina password 1', display_name: 'Tina Teacher' };
const sam = { name: 'sam', role: 'student', password: 'sam password 1', display_name: 'Sam Student' };

test('a teacher creates an assignment with a folder on /teach and deletes it', () =>
  withGateway([adminUser, teacher, sam], async ({ browser, gateway }) => {
    const admin = await gateway.login(adminUser.name, adminUser.password);
    const groupId = await makeLocalGroup(gateway, admin, '7b', [teacher, sam]);
    const tina = await gateway.login(teacher.name, teacher.password);
    for (const path of ['Worksheets', 'Worksheets/Week 3']) {
      const r = await gateway.call('POST', '/api/files/home/mkdir', tina, { path });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }

    // Sam's running desktop keeps its setup until restarted: the page says so.
    await gateway.startDesktop(await gateway.login(sam.name, sam.password));

    const page = await newPage(browser);
    await signIn(page, gateway, teacher.name, teacher.password);
    await page.getByRole('link', { name: 'Teaching' }).click();
    await page.getByRole('heading', { name: 'Teaching', level: 1 }).waitFor();
    await page.getByText('You have no assignments yet.').waitFor();
    await page.getByRole('button', { name: 'New assignment' }).click();

    const dialog = page.getByRole('dialog', { name: 'New assignment' });
    await dialog.getByLabel('Title').fill('Übung 3');
    await dialog.getByLabel('Desktop type').selectOption({ label: 'Terminal desktop' });
    await dialog.getByRole('group', { name: 'Groups' }).getByLabel('7b').check();
    // The group's members are offered as single users.
    await dialog.getByRole('group', { name: 'Single users' }).getByLabel('Sam Student').check();
    await dialog.getByRole('button', { name: 'Choose folder…' }).click();
    const picker = dialog.getByRole('group', { name: 'Choose a folder of your home' });
    await picker.getByRole('button', { name: 'Worksheets' }).click();
    await picker.getByRole('button', { name: 'Week 3' }).click();
    await picker.getByRole('button', { name: 'Use this folder' }).click();
    await dialog.getByText('Worksheets/Week 3').waitFor();
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });

    const row = page.getByRole('row').filter({ hasText: 'Übung 3' });
    await row.waitFor();
    for (const text of ['Terminal desktop', '7b, Sam Student', 'Worksheets/Week 3']) {
      assert.ok((await row.textContent()).includes(text), `the row shows ${text}`);
    }
    await page.getByText('Changes apply to desktops started from now on.').waitFor();
    await row.getByText('1 running desktop keeps the old setup until it is restarted.').waitFor();
    await screenshot(page, 'teach');

    const list = await gateway.call('GET', '/api/assignments', tina);
    const [saved] = list.body;
    assert.equal(saved.title, 'Übung 3');
    assert.equal(saved.desktop_type.slug, 'terminal');
    assert.deepEqual(saved.groups.map((g) => g.id), [groupId]);
    assert.deepEqual(saved.users.map((u) => u.display_name), ['Sam Student']);
    assert.equal(saved.folder, 'Worksheets/Week 3');

    await row.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await page.getByText('You have no assignments yet.').waitFor();
  }));
