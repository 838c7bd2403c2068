import { Alert, Progress, Stack, Text } from '@mantine/core';
import type { ApiError } from '@/api/errors';

/** An upload's progress bar (fraction 0..1, null before it starts) and the server's refusal. */
export function UploadStatus({ progress, error, afterUpload }: { progress: number | null; error: ApiError | null; afterUpload: string }) {
  return (
    <>
      {progress !== null ? (
        <Stack gap={2}>
          <Progress value={progress * 100} aria-label="Upload progress" animated={progress < 1} />
          <Text size="xs" c="dimmed" data-testid="upload-progress">
            {progress < 1 ? `Uploading… ${Math.round(progress * 100)}%` : afterUpload}
          </Text>
        </Stack>
      ) : null}
      {error ? (
        <Alert color="red" title="Upload rejected" role="alert">
          {error.message}
        </Alert>
      ) : null}
    </>
  );
}
