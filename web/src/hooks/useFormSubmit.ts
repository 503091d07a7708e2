/**
 * A form's submit: the form's fields in, busy while the call runs, the error kept for
 * <ErrorText>. One hook for every form (sign-in, sign-up, password reset and the settings forms).
 */
import { useState, type FormEvent } from 'react';

export interface FormSubmit {
  busy: boolean;
  error: unknown;
  setError: (e: unknown) => void;
  onSubmit: (e: FormEvent<HTMLFormElement>) => Promise<void>;
}

export function useFormSubmit(action: (form: FormData) => Promise<void>): FormSubmit {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  async function onSubmit(e: FormEvent<HTMLFormElement>): Promise<void> {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setBusy(true);
    setError(null);
    try {
      await action(form);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  return { busy, error, setError, onSubmit };
}

/** Runs an action, keeping its error (buttons outside a form, forms that hold their fields in state). */
export function useAction(): {
  busy: boolean;
  error: unknown;
  setError: (e: unknown) => void;
  run: (f: () => Promise<void>) => Promise<void>;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  async function run(f: () => Promise<void>): Promise<void> {
    setBusy(true);
    setError(null);
    try {
      await f();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  return { busy, error, setError, run };
}
