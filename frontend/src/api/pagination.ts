import type { components } from './schema';

/** The envelope of every paginated list (DRF page-number pagination), as the schema publishes it. */
export type Page<T> = Omit<components['schemas']['PaginatedProjectList'], 'results'> & { results: T[] };
