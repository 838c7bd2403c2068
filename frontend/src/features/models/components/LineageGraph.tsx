import { Badge, Card, Group, Text } from '@mantine/core';
import { Link } from 'react-router';
import type { LineageEdge, LineageNode } from '../api/registry';

/** Layered lineage: datasets on the left, each version one column right of what it came from. */
export function LineageGraph({ slug, nodes, edges }: { slug: string; nodes: LineageNode[]; edges: LineageEdge[] }) {
  const depth = new Map<string, number>(nodes.map((n) => [n.id, 0]));
  for (let pass = 0; pass < nodes.length; pass += 1) {
    for (const edge of edges) {
      const next = (depth.get(edge.from) ?? 0) + 1;
      if (next > (depth.get(edge.to) ?? 0)) depth.set(edge.to, next);
    }
  }
  const columns: LineageNode[][] = [];
  for (const node of nodes) {
    const d = depth.get(node.id) ?? 0;
    (columns[d] ??= []).push(node);
  }
  const incoming = (id: string) => edges.filter((e) => e.to === id);
  return (
    <Group align="stretch" gap="lg" wrap="nowrap" style={{ overflowX: 'auto' }} data-testid="lineage-graph">
      {columns.map((column, index) => (
        <Group key={index} gap="lg" wrap="nowrap" align="center">
          {index > 0 ? (
            <Text c="dimmed" aria-hidden>
              →
            </Text>
          ) : null}
          <div style={{ display: 'flex', flexDirection: 'column', gap: 8 }}>
            {column.map((node) => (
              <Card
                key={node.id}
                withBorder
                padding="xs"
                radius="md"
                data-testid="lineage-node"
                style={node.current ? { borderColor: 'var(--mantine-color-blue-6)', borderWidth: 2 } : undefined}
              >
                {node.kind === 'dataset_version' ? (
                  <>
                    <Badge size="xs" color="teal" variant="light">
                      dataset
                    </Badge>
                    <Text size="sm" fw={600} component={Link} to={`/projects/${slug}/datasets/${node.dataset}`}>
                      {node.dataset} v{node.number}
                    </Text>
                  </>
                ) : (
                  <>
                    <Badge size="xs" variant="light">
                      {node.format}
                    </Badge>
                    <Text size="sm" fw={600} component={Link} to={`/projects/${slug}/models/${node.model}/versions/${node.number}`}>
                      {node.model} v{node.number}
                    </Text>
                    {incoming(node.id).some((e) => e.job) ? (
                      <Text size="xs" c="dimmed">
                        via job #{incoming(node.id).find((e) => e.job)?.job}
                      </Text>
                    ) : null}
                  </>
                )}
              </Card>
            ))}
          </div>
        </Group>
      ))}
    </Group>
  );
}
