import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from './client';
import type { components } from './schema';

export type Project = components['schemas']['Project'];

/** Query keys of /projects/: shared by every feature that lists or reads projects. */
export const projectKeys = {
  all: ['projects'] as const,
  lists: () => [...projectKeys.all, 'list'] as const,
  list: (team: string, search: string) => [...projectKeys.lists(), { team, search }] as const,
  detail: (slug: string) => [...projectKeys.all, 'detail', slug] as const,
};

/** One page of a team's projects, optionally filtered by a search term. */
export function fetchProjects(team: string | null, search = '') {
  return unwrap(api.GET('/api/v1/projects/', { params: { query: { team: team ?? undefined, search: search || undefined } } }));
}

/** The projects of a team (the project pickers of models, CI and deployments). */
export function useTeamProjects(team: string | null) {
  return useQuery({
    queryKey: projectKeys.list(team ?? '', ''),
    queryFn: () => fetchProjects(team),
    enabled: team !== null,
  });
}

export function useProject(slug: string) {
  return useQuery({
    queryKey: projectKeys.detail(slug),
    queryFn: () => unwrap(api.GET('/api/v1/projects/{project}/', { params: { path: { project: slug } } })),
  });
}
