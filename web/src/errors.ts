// An API error in words the user's language has. Field-level messages from the server (bad_request,
// conflict) are specific and shown as they are; the rest have a translated sentence per code.
import type { TFunction } from 'i18next';
import { ApiError } from './api/client';

const translatedCodes = [
  'network',
  'unauthenticated',
  'forbidden',
  'not_found',
  'csrf_failed',
  'too_many_requests',
  'payload_too_large',
  'unsupported_media_type',
  'unavailable',
];

export function errorText(t: TFunction, e: unknown): string {
  if (e instanceof ApiError) {
    if (translatedCodes.includes(e.code)) return t(`errors.${e.code}`);
    if (e.message) return e.message;
  }
  return t('errors.generic');
}
