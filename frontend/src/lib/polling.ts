/**
 * A refetch interval that stops once the query has failed: polling a missing object (404) or a
 * forbidden one (403) only repeats the error. The page's "Retry" refetches by hand.
 */
export function pollEvery(ms: number): (query: { state: { status: string } }) => number | false {
  return (query) => (query.state.status === 'error' ? false : ms);
}
