// Issue 7, the file manager page: a teacher uploads a file named with umlauts and a space through the file
// picker, sees it listed with its upload progress finished, downloads it through the page (same bytes, same
// name), previews it and an image, replaces it after the overwrite question, makes a folder, renames, moves
// and deletes (after the confirmation), and moves a file into the shared space; a student sees the shared
// space read-only, without any upload control. Then cancel, the limits' messages, and the page in German.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { adminUser, eventually, newPage, screenshot, signIn, studentUser, withGateway } from './harness.mjs';

const teacherUser = { name: 'tina', role: 'teacher', password: 'tina password 1' };
const fileName = 'Übung Größe.txt';
const content = Buffer.from('Grüße aus der Klasse 7b\nZeile zwei\n', 'utf8');

async function upload(page, name, buffer) {
  await page.locator('input[type=file]').setInputFiles({ name, mimeType: 'text/plain', buffer });
}

test('files: upload, download, preview, replace, folder, rename, move, delete; shared is read-only for students', () =>
  withGateway([adminUser, teacherUser, studentUser], async ({ browser, gateway }) => {
    const page = await newPage(browser);
    await signIn(page, gateway, teacherUser.name, teacherUser.password);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Files' }).click();
    await page.getByRole('heading', { name: 'Files' }).waitFor();
    await page.getByText('This folder is empty.').waitFor();

    // Upload through the picker: listed, and its progress line says it is done.
    await upload(page, fileName, content);
    const row = page.locator(`tr[data-entry="${fileName}"]`);
    await row.waitFor();
    await page.locator(`li[data-upload="${fileName}"]`).getByText('Uploaded').waitFor();

    // Download through the page: the same bytes under the same name.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      row.getByRole('link', { name: `Download ${fileName}` }).click(),
    ]);
    assert.equal(download.suggestedFilename(), fileName);
    assert.deepEqual(fs.readFileSync(await download.path()), content);

    // A text preview shows the content.
    await row.getByRole('button', { name: `Preview ${fileName}` }).click();
    const preview = page.locator('dialog.preview-dialog');
    await preview.locator('pre').getByText('Grüße aus der Klasse 7b').waitFor();
    await preview.getByRole('button', { name: 'Close' }).click();
    await preview.waitFor({ state: 'detached' });

    // An image preview loads the picture (inline=1, shown inside the page).
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
    await page.locator('input[type=file]').setInputFiles({ name: 'Bild 1.png', mimeType: 'image/png', buffer: Buffer.from(png, 'base64') });
    await page.locator('tr[data-entry="Bild 1.png"]').getByRole('button', { name: 'Preview Bild 1.png' }).click();
    const picture = preview.getByRole('img', { name: 'Bild 1.png' });
    await eventually('the preview image to load', () => picture.evaluate((img) => img.complete && img.naturalWidth === 1));
    await preview.getByRole('button', { name: 'Close' }).click();
    await preview.waitFor({ state: 'detached' });
    await page.locator('tr[data-entry="Bild 1.png"]').getByRole('button', { name: 'Delete Bild 1.png' }).click();
    await page.locator('dialog').getByRole('button', { name: 'Delete' }).click();
    await page.locator('tr[data-entry="Bild 1.png"]').waitFor({ state: 'detached' });

    // The same name again: the page asks, and replaces only after "Replace".
    const newer = Buffer.from('zweite Fassung\n', 'utf8');
    await upload(page, fileName, newer);
    const question = page.locator('dialog', { hasText: 'exists already in this folder' });
    await question.getByRole('button', { name: 'Replace' }).click();
    await row.getByText('15 bytes').waitFor();

    // New folder.
    await page.getByRole('button', { name: 'New folder' }).click();
    await page.getByLabel('Folder name').fill('Arbeitsblätter');
    await page.locator('dialog').getByRole('button', { name: 'Create' }).click();
    const folder = page.locator('tr[data-entry="Arbeitsblätter"]');
    await folder.waitFor();

    // Rename the file.
    await row.getByRole('button', { name: `Rename ${fileName}` }).click();
    await page.getByLabel('New name').fill('Lösung 1.txt');
    await page.locator('dialog').getByRole('button', { name: 'Rename' }).click();
    const renamed = page.locator('tr[data-entry="Lösung 1.txt"]');
    await renamed.waitFor();
    await row.waitFor({ state: 'detached' });

    // Move it into the folder, then open the folder (breadcrumbs lead back).
    await renamed.getByRole('button', { name: 'Move Lösung 1.txt' }).click();
    const move = page.locator('dialog.move-dialog');
    await move.getByRole('button', { name: 'Arbeitsblätter', exact: true }).click();
    await move.getByRole('navigation', { name: 'Target folder' }).getByText('Arbeitsblätter').waitFor();
    await move.getByRole('button', { name: 'Move here' }).click();
    await renamed.waitFor({ state: 'detached' });
    await folder.getByRole('button', { name: 'Arbeitsblätter', exact: true }).click();
    await page.getByRole('navigation', { name: 'Folder path' }).getByText('Arbeitsblätter').waitFor();
    await page.locator('tr[data-entry="Lösung 1.txt"]').waitFor();
    await screenshot(page, 'files');
    await page.getByRole('navigation', { name: 'Folder path' }).getByRole('button', { name: 'My files' }).click();

    // Delete the folder: first the confirmation, which can be cancelled, then for real.
    await folder.getByRole('button', { name: 'Delete Arbeitsblätter' }).click();
    const confirm = page.locator('dialog', { hasText: 'and everything in it' });
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await folder.waitFor();
    await folder.getByRole('button', { name: 'Delete Arbeitsblätter' }).click();
    await confirm.getByRole('button', { name: 'Delete' }).click();
    await folder.waitFor({ state: 'detached' });
    await page.getByText('This folder is empty.').waitFor();

    // The teacher moves a file from her home into the shared space; the student reads it there, without a
    // control that changes anything.
    await upload(page, 'Hinweis.txt', Buffer.from('Bitte lesen\n'));
    await page.locator('tr[data-entry="Hinweis.txt"]').getByRole('button', { name: 'Move Hinweis.txt' }).click();
    await move.getByLabel('To the space').selectOption({ label: 'Shared' });
    await move.getByRole('navigation', { name: 'Target folder' }).getByText('Shared').waitFor();
    await move.getByRole('button', { name: 'Move here' }).click();
    await page.locator('tr[data-entry="Hinweis.txt"]').waitFor({ state: 'detached' });
    await page.getByRole('navigation', { name: 'File spaces' }).getByRole('button', { name: 'Shared' }).click();
    await page.locator('tr[data-entry="Hinweis.txt"]').waitFor();

    const student = await newPage(browser);
    await signIn(student, gateway, studentUser.name, studentUser.password);
    await student.goto(`${gateway.base}/files?space=shared`);
    const shared = student.locator('tr[data-entry="Hinweis.txt"]');
    await shared.waitFor();
    await student.getByText('You can open and download the files here, but not change them.').waitFor();
    assert.equal(await student.locator('input[type=file]').count(), 0);
    assert.equal(await student.getByText('Upload files').count(), 0);
    assert.equal(await student.getByRole('button', { name: 'New folder' }).count(), 0);
    assert.equal(await shared.getByRole('button', { name: /Delete|Rename|Move/ }).count(), 0);
    await shared.getByRole('link', { name: 'Download Hinweis.txt' }).waitFor();
  }));

