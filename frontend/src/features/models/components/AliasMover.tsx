import { Alert, Autocomplete, Button, Group, Modal, NativeSelect, Stack, Text, Textarea, Tooltip } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { IconArrowsExchange } from '@tabler/icons-react';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError } from '@/api/errors';
import { type AliasInfo, moveAlias } from '../api/registry';

interface AliasMoverProps {
  slug: string;
  model: string;
  /** version numbers of the model, newest first */
  versions: number[];
  aliases: AliasInfo[];
  /** maintainers and admins move aliases; others see the button disabled */
  canMove: boolean;
}

const SUGGESTED = ['champion', 'candidate'];

/**
 * "Move alias": point an alias (champion, candidate, any name) at a version, after a confirmation
 * that shows the move (from -> to) and takes an optional reason. The move is conditional on the
 * version the page showed, so a concurrent move answers 409 and is shown as a conflict.
 */
export function AliasMover({ slug, model, versions, aliases, canMove }: AliasMoverProps) {
  const queryClient = useQueryClient();
  const [opened, { open, close }] = useDisclosure(false);
  const [alias, setAlias] = useState('champion');
  const [version, setVersion] = useState<string>(versions[0] !== undefined ? String(versions[0]) : '');
  const [reason, setReason] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  const name = alias.trim();
  const current = aliases.find((a) => a.name === name);
  const target = Number(version);
  const unchanged = current !== undefined && current.version === target;
  const conflict = error?.status === 409;

  const reset = () => {
    setError(null);
    setReason('');
    setBusy(false);
  };

  const confirm = async () => {
    setError(null);
    setBusy(true);
    try {
      await moveAlias(slug, model, {
        alias: name,
        version: target,
        expected_version: current?.version ?? null,
        reason: reason.trim(),
      });
      await queryClient.invalidateQueries({ queryKey: ['registry', slug] });
      close();
      reset();
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, 'error', String(err)));
      setBusy(false);
    }
  };

  const reload = async () => {
    setError(null);
    await queryClient.invalidateQueries({ queryKey: ['registry', slug] });
  };

  const button = (
    <Button variant="default" leftSection={<IconArrowsExchange size={16} />} onClick={open} disabled={!canMove || versions.length === 0}>
      Move alias
    </Button>
  );

  return (
    <>
      {canMove ? (
        button
      ) : (
        <Tooltip label="Only maintainers and admins move aliases">
          <span>{button}</span>
        </Tooltip>
      )}
      <Modal
        opened={opened}
        onClose={() => {
          close();
          reset();
        }}
        title={`Move an alias of ${model}`}
        centered
      >
        <Stack gap="sm">
          <Autocomplete
            label="Alias"
            name="alias"
            data={[...new Set([...aliases.map((a) => a.name), ...SUGGESTED])]}
            value={alias}
            onChange={setAlias}
            required
            error={error?.fieldError('alias')}
          />
          <NativeSelect
            label="Version"
            name="version"
            data={versions.map((n) => ({ value: String(n), label: `v${n}` }))}
            value={version}
            onChange={(e) => setVersion(e.currentTarget.value)}
            error={error?.fieldError('version')}
          />
          <Textarea
            label="Reason (optional)"
            name="reason"
            placeholder="Why this version? It goes into the alias history."
            maxLength={300}
            value={reason}
            onChange={(e) => setReason(e.currentTarget.value)}
            autosize
            minRows={2}
            error={error?.fieldError('reason')}
          />
          <Text data-testid="alias-move-summary">
            {name ? (
              <>
                <b>{name}</b>: {current ? `v${current.version}` : 'new alias'} → <b>v{version}</b>
                {unchanged ? ' (already there)' : ''}
              </>
            ) : (
              'Name the alias to move.'
            )}
          </Text>
          {conflict ? (
            <Alert color="orange" title="Conflict — someone else moved this alias" role="alert">
              <Stack gap="xs">
                <Text size="sm">{error.message}</Text>
                <Group>
                  <Button size="xs" variant="light" color="orange" onClick={() => void reload()}>
                    Reload aliases
                  </Button>
                </Group>
              </Stack>
            </Alert>
          ) : error ? (
            <Alert color="red" title="Move rejected" role="alert">
              {error.message}
            </Alert>
          ) : null}
          <Group justify="flex-end">
            <Button
              variant="default"
              onClick={() => {
                close();
                reset();
              }}
            >
              Cancel
            </Button>
            <Button onClick={() => void confirm()} loading={busy} disabled={!name || !version || unchanged}>
              {name ? `Move ${name} to v${version}` : 'Move'}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
