import { Alert, Button, Code, Group, Stack, Table, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import { errorMessage } from '@/api/errors';
import { formatDateTime } from '@/lib/format';
import type { Deployment } from '../api/deployments';
import { useApiKeys, useCreateApiKey, useRevokeApiKey } from '../api/deployments';

/** Per-deployment API keys: create (the key is shown once), list, revoke. */
export function ApiKeysPanel({ deployment }: { deployment: Deployment }) {
  const keys = useApiKeys(deployment.project, deployment.name, true);
  const create = useCreateApiKey(deployment.project, deployment.name);
  const revoke = useRevokeApiKey(deployment.project, deployment.name);
  const [name, setName] = useState('');
  const [shown, setShown] = useState<string | null>(null);
  const rows = keys.data?.results ?? [];
  return (
    <Stack gap="xs">
      <Group align="flex-end">
        <TextInput label="New key name" value={name} onChange={(e) => setName(e.currentTarget.value)} style={{ flex: 1 }} />
        <Button
          variant="light"
          disabled={name.trim() === ''}
          loading={create.isPending}
          onClick={() =>
            create.mutate(name, {
              onSuccess: (k) => {
                setShown(k.key);
                setName('');
              },
            })
          }
        >
          Create key
        </Button>
      </Group>
      {shown ? (
        <Alert color="teal" variant="light" title="Copy the key now: it is not shown again">
          <Code data-testid="new-api-key">{shown}</Code>
        </Alert>
      ) : null}
      {create.isError || revoke.isError ? (
        <Alert color="red" variant="light" role="alert">
          {errorMessage(create.error ?? revoke.error)}
        </Alert>
      ) : null}
      {keys.isError ? (
        <Text size="sm" c="red">
          {errorMessage(keys.error)}
        </Text>
      ) : rows.length === 0 ? (
        <Text size="sm" c="dimmed">
          No API keys. Callers use a user token until you create one.
        </Text>
      ) : (
        <Table fz="sm" aria-label="API keys">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Prefix</Table.Th>
              <Table.Th>Created</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((k) => (
              <Table.Tr key={k.id}>
                <Table.Td>{k.name}</Table.Td>
                <Table.Td>
                  <Code>{k.prefix}…</Code>
                </Table.Td>
                <Table.Td>{formatDateTime(k.created_at)}</Table.Td>
                <Table.Td>
                  {k.revoked_at ? (
                    <Text size="xs" c="dimmed">
                      revoked {formatDateTime(k.revoked_at)}
                    </Text>
                  ) : (
                    <Button size="xs" variant="subtle" color="red" onClick={() => revoke.mutate(k.id)} aria-label={`Revoke ${k.name}`}>
                      Revoke
                    </Button>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
