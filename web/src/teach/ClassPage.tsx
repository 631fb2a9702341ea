// /teach/class/:groupId: live view-only thumbnails of the running desktops of a group's members, a name under
// each; a click enlarges one in a dialog (its own view-only connection). The list follows the live events:
// refetched on hello and on every desktop message, so started desktops appear and stopped ones go.
import { useCallback, useEffect, useState } from 'react';
import { Link, useParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { ClassDesktop, Group } from '../api/types';
import { ErrorLine, useAdminCall } from '../admin/useAdminCall';
import { useServerEvents } from '../events';
import { Modal } from '../components/Modal';
import { ViewOnlyScreen, useInView } from './ViewOnlyScreen';

function Thumbnail({ desktop, onOpen }: { desktop: ClassDesktop; onOpen: () => void }) {
  const { t } = useTranslation();
  const [ref, inView] = useInView<HTMLElement>();
  const name = desktop.user.display_name;
  return (
    <figure className="class-thumb card" ref={ref} data-desktop={desktop.id}>
      <ViewOnlyScreen desktopId={desktop.id} active={inView} label={t('teach.class.screenOf', { name })} />
      <figcaption>
        <button type="button" className="class-thumb-open" onClick={onOpen} aria-label={t('teach.class.enlarge', { name })}>
          {name}
        </button>
        <span className="muted small">{desktop.type.name}</span>
      </figcaption>
    </figure>
  );
}

function Enlarged({ desktop, onClose }: { desktop: ClassDesktop; onClose: () => void }) {
  const { t } = useTranslation();
  const name = desktop.user.display_name;
  return (
    <Modal labelledBy="enlarged-title" onClose={onClose} className="enlarged-dialog">
      <div className="enlarged-head">
        <h2 id="enlarged-title">{t('teach.class.enlargedTitle', { name, type: desktop.type.name })}</h2>
        <button type="button" className="button small" onClick={onClose} autoFocus>
          {t('common.close')}
        </button>
      </div>
      <ViewOnlyScreen desktopId={desktop.id} active label={t('teach.class.screenOf', { name })} />
    </Modal>
  );
}

export function ClassPage() {
  const { groupId = '' } = useParams();
  const { t } = useTranslation();
  const { error, run } = useAdminCall();
  const [group, setGroup] = useState<Group | null>(null);
  const [desktops, setDesktops] = useState<ClassDesktop[] | null>(null);
  const [enlarged, setEnlarged] = useState<string | null>(null);

  const load = useCallback(
    () =>
      run(async () => {
        const list = await api<ClassDesktop[]>('GET', `/api/class/${encodeURIComponent(groupId)}/desktops`);
        setDesktops(list.filter((d) => d.state === 'running'));
      }),
    [run, groupId],
  );
  useEffect(() => {
    void load();
    void run(async () => {
      const groups = await api<Group[]>('GET', '/api/groups');
      setGroup(groups.find((g) => String(g.id) === groupId) ?? null);
    });
  }, [load, run, groupId]);

  useServerEvents((e) => {
    if (e.type === 'hello' || e.type === 'desktop') void load();
  });

  const shown = desktops?.find((d) => d.id === enlarged) ?? null;
  return (
    <>
      <p>
        <Link to="/teach">{t('teach.class.back')}</Link>
      </p>
      <h1>{group ? t('teach.class.title', { name: group.name }) : t('teach.class.titleNoName')}</h1>
      <p className="muted">{t('teach.class.intro')}</p>
      <ErrorLine error={error} />
      {!desktops && !error && <p className="page-status">{t('common.loading')}</p>}
      {desktops && desktops.length === 0 && <p>{t('teach.class.none')}</p>}
      <div className="class-grid">
        {desktops?.map((d) => <Thumbnail key={d.id} desktop={d} onOpen={() => setEnlarged(d.id)} />)}
      </div>
      {shown && <Enlarged desktop={shown} onClose={() => setEnlarged(null)} />}
    </>
  );
}
