// i18next with the English and German resources bundled. The browser's language decides at first; the
// language switch stores only the chosen language in localStorage.
import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import en from './en.json';
import de from './de.json';

export const languages = [
  { code: 'en', name: 'English' },
  { code: 'de', name: 'Deutsch' },
] as const;
export type LanguageCode = (typeof languages)[number]['code'];

const storageKey = 'deskgate.language';

function initialLanguage(): LanguageCode {
  const stored = localStorage.getItem(storageKey);
  if (stored === 'en' || stored === 'de') return stored;
  for (const lang of navigator.languages ?? [navigator.language]) {
    const base = lang.toLowerCase().split('-')[0];
    if (base === 'de' || base === 'en') return base;
  }
  return 'en';
}

export function chooseLanguage(code: LanguageCode) {
  localStorage.setItem(storageKey, code);
  void i18n.changeLanguage(code);
}

const lng = initialLanguage();
document.documentElement.lang = lng;
i18n.on('languageChanged', (l) => {
  document.documentElement.lang = l;
});

void i18n.use(initReactI18next).init({
  resources: { en: { translation: en }, de: { translation: de } },
  lng,
  fallbackLng: 'en',
  interpolation: { escapeValue: false },
  returnNull: false,
});

export default i18n;