test('files: an upload can be cancelled, and refusals of the limits show their numbers', () =>
  withGateway(
    [adminUser, studentUser],
    async ({ browser, gateway }) => {
      const page = await newPage(browser);
      await signIn(page, gateway, studentUser.name, studentUser.password);
      await page.goto(`${gateway.base}/files`);
      await page.getByText('This folder is empty.').waitFor();

      // An upload held in flight (its request is not let through) until the user cancels it.
      let held;
      const reached = new Promise((resolve) => {
        page.route('**/api/files/home/content*', (route) => {
          held = route;
          resolve();
        });
      });
      await upload(page, 'groß.bin', Buffer.alloc(1000, 1));
      await reached;
      const item = page.locator('li[data-upload="groß.bin"]');
      await item.getByRole('button', { name: 'Cancel the upload of groß.bin' }).click();
      await item.getByText('Cancelled').waitFor();
      await held.abort().catch(() => {});
      await page.unroute('**/api/files/home/content*');

      // Over the per-file limit (413) and over the quota (507): the server's sentence, with the sizes.
      await upload(page, 'zu groß.bin', Buffer.alloc(3000, 2));
      await page.locator('li[data-upload="zu groß.bin"]').getByText(/too large: 2\.9 KiB \(3000 bytes\) is over the limit of 2\.0 KiB/).waitFor();
      await upload(page, 'eins.bin', Buffer.alloc(2000, 3));
      await page.locator('li[data-upload="eins.bin"]').getByText('Uploaded').waitFor();
      await upload(page, 'zwei.bin', Buffer.alloc(2000, 4));
      await page.locator('li[data-upload="zwei.bin"]').getByText(/Not enough room: .*2000 bytes.* of your 3\.0 KiB/).waitFor();
      assert.equal(await page.locator('tbody tr').count(), 1);

      // The page in German.
      const german = await newPage(browser, { locale: 'de-DE' });
      await signIn(german, gateway, studentUser.name, studentUser.password);
      await german.goto(`${gateway.base}/files`);
      await german.getByRole('heading', { name: 'Dateien' }).waitFor();
      await german.getByText('Dateien hochladen').waitFor();
      await german.getByRole('button', { name: 'Neuer Ordner' }).waitFor();
      await german.getByRole('columnheader', { name: 'Größe' }).waitFor();
      await german.getByRole('button', { name: 'eins.bin umbenennen' }).waitFor();
    },
    '[files]\nmax_file_size = "2k"\nquota = "3k"\n',
  ));
