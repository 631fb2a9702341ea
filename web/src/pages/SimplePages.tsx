// Pages with little in them: pages for other roles and unknown addresses.
import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';

export function NotFoundPage() {
  const { t } = useTranslation();
  return (
    <>
      <h1>{t('notFound.title')}</h1>
      <p>{t('notFound.text')}</p>
      <Link to="/">{t('common.backToDashboard')}</Link>
    </>
  );
}

export function NotForRolePage() {
  const { t } = useTranslation();
  return (
    <>
      <h1>{t('notForRole.title')}</h1>
      <p>{t('notForRole.text')}</p>
      <Link to="/">{t('common.backToDashboard')}</Link>
    </>
  );
}
