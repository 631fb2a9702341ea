// What the viewer does after its WebSocket closed: the gateway's close codes (docs/api.md) and, when the
// upgrade was refused or the line dropped, what GET /api/desktops/{id} says now.
import { api, ApiError } from '../api/client';
import type { Desktop } from '../api/types';

export const closeDesktopStopped = 4001;
export const closeSessionEnded = 4002;
// A view-only watcher who no longer teaches a group of the desktop's owner (ViewOnlyScreen).
export const closeObservationEnded = 4003;

export type Verdict =
  | { kind: 'stopped'; reason: string }
  | { kind: 'session-ended' }
  | { kind: 'denied' }
  | { kind: 'waiting' }  // the desktop is still starting: try again soon
  | { kind: 'retry' };  // network loss, gateway restart: try again with backoff

export async function judgeClose(desktopId: string, code: number): Promise<Verdict> {
  if (code === closeDesktopStopped) return { kind: 'stopped', reason: '' };
  if (code === closeSessionEnded) return { kind: 'session-ended' };
  try {
    const { desktop } = await api<{ desktop: Desktop }>('GET', `/api/desktops/${encodeURIComponent(desktopId)}`);
    if (desktop.state === 'running') return { kind: 'retry' };
    if (desktop.state === 'creating' || desktop.state === 'starting') return { kind: 'waiting' };
    return { kind: 'stopped', reason: desktop.error };
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return { kind: 'denied' };
    if (e instanceof ApiError && e.status === 401) return { kind: 'session-ended' };
    return { kind: 'retry' };
  }
}

// Bounded backoff: 1, 2, 4, 8, then 10 s between attempts, and at most `maxAttempts` of them.
export const maxAttempts = 30;
export function backoffSeconds(attempt: number): number {
  return Math.min(2 ** Math.max(0, attempt - 1), 10);
}
