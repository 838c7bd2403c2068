import { useSearchParams } from 'react-router';

/**
 * The selected tab of a page, kept in the URL (`?tab=...`) so that every tab can be linked to and
 * survives a reload. An unknown or missing value falls back to `fallback`; choosing the fallback
 * keeps the URL clean only when it was already absent.
 */
export function useTabParam<T extends string>(allowed: readonly T[], fallback: T): [T, (next: string | null) => void] {
  const [params, setParams] = useSearchParams();
  const raw = params.get('tab');
  const tab = raw !== null && (allowed as readonly string[]).includes(raw) ? (raw as T) : fallback;
  const select = (next: string | null) => {
    if (next === null || !(allowed as readonly string[]).includes(next)) return;
    setParams(
      (current) => {
        const updated = new URLSearchParams(current);
        updated.set('tab', next);
        return updated;
      },
      { replace: true },
    );
  };
  return [tab, select];
}
