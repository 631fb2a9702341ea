// A desktop type's icon: an uploaded image ("upload:<version>:<type>"), an emoji or short text, or a
// drawn monitor when the type has none.
export function TypeIcon({ slug, icon }: { slug: string; icon: string }) {
  if (icon.startsWith('upload:')) {
    const version = icon.split(':')[1];
    return <img className="type-icon" src={`/api/desktop-types/${encodeURIComponent(slug)}/icon?v=${version}`} alt="" />;
  }
  if (icon) {
    return (
      <span className="type-icon" aria-hidden="true">
        {icon}
      </span>
    );
  }
  return (
    <svg className="type-icon" viewBox="0 0 48 48" aria-hidden="true" focusable="false">
      <rect x="4" y="7" width="40" height="27" rx="3" fill="none" stroke="currentColor" strokeWidth="3" />
      <path d="M17 42h14M24 34v8" stroke="currentColor" strokeWidth="3" strokeLinecap="round" />
    </svg>
  );
}
