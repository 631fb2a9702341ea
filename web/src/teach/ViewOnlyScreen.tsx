// A live, view-only picture of someone's desktop: noVNC with viewOnly and scaleViewport, connected to
// /desktop/{id}/websockify?view_only=1 (the gateway drops input on such connections too, so viewOnly here
// only keeps noVNC from trying). Connected only while `active`; reconnects with the viewer's bounded backoff,
// except when the gateway ended the watching because the teacher left the owner's groups (4003): said instead.
import { useEffect, useRef, useState, type RefObject } from 'react';
import { useTranslation } from 'react-i18next';
import RFB from '@novnc/novnc';
import { wsUrl } from '../events';
import { backoffSeconds, closeObservationEnded, maxAttempts } from '../desktop/connection';

type State = 'idle' | 'connecting' | 'connected' | 'disconnected' | 'ended';

export function ViewOnlyScreen({ desktopId, active, label }: { desktopId: string; active: boolean; label: string }) {
  const { t } = useTranslation();
  const screen = useRef<HTMLDivElement>(null);
  const [state, setState] = useState<State>('idle');

  useEffect(() => {
    const target = screen.current;
    if (!active || !target) return;
    let viewer: RFB | null = null;
    let timer: number | undefined;
    let attempt = 0;

    const connect = () => {
      setState('connecting');
      const socket = new WebSocket(wsUrl(`/desktop/${encodeURIComponent(desktopId)}/websockify?view_only=1`), ['binary']);
      // Heard before noVNC's own handler (added by the RFB below) reports the disconnect.
      let code = 0;
      socket.addEventListener('close', (c) => {
        code = c.code;
      });
      const v = new RFB(target, socket, { shared: true });
      v.viewOnly = true;
      v.scaleViewport = true;
      v.focusOnClick = false;
      v.background = 'transparent';
      viewer = v;
      v.addEventListener('connect', () => {
        attempt = 0;
        setState('connected');
      });
      v.addEventListener('disconnect', () => {
        if (viewer !== v) return;  // left on purpose
        viewer = null;
        if (code === closeObservationEnded) {
          setState('ended');
          return;
        }
        setState('disconnected');
        attempt += 1;
        if (attempt <= maxAttempts) timer = window.setTimeout(connect, backoffSeconds(attempt) * 1000);
      });
    };
    connect();
    return () => {
      window.clearTimeout(timer);
      const v = viewer;
      viewer = null;
      v?.disconnect();
      setState('idle');
    };
  }, [desktopId, active]);

  return (
    <>
      <div className="observe-screen" ref={screen} data-state={state} role="img" aria-label={label} />
      {state === 'ended' && <p className="observe-ended small">{t('teach.class.observationEnded')}</p>}
    </>
  );
}

// Whether the element is (near) the visible part of the page, so only thumbnails in view hold a connection.
export function useInView<T extends Element>(): [RefObject<T | null>, boolean] {
  const ref = useRef<T>(null);
  const [inView, setInView] = useState(false);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const observer = new IntersectionObserver(([entry]) => setInView(entry.isIntersecting), { rootMargin: '200px' });
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  return [ref, inView];
}
