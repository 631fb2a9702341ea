// A desktop type's icon: an uploaded image ("upload:<version>:<type>"), an emoji, or a default.
export function TypeIcon({ slug, icon }: { slug: string; icon: string }) {
  if (icon.startsWith('upload:')) {
    const version = icon.split(':')[1];
    return <img className="type-icon" src={`/api/desktop-types/${encodeURIComponent(slug)}/icon?v=${version}`} alt="" />;
  }
  return (
    <span className="type-icon" aria-hidden="true">
      {icon || '🖥️'}
    </span>
  );
}
