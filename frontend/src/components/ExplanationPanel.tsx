import { Progress, Stack, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { type ExplainAnswer, type ExplainBody, explainOnDeployment } from '@/api/explain';
import { ErrorState } from './ErrorState';
import { ExplanationView } from './ExplanationView';

/** Asks a worker to explain inputs or a logged request of a deployment; shows progress, then the attributions. */
export function ExplanationPanel({
  project,
  deployment,
  body,
  inputs,
}: {
  project: string;
  deployment: string;
  body: ExplainBody;
  inputs?: number[][];
}) {
  const [progress, setProgress] = useState<ExplainAnswer | null>(null);
  const query = useQuery({
    queryKey: ['explain', project, deployment, body],
    queryFn: ({ signal }) => explainOnDeployment(project, deployment, body, setProgress, signal),
    retry: false,
    staleTime: Infinity,
  });
  if (query.isPending) {
    return (
      <Stack gap="xs" aria-busy="true" aria-label="Explaining" data-testid="explain-progress">
        <Text size="sm">Explaining on a worker{progress ? ` (job ${progress.job}: ${progress.message ?? progress.status})` : ''}…</Text>
        <Progress value={progress?.progress ?? 5} animated />
      </Stack>
    );
  }
  if (query.isError) return <ErrorState error={query.error} title="Could not explain this prediction" onRetry={() => void query.refetch()} />;
  return <ExplanationView explanation={query.data} inputs={inputs} />;
}
