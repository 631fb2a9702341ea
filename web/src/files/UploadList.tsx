// The uploads of this page: per file a progress bar, the state in words, and Cancel while it runs.
import { useTranslation } from 'react-i18next';
import { formatSize } from '../format';
import type { UploadItem } from './useUploads';

interface Props {
  items: UploadItem[];
  onCancel: (id: number) => void;
  onClear: () => void;
}

export function UploadList({ items, onCancel, onClear }: Props) {
  const { t } = useTranslation();
  if (items.length === 0) return null;
  const finished = items.some((u) => u.status !== 'uploading' && u.status !== 'exists');
  return (
    <section className="card uploads" aria-labelledby="uploads-title">
      <div className="uploads-head">
        <h2 id="uploads-title">{t('files.uploads')}</h2>
        {finished && (
          <button type="button" className="button small" onClick={onClear}>
            {t('files.clearUploads')}
          </button>
        )}
      </div>
      <ul className="upload-list">
        {items.map((u) => {
          const percent = u.total > 0 ? Math.round((u.sent / u.total) * 100) : u.status === 'done' ? 100 : 0;
          return (
            <li key={u.id} className={`upload upload-${u.status}`} data-upload={u.name}>
              <span className="upload-name">{u.name}</span>
              <progress max={100} value={u.status === 'done' ? 100 : percent} aria-label={t('files.progressOf', { name: u.name })} />
              <span className="upload-state" role={u.status === 'failed' ? 'alert' : undefined}>
                {u.status === 'uploading' && t('files.upload_uploading', { percent, sent: formatSize(u.sent), total: formatSize(u.total) })}
                {u.status === 'done' && t('files.upload_done')}
                {u.status === 'cancelled' && t('files.upload_cancelled')}
                {u.status === 'exists' && t('files.upload_exists')}
                {u.status === 'failed' && u.message}
              </span>
              {u.status === 'uploading' && (
                <button type="button" className="button small" onClick={() => onCancel(u.id)} aria-label={t('files.cancelUpload', { name: u.name })}>
                  {t('common.cancel')}
                </button>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
