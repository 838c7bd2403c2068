/**
 * Narrows a generated schema type in one place: the fields in `N` replace the generated ones
 * (used where the schema publishes a JSON field as `unknown` or a loose dict).
 */
export type Narrow<T, N> = Omit<T, keyof N> & N;

/**
 * A response body as the serializer sends it: every declared field present. The schema marks
 * fields that have a model default optional, because the same serializer also reads input.
 */
export type Sent<T> = Required<T>;
