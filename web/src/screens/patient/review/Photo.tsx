/** The prescription's photo beside the fields; a tap zooms it. */
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { imageDataUrl } from '../../../api/client.ts';

export function Photo({ id }: { id: string }) {
  const { t } = useTranslation();
  const [src, setSrc] = useState<string | null>(null);
  const [zoom, setZoom] = useState(false);
  useEffect(() => {
    imageDataUrl(`/api/v1/prescriptions/${id}/image`).then(setSrc, () => setSrc(null));
  }, [id]);
  if (src === null) return null;
  return (
    <figure className={zoom ? 'photo zoom' : 'photo'}>
      <button
        type="button"
        className="plain"
        onClick={() => setZoom(!zoom)}
        aria-pressed={zoom}
        aria-label={t('review.zoom')}
      >
        <img src={src} alt={t('review.photo')} />
      </button>
    </figure>
  );
}
