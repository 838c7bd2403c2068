import { Alert, Button, Group, Text } from '@mantine/core';
import { IconAlertTriangle, IconRefresh } from '@tabler/icons-react';
import { ApiError, errorMessage } from '@/api/errors';
import { NotFound } from './NotFound';

interface ErrorStateProps {
  error: unknown;
  title?: string;
  onRetry?: () => void;
  retrying?: boolean;
}

export function ErrorState({ error, title = 'Could not load this page', onRetry, retrying }: ErrorStateProps) {
  // a 404 will not go away by retrying: say what is missing and offer the way back instead
  if (error instanceof ApiError && error.status === 404) {
    return <NotFound description={`${errorMessage(error)} It may have been deleted, or it belongs to a team you are not in.`} />;
  }
  return (
    <Alert color="red" variant="light" title={title} icon={<IconAlertTriangle size={20} />} role="alert">
      <Group justify="space-between" align="center" wrap="wrap" gap="sm">
        <Text size="sm">{errorMessage(error)}</Text>
        {onRetry ? (
          <Button
            size="xs"
            variant="white"
            color="red"
            leftSection={<IconRefresh size={14} />}
            onClick={onRetry}
            loading={retrying}
          >
            Retry
          </Button>
        ) : null}
      </Group>
    </Alert>
  );
}
