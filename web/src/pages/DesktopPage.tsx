// The desktop view /desktops/:id: noVNC in the whole window, connected to /desktop/{id}/websockify, with a
// toolbar (status, scaling, remote resize, clipboard, special keys, full screen). Reconnects by itself
// with bounded backoff; says clearly when the desktop was stopped, the session ended or the desktop is
// not the user's. While a teacher watches (view-only), an indicator names them.
import { useCallback, useEffect, useId, useRef, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import RFB from '@novnc/novnc';
import { useServerEvents, wsUrl } from '../events';
import { backoffSeconds, judgeClose, maxAttempts, type Verdict } from '../desktop/connection';
import { specialKeys } from '../desktop/keys';
import { useSession } from '../session';
import type { Observer } from '../api/types';

type Status =
  | { kind: 'connecting' }
  | { kind: 'connected' }
  | { kind: 'reconnecting'; seconds: number; attempt: number }
  | { kind: 'waiting' }
  | { kind: 'stopped'; reason: string }
  | { kind: 'session-ended' }
  | { kind: 'denied' }
  | { kind: 'failed' };

function isFinal(s: Status) {
  return s.kind === 'stopped' || s.kind === 'session-ended' || s.kind === 'denied' || s.kind === 'failed';
}

export function DesktopPage() {
  const { id = '' } = useParams();
  const { t, i18n } = useTranslation();
  const navigate = useNavigate();
  const { expired } = useSession();
  const screen = useRef<HTMLDivElement>(null);
  const rfb = useRef<RFB | null>(null);
  const timer = useRef<number | undefined>(undefined);
  const attempt = useRef(0);
  const final = useRef(false);
  const [status, setStatusState] = useState<Status>({ kind: 'connecting' });
  const [scale, setScale] = useState(true);
  const [resize, setResize] = useState(true);
  const [panel, setPanel] = useState<'none' | 'clipboard' | 'keys'>('none');
  const [clipboard, setClipboard] = useState('');
  const [fullscreen, setFullscreen] = useState(false);
  const [observers, setObservers] = useState<Observer[]>([]);
  const clipboardId = useId();
  // Read by connect() for each new connection; changes apply live through the effects below.
  const scaleRef = useRef(scale);
  const resizeRef = useRef(resize);

  const setStatus = useCallback((s: Status) => {
    final.current = isFinal(s);
    setStatusState(s);
  }, []);

  const settle = useCallback((v: Verdict) => {
    if (v.kind === 'stopped') setStatus({ kind: 'stopped', reason: v.reason });
    else if (v.kind === 'session-ended' || v.kind === 'denied') setStatus({ kind: v.kind });
  }, [setStatus]);

  const disconnect = useCallback(() => {
    window.clearTimeout(timer.current);
    const r = rfb.current;
    rfb.current = null;
    r?.disconnect();
  }, []);

  const connect = useCallback(() => {
    if (!screen.current) return;
    disconnect();
    const socket = new WebSocket(wsUrl(`/desktop/${encodeURIComponent(id)}/websockify`), ['binary']);
    const viewer = new RFB(screen.current, socket, { shared: true });
    rfb.current = viewer;
    viewer.scaleViewport = scaleRef.current;
    viewer.resizeSession = resizeRef.current;
    viewer.background = 'transparent';
    viewer.addEventListener('connect', () => {
      attempt.current = 0;
      setStatus({ kind: 'connected' });
      viewer.focus();
    });
    viewer.addEventListener('clipboard', (e) => setClipboard((e as CustomEvent<{ text: string }>).detail.text));
    socket.addEventListener('close', async (c) => {
      if (rfb.current !== viewer) return;  // replaced or left on purpose
      rfb.current = null;
      const verdict = await judgeClose(id, c.code);
      if (final.current) return;
      if (verdict.kind !== 'retry' && verdict.kind !== 'waiting') {
        settle(verdict);
        return;
      }
      attempt.current += 1;
      if (attempt.current > maxAttempts) {
        setStatus({ kind: 'failed' });
        return;
      }
      const seconds = backoffSeconds(attempt.current);
      setStatus(verdict.kind === 'waiting' ? { kind: 'waiting' } : { kind: 'reconnecting', seconds, attempt: attempt.current });
      timer.current = window.setTimeout(connect, seconds * 1000);
    });
  }, [id, disconnect, setStatus, settle]);

  useEffect(() => {
    final.current = false;
    attempt.current = 0;
    setStatus({ kind: 'connecting' });
    connect();
    return disconnect;
  }, [connect, disconnect, setStatus]);

  useEffect(() => {
    scaleRef.current = scale;
    if (rfb.current) rfb.current.scaleViewport = scale;
  }, [scale]);
  useEffect(() => {
    resizeRef.current = resize;
    if (rfb.current) rfb.current.resizeSession = resize;
  }, [resize]);

  useEffect(() => {
    const onChange = () => setFullscreen(document.fullscreenElement !== null);
    document.addEventListener('fullscreenchange', onChange);
    return () => document.removeEventListener('fullscreenchange', onChange);
  }, []);

  // Live state: a stop elsewhere is shown at once; a desktop that became ready is connected at once.
  // Observation: after each (re)connect the server sends the current observers, so hello clears them first.
  useServerEvents((e) => {
    if (e.type === 'hello') setObservers([]);
    if (e.type === 'observation' && e.desktop === id) setObservers(e.observers);
    if (e.type !== 'desktop' || e.desktop.id !== id) return;
    if (e.removed || e.desktop.state === 'stopping' || e.desktop.state === 'stopped' || e.desktop.state === 'error') {
      disconnect();
      setStatus({ kind: 'stopped', reason: e.desktop.error ?? '' });
    } else if (e.desktop.state === 'running' && !rfb.current && !final.current) {
      connect();
    }
  });

  const sendCombo = (keys: [number, string][]) => {
    const r = rfb.current;
    if (!r) return;
    for (const [sym, code] of keys) r.sendKey(sym, code, true);
    for (const [sym, code] of [...keys].reverse()) r.sendKey(sym, code, false);
    r.focus();
  };

  const toggleFullscreen = () => {
    if (document.fullscreenElement) void document.exitFullscreen();
    else void document.documentElement.requestFullscreen().catch(() => undefined);
  };

  const statusText = (() => {
    switch (status.kind) {
      case 'connecting':
        return t('viewer.status_connecting');
      case 'connected':
        return t('viewer.status_connected');
      case 'reconnecting':
        return t('viewer.status_reconnecting', { seconds: status.seconds, attempt: status.attempt });
      case 'waiting':
        return t('viewer.status_waiting');
      default:
        return t('viewer.status_disconnected');
    }
  })();

  const connected = status.kind === 'connected';
  return (
    <div className="viewer" data-status={status.kind}>
      <div className="viewer-toolbar" role="toolbar" aria-label={t('viewer.toolbar')}>
        <Link to="/" className="button small">
          {t('common.backToDashboard')}
        </Link>
        <span className={`viewer-status status-${status.kind}`} role="status" aria-live="polite">
          {statusText}
        </span>
        <span className="viewer-observed" role="status" aria-live="polite">
          {observers.length > 0 &&
            t('viewer.observedBy', {
              names: new Intl.ListFormat(i18n.language, { type: 'conjunction' }).format(observers.map((o) => o.display_name)),
            })}
        </span>
        <span className="spacer" />
        <label className="toggle">
          <input type="checkbox" checked={scale} onChange={(e) => setScale(e.target.checked)} />
          {t('viewer.scale')}
        </label>
        <label className="toggle">
          <input type="checkbox" checked={resize} onChange={(e) => setResize(e.target.checked)} />
          {t('viewer.resize')}
        </label>
        <button type="button" className="button small" disabled={!connected} onClick={() => rfb.current?.sendCtrlAltDel()}>
          {t('viewer.ctrlAltDel')}
        </button>
        <button
          type="button"
          className="button small"
          aria-expanded={panel === 'keys'}
          aria-controls="viewer-keys"
          onClick={() => setPanel(panel === 'keys' ? 'none' : 'keys')}
        >
          {t('viewer.keys')}
        </button>
        <button
          type="button"
          className="button small"
          aria-expanded={panel === 'clipboard'}
          aria-controls="viewer-clipboard"
          onClick={() => setPanel(panel === 'clipboard' ? 'none' : 'clipboard')}
        >
          {t('viewer.clipboard')}
        </button>
        <button type="button" className="button small" onClick={toggleFullscreen}>
          {fullscreen ? t('viewer.exitFullscreen') : t('viewer.fullscreen')}
        </button>
      </div>
      {panel === 'keys' && (
        <div id="viewer-keys" className="viewer-panel">
          {specialKeys.map((k) => (
            <button key={k.id} type="button" className="button small" disabled={!connected} onClick={() => sendCombo(k.keys)}>
              {t(`viewer.key_${k.id}`)}
            </button>
          ))}
        </div>
      )}
      {panel === 'clipboard' && (
        <div id="viewer-clipboard" className="viewer-panel clipboard">
          <label htmlFor={clipboardId}>{t('viewer.clipboardLabel')}</label>
          <textarea
            id={clipboardId}
            rows={4}
            value={clipboard}
            placeholder={t('viewer.clipboardReceived')}
            onChange={(e) => setClipboard(e.target.value)}
          />
          <button type="button" className="button small primary" disabled={!connected} onClick={() => rfb.current?.clipboardPasteFrom(clipboard)}>
            {t('viewer.clipboardSend')}
          </button>
        </div>
      )}
      <div className="viewer-screen" ref={screen} role="application" aria-label={t('viewer.screen')} />
      {isFinal(status) && (
        <div className="viewer-overlay" role="alert">
          <div className="card">
            {status.kind === 'stopped' && (
              <>
                <h1>{t('viewer.stopped')}</h1>
                {status.reason && <p>{status.reason}</p>}
                <p>{t('viewer.stoppedHint')}</p>
              </>
            )}
            {status.kind === 'session-ended' && (
              <>
                <h1>{t('viewer.sessionEnded')}</h1>
                <p>{t('viewer.sessionEndedHint')}</p>
              </>
            )}
            {status.kind === 'denied' && (
              <>
                <h1>{t('viewer.notYours')}</h1>
                <p>{t('viewer.notYoursHint')}</p>
              </>
            )}
            {status.kind === 'failed' && <h1>{t('viewer.failed')}</h1>}
            <div className="actions">
              {status.kind === 'failed' && (
                <button
                  type="button"
                  className="button primary"
                  onClick={() => {
                    attempt.current = 0;
                    setStatus({ kind: 'connecting' });
                    connect();
                  }}
                >
                  {t('viewer.reconnect')}
                </button>
              )}
              {status.kind === 'session-ended' ? (
                <button
                  type="button"
                  className="button primary"
                  onClick={() => {
                    expired();
                    navigate(`/login?next=${encodeURIComponent(`/desktops/${id}`)}`);
                  }}
                >
                  {t('viewer.signIn')}
                </button>
              ) : (
                <Link to="/" className="button">
                  {t('common.backToDashboard')}
                </Link>
              )}
            </div>
          </div>
        </div>
      )}
    </div>
  );
}
