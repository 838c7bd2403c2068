import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '@/api/client';
import type { components } from '@/api/schema';

export type Project = components['schemas']['Project'];
export type ProjectRequest = components['schemas']['ProjectCreateRequest'];
export type PaginatedProjectList = components['schemas']['PaginatedProjectList'];

export const projectKeys = {
  all: ['projects'] as const,
  lists: () => [...projectKeys.all, 'list'] as const,
  list: (team: string, search: string) => [...projectKeys.lists(), { team, search }] as const,
  detail: (slug: string) => [...projectKeys.all, 'detail', slug] as const,
};

export function useProjects({ team, search }: { team: string | null; search: string }) {
  return useQuery({
    queryKey: projectKeys.list(team ?? '', search),
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/projects/', {
          params: { query: { team: team ?? undefined, search: search || undefined } },
        }),
      ),
    enabled: team !== null,
    placeholderData: keepPreviousData,
  });
}

export function useProject(slug: string) {
  return useQuery({
    queryKey: projectKeys.detail(slug),
    queryFn: () => unwrap(api.GET('/api/v1/projects/{project}/', { params: { path: { project: slug } } })),
  });
}

export function useCreateProject() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: ProjectRequest) => unwrap(api.POST('/api/v1/projects/', { body })),
    onSuccess: (project) => {
      queryClient.setQueryData(projectKeys.detail(project.slug), project);
      return queryClient.invalidateQueries({ queryKey: projectKeys.lists() });
    },
  });
}
