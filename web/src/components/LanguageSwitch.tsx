// Language choice; remembered in localStorage (the language only).
import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { chooseLanguage, languages, type LanguageCode } from '../i18n';

export function LanguageSwitch() {
  const { t, i18n } = useTranslation();
  const id = useId();
  return (
    <span className="language-switch">
      <label htmlFor={id} className="visually-hidden">
        {t('header.language')}
      </label>
      <select id={id} value={i18n.language} onChange={(e) => chooseLanguage(e.target.value as LanguageCode)}>
        {languages.map((l) => (
          <option key={l.code} value={l.code} lang={l.code}>
            {l.name}
          </option>
        ))}
      </select>
    </span>
  );
}
