// The spaces shown as tabs: home, shared, and one per assignment with a folder (GET /api/me/assignments;
// a server without that route has none).
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { MyAssignment } from '../api/types';

export interface Space {
  name: string; // as the API names it: "home", "shared", "assignment-3"
  label: string;
}

export function useSpaces(): Space[] {
  const { t } = useTranslation();
  const [assignments, setAssignments] = useState<MyAssignment[]>([]);
  useEffect(() => {
    let current = true;
    api<MyAssignment[] | { assignments: MyAssignment[] }>('GET', '/api/me/assignments')
      .then((answer) => current && setAssignments(Array.isArray(answer) ? answer : answer.assignments))
      // 404 (a server without the route) or any other failure: the tabs are home and shared only.
      .catch(() => undefined);
    return () => {
      current = false;
    };
  }, []);
  return [
    { name: 'home', label: t('files.space_home') },
    { name: 'shared', label: t('files.space_shared') },
    ...assignments.filter((a) => a.has_folder).map((a) => ({ name: `assignment-${a.id}`, label: a.title })),
  ];
}
