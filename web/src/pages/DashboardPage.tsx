// The dashboard: a card per desktop type the user may start, with their desktop's state. Start / Open /
// Stop / Remove; progress creating → starting → running follows the live events from /api/events.
import { useCallback, useEffect, useState } from 'react';
import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import { api, ApiError } from '../api/client';
import type { Desktop, DesktopState, DesktopTypeCard, ServerEvent } from '../api/types';
import { errorText } from '../errors';
import { useServerEvents } from '../events';
import { formatTime } from '../format';
import { useSession } from '../session';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { StateBadge } from '../components/StateBadge';
import { TypeIcon } from '../components/TypeIcon';

const steps: DesktopState[] = ['creating', 'starting', 'running'];

function Progress({ state }: { state: DesktopState }) {
  const { t } = useTranslation();
  const current = steps.indexOf(state);
  return (
    <ol className="progress" aria-label={t('dashboard.progress')}>
      {steps.map((s, i) => (
        <li key={s} className={i < current ? 'done' : i === current ? 'current' : ''} aria-current={i === current ? 'step' : undefined}>
          {t(`dashboard.step_${s}`)}
        </li>
      ))}
    </ol>
  );
}

interface Pending {
  kind: 'stop' | 'remove';
  card: DesktopTypeCard;
}

function Card({ card, onAction }: { card: DesktopTypeCard; onAction: (kind: 'start' | 'stop' | 'remove', c: DesktopTypeCard) => void }) {
  const { t } = useTranslation();
  const d = card.desktop;
  const state = d?.state ?? null;
  const busy = state === 'creating' || state === 'starting';
  const canStart = card.enabled && (!d || state === 'stopped' || state === 'error');
  const headingId = `type-${card.slug}`;
  return (
    <article className="card desktop-card" aria-labelledby={headingId} data-type={card.slug}>
      <div className="card-head">
        <TypeIcon slug={card.slug} icon={card.icon} />
        <div>
          <h2 id={headingId}>{card.name}</h2>
          <StateBadge state={state} />
        </div>
      </div>
      {card.description && <p className="description">{card.description}</p>}
      {!card.enabled && <p className="muted">{t('dashboard.disabled')}</p>}
      {busy && <Progress state={state} />}
      {state === 'error' && d?.error && (
        <p className="alert error" role="alert">
          {t('dashboard.failed', { reason: d.error })}
        </p>
      )}
      {d?.last_active_at && <p className="muted small">{t('dashboard.lastUsed', { when: formatTime(d.last_active_at) })}</p>}
      <div className="actions">
        {canStart && (
          <button type="button" className="button primary" onClick={() => onAction('start', card)}>
            {t('dashboard.start')}
          </button>
        )}
        {state === 'running' && d && (
          <Link className="button primary" to={`/desktops/${encodeURIComponent(d.id)}`}>
            {t('dashboard.open')}
          </Link>
        )}
        {(state === 'running' || busy) && (
          <button type="button" className="button" onClick={() => onAction('stop', card)}>
            {t('dashboard.stop')}
          </button>
        )}
        {(state === 'stopped' || state === 'error') && (
          <button type="button" className="button danger" onClick={() => onAction('remove', card)}>
            {t('dashboard.remove')}
          </button>
        )}
      </div>
    </article>
  );
}

export function DashboardPage() {
  const { t } = useTranslation();
  const { user, expired } = useSession();
  const [cards, setCards] = useState<DesktopTypeCard[] | null>(null);
  const [error, setError] = useState('');
  const [pending, setPending] = useState<Pending | null>(null);

  const fail = useCallback(
    (e: unknown) => {
      if (e instanceof ApiError && e.status === 401) expired();
      else setError(errorText(t, e));
    },
    [t, expired],
  );

  const load = useCallback(async () => {
    try {
      const r = await api<{ desktop_types: DesktopTypeCard[] }>('GET', '/api/desktop-types');
      setCards(r.desktop_types);
      setError('');
    } catch (e) {
      fail(e);
    }
  }, [fail]);

  useEffect(() => {
    void load();
  }, [load]);

  const setDesktop = (slug: string, desktop: Desktop | null) =>
    setCards((cs) => cs?.map((c) => (c.slug === slug ? { ...c, desktop } : c)) ?? cs);

  useServerEvents((e: ServerEvent) => {
    if (e.type === 'hello') {
      void load();
      return;
    }
    if (e.type !== 'desktop' || (e.desktop.owner_id !== undefined && e.desktop.owner_id !== user?.id)) return;
    const card = cards?.find((c) => c.slug === e.desktop.type);
    if (!card) return;
    if (e.removed) setDesktop(card.slug, null);
    else if (card.desktop?.id === e.desktop.id) {
      setDesktop(card.slug, { ...card.desktop, state: e.desktop.state, error: e.desktop.error ?? '' });
    } else void load();  // a desktop this page has not seen yet: fetch its full row
  });

  const act = async (kind: 'start' | 'stop' | 'remove', card: DesktopTypeCard) => {
    setError('');
    try {
      if (kind === 'start') {
        const r = await api<{ desktop: Desktop }>('POST', '/api/desktops', { json: { type: card.slug } });
        setDesktop(card.slug, r.desktop);
      } else if (card.desktop) {
        const id = encodeURIComponent(card.desktop.id);
        const r = await api<{ desktop: Desktop }>(kind === 'stop' ? 'POST' : 'DELETE', kind === 'stop' ? `/api/desktops/${id}/stop` : `/api/desktops/${id}`);
        setDesktop(card.slug, r.desktop);
      }
    } catch (e) {
      fail(e);
    }
  };

  return (
    <>
      <h1>{t('dashboard.title')}</h1>
      <p className="muted">{t('dashboard.intro')}</p>
      {error && (
        <p className="alert error" role="alert">
          {error}
        </p>
      )}
      {!cards && !error && <p className="page-status">{t('common.loading')}</p>}
      {cards && cards.length === 0 && <p>{t('dashboard.empty')}</p>}
      <div className="card-grid">
        {cards?.map((c) => (
          <Card key={c.slug} card={c} onAction={(kind, card) => (kind === 'start' ? void act(kind, card) : setPending({ kind, card }))} />
        ))}
      </div>
      {pending && (
        <ConfirmDialog
          message={t(pending.kind === 'stop' ? 'dashboard.confirmStop' : 'dashboard.confirmRemove', { name: pending.card.name })}
          confirmLabel={t(pending.kind === 'stop' ? 'dashboard.stop' : 'dashboard.remove')}
          onCancel={() => setPending(null)}
          onConfirm={() => {
            const p = pending;
            setPending(null);
            void act(p.kind, p.card);
          }}
        />
      )}
    </>
  );
}
