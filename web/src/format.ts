// Dates as the user's language writes them.
import i18n from './i18n';

export function formatTime(seconds: number | null | undefined): string {
  if (!seconds) return i18n.t('common.never');
  return new Intl.DateTimeFormat(i18n.language, { dateStyle: 'medium', timeStyle: 'short' }).format(
    new Date(seconds * 1000),
  );
}
