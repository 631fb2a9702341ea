// /admin: sections for desktops (with the overview numbers), desktop types, users, the audit log and the
// appearance (branding). The chosen section is kept in the URL (?section=) so reloads keep it.
import { useSearchParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import { DesktopsPanel } from './DesktopsPanel';
import { TypesPanel } from './TypesPanel';
import { UsersPanel } from './UsersPanel';
import { AuditPanel } from './AuditPanel';
import { BrandingPanel } from './BrandingPanel';

const sections = ['desktops', 'types', 'users', 'audit', 'branding'] as const;
type Section = (typeof sections)[number];

export function AdminPage() {
  const { t } = useTranslation();
  const [params, setParams] = useSearchParams();
  const asked = params.get('section') as Section | null;
  const section: Section = asked && sections.includes(asked) ? asked : 'desktops';
  return (
    <>
      <h1>{t('admin.title')}</h1>
      <nav className="section-nav" aria-label={t('admin.sections')}>
        {sections.map((s) => (
          <button
            key={s}
            type="button"
            className="section-button"
            aria-current={s === section ? 'page' : undefined}
            onClick={() => setParams({ section: s })}
          >
            {t(`admin.tab_${s}`)}
          </button>
        ))}
      </nav>
      <section aria-label={t(`admin.tab_${section}`)}>
        {section === 'desktops' && <DesktopsPanel />}
        {section === 'types' && <TypesPanel />}
        {section === 'users' && <UsersPanel />}
        {section === 'audit' && <AuditPanel />}
        {section === 'branding' && <BrandingPanel />}
      </section>
    </>
  );
}
