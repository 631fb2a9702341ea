// Choosing where an entry goes: a space (this one or another the user may write) and a folder in it,
// browsed folder by folder. The server decides whether the move is allowed.
import { useEffect, useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ErrorLine } from '../admin/useAdminCall';
import { api } from '../api/client';
import type { FileListing } from '../api/types';
import { errorText } from '../errors';
import { Breadcrumbs } from './Breadcrumbs';
import { fileUrls, join } from './paths';
import type { Space } from './spaces';

interface Props {
  spaces: Space[];
  space: string;
  path: string; // of the entry being moved
  error: string;
  onMove: (toSpace: string, toDir: string) => void;
  onCancel: () => void;
}

export function MoveDialog({ spaces, space, path, error, onMove, onCancel }: Props) {
  const { t } = useTranslation();
  const id = useId();
  const dialog = useRef<HTMLDialogElement>(null);
  const [target, setTarget] = useState(space);
  const [dir, setDir] = useState('');
  const [listing, setListing] = useState<FileListing | null>(null);
  const [problem, setProblem] = useState('');
  useEffect(() => {
    dialog.current?.showModal();
  }, []);
  useEffect(() => {
    let current = true;
    setListing(null);
    setProblem('');
    api<FileListing>('GET', fileUrls.list(target, dir))
      .then((l) => current && setListing(l))
      .catch((e) => current && setProblem(errorText(t, e)));
    return () => {
      current = false;
    };
  }, [target, dir, t]);

  const name = path.split('/').pop() ?? path;
  // A folder cannot go into itself: it is not offered as a target.
  const folders = (listing?.entries ?? []).filter((e) => e.type === 'dir' && !(target === space && join(dir, e.name) === path));
  const label = (s: string) => spaces.find((x) => x.name === s)?.label ?? s;

  return (
    <dialog ref={dialog} className="dialog move-dialog" onCancel={onCancel} aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{t('files.moveTitle', { name })}</h2>
      <div className="field">
        <label htmlFor={`${id}-space`}>{t('files.moveToSpace')}</label>
        <select
          id={`${id}-space`}
          value={target}
          onChange={(e) => {
            setTarget(e.target.value);
            setDir('');
          }}
        >
          {spaces.map((s) => (
            <option key={s.name} value={s.name}>
              {s.label}
            </option>
          ))}
        </select>
      </div>
      <Breadcrumbs rootLabel={label(target)} path={dir} onOpen={setDir} label={t('files.moveFolder')} />
      {problem && <p className="alert error">{problem}</p>}
      {listing && !listing.writable && <p className="alert warning">{t('files.readOnly')}</p>}
      {listing && (
        <ul className="folder-choices" aria-label={t('files.subfolders')}>
          {folders.length === 0 && <li className="muted">{t('files.noSubfolders')}</li>}
          {folders.map((f) => (
            <li key={f.name}>
              <button type="button" className="link-button" onClick={() => setDir(join(dir, f.name))}>
                {f.name}
              </button>
            </li>
          ))}
        </ul>
      )}
      <ErrorLine error={error} />
      <div className="actions">
        <button type="button" className="button" onClick={onCancel}>
          {t('common.cancel')}
        </button>
        <button type="button" className="button primary" disabled={!listing?.writable} onClick={() => onMove(target, dir)}>
          {t('files.moveHere')}
        </button>
      </div>
    </dialog>
  );
}
