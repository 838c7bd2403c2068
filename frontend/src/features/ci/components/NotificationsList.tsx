import { Anchor, Badge, Card, Group, Pagination, Stack, Text } from '@mantine/core';
import { IconBell } from '@tabler/icons-react';
import { useState } from 'react';
import { Link } from 'react-router';
import { EmptyState } from '@/components/EmptyState';
import { ErrorState } from '@/components/ErrorState';
import { LoadingState } from '@/components/LoadingState';
import { formatDateTime } from '@/lib/format';
import { useNotifications, type CiNotification } from '../api/ci';

const KIND_COLOR: Record<string, string> = { regression: 'red', dependencies: 'orange' };

function outbound(status: string): { label: string; color: string } | null {
  if (!status) return null;
  if (/^2\d\d$/.test(status)) return { label: `sent (${status})`, color: 'teal' };
  if (status === 'sending') return { label: 'sending', color: 'gray' };
  if (status.startsWith('no outbound')) return null;
  return { label: `not sent: ${status}`, color: 'red' };
}

function NotificationCard({ slug, item }: { slug: string; item: CiNotification }) {
  const sent = outbound(item.outbound_status);
  return (
    <Card withBorder padding="sm" radius="md" data-testid="ci-notification">
      <Group justify="space-between" mb={4}>
        <Group gap="xs">
          <Badge color={KIND_COLOR[item.kind] ?? 'blue'} variant="light" tt="none">
            {item.kind === 'dependencies' ? 'dependency change' : item.kind}
          </Badge>
          {sent ? (
            <Badge color={sent.color} variant="outline" tt="none" title="outbound webhook">
              {sent.label}
            </Badge>
          ) : null}
        </Group>
        <Text size="xs" c="dimmed">
          {formatDateTime(item.created_at)}
          {item.run !== null ? (
            <>
              {' · '}
              <Anchor component={Link} to={`/projects/${slug}/ci/runs/${item.run}`} size="xs">
                run #{item.run}
              </Anchor>
            </>
          ) : null}
        </Text>
      </Group>
      <Text size="sm" style={{ wordBreak: 'break-word' }}>
        {item.text}
      </Text>
    </Card>
  );
}

export function NotificationsList({ slug }: { slug: string }) {
  const [page, setPage] = useState(1);
  const notifications = useNotifications(slug, page);
  if (notifications.isPending) return <LoadingState rows={3} label="Loading notifications" />;
  if (notifications.isError) return <ErrorState error={notifications.error} onRetry={() => void notifications.refetch()} />;
  if (notifications.data.count === 0) {
    return (
      <EmptyState
        icon={<IconBell size={28} />}
        title="No notifications"
        description="Dependency changes and metric regressions reported by CI appear here (and at the outbound URL, if set)."
      />
    );
  }
  const pages = Math.ceil(notifications.data.count / 50);
  return (
    <Stack gap="sm">
      {notifications.data.results.map((item) => (
        <NotificationCard key={item.id} slug={slug} item={item} />
      ))}
      {pages > 1 ? <Pagination total={pages} value={page} onChange={setPage} /> : null}
    </Stack>
  );
}
