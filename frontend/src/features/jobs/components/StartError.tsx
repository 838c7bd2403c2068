import { Alert, Text } from '@mantine/core';
import { ApiError } from '@/api/errors';

/** Why the server refused to start a job: its message and each field it named. */
export function StartError({ error, title }: { error: unknown; title: string }) {
  if (!(error instanceof ApiError)) return null;
  return (
    <Alert color="red" title={title}>
      {error.message}
      {Object.entries(error.fields ?? {}).map(([k, v]) => (
        <Text key={k} size="sm">
          {k}: {Array.isArray(v) ? v.join(' ') : String(v)}
        </Text>
      ))}
    </Alert>
  );
}
