// Chooses a folder of the caller's home for an assignment: browses GET /api/files/home?path=
// (folders only, hidden ones left out) with breadcrumbs; "Use this folder" picks the folder being shown.
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { FileListing } from '../api/types';

interface Props {
  run: <T>(fn: () => Promise<T>) => Promise<T | undefined>;
  onPick: (path: string) => void;
  onCancel: () => void;
}

const join = (parts: string[]) => parts.join('/');

export function FolderPicker({ run, onPick, onCancel }: Props) {
  const { t } = useTranslation();
  const [parts, setParts] = useState<string[]>([]);
  const [folders, setFolders] = useState<string[] | null>(null);

  useEffect(() => {
    setFolders(null);
    void run(async () => {
      const listing = await api<FileListing>('GET', `/api/files/home?path=${encodeURIComponent(join(parts))}`);
      // Hidden folders (settings of the desktop's programs) are left out, as file managers do.
      setFolders(listing.entries.filter((e) => e.type === 'dir' && !e.name.startsWith('.')).map((e) => e.name));
    });
  }, [run, parts]);

  return (
    <div className="folder-picker" role="group" aria-label={t('teach.folder.picker')}>
      <nav aria-label={t('teach.folder.path')}>
        <ol className="breadcrumbs">
          <li>
            <button type="button" className="link-button" onClick={() => setParts([])} aria-current={parts.length === 0 ? 'location' : undefined}>
              {t('teach.folder.home')}
            </button>
          </li>
          {parts.map((p, i) => (
            <li key={join(parts.slice(0, i + 1))}>
              <button
                type="button"
                className="link-button"
                onClick={() => setParts(parts.slice(0, i + 1))}
                aria-current={i === parts.length - 1 ? 'location' : undefined}
              >
                {p}
              </button>
            </li>
          ))}
        </ol>
      </nav>
      {!folders && <p className="page-status">{t('common.loading')}</p>}
      {folders && folders.length === 0 && <p className="muted small">{t('teach.folder.noSubfolders')}</p>}
      {folders && folders.length > 0 && (
        <ul className="folder-list">
          {folders.map((name) => (
            <li key={name}>
              <button type="button" className="link-button" onClick={() => setParts([...parts, name])}>
                <span aria-hidden="true">📁 </span>
                {name}
              </button>
            </li>
          ))}
        </ul>
      )}
      <div className="actions">
        <button type="button" className="button small" onClick={onCancel}>
          {t('common.cancel')}
        </button>
        <button type="button" className="button small primary" disabled={parts.length === 0} onClick={() => onPick(join(parts))}>
          {t('teach.folder.useThis')}
        </button>
      </div>
    </div>
  );
}
