import { Center, Loader, Skeleton, Stack } from '@mantine/core';

interface LoadingStateProps {
  /** Number of skeleton rows; 0 shows a spinner instead. */
  rows?: number;
  label?: string;
}

export function LoadingState({ rows = 4, label = 'Loading' }: LoadingStateProps) {
  if (rows === 0) {
    return (
      <Center py="xl" aria-busy="true" aria-label={label}>
        <Loader />
      </Center>
    );
  }
  return (
    <Stack gap="sm" aria-busy="true" aria-label={label} data-testid="loading-state">
      {Array.from({ length: rows }, (_, index) => (
        <Skeleton key={index} height={40} radius="sm" />
      ))}
    </Stack>
  );
}
