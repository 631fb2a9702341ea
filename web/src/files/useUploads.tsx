// Uploads in flight and finished, each with its progress: a PUT of the raw file per upload (several run
// at once), cancel by abort, and a file that exists already waits for the user to say "replace" (then it
// is sent again with overwrite=1) or "keep".
import { useCallback, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, putWithProgress } from '../api/client';
import { errorText } from '../errors';
import { fileUrls, join } from './paths';

export type UploadStatus = 'uploading' | 'done' | 'failed' | 'cancelled' | 'exists';

export interface UploadItem {
  id: number;
  space: string;
  dir: string;
  name: string;
  sent: number;
  total: number;
  status: UploadStatus;
  message: string;
}

// The limits' refusals carry the numbers (size, limit, quota, free space): shown as the server wrote them.
export function fileErrorText(t: Parameters<typeof errorText>[0], e: unknown): string {
  const withNumbers = ['payload_too_large', 'insufficient_storage'];
  if (e instanceof ApiError && withNumbers.includes(e.code) && e.message) return e.message;
  return errorText(t, e);
}

let nextId = 1;

export function useUploads(onUploaded: (space: string, dir: string) => void) {
  const { t } = useTranslation();
  const [items, setItems] = useState<UploadItem[]>([]);
  const files = useRef(new Map<number, File>());
  const aborts = useRef(new Map<number, () => void>());

  const update = useCallback((id: number, change: Partial<UploadItem>) => {
    setItems((all) => all.map((u) => (u.id === id ? { ...u, ...change } : u)));
  }, []);

  const send = useCallback(
    (item: UploadItem, overwrite: boolean) => {
      const file = files.current.get(item.id);
      if (!file) return;
      const { done, abort } = putWithProgress(fileUrls.upload(item.space, join(item.dir, item.name), overwrite), file, (sent, total) =>
        update(item.id, { sent, total }),
      );
      aborts.current.set(item.id, abort);
      done
        .then(() => {
          files.current.delete(item.id);
          update(item.id, { status: 'done', sent: file.size });
          onUploaded(item.space, item.dir);
        })
        .catch((e: unknown) => {
          if (e instanceof ApiError && e.code === 'aborted') {
            files.current.delete(item.id);
            update(item.id, { status: 'cancelled' });
          } else if (e instanceof ApiError && e.status === 409 && !overwrite) {
            update(item.id, { status: 'exists', sent: 0 });
          } else {
            files.current.delete(item.id);
            update(item.id, { status: 'failed', message: fileErrorText(t, e) });
          }
        })
        .finally(() => aborts.current.delete(item.id));
    },
    [onUploaded, t, update],
  );

  const start = useCallback(
    (chosen: Iterable<File>, space: string, dir: string) => {
      const added: UploadItem[] = [];
      for (const file of chosen) {
        const item: UploadItem = { id: nextId++, space, dir, name: file.name, sent: 0, total: file.size, status: 'uploading', message: '' };
        files.current.set(item.id, file);
        added.push(item);
      }
      setItems((all) => [...all, ...added]);
      for (const item of added) send(item, false);
    },
    [send],
  );

  const cancel = useCallback((id: number) => aborts.current.get(id)?.(), []);

  const replace = useCallback(
    (item: UploadItem) => {
      update(item.id, { status: 'uploading' });
      send(item, true);
    },
    [send, update],
  );

  const keep = useCallback(
    (item: UploadItem) => {
      files.current.delete(item.id);
      update(item.id, { status: 'cancelled' });
    },
    [update],
  );

  const clearFinished = useCallback(() => setItems((all) => all.filter((u) => u.status === 'uploading' || u.status === 'exists')), []);

  return { items, start, cancel, replace, keep, clearFinished };
}
