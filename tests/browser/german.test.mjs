// Issue 5, test 5: with a German browser, every visible string of the dashboard, of each admin section and
// of the teaching pages (issue 7) is German: no text on the page is a string of the English resource file (unless German says the same),
// and the German strings are there. Brand, user and desktop type names are data, not UI strings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adminUser, withGateway, englishStrings, germanStrings, makeLocalGroup, newPage, signIn } from './harness.mjs';

function flatten(obj, prefix = '', out = new Map()) {
  for (const [k, v] of Object.entries(obj)) {
    if (typeof v === 'string') out.set(prefix + k, v);
    else flatten(v, `${prefix}${k}.`, out);
  }
  return out;
}

// An English string as a pattern for a whole text: {{placeholders}} match anything.
function pattern(text) {
  const parts = text.split(/\{\{\w+\}\}/).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('.*')}$`, 's');
}

const english = flatten(englishStrings);
const german = flatten(germanStrings);
const untranslated = [...english].filter(([key, en]) => german.get(key) !== en).map(([key, en]) => ({ key, re: pattern(en) }));

// Every text the user sees: visible text nodes, and the placeholders and values of form fields.
function visibleTexts(page) {
  return page.evaluate(() => {
    const texts = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const text = n.textContent.trim();
      const el = n.parentElement;
      if (text && el && el.checkVisibility() && el.tagName !== 'OPTION') texts.push(text);
    }
    for (const el of document.querySelectorAll('select')) {
      if (el.checkVisibility()) texts.push(el.selectedOptions[0]?.textContent.trim() ?? '');
    }
    for (const el of document.querySelectorAll('[placeholder]')) if (el.checkVisibility()) texts.push(el.placeholder);
    return texts;
  });
}

async function assertGerman(page, where) {
  const texts = await visibleTexts(page);
  for (const text of texts) {
    const hit = untranslated.find((u) => u.re.test(text));
    assert.equal(hit, undefined, `${where}: "${text}" is English (${hit?.key})`);
  }
  return texts;
}

test('the German UI has no English left on the dashboard, the admin page and the teaching pages', () =>
  withGateway([adminUser], async ({ browser, gateway }) => {
    // A running desktop, so the admin tables have rows and states to show.
    await gateway.startDesktop(await gateway.login(adminUser.name, adminUser.password));
    const page = await newPage(browser, { locale: 'de-DE' });
    await signIn(page, gateway, adminUser.name, adminUser.password);
    await page.getByRole('heading', { name: 'Meine Desktops' }).waitFor();
    await page.locator('article[data-type=terminal]').getByText('Läuft').waitFor();
    const dashboard = await assertGerman(page, 'dashboard');
    assert.ok(dashboard.includes('Abmelden') === false, 'the user menu is closed');
    await page.getByRole('button', { name: /Kontomenü/ }).click();
    assert.ok((await assertGerman(page, 'user menu')).includes('Abmelden'));

    for (const section of ['desktops', 'types', 'users', 'audit', 'branding']) {
      await page.goto(`${gateway.base}/admin?section=${section}`);
      await page.getByRole('heading', { name: 'Verwaltung' }).waitFor();
      await page.locator('main table, main form').first().waitFor();
      const texts = await assertGerman(page, `admin ${section}`);
      assert.ok(texts.includes(germanStrings.admin[`tab_${section}`]), `admin ${section} shows its German title`);
    }
    // Dialogs and forms opened from the admin page.
    await page.goto(`${gateway.base}/admin?section=types`);
    await page.getByRole('button', { name: 'Neue Desktop-Art' }).click();
    await assertGerman(page, 'new desktop type form');
    await page.goto(`${gateway.base}/admin?section=desktops`);
    await page.getByRole('button', { name: 'Alle Desktops beenden' }).click();
    await page.locator('dialog').waitFor();
    await assertGerman(page, 'stop-all confirmation');

    // Teaching: the assignments page with its form, and a group's class view.
    const admin = await gateway.login(adminUser.name, adminUser.password);
    const groupId = await makeLocalGroup(gateway, admin, '7b', [adminUser]);
    await page.goto(`${gateway.base}/teach`);
    await page.getByRole('heading', { name: 'Unterricht', level: 1 }).waitFor();
    await page.getByText(germanStrings.teach.noAssignments).waitFor();
    await assertGerman(page, 'teach');
    await page.getByRole('button', { name: 'Neue Zuweisung' }).click();
    await page.getByRole('dialog').getByLabel('7b').check();
    await page.getByRole('button', { name: 'Ordner wählen…' }).click();
    await page.locator('.folder-picker .actions').waitFor();
    await page.locator('.folder-picker .page-status').waitFor({ state: 'detached' });
    await assertGerman(page, 'new assignment form');
    await page.goto(`${gateway.base}/teach/class/${groupId}`);
    await page.getByRole('heading', { name: 'Klassenansicht: 7b' }).waitFor();
    await page.locator('.class-thumb').waitFor();
    await assertGerman(page, 'class view');
  }));
