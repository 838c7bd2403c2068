import { Box } from '@mantine/core';
import { useRouteError } from 'react-router';
import { ErrorState } from '@/components/ErrorState';

export function RouteErrorBoundary() {
  const error = useRouteError();
  return (
    <Box p="xl" maw={720} mx="auto">
      <ErrorState error={error} title="Something went wrong" onRetry={() => window.location.reload()} />
    </Box>
  );
}
