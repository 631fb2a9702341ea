// Where in a space the user is: the space, then each folder, each a link back up; the last is the current
// folder (aria-current).
import { namesOf } from './paths';

interface Props {
  rootLabel: string;
  path: string;
  label: string;
  onOpen: (path: string) => void;
}

export function Breadcrumbs({ rootLabel, path, label, onOpen }: Props) {
  const names = namesOf(path);
  const crumbs = [{ name: rootLabel, path: '' }, ...names.map((n, i) => ({ name: n, path: names.slice(0, i + 1).join('/') }))];
  return (
    <nav aria-label={label} className="breadcrumbs">
      <ol>
        {crumbs.map((c, i) =>
          i === crumbs.length - 1 ? (
            <li key={c.path} aria-current="location">
              {c.name}
            </li>
          ) : (
            <li key={c.path}>
              <button type="button" className="link-button" onClick={() => onOpen(c.path)}>
                {c.name}
              </button>
            </li>
          ),
        )}
      </ol>
    </nav>
  );
}
