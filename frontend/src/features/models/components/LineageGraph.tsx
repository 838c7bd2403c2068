import { Badge, Card, Text } from '@mantine/core';
import { Link } from 'react-router';
import type { LineageEdge, LineageNode } from '../api/registry';

const NODE_W = 184;
const NODE_H = 72;
const COL_GAP = 72;
const ROW_GAP = 16;

interface Placed {
  node: LineageNode;
  x: number;
  y: number;
}

/** Layered layout: datasets on the left, each version one column right of what it came from. */
function layout(nodes: LineageNode[], edges: LineageEdge[]): Map<string, Placed> {
  const depth = new Map<string, number>(nodes.map((n) => [n.id, 0]));
  for (let pass = 0; pass < nodes.length; pass += 1) {
    for (const edge of edges) {
      const next = (depth.get(edge.from) ?? 0) + 1;
      if (next > (depth.get(edge.to) ?? 0)) depth.set(edge.to, next);
    }
  }
  const rows: number[] = [];
  const placed = new Map<string, Placed>();
  for (const node of nodes) {
    const column = depth.get(node.id) ?? 0;
    const row = rows[column] ?? 0;
    rows[column] = row + 1;
    placed.set(node.id, { node, x: column * (NODE_W + COL_GAP), y: row * (NODE_H + ROW_GAP) });
  }
  return placed;
}

function edgeLabel(edge: LineageEdge): string {
  const how = edge.kind === 'trained_on' ? 'trained on' : 'derived from';
  return edge.job ? `${how} (job #${edge.job})` : how;
}

function nodeName(node: LineageNode): string {
  return node.kind === 'dataset_version' ? `${node.dataset} v${node.number}` : `${node.model} v${node.number}`;
}

/** The version's lineage as a graph: a card per dataset or model version, an arrow per relation. */
export function LineageGraph({ slug, nodes, edges }: { slug: string; nodes: LineageNode[]; edges: LineageEdge[] }) {
  const placed = layout(nodes, edges);
  const all = [...placed.values()];
  const width = Math.max(...all.map((p) => p.x + NODE_W), NODE_W);
  const height = Math.max(...all.map((p) => p.y + NODE_H), NODE_H);
  const drawn = edges.flatMap((edge) => {
    const from = placed.get(edge.from);
    const to = placed.get(edge.to);
    return from && to ? [{ edge, from, to }] : [];
  });

  return (
    <div style={{ overflowX: 'auto' }} data-testid="lineage-graph">
      <div style={{ position: 'relative', width, height }}>
        <svg
          width={width}
          height={height}
          style={{ position: 'absolute', inset: 0, overflow: 'visible' }}
          role="img"
          aria-label={drawn.map(({ edge, from, to }) => `${nodeName(to.node)} ${edgeLabel(edge)} ${nodeName(from.node)}`).join('; ')}
        >
          <defs>
            <marker id="lineage-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto">
              <path d="M0,0 L10,5 L0,10 z" fill="var(--mantine-color-dimmed)" />
            </marker>
          </defs>
          {drawn.map(({ edge, from, to }) => {
            const x1 = from.x + NODE_W;
            const y1 = from.y + NODE_H / 2;
            const x2 = to.x;
            const y2 = to.y + NODE_H / 2;
            const bend = (x2 - x1) / 2;
            return (
              <path
                key={`${edge.from}-${edge.to}`}
                data-testid="lineage-edge"
                data-from={edge.from}
                data-to={edge.to}
                d={`M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`}
                fill="none"
                stroke="var(--mantine-color-dimmed)"
                strokeWidth={1.5}
                strokeDasharray={edge.kind === 'derived' ? '5 4' : undefined}
                markerEnd="url(#lineage-arrow)"
              >
                <title>{edgeLabel(edge)}</title>
              </path>
            );
          })}
        </svg>
        {all.map(({ node, x, y }) => (
          <Card
            key={node.id}
            withBorder
            padding="xs"
            radius="md"
            data-testid="lineage-node"
            data-node={node.id}
            pos="absolute"
            left={x}
            top={y}
            w={NODE_W}
            h={NODE_H}
            style={node.current ? { borderColor: 'var(--mantine-color-blue-6)', borderWidth: 2 } : undefined}
          >
            {node.kind === 'dataset_version' ? (
              <>
                <Badge size="xs" color="teal" variant="light">
                  dataset
                </Badge>
                <Text size="sm" fw={600} component={Link} to={`/projects/${slug}/datasets/${node.dataset}?version=${node.number}`} truncate>
                  {nodeName(node)}
                </Text>
              </>
            ) : (
              <>
                <Badge size="xs" variant="light">
                  {node.format}
                </Badge>
                <Text
                  size="sm"
                  fw={600}
                  component={Link}
                  to={`/projects/${slug}/models/${node.model}/versions/${node.number}`}
                  truncate
                >
                  {nodeName(node)}
                </Text>
              </>
            )}
          </Card>
        ))}
      </div>
    </div>
  );
}
