import { Badge, Button, Group, Loader } from '@mantine/core';

export type SaveState = 'idle' | 'pending' | 'saving' | 'saved' | 'conflict' | 'error';

/** The autosave state, announced politely to screen readers. */
export function SaveStatus({ state, error, onReload }: { state: SaveState; error?: string; onReload: () => void }) {
  return (
    <Group gap="xs" role="status" aria-live="polite" data-testid="save-status">
      {state === 'pending' || state === 'saving' ? (
        <Badge color="blue" variant="light" leftSection={<Loader size={10} />} tt="none">
          Saving…
        </Badge>
      ) : null}
      {state === 'saved' ? (
        <Badge color="teal" variant="light" tt="none">
          Saved
        </Badge>
      ) : null}
      {state === 'idle' ? (
        <Badge color="gray" variant="light" tt="none">
          Changes save automatically
        </Badge>
      ) : null}
      {state === 'conflict' ? (
        <>
          <Badge color="red" variant="filled" tt="none">
            Conflict — someone else saved
          </Badge>
          <Button size="compact-sm" color="red" variant="light" onClick={onReload}>
            Reload latest
          </Button>
        </>
      ) : null}
      {state === 'error' ? (
        <Badge color="red" variant="light" tt="none" title={error}>
          Not saved: {error}
        </Badge>
      ) : null}
    </Group>
  );
}
