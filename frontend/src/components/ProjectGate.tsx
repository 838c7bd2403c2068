import type { ReactNode } from 'react';
import { useProject } from '@/api/projects';
import { ApiError } from '@/api/errors';
import { ErrorState } from './ErrorState';
import { LoadingState } from './LoadingState';
import { NotFound } from './NotFound';

/**
 * Renders a project's sub-page once the project is known to exist: a missing project is one 404
 * (the project itself) and the not-found page, never a burst of 404s from the page's own queries.
 */
export function ProjectGate({ slug, children }: { slug: string; children: ReactNode }) {
  const project = useProject(slug);
  if (project.isPending) return <LoadingState rows={3} label="Loading project" />;
  if (project.isError) {
    if (project.error instanceof ApiError && project.error.status === 404) {
      return <NotFound title="Project not found" description={`There is no project “${slug}” in your teams.`} />;
    }
    return <ErrorState error={project.error} onRetry={() => void project.refetch()} />;
  }
  return <>{children}</>;
}
