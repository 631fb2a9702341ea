// Dates as the user's language writes them.
import i18n from './i18n';

export function formatTime(seconds: number | null | undefined): string {
  if (!seconds) return i18n.t('common.never');
  return new Intl.DateTimeFormat(i18n.language, { dateStyle: 'medium', timeStyle: 'short' }).format(
    new Date(seconds * 1000),
  );
}

// File sizes in the user's language: "512 B", "1.4 MB" ("1,4 MB" in German), powers of 1000 as the unit
// names say.
const sizeUnits = ['byte', 'kilobyte', 'megabyte', 'gigabyte', 'terabyte'] as const;

export function formatSize(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit + 1 < sizeUnits.length) {
    value /= 1000;
    unit++;
  }
  return new Intl.NumberFormat(i18n.language, {
    style: 'unit',
    unit: sizeUnits[unit],
    unitDisplay: unit === 0 ? 'long' : 'short',
    maximumFractionDigits: unit === 0 ? 0 : 1,
  }).format(value);
}
