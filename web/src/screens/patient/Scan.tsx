/** Scan a prescription: camera or file, upload with progress, then the review page follows the reading. */
import { useState, type ChangeEvent } from 'react';
import { useNavigate } from 'react-router';
import { useTranslation } from 'react-i18next';
import { uploadPrescription } from '../../api/client.ts';
import { ErrorText } from '../../components/Field.tsx';
import { digits } from '../../format.ts';

const MAX_BYTES = 15 * 1024 * 1024;

export function Scan() {
  const { t, i18n } = useTranslation();
  const navigate = useNavigate();
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);

  async function chosen(e: ChangeEvent<HTMLInputElement>) {
    const file = e.currentTarget.files?.[0];
    e.currentTarget.value = '';
    if (file === undefined) return;
    setError(null);
    if (file.size > MAX_BYTES) return setError(new Error(t('scan.tooLarge')));
    setProgress(0);
    try {
      const { id } = await uploadPrescription(file, setProgress);
      navigate(`/prescriptions/${id}`);
    } catch (err) {
      setError(err);
      setProgress(null);
    }
  }

  return (
    <section>
      <h1>{t('scan.title')}</h1>
      <div className="card">
        <p>{t('scan.help')}</p>
        <label className="button primary big">
          {t('scan.camera')}
          <input
            className="visually-hidden"
            type="file"
            accept="image/*"
            capture="environment"
            onChange={chosen}
            disabled={progress !== null}
          />
        </label>
        <label className="button big">
          {t('scan.file')}
          <input
            className="visually-hidden"
            type="file"
            accept="image/jpeg,image/png,image/webp"
            onChange={chosen}
            disabled={progress !== null}
            data-testid="scan-file"
          />
        </label>
        {progress !== null ? (
          <div aria-live="polite">
            <progress max={1} value={progress} aria-label={t('scan.uploading')} />
            <p>
              {t('scan.uploading')} {digits(Math.round(progress * 100), i18n.language)}%
            </p>
          </div>
        ) : null}
        <ErrorText error={error} />
      </div>
    </section>
  );
}
