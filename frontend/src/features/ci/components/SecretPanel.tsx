import { ActionIcon, Alert, Button, Code, CopyButton, Group, Modal, Stack, Text, Tooltip } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { IconCheck, IconCopy } from '@tabler/icons-react';
import { formatDateTime } from '@/lib/format';
import { useRotateSecret, useSecretStatus, webhookUrl } from '../api/ci';

export function Copy({ value, label }: { value: string; label: string }) {
  return (
    <CopyButton value={value}>
      {({ copied, copy }) => (
        <Tooltip label={copied ? 'Copied' : label}>
          <ActionIcon variant="subtle" onClick={copy} aria-label={label}>
            {copied ? <IconCheck size={16} /> : <IconCopy size={16} />}
          </ActionIcon>
        </Tooltip>
      )}
    </CopyButton>
  );
}

export function SecretPanel({ slug }: { slug: string }) {
  const status = useSecretStatus(slug);
  const rotate = useRotateSecret(slug);
  const url = webhookUrl(slug);
  const [confirming, confirm] = useDisclosure(false);
  const configured = status.data?.configured ?? false;
  // a first secret breaks nothing; rotating one replaces what every pipeline holds, so it asks first
  const onRotate = () => (configured ? confirm.open() : rotate.mutate());
  return (
    <Stack gap="md">
      <div>
        <Text fw={600}>Webhook URL</Text>
        <Group gap="xs">
          <Code style={{ wordBreak: 'break-all' }}>{url}</Code>
          <Copy value={url} label="Copy webhook URL" />
        </Group>
      </div>
      <div>
        <Text fw={600}>Secret</Text>
        <Text size="sm" c="dimmed">
          {status.data?.configured
            ? `Last rotated ${formatDateTime(status.data.rotated_at)}.` +
              (status.data.previous_valid_until
                ? ` The previous secret stays valid until ${formatDateTime(status.data.previous_valid_until)}.`
                : '')
            : 'No secret yet: generate one and store it in your CI as SHIPYARD_CI_SECRET.'}
        </Text>
      </div>
      <Group>
        <Button onClick={onRotate} loading={rotate.isPending} variant={configured ? 'default' : 'filled'}>
          {configured ? 'Rotate secret' : 'Generate secret'}
        </Button>
      </Group>
      <Modal opened={confirming} onClose={confirm.close} title="Rotate the CI secret?">
        <Stack gap="md">
          <Text size="sm">
            A new secret is generated and shown once. The current one keeps working for a grace period (24 hours
            by default), so update
            SHIPYARD_CI_SECRET in every pipeline of this project before then.
          </Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={confirm.close}>
              Cancel
            </Button>
            <Button
              color="red"
              onClick={() => {
                confirm.close();
                rotate.mutate();
              }}
            >
              Rotate the secret
            </Button>
          </Group>
        </Stack>
      </Modal>
      {rotate.data?.secret ? (
        <Alert color="yellow" title="Copy the secret now: it is shown only once">
          <Group gap="xs">
            <Code data-testid="ci-secret">{rotate.data.secret}</Code>
            <Copy value={rotate.data.secret} label="Copy secret" />
          </Group>
        </Alert>
      ) : null}
      {rotate.error ? <Alert color="red">{rotate.error.message}</Alert> : null}
    </Stack>
  );
}
