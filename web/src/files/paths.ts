// Paths inside a file space as the API takes them ("Docs/Übung 1", "" for the root), and the API
// addresses built from them. Every name is percent-encoded, so umlauts, spaces, '#' and '&' survive.

export const join = (dir: string, name: string) => (dir ? `${dir}/${name}` : name);

export const parentOf = (path: string) => path.split('/').slice(0, -1).join('/');

export const namesOf = (path: string) => (path ? path.split('/') : []);

const q = (path: string) => encodeURIComponent(path);
const base = (space: string) => `/api/files/${encodeURIComponent(space)}`;

export const fileUrls = {
  list: (space: string, dir: string) => `${base(space)}?path=${q(dir)}`,
  entry: (space: string, path: string) => `${base(space)}?path=${q(path)}`,
  content: (space: string, path: string) => `${base(space)}/content?path=${q(path)}`,
  inline: (space: string, path: string) => `${base(space)}/content?path=${q(path)}&inline=1`,
  upload: (space: string, path: string, overwrite: boolean) =>
    `${base(space)}/content?path=${q(path)}${overwrite ? '&overwrite=1' : ''}`,
  zip: (space: string, dir: string) => `${base(space)}/zip?path=${q(dir)}`,
  mkdir: (space: string) => `${base(space)}/mkdir`,
  move: (space: string) => `${base(space)}/move`,
};

// What a preview dialog can show for a file, from its type; null: download only.
export type PreviewKind = 'image' | 'pdf' | 'text';

const imageTypes = ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/bmp'];

export function previewKind(mime: string | undefined): PreviewKind | null {
  if (!mime) return null;
  const type = mime.split(';')[0].trim();
  if (imageTypes.includes(type)) return 'image';
  if (type === 'application/pdf') return 'pdf';
  if (type.startsWith('text/') || type === 'application/json' || type === 'application/xml') return 'text';
  return null;
}
